"""`carekb sources`: every source the KB cites (code, title, date, URL, confidence) and what the
confidence letters mean, read from the KB's ck:Source and ck:ConfidenceScheme (never kept in code)."""

from __future__ import annotations

import click

from carekb.app.api import load_kb, sparql
from carekb.cli.common import FORMAT_OPTION, LANG_OPTION, echo_json, handles_errors, table
from carekb.cli.group import main
from carekb.i18n import t
from carekb.render.width import fit

PREFIXES = """PREFIX ck: <https://w3id.org/carekb/vocab#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
SOURCES_QUERY = PREFIXES + """SELECT ?code (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?date) (SAMPLE(?u) AS ?url) (SAMPLE(?c) AS ?confidence)
WHERE { ?s a ck:Source ; skos:notation ?code .
  OPTIONAL { ?s rdfs:label ?t . FILTER(LANG(?t) = "" || LANG(?t) = "%(lang)s") }
  OPTIONAL { ?s dcterms:date ?d } OPTIONAL { ?s rdfs:seeAlso ?u }
  OPTIONAL { ?s ck:confidence ?level . ?level skos:notation ?c } }
GROUP BY ?code ORDER BY ?code"""
LEGEND_QUERY = PREFIXES + """SELECT ?code ?label ?rank WHERE { ?l skos:inScheme ck:ConfidenceScheme ; skos:notation ?code ;
  ck:rank ?rank ; skos:prefLabel ?label . FILTER(LANG(?label) = "%(lang)s") } ORDER BY DESC(?rank)"""


def sources(kb, lang: str = "ja") -> list[dict]:
    """The KB's sources: code (as results cite them), title, date, url, confidence."""
    return [{k: r.get(k) for k in ("code", "title", "date", "url", "confidence")}
            for r in sparql(SOURCES_QUERY % {"lang": lang}, kb=kb).rows]


def legend(kb, lang: str = "ja") -> list[dict]:
    """The confidence letters, most certain first: [{code: P, label: 公的文書}, ...]."""
    return [{"code": r["code"], "label": r["label"]} for r in sparql(LEGEND_QUERY % {"lang": lang}, kb=kb).rows]


def legend_text(rows: list[dict]) -> str:
    return "、".join(f"{r['code']} = {r['label']}" for r in rows)


def cited_codes(text: str, known: list[str]) -> list[str]:
    """The source codes a citation string names ("NAVI8; seed 004 §キャリアパス要件Ⅳ" → NAVI8, seed 004)."""
    found = []
    for part in (text or "").replace("；", ";").split(";"):
        part = part.strip()
        code = max((k for k in known if part.startswith(k)), key=len, default=None)
        if code and code not in found:
            found.append(code)
    return found


@main.command("sources")
@FORMAT_OPTION
@LANG_OPTION
@handles_errors
def sources_cmd(fmt, lang):
    """`carekb sources` (its --help: help.sources in carekb/i18n/messages-help.yaml)."""
    kb = load_kb()
    rows, marks = sources(kb, lang), legend(kb, lang)
    if fmt == "json":
        echo_json({"sources": rows, "confidence_levels": marks, "kb_version": kb.version})
        return
    head = [t("sources.code", lang), t("sources.title", lang), t("sources.date", lang), t("sources.confidence", lang)]
    lines = [table([[r["code"], r["title"] or "", r["date"] or "", r["confidence"] or ""] for r in rows], head), ""]
    lines.append(t("sources.urls", lang))
    lines += [f"  {r['code']}: {r['url']}" for r in rows if r["url"]]
    lines += ["", t("sources.legend", lang)] + [f"  {m['code']:<4} {m['label']}" for m in marks]
    click.echo(fit("\n".join(lines)))
