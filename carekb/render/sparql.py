"""SPARQL answers for people and programs: a text table (IRIs shortened by the known prefixes), SPARQL 1.1
CSV and TSV, SPARQL 1.1 JSON, and N-Triples for graphs; and the query library as `carekb sparql --list`
shows it.  Column names are the query's variables (identifiers, in either language)."""

from __future__ import annotations

import csv
import io
import json
import re

from carekb.app.sparql.dataset import PREFIXES
from carekb.app.sparql.library import NamedQuery, escape_literal
from carekb.i18n import t
from carekb.render.table import table
from carekb.render.width import fit


def compact(iri: str) -> str:
    for k, v in PREFIXES.items():
        if iri.startswith(v) and re.fullmatch(r"[\w.\-]*", iri[len(v):]):
            return f"{k}:{iri[len(v):]}"
    return f"<{iri}>"


def term_text(t: dict | None, short: bool = True) -> str:
    if t is None:
        return ""
    if t["type"] == "uri":
        return compact(t["value"]) if short else t["value"]
    if t["type"] == "bnode":
        return f"_:{t['value']}"
    return t["value"]


def nt_term(t: dict | None) -> str:
    """A term in N-Triples/Turtle syntax (SPARQL TSV results)."""
    if t is None:
        return ""
    if t["type"] == "uri":
        return f"<{t['value']}>"
    if t["type"] == "bnode":
        return f"_:{t['value']}"
    v = escape_literal(t["value"])
    if "xml:lang" in t:
        return f'"{v}"@{t["xml:lang"]}'
    dtype = t.get("datatype")
    if dtype and dtype != "http://www.w3.org/2001/XMLSchema#string":
        return f'"{v}"^^<{dtype}>'
    return f'"{v}"'


def render(result, fmt: str, lang: str = "ja") -> str:
    """A result in table, csv, tsv (SPARQL 1.1 CSV/TSV) or json (SPARQL 1.1 JSON) form."""
    if isinstance(result, str):  # CONSTRUCT / DESCRIBE
        return result.rstrip("\n")
    if fmt == "json":
        return json.dumps(result, ensure_ascii=False, indent=1)
    if "boolean" in result:
        return {"csv": "_askResult\n", "tsv": "?_askResult\n"}.get(fmt, "") + ("true" if result["boolean"] else "false")
    names = result["head"]["vars"]
    rows = result["results"]["bindings"]
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(names)
        for r in rows:
            w.writerow([term_text(r.get(n), short=False) for n in names])
        return out.getvalue().rstrip("\r\n")
    if fmt == "tsv":
        lines = ["\t".join(f"?{n}" for n in names)]
        lines += ["\t".join(nt_term(r.get(n)) for n in names) for r in rows]
        return "\n".join(lines)
    foot = t("sparql.rows_truncated" if is_truncated(result) else "sparql.rows", lang, count=f"{len(rows):,}")
    return table([[term_text(r.get(n)) for n in names] for r in rows], names) + "\n" + foot


def library_text(library: dict[str, NamedQuery], lang: str = "ja", width: int | None = None) -> str:
    """`carekb sparql --list`: each named query with its title, what it answers and its parameters."""
    out = []
    for name, q in library.items():
        title = (q.title_ja if lang == "ja" else q.title_en) or q.title_en
        about = (q.description_ja if lang == "ja" else q.description) or q.description
        out.append(name)
        out += ["    " + x for x in (title, about) if x]
        for p in q.params.values():
            doc = (p.doc_ja if lang == "ja" else p.doc) or p.doc
            default = t("sparql.default_lang", lang) if p.type == "lang" else p.default   # filled from --lang
            out.append("    " + t("sparql.param_line", lang, name=p.name, type=t(f"sparql.type.{p.type}", lang),
                                  default=default or t("sparql.no_default", lang), doc=doc))
    return fit("\n".join(out), width)


def is_truncated(result) -> bool:
    """Whether the row cap cut this answer short."""
    return bool(getattr(result, "truncated", False) if isinstance(result, str) else result.get("truncated"))
