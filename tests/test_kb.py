"""The knowledge base itself: SHACL conformance, coverage, and agreement with the reference tables."""

import csv
from decimal import Decimal

import pytest

from carekb.inputs.shapes import validate_kb

from conftest import REFERENCE


def test_kb_conforms_to_shapes():
    assert validate_kb() == []


def test_every_period_has_tiers_and_every_tier_an_expression(kb):
    for pid in kb.periods:
        assert kb.tiers[pid], pid
        for t in kb.tiers[pid].values():
            assert t.expr and t.label_ja and t.groups


def test_v_tiers_only_in_r6(kb):
    assert {t for t in kb.tiers["R6"] if t.startswith("V")} == {f"V{i}" for i in range(1, 15)}
    assert not any(t.startswith("V") for p in ("R7", "R8") for t in kb.tiers[p])


REF = REFERENCE / "shogai"


def test_rates_match_reference(kb):
    conf = {"S×2": "S×2"}
    seen = 0
    for row in csv.DictReader(open(REF / "rates.csv", encoding="utf-8")):
        r = kb.rates[(row["period"], row["service_id"], row["tier"])]
        assert r.pct == Decimal(row["rate_pct"]), row
        assert r.cited.confidence == conf.get(row["confidence"], row["confidence"]), row
        seen += 1
    assert seen == len([k for k in kb.rates if k[0] != "OLD"])  # OLD rates: tests/test_old_additions.py


def test_services_and_items_match_reference(kb):
    for row in csv.DictReader(open(REF / "services.csv", encoding="utf-8")):
        s = kb.services[row["service_id"]]
        assert s.label_ja == row["name_ja"]
        group = {"yes": "cp5-applies", "no": "cp5-exempt", "n/a": "consultation"}[row["cp5_applies"]]
        assert group in s.groups
    for row in csv.DictReader(open(REF / "workplace_items.csv", encoding="utf-8")):
        lst = "list-R6" if row["list"] == "R6" else "list-R7"
        item = kb.items[lst][int(row["no"])]
        assert item.category == row["category"] and item.label_ja == row["label_ja"]
