"""Dates: the one place that decides what "today" is, and the one parser of dates as people write them.

Accepted: 2026-07-01, 2026/7/1, 2026年7月1日, 令和8年7月1日 (令和元年 too), R8.7.1, R8/7/1, R8-7-1,
平成/H likewise, with full-width digits and punctuation. Refused, each with a message that says why:
8 bare digits (20260701, which YAML would read as a number), ISO week or ordinal dates (2025W271,
2025-182), times, impossible days (2025-02-30), and era years outside their era (平成32年).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata

from carekb.i18n import t
from carekb.model.errors import CarekbError


def today() -> dt.date:
    """The date an office is evaluated on when neither the command nor the profile gives one
    (the machine's local date)."""
    return dt.date.today()


def as_of_or_today(*candidates: dt.date | None) -> dt.date:
    """The first date given, else today."""
    return next((d for d in candidates if d is not None), None) or today()


# Japanese eras in use for these rules: name, one-letter form, first day, last day (None: current)
ERAS = (("令和", "R", dt.date(2019, 5, 1), None),
        ("平成", "H", dt.date(1989, 1, 8), dt.date(2019, 4, 30)))

_WESTERN = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)")
_ERA = re.compile(r"(令和|平成|[RrHh])\s*(\d{1,2}|元)(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)")


def parse_date(value, source: str | None = None, where: str | None = None) -> dt.date:
    """A date from a profile value, a table cell or an option, or CarekbError naming source and where."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CarekbError(t("date.expected", got=repr(value)), source, where)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d{8}", text):
        raise CarekbError(t("date.bare_digits", got=text, hint=f"{text[:4]}-{text[4:6]}-{text[6:]}"), source, where)
    if isinstance(value, int):
        raise CarekbError(t("date.expected", got=repr(value)), source, where)
    m = _WESTERN.fullmatch(text)
    if m:
        y, mo, d = int(m[1]), int(m[2] or m[4]), int(m[3] or m[5])
        return _day(y, mo, d, value, source, where)
    m = _ERA.fullmatch(text)
    if m:
        name, letter, first, last = next(e for e in ERAS if m[1] in (e[0], e[1], e[1].lower()))
        n = 1 if m[2] == "元" else int(m[2])
        day = _day(first.year + n - 1, int(m[3] or m[5]), int(m[4] or m[6]), value, source, where)
        if n < 1 or day < first or (last is not None and day > last):
            span = f"{first}〜{last or ''}"
            raise CarekbError(t("date.outside_era", got=str(value), era=name, span=span), source, where)
        return day
    if re.fullmatch(r"\d{4}-?W\d{2}-?\d?|\d{4}-?\d{3}", text, re.I):
        raise CarekbError(t("date.week_or_ordinal", got=str(value)), source, where)
    raise CarekbError(t("date.malformed", got=str(value)), source, where)


def _day(y: int, mo: int, d: int, value, source, where) -> dt.date:
    if not 1 <= mo <= 12:
        raise CarekbError(t("date.bad_month", got=str(value), month=mo), source, where)
    last = calendar.monthrange(y, mo)[1] if 1 <= y <= 9999 else 31
    if not 1 <= d <= last or not 1 <= y <= 9999:
        raise CarekbError(t("date.bad_day", got=str(value), year=y, month=mo, last=last), source, where)
    return dt.date(y, mo, d)


def format_ja(day: dt.date) -> str:
    """2026年7月1日（令和8年）: how a Japanese document writes a date."""
    era = next(((name, day.year - first.year + 1) for name, _, first, last in ERAS
                if first <= day and (last is None or day <= last)), None)
    tail = f"（{era[0]}{'元' if era[1] == 1 else era[1]}年）" if era else ""
    return f"{day.year}年{day.month}月{day.day}日{tail}"
