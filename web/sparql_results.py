"""SPARQL answers written in the format a client asked for (SPARQL 1.1 JSON, XML, CSV, TSV; N-Triples
or Turtle for graphs), cut at a row cap and a byte cap at a row boundary, so that a capped answer is
still a well-formed document that says it was cut.

Runs inside the query workers (web/query_pool.py): serialising is the costly half of a large answer,
and there it runs beside the engine, off the server's event loop.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from carekb.graph.sparql_safety import SERVER_CUT, XSD_STRING, term_json

TRUNCATED_LINK = "https://w3id.org/carekb/vocab#truncated"

# media type → format name; the first of each kind is the default
RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "application/n-triples": "nt",
    "text/turtle": "ttl",
    "text/plain": "nt",
}
CONTENT_TYPES = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8",
    "nt": "application/n-triples", "ttl": "text/turtle; charset=utf-8",
}


@dataclass
class Written:
    """One answer, whole: the body is complete before any byte is sent, so a status is never wrong."""

    fmt: str
    body: bytes
    rows: int
    truncated: str | None = None   # "rows" or "bytes" when a cap cut the answer

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.fmt]


def negotiate(accept: str | None, graph: bool) -> str | None:
    """The format for an Accept header (by q-value, then order), or None if none can be given."""
    table = GRAPH_TYPES if graph else RESULT_TYPES
    default = "nt" if graph else "json"
    if not accept or not accept.strip():
        return default
    choices = []
    for i, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            choices.append((-q, i, media.lower()))
    for _, _, media in sorted(choices):
        if media in table:
            return table[media]
        if media in ("*/*", "application/*", "text/*"):
            return default
    return None


def write(result, fmt: str, max_rows: int, max_bytes: int) -> Written:
    """A pyoxigraph answer (solutions, boolean or triples) written in `fmt` under the caps."""
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        return _boolean(bool(result), fmt)
    if isinstance(result, ox.QueryTriples):
        return _triples(result, fmt, max_rows, max_bytes)
    return _solutions(result, fmt, max_rows, max_bytes)


def _boolean(value: bool, fmt: str) -> Written:
    word = "true" if value else "false"
    if fmt == "json":
        body = json.dumps({"head": {}, "boolean": value})
    elif fmt == "xml":
        body = (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
                f"<head/>\n<boolean>{word}</boolean>\n</sparql>\n")
    else:  # CSV/TSV have no boolean form; the customary answer is the word alone
        body = f"_askResult\n{word}\n" if fmt == "csv" else f"?_askResult\n{word}\n"
    return Written(fmt, body.encode(), 1)


def _triples(result, fmt: str, max_rows: int, max_bytes: int) -> Written:
    parts, size, truncated = [], 0, None
    for t in result:
        if len(parts) >= max_rows:
            truncated = "rows"
            break
        line = f"{t} .\n"
        size += len(line.encode())
        if size > max_bytes:
            truncated = "bytes"
            break
        parts.append(line)
    if truncated:  # N-Triples and Turtle comments: the document stays valid and says it was cut
        parts.append(f"{SERVER_CUT} the server's {_cap(truncated, max_rows, max_bytes)} cut this answer\n")
    return Written(fmt, "".join(parts).encode(), len(parts) - (1 if truncated else 0), truncated)


def _cap(kind: str, max_rows: int, max_bytes: int) -> str:
    return f"row cap ({max_rows:,} rows)" if kind == "rows" else f"byte cap ({max_bytes:,} bytes)"


def _solutions(result, fmt: str, max_rows: int, max_bytes: int) -> Written:
    names = [v.value for v in result.variables]
    row_text = {"json": _json_row, "xml": _xml_row, "csv": _csv_row, "tsv": _tsv_row}[fmt]
    parts, size, truncated = [], 0, None
    for sol in result:
        if len(parts) >= max_rows:
            truncated = "rows"
            break
        text = row_text(names, [sol[n] for n in names])
        size += len(text.encode())
        if size > max_bytes:
            truncated = "bytes"
            break
        parts.append(text)
    return Written(fmt, _document(fmt, names, parts, truncated).encode(), len(parts), truncated)


def _document(fmt: str, names: list[str], rows: list[str], truncated: str | None) -> str:
    if fmt == "json":
        cut = ', "truncated": true' if truncated else ""
        return (f'{{"head": {{"vars": {json.dumps(names)}}}, "results": {{"bindings": [\n'
                + ",\n".join(rows) + f"\n]}}{cut}}}\n")
    if fmt == "xml":
        link = f"<link href={quoteattr(TRUNCATED_LINK)}/>" if truncated else ""
        head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
        return (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
                f"<head>{head}{link}</head>\n<results>\n" + "".join(rows) + "</results>\n</sparql>\n")
    if fmt == "csv":
        return _csv_line(names) + "".join(rows)
    return "\t".join("?" + n for n in names) + "\n" + "".join(rows)


def _json_row(names, terms) -> str:
    return json.dumps({n: term_json(t) for n, t in zip(names, terms) if t is not None}, ensure_ascii=False)


def _xml_term(t) -> str:
    j = term_json(t)
    if j["type"] == "uri":
        return f"<uri>{escape(j['value'])}</uri>"
    if j["type"] == "bnode":
        return f"<bnode>{escape(j['value'])}</bnode>"
    if j["type"] == "literal":
        attrs = ""
        if "xml:lang" in j:
            attrs = f" xml:lang={quoteattr(j['xml:lang'])}"
        elif "datatype" in j:
            attrs = f" datatype={quoteattr(j['datatype'])}"
        return f"<literal{attrs}>{escape(j['value'])}</literal>"
    return f"<literal>{escape(str(t))}</literal>"  # a triple term: no SPARQL 1.1 XML form


def _xml_row(names, terms) -> str:
    cells = "".join(f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>"
                    for n, t in zip(names, terms) if t is not None)
    return f"<result>{cells}</result>\n"


def _csv_line(values) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue()


def _csv_row(names, terms) -> str:
    return _csv_line(["" if t is None else (f"_:{t.value}" if _is_bnode(t) else str(getattr(t, "value", t)))
                      for t in terms])


def _is_bnode(t) -> bool:
    import pyoxigraph as ox

    return isinstance(t, ox.BlankNode)


def _tsv_row(names, terms) -> str:
    return "\t".join("" if t is None else _tsv_term(t) for t in terms) + "\n"


def _tsv_term(t) -> str:
    """N-Triples syntax, with the plain-string datatype left out (SPARQL 1.1 TSV)."""
    text = str(t)
    j = term_json(t)
    if j["type"] == "literal" and "datatype" not in j and "xml:lang" not in j:
        return text.replace(f"^^<{XSD_STRING}>", "")
    return text.replace("\t", "\\t")
