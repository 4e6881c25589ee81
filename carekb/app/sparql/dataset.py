"""The graph that queries run on: the KB's Turtle files plus the N-Triples of evaluated offices, in an
embedded pyoxigraph store (or rdflib, to cross-check), and its export as Turtle, N-Triples, N-Quads or JSON-LD."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.graph.kbload import kb_files, parse_graph
from carekb.app.results_rdf import evaluate_profiles, results_graph

PREFIXES = {
    "ck": "https://w3id.org/carekb/vocab#",
    "sg": "https://w3id.org/carekb/shogai/",
    "r6": "https://w3id.org/carekb/shogai/R6/",
    "r7": "https://w3id.org/carekb/shogai/R7/",
    "r8": "https://w3id.org/carekb/shogai/R8/",
    "req": "https://w3id.org/carekb/shogai/req/",
    "wp": "https://w3id.org/carekb/shogai/workplace/",
    "pl": "https://w3id.org/carekb/shogai/pledge/",
    "svc": "https://w3id.org/carekb/shogai/service/",
    "grp": "https://w3id.org/carekb/shogai/service-group/",
    "rate": "https://w3id.org/carekb/shogai/rate/",
    "kg": "https://w3id.org/carekb/kaigo/",             # the 介護 scheme (kb/kaigo/ uses the same k-prefixes)
    "kr6": "https://w3id.org/carekb/kaigo/R6/",
    "kr7": "https://w3id.org/carekb/kaigo/R7/",
    "kr8": "https://w3id.org/carekb/kaigo/R8/",
    "kreq": "https://w3id.org/carekb/kaigo/req/",
    "kwp": "https://w3id.org/carekb/kaigo/workplace/",
    "kpl": "https://w3id.org/carekb/kaigo/pledge/",
    "ksvc": "https://w3id.org/carekb/kaigo/service/",
    "kgrp": "https://w3id.org/carekb/kaigo/service-group/",
    "krate": "https://w3id.org/carekb/kaigo/rate/",
    "office": "https://w3id.org/carekb/office/",
    "eval": "https://w3id.org/carekb/evaluation/",
    "src": "https://w3id.org/carekb/source/",
    "cat": "https://w3id.org/carekb/guidance/category/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
}


@dataclass
class Dataset:
    """The KB's Turtle files plus the N-Triples of any evaluated profiles."""

    files: list[Path]
    results_nt: bytes = b""
    evaluations: list = field(default_factory=list)


def dataset(profiles=(), as_of=None, kb=None) -> Dataset:
    """The KB's files plus the evaluations of the profiles (paths or folders of profiles)."""
    return evaluations_dataset(evaluate_profiles(profiles, kb, as_of) if profiles else [])


def evaluations_dataset(evaluations) -> Dataset:
    """The KB's files plus these evaluations as RDF."""
    ds = Dataset(kb_files())
    if evaluations:
        ds.evaluations = list(evaluations)
        ds.results_nt = results_graph(ds.evaluations).serialize(format="nt", encoding="utf-8")
    return ds


def oxigraph_store(ds: Dataset):
    """An in-memory pyoxigraph Store with the whole graph in its default graph."""
    import pyoxigraph as ox

    store = ox.Store()
    for f in ds.files:
        try:
            store.bulk_load(path=str(f), format=ox.RdfFormat.TURTLE)
        except SyntaxError as e:
            raise CarekbError(f"not valid Turtle: {e}", str(f)) from None
    if ds.results_nt:
        store.bulk_load(input=ds.results_nt, format=ox.RdfFormat.N_TRIPLES)
    return store


def rdflib_graph(ds: Dataset):
    """The same graph in rdflib (slower; used to cross-check the embedded store)."""
    g = parse_graph(ds.files)
    if ds.results_nt:
        g.parse(data=ds.results_nt.decode(), format="nt")
    return g


EXPORT_FORMATS = {"ttl": "TURTLE", "nt": "N_TRIPLES", "nq": "N_QUADS", "jsonld": None}


def serialize(store, fmt: str) -> bytes:
    """The whole store as Turtle, N-Triples, N-Quads or JSON-LD (the last through rdflib)."""
    import pyoxigraph as ox

    if fmt == "jsonld":
        import rdflib

        g = rdflib.Graph()
        g.parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode(), format="nt")
        for k, v in PREFIXES.items():
            g.bind(k, v)
        return g.serialize(format="json-ld", context=dict(PREFIXES), indent=1,
                           encoding="utf-8")
    rdf_format = getattr(ox.RdfFormat, EXPORT_FORMATS[fmt])
    if fmt == "nq":
        return store.dump(format=rdf_format)
    if fmt == "ttl":
        return store.dump(format=rdf_format, from_graph=ox.DefaultGraph(), prefixes=PREFIXES)
    return store.dump(format=rdf_format, from_graph=ox.DefaultGraph())
