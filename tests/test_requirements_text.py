"""`carekb requirements` says the rules in words (carekb/render/rule_text.py): Japanese by default,
English with --lang en, the KB's expressions with --raw and in JSON."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner

from carekb.app import api
from carekb.cli.main import main
from carekb.render import width as w
from carekb.render.rule_text import RuleText

from test_i18n import english_words

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
# proper names of the law, quoted as written: by the KB's English labels of the old additions
# (old 処遇改善加算 I) and by the catalogue for the corporation form that has no settled English name
PROPER_NAMES = ("処遇改善加算", "特定処遇改善加算", "ベースアップ等支援加算", "社会福祉連携推進法人")


def run(*args, env=None):
    r = CliRunner(env=env or {}).invoke(main, ["requirements", *map(str, args)])
    assert r.exit_code == 0, (args, r.output)
    return r.output


def cases(kb):
    """(scheme, period, service) for every period of both schemes and one service of each group."""
    out = []
    for scheme_id, skb in kb.schemes.items():
        services = {}
        for s in skb.own_services().values():
            for g in sorted(s.groups):
                services.setdefault(g, s.id)
        for pid in skb.periods:
            out += [(scheme_id, pid, None)] + [(scheme_id, pid, s) for s in sorted(set(services.values()))]
    return out


def source_codes(skb) -> set[str]:
    """The citations' source codes (identifiers such as `seed 004`, `kaigo research-notes`)."""
    cited = ([r.cited for r in skb.requirements.values()] + [t.cited for ts in skb.tiers.values() for t in ts.values()]
             + [r.cited for r in skb.rules.values()])
    return {s for c in cited for s in c.sources}


def test_every_period_and_service_in_japanese_without_english_words(kb):
    for scheme, period, service in cases(kb):
        skb = kb.schemes[scheme]
        args = ["--period", period, "--scheme", scheme] + (["--service", service] if service else [])
        text = run(*args)
        for code in sorted(source_codes(skb), key=len, reverse=True):
            text = text.replace(code, "")
        text = re.sub(r"^SINGLE ", "", text, flags=re.M)   # 介護 R8's one-tier id: short_tier has no Japanese name for it
        assert not english_words(text, skb), (args, english_words(text, skb))
        assert not re.search(r"history\.|≥|∈|service in group|as_of|サービス群", text), args   # every condition in words


def test_every_tier_in_english_without_japanese_but_proper_names(kb):
    for scheme, period, service in cases(kb):
        skb = kb.schemes[scheme]
        words = RuleText(skb, period, "en", service)
        for tier in words.tiers.values():
            text = words.tier(tier)
            for name in sorted(PROPER_NAMES, key=len, reverse=True):
                text = text.replace(name, "")
            assert not JAPANESE.search(text), (scheme, period, service, tier.id, text)
        out = run("--period", period, "--scheme", scheme, "--lang", "en", *(["--service", service] if service else []))
        headings = [ln for ln in out.splitlines() if ln.startswith("■")]
        assert len(headings) >= 4 and not any(JAPANESE.search(h.split("(")[0]) for h in headings), headings


def test_hand_checked_sentences(kb):
    shogai, kaigo = kb.schemes["shogai"], kb.schemes["kaigo"]
    r8 = RuleText(shogai, "R8")
    assert r8.tier(shogai.tiers["R8"]["II-i"]) == (
        "Ⅲの要件に加えて、見える化要件、改善後の年額賃金要件（または職場環境等要件（各区分1項目以上・生産性向上2項目以上・"
        "全体14項目以上））と職場環境等要件（各区分1項目以上・生産性向上2項目以上・全体14項目以上）")
    assert r8.tier(shogai.tiers["R8"]["IV"]) == (
        "月額賃金改善要件Ⅰ、キャリアパス要件Ⅰ、キャリアパス要件Ⅱと職場環境等要件（各区分1項目以上・生産性向上2項目以上・全体8項目以上）")
    assert r8.tier(shogai.tiers["R8"]["CONSULT"]) == (
        "（キャリアパス要件Ⅰ、キャリアパス要件Ⅱと職場環境等要件（各区分1項目以上・生産性向上2項目以上））または令和8年度特例要件")
    r7 = RuleText(shogai, "R7")
    assert r7.tier(shogai.tiers["R7"]["IV"]) == (
        "月額賃金改善要件Ⅰ、月額賃金改善要件Ⅱ（2024年5月に旧処遇改善加算Ⅰ～Ⅲのいずれかを算定し、旧ベースアップ等支援加算を"
        "算定しておらず、判定日が2026年3月31日以前である場合に限る）、キャリアパス要件Ⅰ、キャリアパス要件Ⅱと職場環境等要件"
        "（各区分1項目以上・生産性向上2項目以上）")
    assert r7.tier(shogai.tiers["R7"]["III"]) == "Ⅳの要件に加えて、キャリアパス要件Ⅲ"
    r6 = RuleText(shogai, "R6")
    assert r6.tier(shogai.tiers["R6"]["V8"]) == (
        "キャリアパス要件Ⅰ、キャリアパス要件Ⅱ、キャリアパス要件Ⅲと職場環境等要件（全体1項目以上）（2024年5月に旧処遇改善加算Ⅰを"
        "算定し、旧ベースアップ等支援加算・旧特定処遇改善加算を算定していなかった事業所に限る）")
    assert RuleText(shogai, "R6", "en").tier(shogai.tiers["R6"]["V8"]) == (
        "Career path I, Career path II, Career path III and workplace items (1 in total) (only if the office held the old "
        "wage-improvement addition I but not the old base-up support addition or the old specific wage-improvement "
        "addition in May 2024)")
    assert RuleText(shogai, "R8", "en").tier(shogai.tiers["R8"]["II-i"]) == (
        "the requirements of III, plus Public disclosure, Annual wage after improvement (or workplace items (1 per category, "
        "2 in Productivity, 14 in total)) and workplace items (1 per category, 2 in Productivity, 14 in total)")
    k7 = RuleText(kaigo, "R7")
    assert k7.tier(kaigo.tiers["R7"]["II"]) == (
        "Ⅲの要件に加えて、改善後の年額賃金要件、見える化要件と職場環境等要件（各区分2項目以上・生産性向上3項目以上・⑰必須）"
        "（または職場環境等要件（各区分2項目以上・生産性向上3項目以上・⑱必須））")


def test_a_service_settles_what_it_alone_decides(kb):
    shogai = kb.schemes["shogai"]
    # 短期入所 has no tier Ⅱ and career path V does not apply to it: Ⅰイ is said on top of Ⅲ, without 配置等要件
    short = RuleText(shogai, "R8", "ja", "short-stay")
    assert "II-i" not in short.tiers
    assert short.tier(shogai.tiers["R8"]["I-i"]) == (
        "Ⅲの要件に加えて、見える化要件、改善後の年額賃金要件（または職場環境等要件（各区分1項目以上・生産性向上2項目以上・"
        "全体14項目以上））と職場環境等要件（各区分1項目以上・生産性向上2項目以上・全体14項目以上）")
    # where it applies, cp5 is named without its condition
    day = RuleText(shogai, "R7", "ja", "after-school-day")
    assert day.tier(shogai.tiers["R7"]["I"]) == "Ⅱの要件に加えて、配置等要件"
    assert RuleText(shogai, "R7").tier(shogai.tiers["R7"]["I"]) == (
        "Ⅱの要件に加えて、配置等要件（キャリアパス要件Ⅴが適用されるサービスに当たる場合に限る）")
    out = run("--period", "R8", "--service", "短期入所")
    assert "配置等要件（このサービスには適用されない）" in out
    assert "区分と要件（短期入所）" in out and "Ⅱイ" not in out.split("■ 要件")[0]
    assert "このサービスには加算の区分がありません" in run("--period", "R7", "--service", "訪問看護")
    # the service picks its scheme
    out = run("--period", "R7", "--service", "訪問介護")
    assert "区分と要件（訪問介護）" in out and "介護福祉士等の配置要件" in out


def test_raw_gives_the_expressions_and_json_is_unchanged(kb):
    raw = run("--period", "R7", "--raw")
    assert "(cp4 & visibility & III & env:R7-high)" in raw and "(wage.1 & wage.2 & cp1 & cp2 & env:R7-low)" in raw
    assert "Ⅲの要件に加えて" not in raw
    words = run("--period", "R7")
    assert "Ⅲの要件に加えて、改善後の年額賃金要件、見える化要件と職場環境等要件" in words and "env:" not in words
    data = json.loads(run("--period", "R7", "--format", "json"))
    assert data == api.requirements("R7", kb=kb).to_dict()
    assert {t["tier"]: t["requires"] for t in data["tiers"]}["II"] == "(cp4 & visibility & III & env:R7-high)"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_fits_80_columns(kb, lang):
    for scheme, period, service in cases(kb):
        if service:
            continue
        out = run("--period", period, "--scheme", scheme, "--lang", lang, env={"COLUMNS": "80"})
        too_wide = [ln for ln in out.splitlines() if w.width(ln) > 80]
        assert not too_wide, (scheme, period, lang, too_wide[:3])


def test_a_service_of_another_scheme_is_one_clear_error():
    r = CliRunner().invoke(main, ["requirements", "--scheme", "shogai", "--service", "訪問介護"])
    assert r.exit_code == 2 and "home-help" in r.output and "shogai" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


def test_conditions_in_words_both_languages(kb):
    shogai = kb.schemes["shogai"]
    ja, en = RuleText(shogai, "R8"), RuleText(shogai, "R8", "en")
    conds = [("field", "employees", "lt", 10), ("field", "employees", "ge", 10), ("field", "single_office_corp", "eq", True),
             ("field", "single_office_corp", "eq", False), ("field", "collab_corp", "eq", False),
             ("field", "top_annual_wage", "ge", 4_600_000), ("field", "top_annual_wage", "lt", 4_400_000),
             ("field", "history.tokutei", "in", frozenset({1, 2})), ("date_le", dt.date(2027, 3, 31)),
             ("group", "consultation"), ("req", "tokurei")]
    assert [ja.clause(c) for c in conds] == [
        "常時雇用する者が10人未満である", "常時雇用する者が10人以上である", "1法人1事業所である", "1法人1事業所でない",
        "社会福祉連携推進法人に参加していない", "改善後の年額賃金の見込みが460万円以上である",
        "改善後の年額賃金の見込みが440万円未満である", "2024年5月に旧特定処遇改善加算Ⅰ・Ⅱのいずれかを算定していた",
        "判定日が2027年3月31日以前である", "相談支援系サービスに当たる", "令和8年度特例要件を満たす"]
    both = ("all", (("field", "employees", "lt", 10), ("date_le", dt.date(2027, 3, 31))))
    assert ja.clause(both) == "常時雇用する者が10人未満で、判定日が2027年3月31日以前である"
    assert en.clause(both) == "the office has fewer than 10 regular employees and the date is on or before 2027-03-31"
    assert en.clause(("field", "top_annual_wage", "ge", 4_600_000)) == (
        "the expected annual wage after improvement is at least 4,600,000 yen")
    for c in conds:
        assert not JAPANESE.search(en.clause(c).replace("社会福祉連携推進法人", "")), c


def test_json_with_a_service_keeps_the_expressions_of_its_tiers():
    data = json.loads(run("--period", "R8", "--service", "short-stay", "--format", "json"))
    assert {t["tier"] for t in data["tiers"]} == {"I-ro", "I-i", "III", "IV"}
    assert {t["tier"]: t["requires"] for t in data["tiers"]}["I-i"] == "(cp5 & II-i)"   # as stored, not settled
