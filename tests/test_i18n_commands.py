"""guidance, staff, visit, sparql and the batch notes speak one language at a time (issue 15).

Japanese output (the default): no English words, by tests/test_i18n.py's checker.  English output
(--lang en): no Japanese except what is quoted — the input's own text (office and person names), the
KB's English labels that quote a Japanese legal name (group-home caretaker (世話人)), the Japanese
names a roster accepts (skos:altLabel), the guidance document's title and numbered notices.
"""

from __future__ import annotations

import csv
import re

import pytest
from click.testing import CliRunner

from carekb.app.sparql.library import library
from carekb.cli.main import main
from carekb.graph.kbload import kb_files, parse_graph

from conftest import EXAMPLES, ROOT
from test_i18n import english_words

JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]+")
GUIDANCE = sorted(EXAMPLES.glob("guidance-*.yaml"))
ROSTERS = sorted(EXAMPLES.glob("roster-*.yaml"))
VISITS = sorted(EXAMPLES.glob("visit-*.yaml"))
OFFICES = EXAMPLES / "batch" / "offices.csv"


def kb_literals():
    """(predicate local name, language, text) of every literal of the KB."""
    from rdflib import Literal

    for _, p, o in parse_graph(kb_files()):
        if isinstance(o, Literal):
            yield str(p).rsplit("#", 1)[-1].rsplit("/", 1)[-1], o.language, str(o)


# predicates whose values are Japanese proper names quoted as they are: titles, the names a roster
# accepts, kinds of notice, pinpoints (a section heading of a Japanese document), source codes
PROPER_NAMES = {"title", "altLabel", "noticeType", "sourceNote", "notation"}


LITERALS = list(kb_literals())
# Japanese runs the KB itself quotes in English text or as proper names
QUOTED = {run for p, lang, text in LITERALS if lang == "en" or p in PROPER_NAMES for run in JAPANESE.findall(text)}
# Latin words inside the KB's Japanese labels are names (YouTube, Webアプリ), not English sentences
NAMES_IN_JAPANESE = {w for _, lang, text in LITERALS if lang == "ja" for w in re.findall(r"[A-Za-z][A-Za-z0-9_.\-]*", text)}


def japanese_words(text: str, source_text: str = "") -> list[str]:
    allowed = QUOTED | set(JAPANESE.findall(source_text))
    return [w for w in JAPANESE.findall(text) if w not in allowed and not any(w in a for a in allowed)]


def run(*args: str) -> str:
    r = CliRunner().invoke(main, [*map(str, args)])
    assert r.exit_code == 0, r.output
    return r.output


def english(text: str, kb) -> list[str]:
    return [w for w in english_words(text, kb) if w not in NAMES_IN_JAPANESE]


def both(kb, args, source: str = "", strip=lambda text: text) -> None:
    ja = strip(run(*args))
    assert not english(ja, kb), (args, english(ja, kb))
    en = strip(run(*args, "--lang", "en"))
    assert not japanese_words(en, source), (args, japanese_words(en, source))


@pytest.mark.parametrize("path", GUIDANCE, ids=lambda p: p.name)
def test_guidance_profiles(path, kb):
    both(kb, ["guidance", path], path.read_text(encoding="utf-8"))
    both(kb, ["guidance", path, "--all-items"], path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("selector", [["--service", "day-care"], ["--service", "group-home-care"],
                                      ["--category", "通所系"], ["--category", "all"]])
def test_guidance_selectors(selector, kb):
    both(kb, ["guidance", *selector], " ".join(selector))


def test_guidance_names_the_selection_by_kb_labels():
    ja, en = run("guidance", "--category", "通所系"), run("guidance", "--category", "通所系", "--lang", "en")
    assert "対象区分: 通所系サービス" in ja and "Category: Day services" in en
    assert "21行目" in run("guidance", "--service", "day-care") and "line 21" in run("guidance", "--service", "day-care",
                                                                                   "--lang", "en")


@pytest.mark.parametrize("path", ROSTERS, ids=lambda p: p.name)
def test_staff_roster(path, kb):
    both(kb, ["staff", path], path.read_text(encoding="utf-8"))


def test_staff_definitions(kb):
    ids = {c.id for s in kb.staff_schemes.values() for c in s.concepts}     # the ID column: what a roster accepts
    for args in (["staff"], ["staff", "--scheme", "kaigo"]):
        both(kb, args, strip=lambda text: re.sub(r"[\w-]+", lambda m: "" if m.group(0) in ids else m.group(0), text))


@pytest.mark.parametrize("path", VISITS, ids=lambda p: p.name)
def test_visit(path, kb):
    both(kb, ["visit", path], path.read_text(encoding="utf-8"))
    both(kb, ["visit", path, "--assume", "max-party-size=3"], path.read_text(encoding="utf-8"))


def test_visit_verdict_and_assumptions_in_each_language():
    ja = run("visit", EXAMPLES / "visit-refuse.yaml", "--assume", "fever-threshold=37.0")
    en = run("visit", EXAMPLES / "visit-refuse.yaml", "--assume", "fever-threshold=37.0", "--lang", "en")
    assert "判定: 面会を断る" in ja and "発熱とみなす体温（以上） 37°C（fever-threshold）（--assume で変更）" in ja
    assert "Decision: refuse" in en and "2 visitors (max-party-size)" in en and "(set by --assume)" in en


def test_visit_errors_in_each_language(tmp_path):
    bad = tmp_path / "v.yaml"
    bad.write_text((EXAMPLES / "visit-admit.yaml").read_text(encoding="utf-8").replace("party_size: 2", "party_size: 0"),
                   encoding="utf-8")
    for lang, expected in (("ja", "0 は範囲外です（1〜100）"), ("en", "0 is outside 1–100")):
        r = CliRunner().invoke(main, ["visit", str(bad), "--lang", lang])
        assert r.exit_code == 2 and expected in r.output and "Traceback" not in r.output, r.output


def _identifiers(text: str, kb) -> str:
    """`carekb sparql --list` without what the user types: query and parameter names, values, scheme
    and tier ids, and the prefixed names and file paths the descriptions mention."""
    ids = set(library()) | set(kb.schemes) | {t for k in kb.schemes.values() for p in k.tiers.values() for t in p}
    for q in library().values():
        ids |= set(q.params) | {p.default for p in q.params.values() if p.default}
        ids |= set(re.findall(r'"([a-z]+)"', q.text))   # values a query answers with ("new", "dropped")
    text = re.sub(r"\b\w+:\w+\b|\b[\w/]+/", "", text)
    return re.sub(r"[\w-]+", lambda m: "" if m.group(0) in ids | {"true", "false"} else m.group(0), text)


def test_sparql_list(kb):
    both(kb, ["sparql", "--list"], strip=lambda text: _identifiers(text, kb))


def test_every_library_query_has_japanese_descriptions():
    for name, q in library().items():
        assert q.description_ja and JAPANESE.search(q.description_ja), name
        assert not JAPANESE.search(q.description + q.title_en), name
        for p in q.params.values():
            assert p.doc_ja and not JAPANESE.search(p.doc), (name, p.name)


def test_sparql_table_footer_in_each_language():
    assert run("sparql", "-n", "rates-ranked", "-p", "period=R7").rstrip().endswith("行）")
    assert run("sparql", "-n", "rates-ranked", "-p", "period=R7", "--lang", "en").rstrip().endswith("rows)")


def _notes(out, lang: str) -> list[str]:
    r = CliRunner().invoke(main, ["batch", str(OFFICES), "--out", str(out), "--lang", lang])
    assert r.exit_code == 0, r.output
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return [row[-1] for row in rows[1:] if row[-1]]


def test_batch_notes_in_each_language(tmp_path, kb):
    ja = _notes(tmp_path / "ja.csv", "ja")
    assert ja and any("確度" in n for n in ja)
    for n in ja:
        assert not english(n, kb), (n, english(n, kb))
    source = OFFICES.read_text(encoding="utf-8")
    en = _notes(tmp_path / "en.csv", "en")
    assert en and any("rate for tier" in n for n in en)
    for n in en:
        assert not japanese_words(n, source), (n, japanese_words(n, source))


def test_batch_errors_in_each_language(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("事業所番号,事業所名,サービス,判定日\n1,x,nosuch,2025-07-01\n2,y,生活介護,2025-13-01\n", encoding="utf-8")
    for lang, expected in (("ja", ["不明なサービス 'nosuch'", "13月はありません"]),
                           ("en", ["unknown service 'nosuch'", "there is no month 13"])):
        CliRunner().invoke(main, ["batch", str(bad), "--out", str(tmp_path / f"{lang}.csv"), "--lang", lang])
        with open(tmp_path / f"{lang}-errors.csv", encoding="utf-8-sig", newline="") as f:
            messages = [row[-1] for row in list(csv.reader(f))[1:]]
        assert len(messages) == 2 and all(e in m for e, m in zip(expected, messages)), messages


def test_roster_errors_in_each_language(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "roster-group-home.yaml").read_text(encoding="utf-8")
                   .replace("qualifications: [psychiatric-social-worker]", "qualifications: [魔法使い]"), encoding="utf-8")
    none = tmp_path / "none.yaml"
    none.write_text("version: 1\noffice: {service: group-home-care}\nas_of: 2025-07-01\n", encoding="utf-8")
    for lang, expected in (("ja", ["不明な資格 '魔法使い'", "職員名簿（キー staff:）がありません"]),
                           ("en", ["unknown qualification '魔法使い'", "has no staff roster"])):
        for path, text in zip((bad, none), expected):
            r = CliRunner().invoke(main, ["staff", str(path), "--lang", lang])
            assert r.exit_code == 2 and text in r.output and r.output.count("\n") == 1, r.output
