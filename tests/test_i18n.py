"""The message catalogue (carekb/i18n/messages.yaml) and Japanese output without English sentences.

Covered so far (issue 15, part 6): the `注意:` warnings, the gap/tiers/plan/whatif text views, the
errors of profile checking, dates and names, the client report and `carekb sources`. Not yet:
explain's rule tree (sources and details quoted from the KB), requirements, --help texts (guidance,
staff, visit, sparql and the batch notes: tests/test_i18n_commands.py).  KB notes quoted in warnings (exception labels, tier notes) come
from the KB's Japanese literals (tests/test_explain_text.py covers explain and those warnings).
"""

from __future__ import annotations

import re
import string

import pytest
import yaml
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.i18n import LANGS, catalogue, t

from conftest import EXAMPLES, ROOT

PROFILES = ["r6-employment-b-v-tier", "r7-after-school-day", "r7-group-home-wage2", "r7-short-stay",
            "r8-consult-plan", "r8-employment-b", "old-after-school-day"]
COMMANDS = [["gap"], ["tiers"], ["plan"], ["whatif", "--add", "cp4"], ["gap", "--no-pledge"]]


def test_every_entry_has_both_languages_and_the_same_fields():
    fields = string.Formatter()
    for key, entry in catalogue().items():
        assert set(entry) == set(LANGS), key
        names = [{f for _, f, _, _ in fields.parse(entry[lang]) if f} for lang in LANGS]
        assert names[0] == names[1], key


def test_every_key_used_in_the_code_is_in_the_catalogue():
    used = set()
    for path in [*ROOT.glob("carekb/**/*.py"), *ROOT.glob("cli/*.py"), *ROOT.glob("solver/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z_.×0-9]+)["']""", path.read_text(encoding="utf-8")))
        used |= set(re.findall(r"""_err\(\s*["']([a-z_]+\.[a-z_]+)["']""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in catalogue())
    assert not missing, missing


def test_the_catalogue_is_valid_yaml_without_duplicate_keys():
    every = []
    for path in sorted((ROOT / "carekb" / "i18n").glob("messages*.yaml")):
        text = path.read_text(encoding="utf-8")
        keys = re.findall(r"^([a-z_]+\.[^:\s]+):\s*$", text, re.M)
        assert len(keys) == len(set(keys)) == len(yaml.safe_load(text) or {}), path.name
        every += keys
    assert len(every) == len(set(every)) == len(catalogue())


def test_formatting_in_either_language():
    assert t("norm.out_of_range", "ja", got=5, lo=0, hi=3) == "5 は範囲外です（0〜3）"
    assert t("norm.out_of_range", "en", got=5, lo=0, hi=3) == "5 is out of range (0..3)"


# identifiers, not words: ids of actions, services, periods, sources (NAVI8, seed 000); the KB version label
ALLOWED = {"KB", "OLD", "NAVI", "seed", "cp", "visibility", "workplace", "pledge", "wage", "tokurei"}


def english_words(text: str, kb) -> list[str]:
    ids = set(kb.services) | set(kb.requirements) | set(kb.periods)
    found = []
    for line in text.splitlines():
        if line.startswith("次の一手"):
            break                          # commands to type, not sentences
        line = re.sub(r"--[a-z][a-z-]*", "", line)          # option names
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_.\-]*", line):
            if word.isupper() and len(word) <= 5:            # acronyms written in Japanese text (ICT, OJT)
                continue
            if word in ids or word.split(".")[0] in ALLOWED or re.search(r"[\d.\-]", word) or word in ALLOWED:
                continue
            if len(word) >= 3:
                found.append(word)
    return found


@pytest.mark.parametrize("profile", PROFILES)
def test_japanese_output_has_no_english_words(profile, kb):
    path = str(EXAMPLES / f"{profile}.yaml")
    for cmd in COMMANDS:
        r = CliRunner().invoke(main, [cmd[0], path, *cmd[1:]])
        assert r.exit_code == 0, r.output
        assert not english_words(r.output, kb), (cmd, english_words(r.output, kb), r.output)


@pytest.mark.parametrize("profile", ["r7-after-school-day", "r7-group-home-wage2", "r8-consult-plan"])
def test_english_output_has_the_warnings_in_english(profile):
    r = CliRunner().invoke(main, ["gap", str(EXAMPLES / f"{profile}.yaml"), "--lang", "en"])
    assert r.exit_code == 0
    assert "注意" not in r.output and "確度は" not in r.output


def test_errors_speak_the_chosen_language(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("office: {service: 生活介護, employees: many}\nas_of: 2026-02-30\n", encoding="utf-8")
    ja = CliRunner().invoke(main, ["gap", str(bad)]).output
    en = CliRunner().invoke(main, ["gap", str(bad), "--lang", "en"]).output
    assert "整数が必要です" in ja and "2026年2月は28日まで" in ja
    assert "expected a whole number" in en and "2026-02 has 28 days" in en
    assert CliRunner(env={"CAREKB_LANG": "en"}).invoke(main, ["gap", str(bad)]).output == en
