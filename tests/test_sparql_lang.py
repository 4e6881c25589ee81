"""`carekb sparql -n QUERY`: the labels of a library query are in the reader's language.

Each library query that returns labels declares a `lang` parameter (type lang), filled from --lang
(or given as `-p lang=…`) and bound as a term like every other parameter.  A query takes the label
in that language and falls back to the literal the graph has where it has none in that language:
the workplace items are quoted from the notices and the office names from the profiles, in
Japanese only, so English output quotes them as they are (the same allowance tests/test_i18n_all.py
makes for quoted KB data).  Only label columns (the objects of rdfs:label / skos:prefLabel in the
query) are checked here; the notes (ck:confidenceDetail, @en and @ja) are checked by
tests/test_i18n_all.py through `sparql -n low-confidence`.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from click.testing import CliRunner

from carekb.app import sparql as store
from carekb.cli.main import main
from carekb.i18n import LANGS, set_lang
from carekb.model.errors import CarekbError

from conftest import EXAMPLES
from test_i18n import english_words
from test_web import http, running_server

JA_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff01-\uff60\u3000-\u303f]")
LABEL_PROPERTIES = r"(?:rdfs:label|skos:prefLabel)"
QUERIES = sorted(store.library())
WITH_LABELS = [n for n in QUERIES if re.search(LABEL_PROPERTIES + r"\s+\?\w+", store.library()[n].text)]


@pytest.fixture(autouse=True)
def default_language():
    """`--lang en` sets the language of the process: give the next test the default back."""
    yield
    set_lang(None)


@pytest.fixture(scope="module")
def ox():
    return store.oxigraph_store(store.dataset([EXAMPLES]))


def label_columns(name: str) -> set[str]:
    """The query's variables filled from a label property (its label columns)."""
    return set(re.findall(LABEL_PROPERTIES + r"\s+\?(\w+)", store.library()[name].text))


def language_columns(name: str) -> set[str]:
    """The label columns and any other column the query picks by `$lang` (the notes of low-confidence)."""
    return label_columns(name) | set(re.findall(r"lang\(\?(\w+)\)\s*=\s*\$lang", store.library()[name].text))


def only_in_other_language(ox, lang: str) -> set[str]:
    """Labels of the graph whose subject has no label in `lang` for that property: a query may show
    them in any language."""
    text = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?l WHERE {{
  VALUES ?p {{ rdfs:label skos:prefLabel }}
  ?x ?p ?l . FILTER(isLiteral(?l) && lang(?l) != "{lang}")
  FILTER NOT EXISTS {{ ?x ?p ?own FILTER(lang(?own) = "{lang}") }}
}}"""
    return {b["l"]["value"] for b in store.query_store(ox, text, "<test>", 100_000)["results"]["bindings"]}


def titles(ox) -> set[str]:
    """Labels of sources and documents: titles (names such as 'Joint介護ニュース', file paths), not text
    written for the reader, in either language."""
    text = """PREFIX ck: <https://w3id.org/carekb/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?l WHERE { VALUES ?c { ck:Source ck:ReferenceDocument } ?x a ?c ; rdfs:label ?l }"""
    return {b["l"]["value"] for b in store.query_store(ox, text, "<test>", 100_000)["results"]["bindings"]}


def run_library(ox, name: str, lang: str, params: dict | None = None) -> list[dict]:
    text = store.bind_params(store.named_query(name), params or {}, lang)
    return store.query_store(ox, text, f"query {name}", 100_000)["results"]["bindings"]


def test_every_query_that_returns_labels_takes_the_language():
    assert len(WITH_LABELS) >= 9
    for name in WITH_LABELS:
        q = store.library()[name]
        assert q.params["lang"].type == "lang" and q.params["lang"].default is None, name
        assert q.params["lang"].doc and q.params["lang"].doc_ja, name
        # no label picked in a fixed language any more
        assert not re.search(r'lang\(\?\w+\)\s*=\s*"', q.text), name


@pytest.mark.parametrize("name", QUERIES)
def test_japanese_labels_have_no_english_words(name, ox, kb):
    columns = label_columns(name)
    other = only_in_other_language(ox, "ja") | titles(ox)
    rows = run_library(ox, name, "ja")
    seen = [r[c]["value"] for r in rows for c in columns if c in r]
    leaks = {v: english_words(v, kb) for v in seen if v not in other and english_words(v, kb)}
    assert not leaks, leaks
    if columns and rows:
        assert any(JA_CHAR.search(v) for v in seen), (name, seen[:5])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", QUERIES)
def test_a_label_is_in_the_language_asked_unless_the_graph_has_none(name, lang, ox):
    """Japanese in English output only where the graph has no English literal (workplace items, office
    names), and the other way round.  (Some English labels of the KB quote Japanese names themselves:
    'old 処遇改善加算 I', '事務連絡 of 2021-05-06': they are the KB's English, kept as it is.)"""
    columns = label_columns(name)
    other = only_in_other_language(ox, lang)
    rows = run_library(ox, name, lang)
    wrong = [r[c] for r in rows for c in columns
             if c in r and r[c].get("xml:lang") != lang and r[c]["value"] not in other]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("name", WITH_LABELS)
def test_the_language_changes_labels_only(name, ox):
    """Same rows in either language (no row lost or doubled by the fallback), labels and notes aside."""
    def without_labels(rows):
        return sorted(json.dumps({k: v for k, v in r.items() if k not in language_columns(name)}, sort_keys=True)
                      for r in rows)

    ja, en = run_library(ox, name, "ja"), run_library(ox, name, "en")
    assert without_labels(ja) == without_labels(en)


def test_a_label_missing_in_english_falls_back_to_the_kb_literal(ox):
    """Workplace items (guidance-workplace) and office names (offices-by-tier) are Japanese only."""
    for name, column in (("guidance-workplace", "itemLabel"), ("offices-by-tier", "name")):
        rows = run_library(ox, name, "en")
        assert rows and all(JA_CHAR.search(r[column]["value"]) for r in rows), name
    services = {r["serviceId"]["value"]: r["service"]["value"] for r in run_library(ox, "rates-ranked", "en")}
    assert services["home-care"] == "Home care"


def test_cli_follows_lang_and_a_given_lang_wins():
    def labels(*args):
        r = CliRunner(env={"CAREKB_LANG": None}).invoke(main, ["sparql", "-n", "rates-ranked", "--format", "json", *args])
        assert r.exit_code == 0, r.output
        return {b["serviceId"]["value"]: b["service"] for b in json.loads(r.output)["results"]["bindings"]}

    ja, en = labels(), labels("--lang", "en")
    assert ja["home-care"] == {"type": "literal", "value": "居宅介護", "xml:lang": "ja"}
    assert en["home-care"]["xml:lang"] == "en"
    assert labels("--lang", "en", "-p", "lang=ja") == ja
    assert CliRunner(env={"CAREKB_LANG": "en"}).invoke(main, ["sparql", "-n", "rates-ranked", "--format", "json"]).output \
        == CliRunner().invoke(main, ["sparql", "-n", "rates-ranked", "--format", "json", "--lang", "en"]).output


@pytest.mark.parametrize("value", ["fr", "", 'ja") } DROP ALL #', "ja en", "JA"])
def test_a_lang_value_is_checked_and_bound_as_one_term(value):
    with pytest.raises(CarekbError, match="lang"):
        store.bind_params(store.named_query("rates-ranked"), {"lang": value})
    r = CliRunner().invoke(main, ["sparql", "-n", "rates-ranked", "-p", f"lang={value}", "--lang", "en"])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output
    assert "--param: lang:" in r.output and "not a valid language ja/en" in r.output


def test_list_shows_the_lang_parameter_in_each_language():
    for lang, expected in (("ja", "言語 ja/en、既定値 --lang の言語"), ("en", "language ja/en, default that of --lang")):
        out = CliRunner().invoke(main, ["sparql", "--list", "--lang", lang]).output
        assert expected in out, out


def test_web_library_runs_take_the_language():
    with running_server("--with", str(EXAMPLES), "--workers", "1") as base:
        def get(**query):
            url = f"{base}/api/v1/sparql?" + urllib.parse.urlencode(query, doseq=True)
            return http("GET", url, headers={"Accept": "application/sparql-results+json"})

        answers = {}
        for lang in LANGS:
            status, _, body = get(name="rates-ranked", param=["period=R8"], lang=lang)
            assert status == 200, body
            answers[lang] = {b["serviceId"]["value"]: b["service"]["value"]
                             for b in json.loads(body)["results"]["bindings"]}
        assert answers["ja"]["home-care"] == "居宅介護" and answers["en"]["home-care"] == "Home care"
        for bad in ({"lang": "fr"}, {"param": ["lang=fr"]}, {"param": ["nope"]}, {"name": "nope"}):
            status, _, body = get(**{"name": "rates-ranked", **bad})
            assert status == 400 and len(json.loads(body)["error"].splitlines()) == 1, body
