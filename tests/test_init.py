"""`carekb init`: a commented profile for a service and date that `carekb gap` reads back, with the
period's requirement, workplace-item and pledge choices labelled from the KB."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.i18n import t
from carekb.inputs import normalize
from carekb.model.dates import parse_date

CASES = [("生活介護", "2025-07-01"), ("生活介護", "2026-07-01"), ("訪問介護", "2025-07-01"), ("訪問介護", "2026/7/1")]


def _init(tmp_path, *args):
    out = tmp_path / "office.yaml"
    r = CliRunner().invoke(main, ["init", *args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def _gap(path):
    r = CliRunner().invoke(main, ["gap", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.mark.parametrize("service,day", CASES)
def test_gap_reads_the_profile_back_empty_and_with_every_choice_uncommented(tmp_path, kb, service, day):
    path = _init(tmp_path, service, "--as-of", day)
    empty = _gap(path)
    assert empty["service"] == normalize.service(kb, service)
    assert empty["as_of"] == parse_date(day).isoformat()
    assert empty["highest"] is None            # nothing filled in: nothing attained
    # uncommenting every choice (all requirements, items and pledges of the period) is a valid profile
    full = tmp_path / "full.yaml"
    full.write_text(re.sub(r"(?m)^  # - ", "  - ", path.read_text(encoding="utf-8")), encoding="utf-8")
    assert _gap(full)["highest"] is not None


def test_choices_are_the_periods_ids_with_the_kbs_labels(tmp_path, kb):
    text = _init(tmp_path, "生活介護", "--as-of", "2026-07-01").read_text(encoding="utf-8")
    skb = kb.for_service("daily-life-care")
    period = skb.period_at(parse_date("2026-07-01"))
    for r in skb.requirements.values():
        if not r.composite and (not r.periods or period.id in r.periods):
            assert re.search(rf"(?m)^  # - {re.escape(r.id)} +# {re.escape(r.label_ja)}$", text), r.id
    for it in skb.items[period.item_list].values():
        assert re.search(rf"(?m)^  # - {it.number} +# {re.escape(' '.join(it.label_ja.split()))}$", text), it.number
        assert f"# 【{skb.categories[it.category][0]}】" in text
    for p in skb.pledges[period.id]:
        assert re.search(rf"(?m)^  # - {re.escape(p.id)} +# .*{p.deadline.isoformat()}", text), p.id
    assert t("init.met", "ja", period=period.id) in text


def test_english_comments_with_lang_en(tmp_path):
    text = _init(tmp_path, "訪問介護", "--as-of", "2026-07-01", "--lang", "en").read_text(encoding="utf-8")
    assert text.startswith("# carekb office profile: ")
    assert t("init.met", "en", period="R8") in text
    assert t("init.met", "ja", period="R8") not in text


def test_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "office.yaml"
    out.write_text("mine\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", "生活介護", "-o", str(out)])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and "--force" in r.output
    assert out.read_text(encoding="utf-8") == "mine\n"
    r = CliRunner().invoke(main, ["init", "生活介護", "-o", str(out), "--force"])
    assert r.exit_code == 0 and out.read_text(encoding="utf-8").startswith("# carekb")


@pytest.mark.parametrize("args", [["存在しないサービス"], ["生活介護", "--as-of", "2020-01-01"], ["生活介護", "--as-of", "20250701"],
                                  ["計画相談支援", "--as-of", "2025-07-01"],
                                  ["生活介護", "-o", "x.txt"]])
def test_bad_arguments_exit_2_with_one_line(args):
    r = CliRunner().invoke(main, ["init", *args])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output, r.output


def test_prints_to_stdout_without_output():
    r = CliRunner().invoke(main, ["init", "生活介護", "--as-of", "2026-07-01"])
    assert r.exit_code == 0 and r.output.startswith("# carekb 事業所プロファイル: 生活介護")
