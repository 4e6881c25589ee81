"""Output that fits: display width by East-Asian rules, tables narrowed and wrapped to the terminal."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.render import width as w
from carekb.render.table import table

from conftest import EXAMPLES

PROFILES = ["r6-employment-b-v-tier", "r7-after-school-day", "r7-group-home-wage2", "r7-short-stay",
            "r8-consult-plan", "r8-employment-b", "old-after-school-day"]
COMMANDS = [["gap"], ["tiers"], ["explain", "{tier}"], ["plan"], ["whatif", "--add", "cp4"]]


@pytest.fixture(autouse=True)
def reset_width_settings():
    yield
    w.configure(ambiguous_wide=False, wide=False)
    w._settings.update(ambiguous_wide=None, wide=None)


def test_east_asian_widths(monkeypatch):
    monkeypatch.delenv("CAREKB_AMBIGUOUS_WIDE", raising=False)
    assert w.width("abc") == 3
    assert w.width("見える化") == 8
    assert w.width("ｱｲｳ") == 3                      # half-width katakana
    assert w.width("Ⅱ①○×—") == 5                   # ambiguous: narrow by default
    w.configure(ambiguous_wide=True)
    assert w.width("Ⅱ①○×—") == 10
    assert w.width("abc見") == 5


def test_ambiguous_wide_from_environment(monkeypatch):
    monkeypatch.setenv("CAREKB_AMBIGUOUS_WIDE", "1")
    assert w.width("Ⅲ") == 2


def test_table_lines_up_and_wraps_inside_its_column():
    rows = [["cp4", "改善後の年額賃金要件（代替: 配置等要件、見える化要件、職場環境等要件 18）", "S"], ["visibility", "見える化要件", "I"]]
    text = table(rows, ["ID", "取組", "確度"], max_width=40)
    lines = text.splitlines()
    assert all(w.width(ln) <= 40 for ln in lines)
    assert len(lines) > 4                              # the long cell took several lines
    confidence_column = {w.width(ln[: ln.rfind(" ") + 1]) for ln in lines if ln.endswith((" S", " I"))}
    assert len(confidence_column) == 1                 # the last column starts at the same place on every row
    assert "".join(ln[12:].split("  ")[0].strip() for ln in lines[2:-1]).startswith("改善後の年額賃金要件")


def test_table_keeps_full_cells_without_a_limit(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    long = "あ" * 100
    assert long in table([[long]], ["x"], max_width=0)
    monkeypatch.setenv("COLUMNS", "80")
    w.configure(wide=True)
    assert w.terminal_columns() is None and long in table([[long]], ["x"])


def test_fit_folds_prose_with_a_hanging_indent():
    text = w.fit("  - " + "rate for tier III rests on a secondary source " * 3, 40)
    lines = text.splitlines()
    assert all(w.width(ln) <= 40 for ln in lines) and all(ln.startswith("    ") for ln in lines[1:])


def _tier(profile: str) -> str:
    return {"r8-consult-plan": "相談支援", "old-after-school-day": "処遇Ⅰ+特定Ⅰ+ベア", "r7-short-stay": "Ⅲ",
            "r6-employment-b-v-tier": "Ⅴ(2)"}.get(profile, "Ⅱロ" if profile.startswith("r8") else "Ⅱ")


@pytest.mark.parametrize("ambiguous", [False, True])
@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("profile", PROFILES)
def test_commands_fit_80_columns(profile, lang, ambiguous):
    runner = CliRunner(env={"COLUMNS": "80", "CAREKB_AMBIGUOUS_WIDE": "1" if ambiguous else "0"})
    path = str(EXAMPLES / f"{profile}.yaml")
    for cmd in COMMANDS + [["requirements", "--period", "R8"]]:
        args = [a.replace("{tier}", _tier(profile)) for a in cmd]
        argv = [args[0]] + ([] if args[0] == "requirements" else [path]) + args[1:] + ["--lang", lang]
        r = runner.invoke(main, argv)
        assert r.exit_code == 0, (argv, r.output)
        w.configure(ambiguous_wide=ambiguous)
        too_wide = [ln for ln in r.output.splitlines() if w.width(ln) > 80]
        assert not too_wide, (argv, too_wide)
