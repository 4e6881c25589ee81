"""carekb.model.dates.parse_date: the one reader of dates as people write them."""

from __future__ import annotations

import datetime as dt

import pytest

from carekb.i18n import set_lang
from carekb.model.dates import format_ja, parse_date
from carekb.model.errors import CarekbError

JULY_1 = dt.date(2026, 7, 1)


@pytest.mark.parametrize("written", [
    "2026-07-01", "2026-7-1", "2026/07/01", "2026/7/1", "2026.7.1", "2026年7月1日", "令和8年7月1日", "令和８年７月１日",
    "R8.7.1", "R8/7/1", "r8-7-1", "R08.07.01", "２０２６／０７／０１", "２０２６－０７－０１", " 2026-07-01 ",
    JULY_1, dt.datetime(2026, 7, 1, 9, 30),
])
def test_every_accepted_form_means_the_same_day(written):
    assert parse_date(written, "f.yaml", "as_of") == JULY_1


@pytest.mark.parametrize("written, day", [
    ("平成30年4月1日", dt.date(2018, 4, 1)), ("H31.4.30", dt.date(2019, 4, 30)), ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("R1.5.1", dt.date(2019, 5, 1)), ("2024/2/29", dt.date(2024, 2, 29)),
])
def test_eras_and_leap_days(written, day):
    assert parse_date(written) == day


@pytest.mark.parametrize("written, says", [
    ("20250701", "2025-07-01"),            # 8 bare digits: YAML reads an int, fromisoformat a date
    (20250701, "2025-07-01"),
    ("2025W271", "2025W271"),              # ISO week date that date.fromisoformat accepts
    ("2025-W27-1", "2025-W27-1"),
    ("2025-182", "2025-182"),              # ordinal date
    ("2025-13-01", "13"),
    ("2025-02-30", "28"),
    ("2023-02-29", "28"),
    ("平成31年5月1日", "平成"),           # 平成 ended on 2019-04-30
    ("令和1年4月30日", "令和"),           # 令和 began on 2019-05-01
    ("next tuesday", "next tuesday"),
    ("2026-07-01T09:00", "2026-07-01T09:00"),
    (1.5, "1.5"),
    (True, "True"),
    (None, "None"),
])
def test_refused_with_a_message_naming_the_value(written, says):
    with pytest.raises(CarekbError) as e:
        parse_date(written, "f.yaml", "as_of")
    assert says in str(e.value) and str(e.value).startswith("f.yaml: as_of: ")


def test_messages_follow_the_language():
    try:
        set_lang("en")
        with pytest.raises(CarekbError, match="impossible date 2025-02-30: 2025-02 has 28 days"):
            parse_date("2025-02-30")
        set_lang("ja")
        with pytest.raises(CarekbError, match="2025年2月は28日まで"):
            parse_date("2025-02-30")
    finally:
        set_lang("ja")


def test_japanese_display():
    assert format_ja(JULY_1) == "2026年7月1日（令和8年）"
    assert format_ja(dt.date(2019, 5, 1)) == "2019年5月1日（令和元年）"
    assert format_ja(dt.date(2019, 4, 30)) == "2019年4月30日（平成31年）"
