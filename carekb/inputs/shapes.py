"""SHACL validation with pySHACL (on rdflib's memory store), reported as readable messages.

A violation becomes one line in Japanese or English that names the focus node (for a profile: the
profile key, e.g. `office.employees`), the property path, the offending value and, where the
profile's text shows it, the line — never the raw report graph.  The messages come from the shape
(`sh:message "日本語 / English"`) or, where the shape has none, from the constraint it states.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.graph.kbload import CK, kb_files, parse_graph, shape_files
from carekb.graph.office_rdf import office_graph
from carekb.inputs.profile import TURTLE_PROPERTIES, read_document

CKS = "https://w3id.org/carekb/shapes#"

# the profile key of each office property (the inverse of office_rdf / profile.turtle_profile)
PROFILE_KEYS = {prop: key for key, prop in TURTLE_PROPERTIES.items()}  # ck:Office property -> profile key
# (ja, en) for each constraint component, filled from the shape's parameters
TEMPLATES = {  # in the order violations of one value are shown: the most basic first
    "DatatypeConstraintComponent": ("型 {datatype} の値が必要です", "must be of type {datatype}"),
    "MinCountConstraintComponent": ("{minCount} 個以上の値が必要です", "needs at least {minCount} value(s)"),
    "MaxCountConstraintComponent": ("値は {maxCount} 個までです", "allows at most {maxCount} value(s)"),
    "MinInclusiveConstraintComponent": ("{minInclusive} 以上でなければなりません", "must be at least {minInclusive}"),
    "MaxInclusiveConstraintComponent": ("{maxInclusive} 以下でなければなりません", "must be at most {maxInclusive}"),
    "InConstraintComponent": ("次のいずれかでなければなりません: {in}", "must be one of: {in}"),
    "ClassConstraintComponent": ("{class} のインスタンスでなければなりません", "must be a {class}"),
    "PatternConstraintComponent": ("形式 {pattern} に合いません", "does not match {pattern}"),
}


@dataclass(frozen=True)
class Violation:
    focus: str          # the profile key (office) or the compact IRI of a KB node
    path: str           # the profile key or compact property (may be "")
    value: str
    message_ja: str
    message_en: str
    line: int | None = None
    rank: int = 9  # order of constraints: a wrong type explains a failed range check, not the other way round

    def text(self, lang: str = "ja") -> str:
        where = self.path or self.focus
        if self.line:
            where += f" (line {self.line})" if lang == "en" else f" ({self.line}行目)"
        msg = self.message_ja if lang == "ja" else self.message_en
        if self.value:
            msg += f" (値: {self.value})" if lang == "ja" else f" (value: {self.value})"
        return f"{where}: {msg}"


def shapes_graph():
    return parse_graph(shape_files())


def _short(g, node) -> str:
    try:
        return node.n3(g.namespace_manager)
    except Exception:
        return str(node)


def _value_text(g, value) -> str:
    """A value as the user wrote it, quoted when it is text: "12" (a string) is not 12 (a number)."""
    from rdflib import Literal
    from rdflib.namespace import XSD

    if value is None:
        return ""
    if isinstance(value, Literal) and (value.language or value.datatype in (None, XSD.string)):
        return value.n3(g.namespace_manager)
    return str(value)


def _messages(report, r, shapes, component: str) -> tuple[str, str]:
    """(ja, en): the shape's own message split at ' / ', else a sentence from the constraint."""
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    shape = report.value(r, SH.sourceShape)
    msgs = sorted({str(m) for m in report.objects(r, SH.resultMessage)})
    for m in [str(m) for m in shapes.objects(shape, SH.message)] + msgs:
        if " / " in m:
            ja, en = m.split(" / ", 1)
            return ja.strip(), en.strip()
    if component in TEMPLATES:
        params = {}
        for p, o in shapes.predicate_objects(shape):
            key = str(p).rsplit("#", 1)[-1]
            if key == "in":
                params["in"] = ", ".join(str(x) for x in Collection(shapes, o))
            else:
                params[key] = _short(shapes, o) if not hasattr(o, "toPython") or key in ("datatype", "class") else str(o)
        try:
            return tuple(t.format(**params) for t in TEMPLATES[component])
        except KeyError:
            pass
    text = " / ".join(msgs) or component
    return text, text


def run(data_graph, office_iris: dict | None = None) -> list[Violation]:
    """Every violation, readable: office nodes are named by profile keys (office_iris: IRI → label).
    With office_iris only those nodes are checked, against the office shape: the KB itself is checked
    by `validate --kb`, and checking all of it again for each profile took ~5 s instead of ~1 s."""
    from pyshacl import validate
    from rdflib import URIRef
    from rdflib.namespace import SH

    shapes = shapes_graph()
    focus = {} if office_iris is None else {"focus_nodes": [URIRef(i) for i in office_iris],
                                            "use_shapes": [URIRef(CKS + "OfficeShape")]}
    conforms, report, _ = validate(data_graph, shacl_graph=shapes, inference="none", advanced=True,
                                   allow_warnings=True, **focus)
    if conforms:
        return []
    out = set()
    for r in report.subjects(SH.resultSeverity, SH.Violation):
        focus, path, value = report.value(r, SH.focusNode), report.value(r, SH.resultPath), report.value(r, SH.value)
        component = str(report.value(r, SH.sourceConstraintComponent) or "").rsplit("#", 1)[-1]
        ja, en = _messages(report, r, shapes, component)
        rank = list(TEMPLATES).index(component) if component in TEMPLATES else len(TEMPLATES)
        path_text = _short(data_graph, path) if path is not None else ""
        if office_iris is not None and str(focus) in office_iris:
            focus_text = office_iris[str(focus)]
            path_text = PROFILE_KEYS.get(str(path).rsplit("#", 1)[-1], path_text) if path is not None else ""
        else:
            focus_text = _short(data_graph, focus)
        out.add(Violation(focus_text, path_text, _value_text(data_graph, value), ja, en, rank=rank))
    return sorted(out, key=lambda v: (v.focus, v.path, v.rank, v.message_en))


def validate_kb() -> list[Violation]:
    return run(parse_graph(kb_files()))


def profile_violations(office) -> list[Violation]:
    """The profile's violations of the office shapes: for Turtle its own graph (where datatypes and
    repeated values matter), for YAML/JSON the RDF form of the checked profile; with source lines."""
    import rdflib
    from rdflib.namespace import RDF

    g = parse_graph(kb_files())
    source = Path(office.source)
    if source.suffix.lower() in (".ttl", ".turtle") and source.is_file():
        g.parse(source, format="turtle")
        offices = {str(s) for s in g.subjects(RDF.type, rdflib.URIRef(CK + "Office"))}
    else:
        _, s = office_graph(office, g)
        offices = {str(s)}
    found, seen = [], set()
    for v in run(g, {iri: "office" for iri in offices}):
        if v.focus == "office" and (v.path, v.value) not in seen:  # the most basic violation of each value
            seen.add((v.path, v.value))
            found.append(replace(v, line=profile_line(source, v.path)))
    return found


def profile_line(source: Path, key: str) -> int | None:
    """The line of a profile key (`office.employees`) in the file: YAML through the checker's own
    line map, Turtle by the first line that states the property."""
    if not key or not source.is_file():
        return None
    suffix = source.suffix.lower()
    if suffix in (".ttl", ".turtle"):
        prop = next((k for k, v in PROFILE_KEYS.items() if v == key), None)
        for n, text in enumerate(source.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if prop and f":{prop}" in text:
                return n
        return None
    if suffix == ".json":
        return None
    try:
        data, lines, _ = read_document(source)
    except CarekbError:
        return None
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    return lines.get((id(node), parts[-1])) if isinstance(node, dict) else None


def validate_office(office, lang: str = "ja") -> None:
    """Raise CarekbError naming the profile, the key and its line when the profile violates a shape."""
    bad = profile_violations(office)
    if bad:
        shown = "; ".join(v.text(lang) for v in bad[:3])
        more = t("inputs.shacl_more", lang, n=len(bad) - 3) if len(bad) > 3 else ""
        raise CarekbError("SHACL: " + shown + more, office.source)


def kb_report_text(violations: list[Violation], lang: str = "ja") -> str:
    return "\n".join(f"{v.focus} {v.text(lang)}" for v in violations)
