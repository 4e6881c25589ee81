"""Load kb/ (Turtle) into the compiled model: the data files, the KB version (a content hash of kb/,
ontology/ and any rule overlays), rule overlays, and the cached build (graph/cache.py, graph/build.py).

rdflib is imported only on a cache miss: it costs more to import than the whole cached load.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.i18n import t
from carekb.model.overlay import as_overlay
from carekb.model.types import KB
from carekb.graph.build import CK, _Reader, build  # noqa: F401 (CK and build: re-exported for readers of the graph)
from carekb.graph.cache import CODE_HASH, _memory, cache_dir, cached_build  # noqa: F401 (re-exported)
from carekb.graph.readings import attach_readings


def data_dirs() -> tuple[Path, Path]:
    """kb/ and ontology/, the data subpackages `carekb.kb` and `carekb.ontology`."""
    return Path(str(resources.files("carekb.kb"))), Path(str(resources.files("carekb.ontology")))


def kb_files() -> list[Path]:
    """The Turtle files that make up the knowledge graph (SHACL shapes are not facts: see shape_files)."""
    kb, onto = data_dirs()
    return sorted(kb.rglob("*.ttl")) + sorted(f for f in onto.glob("*.ttl") if "shapes" not in f.name)


def shape_files() -> list[Path]:
    return sorted(data_dirs()[1].glob("*shapes*.ttl"))


def content_hash(files: list[Path], extra: list[Path] = ()) -> str:
    h = hashlib.sha256()
    for f in list(files) + list(extra):
        h.update(f.name.encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:12]


def kb_version(overlays: list[Path] = ()) -> str:
    """The content hash of kb/, ontology/ (shapes included) and any overlays: every result states it."""
    return content_hash(kb_files() + shape_files(), [as_overlay(o) for o in overlays])


def load_kb(overlays: list[Path] = (), use_cache: bool = True) -> KB:
    """The KB of this installation, plus rule overlays (Turtle files that add or replace facts)."""
    files = kb_files()
    overlays = [as_overlay(o) for o in overlays]  # a path, or an Overlay (Turtle text with a name)
    for o in overlays:  # checked before hashing: the hash reads them
        if not o.is_file():
            raise CarekbError(t("files.overlay_not_found"), str(o))
    version = kb_version(overlays)

    def compile_kb() -> KB:
        g = parse_graph(files, overlays)
        kb = build(g, version)
        attach_readings(_Reader(g), kb, build)  # contested readings: each compiled from its own graph
        return kb

    return cached_build("kb", version, compile_kb) if use_cache else compile_kb()


def parse_graph(files: list[Path], overlays: list[Path] = ()):
    import rdflib

    parsed = [read_overlay(f) for f in overlays]  # first: a bad overlay fails before 3 s of KB parsing
    g = rdflib.Graph()
    for f in list(files):
        g.parse(f, format="turtle")
    for o in parsed:
        merge_overlay(g, o)
    return g


def apply_overlay(g, path: Path) -> None:
    """An overlay adds its triples; for every (subject, predicate) it states, it replaces the KB's values."""
    merge_overlay(g, read_overlay(path))


def merge_overlay(g, o) -> None:
    import rdflib

    for s, p in {(s, p) for s, p, _ in o}:
        if not isinstance(s, rdflib.BNode):
            g.remove((s, p, None))
    for t in o:
        g.add(t)


def read_overlay(path: Path):
    import rdflib

    o = rdflib.Graph()
    try:
        o.parse(path, format="turtle") if isinstance(path, Path) else o.parse(data=path.turtle, format="turtle")
    except FileNotFoundError:
        raise CarekbError(t("err.file_not_found"), str(path)) from None
    except Exception as e:  # rdflib raises several parser exception types
        raise CarekbError(t("err.turtle.invalid", problem=_syntax_problem(e)), str(path), _syntax_place(e)) from None
    return o


def _syntax_place(e: Exception) -> str | None:
    """'line L, column C' of an rdflib BadSyntax (it keeps the whole text and the offset)."""
    text, i = getattr(e, "_str", None), getattr(e, "_i", None)
    if text is None or i is None:
        return None
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    before = text[:i]  # rdflib keeps the bytes but counts the offset in characters
    line_start = before.rfind("\n") + 1
    return f"line {before.count(chr(10)) + 1}, column {len(before) - line_start + 1}"


def _syntax_problem(e: Exception) -> str:
    why = getattr(e, "_why", None)
    return why if why else str(e).splitlines()[0]
