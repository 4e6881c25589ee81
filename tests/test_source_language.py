"""Sources and provision notes in the reader's language (issue 15): each provision and rate source has a
Japanese and an English text, `requirements --with-text` shows the one of --lang, and the batch's
actions 出典 column quotes the Cited note in the run's language.

Japanese allowed in an English text: quoted law text 「…」, pinpoints after §, a gloss in parentheses
after an English word ("internal rules (内規)"), source codes (identifiers such as 介護版からの類推), and
names from the law: service names (重度訪問介護) and the tier marks イ/ロ.
"""

from __future__ import annotations

import csv
import re
from dataclasses import fields, is_dataclass

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, SKOS, Graph, Namespace

from carekb.cli.main import main
from carekb.cli.sources_cmds import sources
from carekb.graph.provisions import provision_dict
from carekb.render.provisions_text import provision_text

from conftest import EXAMPLES, ROOT
from test_i18n import english_words

CK = Namespace("https://w3id.org/carekb/vocab#")
JA_CHAR = r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff01-\uff60\u3000-\u303f]"


def _walk(obj, seen: set, kind: str, out: list) -> None:
    if id(obj) in seen or isinstance(obj, (str, int, float, type(None))):
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        for v in obj.values():
            _walk(v, seen, kind, out)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _walk(v, seen, kind, out)
    elif is_dataclass(obj):
        if type(obj).__name__ == kind:
            out.append(obj)
        for f in fields(obj):
            _walk(getattr(obj, f.name), seen, kind, out)


def every(kb, kind: str) -> list:
    out: list = []
    _walk(kb, set(), kind, out)
    return out


def codes(kb) -> list[str]:
    """Source codes (skos:notation of the sources, as `carekb sources` lists them): identifiers, no
    language; longest first.  A rate source has no code: its label is a text, checked as such."""
    found = {row["code"] for row in sources(kb)} | {p.quoted_from for p in every(kb, "Provision")}
    return sorted((c for c in found if c), key=len, reverse=True)


def japanese_in_english(text: str, kb) -> list[str]:
    text = re.sub(r"「[^」]*」", "", text)
    text = re.sub(r"§\S*", "", text)
    text = re.sub(r"(?<=[A-Za-z0-9,])\s+\((?:[^()]*" + JA_CHAR + r"[^()]*)\)", "", text)   # glosses
    for c in [*codes(kb), *sorted((s.label_ja for s in kb.services.values()), key=len, reverse=True)]:
        text = text.replace(c, "")                                    # codes; services: names in the law
    text = re.sub(r"(?<![\u3040-\u30ff])[イロ](?![\u3040-\u30ff])", "", text)   # tier marks of the notice
    return re.findall(JA_CHAR + "+", text)


def english_in_japanese(text: str, kb) -> list[str]:
    for c in codes(kb):
        text = text.replace(c, "")
    return english_words(text, kb)


def rate_sources() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "kb").glob("*/rate-sources.ttl")):
        g.parse(path, format="turtle")
    return g


# ---------------------------------------------------------------- the KB has both texts

def test_every_provision_note_has_both_languages(kb):
    provisions = every(kb, "Provision")
    assert len(provisions) > 20
    for p in provisions:
        if p.note or p.note_en:
            assert p.note and p.note_en, p.id
            assert re.search(JA_CHAR, p.note), (p.id, p.note)
            assert not english_in_japanese(p.note, kb), (p.id, p.note)
            assert not japanese_in_english(p.note_en, kb), (p.id, p.note_en)


def test_every_provision_names_its_document_and_pinpoint_in_both_languages(kb):
    for p in every(kb, "Provision"):
        assert p.document and p.document_in("en") and p.pinpoint and p.pinpoint_in("en"), p.id
        assert not english_in_japanese(p.document_in("ja"), kb), (p.id, p.document_in("ja"))
        assert not japanese_in_english(p.document_in("en"), kb), (p.id, p.document_in("en"))
        assert not english_in_japanese(p.pinpoint, kb), (p.id, p.pinpoint)
        assert not japanese_in_english(p.pinpoint_in("en"), kb), (p.id, p.pinpoint_in("en"))


def test_every_shogai_rate_source_has_a_japanese_and_an_english_label():
    g = rate_sources()
    shogai = [s for s in g.subjects(RDF.type, CK.Source) if "/source/rates-" in str(s)
              and g.value(s, SKOS.notation) is None]
    assert len(shogai) == 15
    for s in shogai:
        labels = {o.language: str(o) for o in g.objects(s, RDFS.label)}
        assert set(labels) == {"ja", "en"}, s
        assert re.search(JA_CHAR, labels["ja"]), s


def test_a_rate_table_provision_shows_the_rate_source_in_the_reader_language(kb):
    p = next(p for p in every(kb, "Provision") if p.id == "secondary-rate-code")
    assert p.document_in("en") == "billing data seen in public code (secondary)"
    assert p.document_in("ja") == "公開コード中の請求データ（二次資料）"
    # rates keep citing the label as the reference names it (an identifier of the source)
    assert any("billing data seen in public code (secondary)" in c.sources for c in every(kb, "Cited"))


# ---------------------------------------------------------------- requirements --with-text

def test_provision_text_takes_the_note_and_document_of_the_language(kb):
    p = next(p for p in every(kb, "Provision") if p.id == "derived-rates")
    d = provision_dict(p)
    ja, en = provision_text(d, "ja"), provision_text(d, "en")
    assert p.note in ja and p.note_en not in ja and p.document in ja
    assert p.note_en in en and p.note not in en and p.document_in("en") in en
    assert d["document_en"] == p.document_in("en") and d["note_en"] == p.note_en
    assert p.pinpoint_en and p.pinpoint_en in en and p.pinpoint in ja and p.pinpoint not in en


@pytest.mark.parametrize("period", ["R6", "R7", "R8"])
def test_with_text_notes_in_the_reader_language(period, kb):
    runner = CliRunner(env={"CAREKB_LANG": None})
    en = runner.invoke(main, ["requirements", "--period", period, "--with-text", "--lang", "en"]).output
    ja = runner.invoke(main, ["requirements", "--period", period, "--with-text"]).output
    notes_en = [ln.split(" — ", 1)[1] for ln in en.splitlines() if "text not available — " in ln]
    notes_ja = [ln.split(" — ", 1)[1] for ln in ja.splitlines() if "本文未収録 — " in ln]
    assert notes_en and notes_ja
    for n in notes_en:
        assert not japanese_in_english(re.sub(r" \(checked [\d-]+\)$", "", n), kb), n
    for n in notes_ja:
        assert not english_in_japanese(n, kb), n


# ---------------------------------------------------------------- batch: the actions 出典 column

def _source_column(tmp_path, lang: str) -> set[str]:
    out = tmp_path / lang / "r.csv"
    out.parent.mkdir()
    r = CliRunner(env={"CAREKB_LANG": None}).invoke(
        main, ["batch", str(EXAMPLES / "batch" / "offices.csv"), "--out", str(out), "--workers", "1", "--lang", lang])
    assert r.exit_code in (0, 1), r.output
    with open(out.with_name("r-actions.csv"), encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("出典" if lang == "ja" else "source")
    return {row[i] for row in rows[1:] if row[i]}


def test_batch_sources_in_japanese(kb, tmp_path):
    cells = _source_column(tmp_path, "ja")
    assert cells
    found = [(c, english_in_japanese(c, kb)) for c in cells if english_in_japanese(c, kb)]
    assert not found, found


def test_batch_sources_in_english(kb, tmp_path):
    cells = _source_column(tmp_path, "en")
    assert cells
    found = [(c, japanese_in_english(c, kb)) for c in cells if japanese_in_english(c, kb)]
    assert not found, found
