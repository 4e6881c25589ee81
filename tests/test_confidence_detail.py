"""ck:confidenceDetail (why a fact has its confidence) in both languages: a note is one @en and one @ja
literal, a bare notation (P/S, S×5) one plain literal; the model keeps the English note, and
`sparql -n low-confidence` shows the note of the reader's language."""

from __future__ import annotations

import json
import re

import pytest
import rdflib
from click.testing import CliRunner

from carekb.cli.main import main

from conftest import ROOT
from test_i18n import english_words

CK = rdflib.Namespace("https://w3id.org/carekb/vocab#")
NOTATION = re.compile(r"^[PSIU](×\d)?(/[PSIU](×\d)?)*$")


@pytest.fixture(scope="module")
def details() -> dict:
    g = rdflib.Graph()
    for path in sorted((ROOT / "kb").rglob("*.ttl")):
        g.parse(path, format="turtle")
    out: dict = {}
    for s, o in g.subject_objects(CK.confidenceDetail):
        out.setdefault(s, []).append(o)
    return out


def test_every_note_has_one_english_and_one_japanese_literal(details):
    assert len(details) > 400
    for s, lits in details.items():
        langs = sorted(o.language or "" for o in lits)
        if langs == [""]:
            assert NOTATION.match(str(lits[0])), (s, lits)   # a plain literal only for a bare notation
        else:
            assert langs == ["en", "ja"], (s, lits)


def test_japanese_notes_have_no_english_words(details, kb):
    ja = {str(o) for lits in details.values() for o in lits if o.language == "ja"}
    assert len(ja) > 20
    for text in ja:
        assert not english_words(text, kb), text


def test_the_model_keeps_the_english_note(kb):
    assert kb.requirements["tokurei.wage"].cited.confidence_detail == "S/U: exact wording unconfirmed"


def test_low_confidence_shows_the_note_of_the_readers_language():
    rows = {}
    for lang in ("ja", "en"):
        r = CliRunner().invoke(main, ["sparql", "-n", "low-confidence", "--lang", lang, "--format", "json"])
        assert r.exit_code == 0, r.output
        rows[lang] = {b["node"]["value"]: b.get("detail", {}) for b in json.loads(r.output)["results"]["bindings"]}
    wage = "https://w3id.org/carekb/shogai/req/tokurei.wage"
    assert rows["ja"][wage] == {"type": "literal", "value": "S/U: 正確な文言は未確認", "xml:lang": "ja"}
    assert rows["en"][wage]["value"] == "S/U: exact wording unconfirmed"
    assert len(rows["ja"]) == len(rows["en"])          # one note per node: no row doubled by the two literals
