"""Staff definitions (SKOS, kb/shogai/staff.ttl) and the staff roster: cp4 and the priority staff."""

import csv
import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner

from carekb.inputs import roster
from carekb.cli.main import main
from carekb.i18n import set_lang
from carekb.model.errors import CarekbError
from carekb.inputs.profile import bind, check, load_office
from carekb.solver.explain import explain
from carekb.solver.gap import evaluate
from carekb.app.report import to_dict

from conftest import EXAMPLES, REFERENCE

REF = REFERENCE / "shogai"
EXAMPLE = EXAMPLES / "roster-group-home.yaml"
R7_ALL_BUT_CP4 = {
    "version": 1, "office": {"service": "group-home-care"}, "as_of": "2025-07-01",
    "history": {"shogu": 1, "tokutei": 1, "baseup": True},
    "met": ["wage.1", "cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2", "cp3.1a", "cp3.2", "cp5", "visibility"],
    "workplace": [1, 2, 5, 6, 9, 10, 14, 15, 18, 19, 20, 25, 26],
}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def member(**kw):
    base = {"role": "世話人", "qualifications": ["介護福祉士"], "years_in_corp": 3, "annual_wage_after": 3_000_000}
    return {**base, **kw}


def profile(kb, staff, **kw):
    data = {**R7_ALL_BUT_CP4, "staff": staff, **kw}
    return check(data, {}, "<test>.yaml", kb)


def highest(kb, office, as_of=None):
    o, p = bind(office, kb, as_of)
    return evaluate(kb, o, p).highest, o


# --------------------------------------------------------------------------- definitions

def test_staff_definitions_match_reference(kb):
    for row in csv.DictReader(open(REF / "staff_definitions.csv", encoding="utf-8")):
        if row["scheme"] == "priority-staff":
            rule = kb.priority_rule
            assert rule.label_ja == row["label_ja"] and rule.min_years == 10
            assert set(rule.schemes) == {"experienced-skilled", "priority-roles", "other-specialists"}
            continue
        s = kb.staff_schemes[row["scheme"]]
        assert s.label_ja == row["label_ja"] and s.cited.confidence == row["confidence"]
        listed = {c.label_ja for c in s.concepts if not c.placeholder}
        assert listed == {m.strip() for m in row["members"].split(";")}, row["scheme"]
    assert kb.staff_schemes["other-specialists"].open_list
    assert [c.id for c in kb.staff_schemes["other-specialists"].concepts if c.placeholder] == ["other-specialist"]
    assert kb.staff_schemes["experienced-skilled"].counts_for == ("cp4",)
    assert kb.staff_schemes["experienced-skilled"].with_role_in == "target-occupations"


def test_names_ids_and_alternative_labels_resolve(kb):
    assert roster.resolve(kb, "role", "世話人") == "caretaker"
    assert roster.resolve(kb, "role", "サービス管理責任者") == "service-manager"
    assert roster.resolve(kb, "role", "公認心理師") == "psychologist"
    assert roster.resolve(kb, "qualifications", "介護福祉士") == "certified-care-worker"
    assert roster.resolve(kb, "qualifications", "Certified Care Worker") == "certified-care-worker"
    assert roster.resolve(kb, "qualifications", "職場適応援助者(ジョブコーチ)養成研修修了者") == "job-coach-training"
    assert roster.resolve(kb, "qualifications", "世話人") is None  # an occupation, not a qualification


# --------------------------------------------------------------------------- cp4 from the roster

def test_one_yen_short_is_not_met_and_explain_names_the_person(kb):
    office = load_office(EXAMPLE, kb)
    top, bound = highest(kb, office)
    assert top == "III" and bound.top_annual_wage == 4_399_999
    ev = evaluate(kb, *bind(office, kb))
    assert {t["tier"]: t["missing"] for t in to_dict(ev, alternatives=False)["targets"]} == {"I": ["cp4"], "II": ["cp4"]}
    e = explain(ev, "II", "ja")
    [node] = e["failing"]
    assert node["id"] == "cp4"
    assert "staff[0] 山田 花子" in node["detail"] and "あと 1 円" in node["detail"]
    assert "除外: staff[2] 鈴木 一郎" in node["detail"]
    en = explain(ev, "II", "en")["failing"][0]["detail"]
    assert "staff[0] 山田 花子" in en and "(1 yen short)" in en
    cands = {c["index"]: c["status"] for c in e["staff"]["cp4"]["candidates"]}
    assert cands == {0: "short", 2: "excluded"}  # 佐藤 is サービス管理責任者, not a ※1 occupation
    r = run("explain", EXAMPLE, "II")
    assert r.exit_code == 0 and "staff[0] 山田 花子: 改善後 4,399,999円（あと 1 円）" in r.output


def test_exactly_the_threshold_meets_cp4(kb):
    office = profile(kb, [member(annual_wage_after=4_400_000, name="A"), member(annual_wage_after=4_399_999)])
    top, _ = highest(kb, office)
    assert top == "I"
    ev = evaluate(kb, *bind(office, kb))
    tree = explain(ev, "I", "ja")["tree"]
    cp4 = find(tree, "cp4")
    assert cp4["ok"] and "staff[0] A: 改善後 4,400,000円" in cp4["detail"]


def test_already_above_before_the_improvement_does_not_count(kb):
    office = profile(kb, [member(annual_wage_after=5_000_000, annual_wage_before=4_400_000)])
    top, bound = highest(kb, office)
    assert top == "III" and bound.top_annual_wage is None
    # below the threshold before, so it counts
    office = profile(kb, [member(annual_wage_after=5_000_000, annual_wage_before=4_399_999)])
    assert highest(kb, office)[0] == "I"


def test_threshold_is_the_periods(kb):
    # R8 raises the threshold to 4,600,000: someone at 4,500,000 before now counts, and 4,599,999 is short
    staff = [member(annual_wage_after=4_700_000, annual_wage_before=4_500_000)]
    assert roster.wage_threshold(kb, "R8") == 4_600_000 and roster.wage_threshold(kb, "R7") == 4_400_000
    assert roster.wage_threshold(kb, "OLD") is None
    members = roster.parse_staff(staff, kb, "<t>")
    assert roster.top_wage(kb, members, 4_400_000) is None
    assert roster.top_wage(kb, members, 4_600_000) == 4_700_000
    office = profile(kb, staff)
    _, o8 = highest(kb, office, dt.date(2026, 7, 1))
    assert o8.top_annual_wage == 4_700_000


def test_qualified_only_in_a_target_occupation_or_as_psychologist(kb):
    office = profile(kb, [member(role="サービス管理責任者", qualifications=["社会福祉士"], annual_wage_after=5_000_000)])
    assert highest(kb, office)[0] == "III"
    office = profile(kb, [member(role="other", qualifications=["介護福祉士"], annual_wage_after=5_000_000)])
    assert highest(kb, office)[0] == "III"
    office = profile(kb, [member(role="心理指導担当職員", qualifications=[], annual_wage_after=4_400_000)])
    assert highest(kb, office)[0] == "I"
    office = profile(kb, [member(role="other", qualifications=["公認心理師"], annual_wage_after=4_400_000)])
    assert highest(kb, office)[0] == "I"


def test_empty_or_unqualified_roster_explains_no_one_counts(kb):
    office = profile(kb, [member(qualifications=[], annual_wage_after=9_000_000)])
    ev = evaluate(kb, *bind(office, kb))
    assert "名簿に該当者なし" in find(explain(ev, "II", "ja")["tree"], "cp4")["detail"]


# --------------------------------------------------------------------------- priority staff

def test_priority_staff(kb):
    office = load_office(EXAMPLE, kb)
    listed = {m.index: why for m, why in roster.priority_staff(kb, office.staff)}
    assert set(listed) == {0, 1, 4}
    assert listed[0] == ["experienced-skilled"]        # 介護福祉士 世話人, 12 years
    assert "priority-roles" in listed[1] and "other-specialists" in listed[1]  # サービス管理責任者, 11 years
    assert listed[4] == ["other-specialists"]          # 強度行動障害 training, exactly 10 years
    short = profile(kb, [member(years_in_corp="9.9"), member(years_in_corp=10)])
    assert [m.index for m, _ in roster.priority_staff(kb, short.staff)] == [1]
    d = json.loads(run("staff", EXAMPLE, "--format", "json").output)
    assert [p["index"] for p in d["priority_staff"]] == [0, 1, 4]
    assert d["cp4"]["met"] is False and d["cp4"]["threshold_yen"] == 4_400_000
    assert d["members"][0]["short_by_yen"] == 1 and d["members"][2]["cp4"] == "excluded"
    table = run("staff", EXAMPLE).output
    assert "キャリアパス要件Ⅳ（年額4,400,000円以上）: 未充足" in table and "不足（1円）" in table


def test_staff_definitions_command():
    d = json.loads(run("staff", "--format", "json").output)
    ids = {s["id"]: s for s in d["schemes"]}
    assert set(ids) == {"target-occupations", "experienced-skilled", "other-specialists", "priority-roles"}
    assert ids["other-specialists"]["open_list"] and d["priority_rule"]["min_years_in_corp"] == 10
    assert "例示" in run("staff").output


# --------------------------------------------------------------------------- bad rosters

@pytest.mark.parametrize("entry, where, what", [
    (member(qualifications=["介護福祉士", "宇宙飛行士"]), "staff[1].qualifications", "unknown qualification '宇宙飛行士'"),
    (member(role="宇宙飛行士"), "staff[1].role", "unknown role"),
    (member(age=40), "staff[1].age", "unknown key 'age'"),
    ({"role": "世話人", "years_in_corp": 3}, "staff[1]", "missing annual_wage_after"),
    (member(annual_wage_after=-5), "staff[1].annual_wage_after", "out of range"),
    (member(annual_wage_after="たくさん"), "staff[1].annual_wage_after", "whole number of yen"),
    (member(annual_wage_before=True), "staff[1].annual_wage_before", "whole number of yen"),
    (member(years_in_corp="十年"), "staff[1].years_in_corp", "number of years"),
    (member(years_in_corp=200), "staff[1].years_in_corp", "out of range"),
    (member(qualifications=[1, 2]), "staff[1].qualifications", "list of qualification names"),
    ("山田", "staff[1]", "expected a mapping"),
])
def test_bad_roster_entries(kb, entry, where, what):
    set_lang("en")          # the messages are checked in English here (Japanese: tests/test_i18n_commands.py)
    try:
        with pytest.raises(CarekbError) as e:
            profile(kb, [member(), entry])
    finally:
        set_lang(None)
    assert e.value.where.startswith(where) and what in str(e.value), str(e.value)


def test_spreadsheet_style_entries_are_accepted(kb):
    office = profile(kb, [{"name": "", "role": "生活支援員", "qualifications": "社会福祉士；強度行動障害支援者養成研修修了者、教員免許保有者",
                           "years_in_corp": "10.5", "annual_wage_after": "4,400,000", "annual_wage_before": ""}])
    [m] = office.staff
    assert m.qualifications == ("certified-social-worker", "severe-behaviour-training", "teaching-licence")
    assert m.annual_wage_after == 4_400_000 and m.annual_wage_before is None and m.label() == "staff[0]"
    assert highest(kb, office)[0] == "I"


def test_a_roster_decides_over_top_annual_wage(kb):
    office = profile(kb, [member(annual_wage_after=4_399_999)], top_annual_wage=5_000_000)
    top, bound = highest(kb, office)
    assert top == "III" and bound.top_annual_wage == 4_399_999
    assert highest(kb, profile(kb, [], top_annual_wage=5_000_000))[0] == "I"  # an empty roster decides nothing


def test_bad_roster_from_the_cli_names_file_line_and_index(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(EXAMPLE.read_text(encoding="utf-8").replace("qualifications: [psychiatric-social-worker]",
                                                             "qualifications: [psychiatric-social-worker, 魔法使い]"),
                 encoding="utf-8")
    r = run("gap", p)
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert str(p) in r.output and re.search(r"staff\[2\]\.qualifications \(\d+行目\)", r.output) and "魔法使い" in r.output


def find(node, rid):
    if node.get("id") == rid:
        return node
    for c in node.get("children", []):
        hit = find(c, rid)
        if hit:
            return hit
    return None


def test_junk_rosters_raise_only_carekb_errors(kb):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                       st.sampled_from(["世話人", "介護福祉士", "4,400,000", "10.5", "other", "nan", "1e400"]))
    junk = st.one_of(scalar, st.lists(scalar, max_size=3), st.dictionaries(st.text(max_size=4), scalar, max_size=3))
    entry = st.dictionaries(st.sampled_from(list(roster.STAFF_KEYS) + ["x"]), junk, max_size=7)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(staff=st.one_of(junk, st.lists(st.one_of(entry, junk), max_size=4)))
    def check_roster(staff):
        try:
            office = profile(kb, staff)
            bind(office, kb)
        except CarekbError:
            pass

    check_roster()
