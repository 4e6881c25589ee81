"""Guidance items of seed 000: completeness against the seed's text, applicability, checklist gap."""

import json
import re
from collections import Counter

import pytest
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.app.guidance import load_guidance

from conftest import EXAMPLES, REFERENCE

SEED = REFERENCE / "seeds" / "000_68330501926d46c6.txt"

# Items per section, counted by hand from the seed: one per bullet / ○ paragraph, and one per
# obligation where a bullet holds several sentences with different modalities.
EXPECTED = {"1": 13, "2": 14, "3": 4, "4": 3, "5": 4, "6": 8, "7": 7, "8": 6, "9": 6, "10": 4, "11": 4, "12": 4,
            "13": 5, "14": 3, "15": 7, "16": 1, "17": 2, "18": 1, "V": 27}


@pytest.fixture(scope="module")
def gd():
    return load_guidance()


def clean(s):
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s)
    return s.replace("\\\\_", "_").replace("\\_", "_")


def seed_sections():
    """Section of each line, as the seed's headings number them (面会について = V)."""
    cur, out = None, []
    for line in SEED.read_text(encoding="utf-8").split("\n"):
        m = re.match(r"^#+\s*(\d+)\s", line)
        if m:
            cur = m.group(1)
        elif re.match(r"^#+\s*面会について", line):
            cur = "V"
        out.append((cur, line))
    return out


def test_count_per_section(gd):
    assert Counter(i.section for i in gd.items) == EXPECTED
    assert len(gd.items) == 123
    assert len({i.id for i in gd.items}) == 123


def test_every_quote_is_verbatim_seed_text(gd):
    text = {}
    for sec, line in seed_sections():
        text[sec] = text.get(sec, "") + clean(line.strip())
    for i in gd.items:
        assert i.quote and i.quote in text[i.section], i.id


def test_every_bullet_of_the_seed_is_encoded(gd):
    """Each bullet ("- ", "○", "①…") and each sentence ending in こと。 is found in an item of its section
    (quote, or the title of a cited notice for bullets that only cite a notice)."""
    covered = {}
    for i in gd.items:
        covered.setdefault(i.section, []).append(i.quote)
        covered[i.section] += [n.label_ja for n in i.notices]
    blob = {s: "\n".join(v) for s, v in covered.items()}
    checked = 0
    for sec, line in seed_sections():
        s = clean(line.strip())
        if not sec or s.startswith("#"):
            continue
        m = re.match(r"^(?:-\s*)?(?:・)?(?:○|※)?(.*)$", s)
        body = m.group(1).strip().lstrip("・").strip()
        if not (s.startswith("-") or s.startswith("○")) or not body or body.startswith("(") and "事務連絡" in body:
            continue
        key = body.strip("「」『』")[:10]
        assert key in blob[sec], f"§{sec}: not encoded: {body[:40]}"
        checked += 1
    assert checked >= 90
    # every obligation sentence (…こと。) of the seed is in some quote
    all_quotes = "".join(i.quote for i in gd.items)
    full = "".join(clean(l.strip()) for _, l in seed_sections())
    for sentence in re.findall(r"[^。]*こと。", full):
        tail = re.sub(r"^[-・\s]+", "", sentence)[-12:]
        assert tail in all_quotes, sentence


def test_modality_and_status(gd):
    by = {i.id: i for i in gd.items}
    assert by["1-6"].modality == "desirable"
    assert by["9-2"].modality == "refusal-not-justified"
    assert by["10-1"].modality == "prohibited"
    assert by["4-1"].modality == "permitted"
    assert by["2-7"].status == "abolished" and by["2-7"].valid_to == "2021-03-31"
    assert {i.id for i in gd.items if i.status == "historical"} == {"3-1", "3-2", "3-3", "3-4"}
    assert by["3-2"].phones == ("0120-829-178",)
    assert by["3-4"].emails == ("maskhaifukibou@mhlw.go.jp",)
    assert [n.date for n in by["2-3"].notices][0] == "2020-02-28" and len(by["2-3"].notices) == 22
    assert by["17-2"].notices[0].type == "3介334号通知"
    assert set(gd.modalities) >= {"must", "should", "desirable", "permitted", "refusal-not-justified", "prohibited"}
    assert gd.document["date"] == "2021-10-08" and "COVID" in gd.document["note"]["en"]


def test_cross_links_to_workplace_items(gd):
    by = {i.id: i for i in gd.items}
    assert "R7-14" in by["14-1"].related_workplace   # mental-health desk ⑭
    assert "R7-17" in by["11-1"].related_workplace   # manuals ⑰
    assert "R7-5" in by["12-1"].related_workplace    # training ⑤


@pytest.mark.parametrize("service,present,absent", [
    ("day-care", {"1-1", "2-6", "6(4)-1", "16-1"}, {"7-1", "8-1", "V-1", "4-1", "6(1)-1"}),
    ("visiting-care", {"6(1)-1", "15-6", "16-1"}, {"15-2", "V-6", "6(4)-1"}),
    ("welfare-facility", {"V-6", "7-1", "6(3)-1", "15-2", "2-10"}, {"8-1", "6(1)-1", "16-1", "4-1"}),
    ("serviced-housing", {"8-1", "V-6", "1-7"}, {"2-1", "12-1", "6(3)-1"}),
    ("health-facility", {"2-9", "2-14", "4-1"}, {"8-1"}),
    ("group-home-care", {"1-1", "V-6", "7-1", "15-2"}, {"2-1", "12-1", "6(3)-1", "8-1"}),
    ("employment-b", {"1-1", "16-1", "6(4)-1"}, {"V-6", "2-1"}),
])
def test_applicability_per_service(gd, service, present, absent):
    ids = {i.id for i in gd.applicable(gd.service_categories(service))}
    assert present <= ids, present - ids
    assert not (absent & ids), absent & ids


def test_category_all_gives_only_common_items(gd):
    ids = {i.id for i in gd.applicable(gd.closure(["all"]))}
    assert ids == {i.id for i in gd.items if "all" in i.categories}
    assert "1-1" in ids and "13-1" in ids and "V-1" not in ids


def test_gap_with_profile():
    r = CliRunner().invoke(main, ["guidance", str(EXAMPLES / "guidance-group-home.yaml"), "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    ids = [i["id"] for i in d["items"]]
    assert d["mode"] == "gap"
    assert "1-1" not in ids and "V-8" not in ids           # done
    assert "1-6" in ids and "V-9" in ids and "15-2" in ids  # applicable, not done
    assert "1-12" in ids
    assert "3-1" not in ids                                  # historical: not on the checklist
    assert "14-1" not in ids                                 # information only
    orders = [next(i.order for i in load_guidance().items if i.id == x) for x in ids]
    assert orders == sorted(orders)
    assert all(i["source_note"].startswith("seed 000 §") for i in d["items"])


def test_cli_formats_and_errors(tmp_path):
    r = CliRunner().invoke(main, ["guidance", "--category", "medical", "--format", "csv"])
    assert r.exit_code == 0 and r.output.splitlines()[0].startswith("id,section,modality")
    assert any(l.startswith("4-1,") for l in r.output.splitlines())
    r = CliRunner().invoke(main, ["guidance", "--service", "day-care", "--lang", "en"])
    assert r.exit_code == 0 and "COVID-era" in r.output
    r = CliRunner().invoke(main, ["guidance", "--service", "no-such"])
    assert r.exit_code == 2 and "不明なサービス 'no-such'" in r.output
    r = CliRunner().invoke(main, ["guidance", "--service", "no-such", "--lang", "en"])
    assert r.exit_code == 2 and "unknown service 'no-such'" in r.output
    r = CliRunner().invoke(main, ["guidance"])
    assert r.exit_code == 2
    p = tmp_path / "p.yaml"
    p.write_text("version: 1\noffice: {service: group-home-care}\nguidance_done: [99-1]\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["guidance", str(p)])
    assert r.exit_code == 2 and "99-1" in r.output
