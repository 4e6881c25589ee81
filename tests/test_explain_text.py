"""`carekb explain` in the reader's language, the "why needed" of `carekb gap`, and KB notes quoted
in warnings in Japanese (issue 15).

Explain runs on every example office profile, for each tier of its service, with the whole tree
(--full): the Japanese output has no English words (tests/test_i18n.py's checker), the English one
no Japanese beyond quoted proper names — source codes and notes in the `[source …]` citation, the
provision cited after `provision:`, the office's and staff's names, and the names of the old
additions (処遇改善加算, 特定処遇改善加算, ベースアップ等支援加算), which have no official English."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from carekb.app import api
from carekb.cli.main import main
from carekb.i18n import t
from carekb.i18n.warnings import localize
from carekb.inputs.profile import bind
from carekb.solver.explain import condition_text
from carekb.solver.gap import evaluate
from carekb.solver.why_needed import _Derivation, _Office, _tree

from conftest import EXAMPLES
from test_i18n import english_words

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from offices import generate  # noqa: E402

OFFICES = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.startswith("visit-"))
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
OLD_ADDITIONS = ("特定処遇改善加算", "処遇改善加算", "ベースアップ等支援加算")


def run(*args) -> str:
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, (args, r.output)
    return r.output


def source_codes(kb) -> list[str]:
    """The codes of every source and provision document the KB cites (proper names, not words)."""
    codes = set()
    for k in kb.schemes.values():
        nodes = [*k.requirements.values(), *(x for ts in k.tiers.values() for x in ts.values()), *k.rules.values(),
                 *(p for ps in k.pledges.values() for p in ps), *(d for ds in k.derived.values() for d in ds),
                 *k.exceptions]
        citations = [n.cited for n in nodes] + [c for _, _, c in k.item_lists.values()]
        for c in citations:
            codes |= set(c.sources) | {p.document for p in c.provisions}
    return sorted(codes, key=len, reverse=True)


def english_in_japanese(text: str, kb, codes: list[str]) -> list[str]:
    """tests/test_i18n.py's check, once the identifiers a Japanese reader is shown are set aside:
    source codes, commands to type (carekb sources), tier ids without a Japanese short name
    (介護 R8's SINGLE) and roster references (staff[0])."""
    text = re.sub(r"`carekb [^`]*`|carekb [a-z]+( PROFILE)?", "", text)
    text = re.sub(r"staff\[\d+\]", "", text)
    for code in codes:
        text = text.replace(code, "")
    tier_ids = {tid for k in kb.schemes.values() for ts in k.tiers.values() for tid in ts}
    return [w for w in english_words(text, kb) if w not in tier_ids]


def japanese_words(text: str) -> list[str]:
    """Lines of English output with Japanese outside the quoted proper names (see module doc)."""
    found = []
    for line in text.splitlines():
        if line.startswith("Office: "):
            continue
        line = re.sub(r"  provision: .*", "", line)
        line = re.sub(r"\[source .*?; confidence [^\]]+\]", "", line)
        line = re.sub(r"staff\[\d+\] [^:(;]+", "", line)
        for name in OLD_ADDITIONS:
            line = line.replace(name, "")
        if JAPANESE.search(line):
            found.append(line.strip())
    return found


@pytest.fixture(scope="module")
def codes(kb):
    return source_codes(kb)


@pytest.mark.parametrize("profile", OFFICES, ids=lambda p: p.stem)
def test_explain_speaks_one_language(profile, kb, codes):
    tiers = [x["tier"] for x in api.tiers(api.load_profile(profile, kb=kb), kb=kb).to_dict()["tiers"]]
    assert tiers
    for tier in tiers:
        ja = run("explain", profile, tier, "--full")
        assert "✓ 満たしている  ✗ 満たしていない  確度:" in ja
        assert not english_in_japanese(ja, kb, codes), (profile.name, tier, english_in_japanese(ja, kb, codes))
        en = run("explain", profile, tier, "--full", "--lang", "en")
        assert "✓ met  ✗ not met  confidence:" in en
        assert not japanese_words(en), (profile.name, tier, japanese_words(en)[:5])


def test_conditions_in_words(kb):
    shogai = kb.schemes["shogai"]
    cond = shogai.requirements["wage.2"].applicable_when
    assert condition_text(shogai, cond, "ja") == (
        "判定日が 2026-03-31 以前、かつ 2024年5月の旧ベースアップ等支援加算: いいえ、かつ "
        "2024年5月の旧処遇改善加算が 1・2・3 のいずれか")
    assert condition_text(shogai, cond, "en") == (
        "the as-of date is on or before 2026-03-31 and old ベースアップ等支援加算 held in May 2024: no and "
        "old 処遇改善加算 tier held in May 2024 is one of 1, 2, 3")
    assert condition_text(shogai, ("field", "history.tokutei", "eq", 0), "ja") == "2024年5月の旧特定処遇改善加算が なし"
    assert condition_text(shogai, ("group", "cp5-applies"), "ja") == "サービスが「キャリアパス要件Ⅴが適用されるサービス」に当たる"


def test_explain_details_from_the_catalogue():
    ja = run("explain", EXAMPLES / "r7-after-school-day.yaml", "Ⅳ", "--full")
    assert "wage.2 月額賃金改善要件Ⅱ（旧ベースアップ等加算相当の賃金改善） — 適用外（判定日が 2026-03-31 以前、かつ" in ja
    assert "not (" not in ja and "history." not in ja
    ja = run("explain", EXAMPLES / "r7-after-school-day.yaml", "Ⅱ")
    assert "改善後の最高年額賃金見込は 4,300,000（あと 100,000 円）" in ja
    assert "［出典 NAVI8; seed 004 §キャリアパス要件Ⅳ; 令和8年度の金額基準は NAVI8・確度 S］" in ja
    en = run("explain", EXAMPLES / "r7-after-school-day.yaml", "Ⅱ", "--lang", "en")
    assert "II: not attained" in en and "Ⅱ:" not in en
    assert "[source NAVI8; seed 004 §キャリアパス要件Ⅳ; R8 threshold NAVI8; confidence S]" in en
    v1 = run("explain", EXAMPLES / "r6-employment-b-v-tier.yaml", "Ⅴ(1)")
    assert ("到達不可: 次の算定状況の事業所だけが対象です — 2024年5月の旧ベースアップ等支援加算: いいえ、かつ "
            "2024年5月の旧処遇改善加算が 1、かつ 2024年5月の旧特定処遇改善加算が 1") in v1


# --------------------------------------------------------------------------- why needed (gap)

PLEDGING = """version: 1
office: {id: "2012300009", name: てすと工房, service: employment-b, employees: 22}
as_of: 2026-07-01
met: [wage.1, cp2.1, cp2.1a, cp2.2, cp3.1c, cp3.2, visibility]
top_annual_wage: 4700000
workplace: [1, 2, 3, 5, 6, 9, 10, 14, 15, 18, 19, 20, 21, 25]
"""


def test_why_a_pledge_needs_the_special_requirement(tmp_path):
    """Hand-checked: without cp1.1–cp1.3, Ⅱイ is cheapest by pledging cp1 (2 actions instead of 3);
    in R8 that pledge is valid only with the 特例要件 met or pledged (pl:R8-cp1 ck:condition
    req:tokurei), so pledge.tokurei comes in through the pledge's condition, and pledge.cp1
    through tier Ⅳ, which Ⅱイ includes (Ⅱイ → Ⅲ → Ⅳ → cp1)."""
    path = tmp_path / "pledging.yaml"
    path.write_text(PLEDGING, encoding="utf-8")
    d = json.loads(run("gap", path, "--target", "Ⅱイ", "--format", "json"))
    [target] = d["targets"]
    why = {a["id"]: a["required_by"] for a in target["actions"]}
    assert why == {
        "pledge.cp1": [{"kind": "tier", "id": "IV", "label_ja": "福祉・介護職員等処遇改善加算（Ⅳ）", "label_en": "Tier IV"}],
        "pledge.tokurei": [{"kind": "pledge-condition", "id": "pledge.cp1",
                            "label_ja": "キャリアパス要件Ⅰ（任用要件・賃金体系の整備等）",
                            "label_en": "Career path I (appointment rules and wage scale)"}]}
    ja = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["gap", str(path), "--target", "Ⅱイ"]).output
    row = next(ln for ln in ja.splitlines() if ln.startswith("pledge.tokurei"))
    assert "誓約: 令和8年度特例要件（⑧） 【誓約: 2027-03-31 までに整備】 〔pledge.cp1（キャリアパス要件Ⅰ（任用要件・賃金体系の整備等））の条件による〕" in row
    assert "〔区分Ⅳの要件による〕" in next(ln for ln in ja.splitlines() if ln.startswith("pledge.cp1"))
    en = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["gap", str(path), "--target", "II-i", "--lang", "en"]).output
    assert "[required by the condition of pledge.cp1 (Career path I (appointment rules and wage scale))]" in en


def test_why_an_item_comes_through_the_special_requirement():
    d = json.loads(run("gap", EXAMPLES / "r8-employment-b.yaml", "--format", "json"))
    actions = {(tg["tier"], a["id"]): a["required_by"] for tg in d["targets"] for a in tg.get("actions", [])}
    # Ⅱロ = Ⅱイ + 特例要件: item 22 completes the 特例要件's productivity rule, not Ⅱロ's own list
    assert [r["id"] for r in actions[("II-ro", "workplace.22")]] == ["tokurei"]
    assert actions[("I-i", "cp5")] == []              # Ⅰイ names cp5 itself
    ja = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["gap", str(EXAMPLES / "r8-employment-b.yaml")]).output
    assert "〔tokurei（令和8年度特例要件（⑧））による〕" in ja


def test_actions_the_tier_names_itself_have_no_reason():
    d = json.loads(run("gap", EXAMPLES / "r7-after-school-day.yaml", "--format", "json"))
    ii = next(tg for tg in d["targets"] if tg["tier"] == "II")
    assert {a["id"]: a["required_by"] for a in ii["actions"]} == {"cp4": [], "visibility": [], "pledge.workplace": []}


# --------------------------------------------------------------------------- KB notes in warnings

def test_consult_warnings_quote_the_kb_in_japanese(kb):
    shogai = kb.schemes["shogai"]
    exception = next(x for x in shogai.exceptions if x.id == "small-corp-exception")
    note = shogai.tiers["R8"]["CONSULT"]
    ja = run("gap", EXAMPLES / "r8-consult-plan.yaml")
    assert f"区分相談支援は推定による例外（確度 I）に基づきます: {exception.label_ja}" in ja
    assert f"区分相談支援の要件は未確認です（確度 U）: {note.note_ja}" in ja
    assert not english_words(ja.split("次の一手")[0], kb), english_words(ja, kb)
    en = run("gap", EXAMPLES / "r8-consult-plan.yaml", "--lang", "en")
    assert exception.label_en in en and note.note in en


def test_localize_without_the_kb_keeps_the_quoted_text(kb):
    w = "the requirements of tier CONSULT are unconfirmed (U): some note"
    assert localize(w, "ja") == t("warn.unconfirmed", "ja", tier="CONSULT", note="some note")
    exception = kb.schemes["kaigo"].exceptions[0]
    w = f"tier II relies on an inferred exception (I): {exception.label_en}"
    assert localize(w, "ja", kb=kb).endswith(exception.label_ja)


@pytest.mark.parametrize("profile", sorted(EXAMPLES.glob("kaigo-*.yaml")) + [EXAMPLES / "r8-consult-plan.yaml"],
                         ids=lambda p: p.stem)
def test_kaigo_and_consult_warnings_in_japanese(profile, kb, codes):
    for cmd in ("gap", "tiers"):
        out = run(cmd, profile)
        assert not english_in_japanese(out, kb, codes), (cmd, english_in_japanese(out, kb, codes))


def test_every_chosen_action_is_found_on_the_rule_tree(kb):
    """The walk follows the solver's semantics: on generated offices (every period and service,
    both pledge modes), each missing action of each reachable target lies on the derivation the
    chosen set completes — named by the tier itself, or brought in by a rule the walk names."""
    checked = 0
    for office in generate(kb, 300, seed=11):
        okb = kb.for_service(office.service)
        bound, period = bind(office, okb, office.as_of)
        for pledges in (True, False):
            ev = evaluate(okb, bound, period, use_pledges=pledges)
            shared = _Office(ev)
            for tid in ev.targets:
                res = ev.results[tid]
                if not res.reachable or not res.missing:
                    continue
                walk = _Derivation(shared, frozenset(res.missing))
                walk.walk(_tree(ev.kb, period.id, tid).children[0], ())
                assert set(walk.paths) == set(res.missing), (office, tid, res.missing, sorted(walk.paths))
                checked += len(res.missing)
    assert checked > 1000
