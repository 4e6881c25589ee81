"""An office profile as RDF, in the vocabulary of ontology/vocab.ttl (for SHACL and SPARQL)."""

from __future__ import annotations

from urllib.parse import quote

CK = "https://w3id.org/carekb/vocab#"
OFFICE_NS = "https://w3id.org/carekb/office/"


def office_iri(office) -> str:
    return OFFICE_NS + quote(office.id or office.name or office.source, safe="")


def office_graph(office, graph=None, service_iri: str | None = None):
    """The office as RDF; its ck:service is `service_iri` (the KB's Service.iri), else the node of
    `graph` whose ck:serviceId is the office's service (whatever scheme defines it)."""
    import rdflib
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS, XSD

    ck = rdflib.Namespace(CK)
    g = graph if graph is not None else rdflib.Graph()
    s = URIRef(office_iri(office))
    g.add((s, RDF.type, ck.Office))
    svc = URIRef(service_iri) if service_iri else next(g.subjects(ck.serviceId, Literal(office.service)), None)
    g.add((s, ck.service, svc if svc is not None else Literal(office.service)))
    if office.id:
        g.add((s, ck.officeId, Literal(office.id)))
    if office.name:
        g.add((s, RDFS.label, Literal(office.name, lang="ja")))
    for prop, value, dtype in ((ck.employees, office.employees, XSD.integer), (ck.monthlyUnits, office.monthly_units, XSD.integer),
                               (ck.topAnnualWage, office.top_annual_wage, XSD.integer), (ck.region, office.region, None),
                               (ck.asOf, office.as_of, XSD.date)):
        if value is not None:
            g.add((s, prop, Literal(value, datatype=dtype) if dtype else Literal(value)))
    g.add((s, ck.singleOfficeCorp, Literal(office.single_office_corp)))
    g.add((s, ck.collabCorp, Literal(office.collab_corp)))
    if office.history_given:
        g.add((s, ck.historyShogu, Literal(office.shogu, datatype=XSD.integer)))
        g.add((s, ck.historyTokutei, Literal(office.tokutei, datatype=XSD.integer)))
        g.add((s, ck.historyBaseup, Literal(office.baseup)))
    for m in sorted(office.met):
        g.add((s, ck.met, Literal(m)))
    for n in sorted(office.workplace):
        g.add((s, ck.workplaceItem, Literal(n, datatype=XSD.integer)))
    for p in sorted(office.pledged):
        g.add((s, ck.pledged, Literal(p)))
    for action, cost in office.effort:
        b = rdflib.BNode()
        g.add((s, ck.effort, b))
        g.add((b, ck.action, Literal(action)))
        g.add((b, ck.cost, Literal(cost, datatype=XSD.integer)))
    return g, s
