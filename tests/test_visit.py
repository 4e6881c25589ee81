"""Visitor screening (seed 000, 面会について) evaluated from the KB's rules."""

import json
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from carekb.cli.main import main

from conftest import EXAMPLES, ROOT

OK = {"temperature_c": 36.5, "symptoms": [], "close_contact": False, "household_symptoms": False,
      "contact_with_infected_14d": False, "fever_14d": False, "travel_restricted_14d": False, "party_size": 1,
      "resident_bedridden_or_end_of_life": False}
ALL_CONDS = ["cond.record", "cond.mask", "cond.hand-hygiene", "cond.no-touch", "cond.separate-room", "cond.no-eating",
             "cond.quiet", "cond.avoid-toilet", "cond.minimal-time", "cond.clean-after"]


def run(tmp_path, req, *args):
    p = tmp_path / "v.yaml"
    p.write_text(yaml.safe_dump(req, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["visit", str(p), "--format", "json", "--lang", "en", *args])  # messages checked in English
    return r


def decide(tmp_path, *args, **kw):
    r = run(tmp_path, {**OK, **kw}, *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


CASES = [
    ({}, "admit", []),
    ({"temperature_c": 37.5}, "refuse", ["refuse.fever"]),          # exactly at the threshold
    ({"temperature_c": 37.4}, "admit", []),                         # just below
    ({"symptoms": ["cough"]}, "refuse", ["refuse.symptoms"]),
    ({"symptoms": ["taste-smell-loss", "diarrhea"]}, "refuse", ["refuse.symptoms"]),
    ({"close_contact": True}, "refuse", ["refuse.close-contact"]),
    ({"household_symptoms": True}, "refuse", ["refuse.household-symptoms"]),
    ({"contact_with_infected_14d": True}, "refuse", ["refuse.contact-14d"]),
    ({"fever_14d": True}, "refuse", ["refuse.fever-14d"]),
    ({"travel_restricted_14d": True}, "refuse", ["refuse.travel-14d"]),
    ({"party_size": 2}, "admit", []),                                # at the assumed maximum
    ({"party_size": 3}, "refuse", ["refuse.party-size"]),
    ({"temperature_c": 38.2, "symptoms": ["fatigue"], "close_contact": True, "party_size": 4}, "refuse",
     ["refuse.fever", "refuse.symptoms", "refuse.close-contact", "refuse.party-size"]),
    ({"resident_bedridden_or_end_of_life": True, "temperature_c": 39.0}, "refuse", ["refuse.fever"]),
]


@pytest.mark.parametrize("kw,decision,reasons", CASES)
def test_cases(tmp_path, kw, decision, reasons):
    d = decide(tmp_path, **kw)
    assert d["decision"] == decision
    assert [r["id"] for r in d["reasons"]] == reasons
    assert all(r["source"].startswith("seed 000 §V(1) V-") for r in d["reasons"])
    if decision == "admit":
        assert [c["id"] for c in d["conditions"]] == ALL_CONDS
    else:
        assert d["conditions"] == []


def test_bedridden_resident_may_be_visited_in_room(tmp_path):
    d = decide(tmp_path, resident_bedridden_or_end_of_life=True)
    ids = [c["id"] for c in d["conditions"]]
    assert d["decision"] == "admit"
    assert "cond.separate-room" not in ids and "cond.room-visit-allowed" in ids
    assert "cond.mask" in ids


def test_reason_text_and_sources(tmp_path):
    d = decide(tmp_path, temperature_c=37.8)
    assert d["reasons"][0]["items"] == ["V-6"] and "37.8" in d["reasons"][0]["text"]
    a = {x["id"]: x for x in d["assumptions"]}
    assert a["fever-threshold"]["value"] == 37.5 and a["fever-threshold"]["confidence"] == "I"


def test_overrides(tmp_path):
    assert decide(tmp_path, "--assume", "fever-threshold=37.0", temperature_c=37.2)["decision"] == "refuse"
    d = decide(tmp_path, "--assume", "max-party-size=4", party_size=4)
    assert d["decision"] == "admit" and {x["id"]: x["overridden"] for x in d["assumptions"]}["max-party-size"]
    r = run(tmp_path, OK, "--assume", "nonsense=1")
    assert r.exit_code == 2
    r = run(tmp_path, OK, "--assume", "fever-threshold=hot")
    assert r.exit_code == 2 and "not a number" in r.output


@pytest.mark.parametrize("change,msg", [
    ({"temperature_c": None}, "missing field 'temperature_c'"),
    ({"temperature_c": "high"}, "expected a number"),
    ({"temperature_c": 50}, "outside"),
    ({"symptoms": ["sneezing"]}, "unknown value 'sneezing'"),
    ({"symptoms": "cough"}, "expected a list"),
    ({"close_contact": "no"}, "expected true or false"),
    ({"party_size": 1.5}, "expected an integer"),
    ({"party_size": 0}, "outside"),
    ({"visitor_name": "x"}, "unknown field 'visitor_name'"),
])
def test_bad_input_exits_2(tmp_path, change, msg):
    req = {**OK, **change}
    req = {k: v for k, v in req.items() if v is not None}
    r = run(tmp_path, req)
    assert r.exit_code == 2 and msg in r.output, r.output


def test_malformed_yaml(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("temperature_c: [36.5\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["visit", str(p)])
    assert r.exit_code == 2 and "bad.yaml" in r.output


def test_subprocess_examples():
    r = subprocess.run([sys.executable, "-m", "carekb.cli", "visit", str(EXAMPLES / "visit-refuse.yaml"), "--format", "json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["decision"] == "refuse" and [x["id"] for x in d["reasons"]] == ["refuse.fever", "refuse.symptoms"]
    r = subprocess.run([sys.executable, "-m", "carekb.cli", "visit", str(EXAMPLES / "visit-admit.yaml")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "面会可" in r.stdout
    r = subprocess.run([sys.executable, "-m", "carekb.cli", "visit", str(EXAMPLES / "no-such.yaml")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "ファイルが見つかりません" in r.stderr
