"""The query library (queries/*.rq): named queries with typed parameters in their header comments,
bound to values that can never change a query's structure.

A parameter of type `lang` (`# param: lang lang - -- …`) is the language of the labels a query
returns: unless given, it is the reader's language (--lang), so a query picks `rdfs:label`
in that language and falls back to the KB's other literal where there is none."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from carekb.i18n import LANGS, current_lang, t
from carekb.model.errors import CarekbError

@dataclass
class Param:
    name: str
    type: str           # string, boolean, integer, decimal, date, iri, lang
    default: str | None  # None for a lang parameter: the reader's language
    doc: str = ""
    doc_ja: str = ""    # `# param-ja: NAME -- 説明`


@dataclass
class NamedQuery:
    name: str
    path: Path | None
    text: str
    title_ja: str = ""
    title_en: str = ""
    description: str = ""
    description_ja: str = ""
    params: dict[str, Param] = field(default_factory=dict)


PARAM_TYPES = {
    "string": None,
    "boolean": re.compile(r"true|false"),
    "integer": re.compile(r"[+-]?\d+"),
    "decimal": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "iri": re.compile(r"[^\s<>\"{}|^`\\]+:[^\s<>\"{}|^`\\]*"),
    "lang": re.compile("|".join(LANGS)),   # a language tag the KB's labels carry
}


def queries_dir() -> Path:
    """queries/, the data subpackage `carekb.queries` (the query library)."""
    return Path(str(resources.files("carekb.queries")))


def parse_header(name: str, text: str, path: Path | None = None) -> NamedQuery:
    """Header comments: `# title-ja:`, `# title-en:`, `# description:` and `# description-ja:`
    (repeatable), `# param: NAME TYPE DEFAULT -- what it is` (DEFAULT `-` for none) and
    `# param-ja: NAME -- 説明` (after its param line)."""
    q = NamedQuery(name, path, text)
    desc, desc_ja = [], []
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = re.match(r"#\s*([\w-]+)\s*:\s*(.*)$", line)
        if not m:
            continue
        key, value = m.group(1).lower(), m.group(2).strip()
        if key == "title-ja":
            q.title_ja = value
        elif key == "title-en":
            q.title_en = value
        elif key == "description":
            desc.append(value)
        elif key == "description-ja":
            desc_ja.append(value)
        elif key == "param-ja":
            pname, _, doc = value.partition("--")
            if pname.strip() not in q.params:
                raise CarekbError(f"param-ja for an undeclared parameter {pname.strip()!r}", str(path or name))
            q.params[pname.strip()].doc_ja = doc.strip()
        elif key == "param":
            spec, _, doc = value.partition("--")
            parts = spec.strip().split(None, 2)
            if len(parts) != 3 or parts[1] not in PARAM_TYPES:
                raise CarekbError(f"bad param header {value!r} (expected: NAME TYPE DEFAULT -- doc; "
                                  f"types: {', '.join(PARAM_TYPES)})", str(path or name))
            default = None if parts[2] == "-" else parts[2]
            q.params[parts[0]] = Param(parts[0], parts[1], default, doc.strip())
    q.description = " ".join(desc)
    q.description_ja = "".join(desc_ja)   # Japanese lines join without spaces
    return q


def library() -> dict[str, NamedQuery]:
    return {f.stem: parse_header(f.stem, f.read_text(encoding="utf-8"), f)
            for f in sorted(queries_dir().glob("*.rq"))}


def named_query(name: str) -> NamedQuery:
    lib = library()
    if name not in lib:
        raise CarekbError(t("sparql.unknown_query", got=repr(name), known=", ".join(lib)), "--query-name")
    return lib[name]


def sparql_term(value: str, ptype: str, name: str) -> str:
    """A parameter value as one SPARQL term, validated: it can never change the query's structure."""
    if ptype == "string":
        return f'"{escape_literal(value)}"'
    if not PARAM_TYPES[ptype].fullmatch(value):
        raise CarekbError(t("sparql.bad_value", got=repr(value), type=t(f"sparql.type.{ptype}")), "--param", name)
    if ptype in ("integer", "boolean"):
        return value
    if ptype == "lang":
        return f'"{value}"'    # compared with lang(?label), a plain literal
    if ptype == "decimal":
        return f'"{value}"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    if ptype == "date":
        import datetime as dt

        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise CarekbError(t("sparql.bad_date", got=repr(value)), "--param", name) from None
        return f'"{value}"^^<http://www.w3.org/2001/XMLSchema#date>'
    return f"<{value}>"


def bind_params(q: NamedQuery, given: dict[str, str], lang: str | None = None) -> str:
    """The query text with each `$name` replaced by its (validated) value or default; a `lang`
    parameter not given is `lang` (default: the current language)."""
    for k in given:
        if k not in q.params:
            known = ", ".join(q.params) or t("sparql.no_default")
            raise CarekbError(t("sparql.no_such_param", query=repr(q.name), got=repr(k), known=known), "--param", k)
    text = q.text
    for name, p in q.params.items():
        value = given.get(name, (lang or current_lang()) if p.type == "lang" else p.default)
        if value is None:
            doc = (p.doc_ja if current_lang() == "ja" else p.doc) or p.doc
            raise CarekbError(t("sparql.needs_param", query=repr(q.name), name=name, doc=doc), "--param", name)
        term = sparql_term(value, p.type, name)
        text = re.sub(r"\$" + re.escape(name) + r"\b", lambda _m: term, text)
    return text


def named_query_text(name: str, pairs: list[str], lang: str | None = None, where: str = "--param") -> str:
    """A library query bound to `pairs` (NAME=VALUE each), its labels in `lang` (the web API's
    library runs; the command line reads its --param the same way)."""
    given = {}
    for pair in pairs:
        k, sep, v = pair.partition("=")
        if not sep or not k.strip():
            raise CarekbError(t("sparql.expected_param", got=repr(pair)), where)
        given[k.strip()] = v
    return bind_params(named_query(name), given, lang)


def escape_literal(text: str) -> str:
    """Text for inside a "…" SPARQL or N-Triples literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
