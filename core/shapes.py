"""SHACL validation with pySHACL (on rdflib's memory store), reported as readable messages."""

from __future__ import annotations

from .errors import CarekbError
from .kbload import kb_files, parse_graph, shape_files


def shapes_graph():
    import rdflib

    g = rdflib.Graph()
    for f in shape_files():
        g.parse(f, format="turtle")
    return g


def run(data_graph) -> list[dict]:
    """Violations as dicts: focus node, path, message (ja/en where the shape gives both)."""
    from pyshacl import validate
    from rdflib.namespace import SH

    conforms, report, _ = validate(data_graph, shacl_graph=shapes_graph(), inference="none", advanced=True,
                                   allow_warnings=True)
    if conforms:
        return []
    out = []
    for r in report.subjects(SH.resultSeverity, SH.Violation):
        focus = report.value(r, SH.focusNode)
        path = report.value(r, SH.resultPath)
        value = report.value(r, SH.value)
        msgs = [str(m) for m in report.objects(r, SH.resultMessage)]
        out.append({"focus": _short(data_graph, focus), "path": _short(data_graph, path) if path is not None else "",
                    "value": str(value) if value is not None else "", "message": " / ".join(sorted(set(msgs)))})
    return sorted(out, key=lambda v: (v["focus"], v["path"], v["message"]))


def _short(g, node) -> str:
    try:
        return node.n3(g.namespace_manager)
    except Exception:
        return str(node)


def validate_kb() -> list[dict]:
    return run(parse_graph(kb_files()))


def validate_office(kb, office) -> None:
    """Raise CarekbError naming the profile and the property when the office's RDF form violates a shape."""
    from .office_rdf import office_graph

    g = parse_graph(kb_files())
    office_graph(office, g)
    bad = [v for v in run(g) if "office/" in v["focus"] or v["focus"].startswith("<https://w3id.org/carekb/office")]
    if bad:
        v = bad[0]
        raise CarekbError(f"SHACL: {v['message']}" + (f" (value {v['value']})" if v["value"] else ""),
                          office.source, v["path"] or v["focus"])


def kb_report_text(violations: list[dict]) -> str:
    return "\n".join(f"{v['focus']} {v['path']}: {v['message']}" + (f" (value {v['value']})" if v["value"] else "")
                     for v in violations)
