"""carekb.inputs.normalize: values as people write them, one reading everywhere."""

from __future__ import annotations

import pytest

from carekb.app.report import short_tier
from carekb.inputs import normalize as n
from carekb.model.errors import CarekbError


def tiers(kb, period, service):
    return {t.id: t for t in kb.tiers_for(period, service)}


@pytest.mark.parametrize("written, tid", [
    ("Ⅱロ", "II-ro"), ("ii-ro", "II-ro"), ("II-ro", "II-ro"), ("2ロ", "II-ro"), ("Ⅱ ロ", "II-ro"),
    ("Ⅰイ", "I-i"), ("1イ", "I-i"), ("i-i", "I-i"), ("iii", "III"), ("Ⅲ", "III"), ("3", "III"), ("Ⅳ", "IV"),
    ("福祉・介護職員等処遇改善加算（Ⅱ）ロ", "II-ro"), ("Tier II-ro", "II-ro"),
])
def test_r8_tiers_as_displayed(kb, written, tid):
    assert n.tier(written, tiers(kb, "R8", "employment-b"), "--target", display=short_tier) == tid


@pytest.mark.parametrize("written, candidates", [("Ⅱ", "Ⅱロ、Ⅱイ"), ("ii", "Ⅱロ、Ⅱイ"), ("1", "Ⅰロ、Ⅰイ")])
def test_r8_base_without_i_or_ro_is_ambiguous(kb, written, candidates):
    with pytest.raises(CarekbError, match=candidates):
        n.tier(written, tiers(kb, "R8", "employment-b"), "--target", display=short_tier)


def test_r6_v_tiers(kb):
    r6 = tiers(kb, "R6", "employment-b")
    for written in ("Ⅴ(3)", "Ⅴ（3）", "V3", "v(3)", "5(3)"):
        assert n.tier(written, r6, display=short_tier) == "V3"
    with pytest.raises(CarekbError, match=r"Ⅴ\(1\)、Ⅴ\(2\)"):
        n.tier("Ⅴ", r6, display=short_tier)


def test_tier_names_and_services_without_the_tier(kb):
    assert n.tier("相談支援", tiers(kb, "R8", "consult-plan"), display=short_tier) == "CONSULT"
    assert n.tier("処遇Ⅰ+特定Ⅰ+ベア", tiers(kb, "OLD", "after-school-day"), display=short_tier) == "S1+T1+B"
    short_stay = tiers(kb, "R7", "short-stay")
    with pytest.raises(CarekbError, match="このサービスにはありません"):
        n.tier("Ⅱ", short_stay, "TIER", display=short_tier, all_tiers=kb.tiers["R7"])
    with pytest.raises(CarekbError, match="区分 'Ⅱロ' はありません"):
        n.tier("Ⅱロ", tiers(kb, "R7", "after-school-day"), "TIER", display=short_tier)


@pytest.mark.parametrize("written, rid", [
    ("見える化要件", "visibility"), ("見える化", "visibility"), ("Public disclosure", "visibility"),
    ("キャリアパス要件Ⅰ", "cp1"), ("キャリアパス要件1", "cp1"), ("キャリアパス要件Ⅲ", "cp3"),
    ("改善後の年額賃金要件", "cp4"), ("月額賃金改善要件Ⅱ", "wage.2"), ("ｃｐ４", "cp4"), ("cp3.1a", "cp3.1a"),
])
def test_requirement_names(kb, written, rid):
    assert n.requirement(kb, written) == rid


def test_requirement_ambiguous_and_unknown(kb):
    with pytest.raises(CarekbError, match="cp1（キャリアパス要件Ⅰ.*cp2（キャリアパス要件Ⅱ"):
        n.requirement(kb, "キャリアパス要件", "f.yaml", "met")
    with pytest.raises(CarekbError, match="f.yaml: met: 不明な要件 'cp9.9'"):
        n.requirement(kb, "cp9.9", "f.yaml", "met")


@pytest.mark.parametrize("written, sid", [
    ("生活介護", "daily-life-care"), ("daily-life-care", "daily-life-care"), ("Daily life care", "daily-life-care"),
    ("就労継続支援Ｂ型", "employment-b"), ("放課後等デイサービス", "after-school-day"), ("計画相談", "consult-plan"),
])
def test_service_names(kb, written, sid):
    assert n.service(kb, written) == sid


def test_service_ambiguous_lists_candidates(kb):
    with pytest.raises(CarekbError, match="就労継続支援B型、指定障害者支援施設が行う就労継続支援B型"):
        n.service(kb, "B型")


@pytest.mark.parametrize("written, aid", [
    ("workplace.㉒", "workplace.22"), ("workplace.２２", "workplace.22"), ("㉒", "workplace.22"),
    ("見える化要件", "visibility"), ("cp4", "cp4"), ("pledge.cp3", "pledge.cp3"),
])
def test_actions(kb, written, aid):
    assert n.action(kb, written) == aid


def test_composite_is_not_an_action(kb):
    with pytest.raises(CarekbError, match="cp3.1a"):   # the error names the atoms it could be
        n.action(kb, "cp3", "--add")


@pytest.mark.parametrize("written, value", [
    (12, 12), ("12", 12), ("１２", 12), ("4,500,000", 4_500_000), ("４，５００，０００", 4_500_000), ("12人", 12), (12.0, 12),
])
def test_whole_numbers(written, value):
    assert n.whole(written) == value


@pytest.mark.parametrize("written, says", [
    ("²", "整数が必要"), ("½", "整数が必要"), ("①", "整数が必要"), ("0x10", "16進"), ("1:30", "60進数"), ("3.5", "整数"),
    (3.5, "整数"), (True, "整数"), ("1" * 5000, "長すぎます"), ("4,50", "整数"), ([1], "整数"), (-1, "範囲外"),
])
def test_whole_numbers_refused(written, says):
    with pytest.raises(CarekbError, match=says):
        n.whole(written, "f.yaml", "office.employees")


@pytest.mark.parametrize("written, yen", [
    ("450万円", 4_500_000), ("４５０万円", 4_500_000), ("4,500,000", 4_500_000), ("4,500,000円", 4_500_000),
    ("450万", 4_500_000), ("1億2000万円", 120_000_000), ("450万5000円", 4_505_000), (4_500_000, 4_500_000),
])
def test_money(written, yen):
    assert n.money(written) == yen


@pytest.mark.parametrize("written", ["abc", "万円", "45.5円", "4500000ドル", True])
def test_money_refused(written):
    with pytest.raises(CarekbError, match="金額"):
        n.money(written)


@pytest.mark.parametrize("written, value", [
    ("はい", True), ("いいえ", False), ("○", True), ("〇", True), ("×", False), ("true", True), ("FALSE", False),
    (True, True), ("あり", True), ("なし", False),
])
def test_yes_no(written, value):
    assert n.yes_no(written) is value


@pytest.mark.parametrize("written", [1, 0, "maybe", None])
def test_yes_no_refused(written):
    with pytest.raises(CarekbError, match="はい／いいえ"):
        n.yes_no(written)


@pytest.mark.parametrize("written, items", [
    ([1, 3, 18], [1, 3, 18]), (["①", "⑤"], [1, 5]), ("①⑤⑨⑭", [1, 5, 9, 14]), (["①⑤⑨⑭", 18], [1, 5, 9, 14, 18]),
    ("1 3 18", [1, 3, 18]), ("1、3、18", [1, 3, 18]), (["２２", "㉘"], [22, 28]), (None, []),
])
def test_item_numbers(written, items):
    assert n.item_numbers(written) == items


@pytest.mark.parametrize("written, tier", [("Ⅰ", 1), ("I", 1), ("1", 1), (2, 2), ("Ⅲ", 3), ("none", 0), ("なし", 0),
                                           (0, 0), (None, 0)])
def test_history_tiers(written, tier):
    assert n.history_tier(written, (1, 2, 3)) == tier


def test_history_tier_out_of_range():
    with pytest.raises(CarekbError, match="1, 2 または なし"):
        n.history_tier("Ⅲ", (1, 2), "f.yaml", "history.tokutei")


def test_lone_surrogate_is_one_clear_error():
    with pytest.raises(CarekbError, match=r"\\ud800") as e:
        n.check_strings({"office": {"name": "a\ud800b"}}, "f.json")
    str(e.value).encode("utf-8")   # the message itself can be printed


def test_oversized_document_refused_before_parsing():
    with pytest.raises(CarekbError, match="多すぎます"):
        n.check_size("met: [" + "1," * 1_200_000 + "]", "big.yaml")
    n.check_size("met: [" + "1," * 1000 + "]", "ok.yaml")


NEW_USER_PROFILE = """\
# 新規利用者の 生活介護 プロファイル（2026年7月）: written as a 社労士 writes it
version: 1
office:
  name: さくら生活介護センター
  service: 生活介護
  employees: １５
  single_office_corp: いいえ
  region: 5級地
  monthly_units: 250,000
as_of: 2026/07/01
history:
  shogu: Ⅰ
  tokutei: Ⅱ
  baseup: はい
met: [月額賃金改善要件Ⅰ, キャリアパス要件Ⅰ, キャリアパス要件Ⅱ, キャリアパス要件Ⅲ, 見える化要件]
top_annual_wage: 450万円
workplace: [①⑤⑨⑭, ②, ⑱, ⑲, ㉑, ㉒]
collab_corp: いいえ
"""


def test_new_users_daily_life_care_profile_is_accepted_in_one_go(kb, tmp_path):
    import datetime as dt

    import carekb
    from click.testing import CliRunner
    from carekb.cli.main import main

    path = tmp_path / "seikatsu.yaml"
    path.write_text(NEW_USER_PROFILE, encoding="utf-8")
    o = carekb.load_profile(str(path), kb=kb)
    assert (o.service, o.employees, o.monthly_units, o.as_of) == ("daily-life-care", 15, 250_000, dt.date(2026, 7, 1))
    assert (o.shogu, o.tokutei, o.baseup, o.single_office_corp, o.collab_corp) == (1, 2, True, False, False)
    assert o.met == {"wage.1", "cp1", "cp2", "cp3", "visibility"}
    assert o.top_annual_wage == 4_500_000
    assert o.workplace == {1, 5, 9, 14, 2, 18, 19, 21, 22}
    r = CliRunner().invoke(main, ["gap", str(path)])
    assert r.exit_code == 0 and "さくら生活介護センター" in r.output, r.output


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    from click.testing import CliRunner
    from carekb.cli.main import main

    path = tmp_path / "six-problems.yaml"
    path.write_text("office: {service: 生活介護, employees: many, region: 9級地}\nas_of: 2026-02-30\n"
                    "history: {shogu: 4}\nmet: [見える化要件, cp9.9]\ncollab_corp: maybe\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["gap", str(path)])
    lines = r.output.splitlines()
    assert r.exit_code == 2 and len(lines) == 6, r.output
    assert all(ln.startswith(f"carekb: error: {path}: ") for ln in lines)
    for place in ("office.employees (1行目)", "office.region (1行目)", "as_of (2行目)", "history.shogu (3行目)",
                  "met (4行目)", "collab_corp (5行目)"):
        assert any(place in ln for ln in lines), place
