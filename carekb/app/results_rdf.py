"""What the solver concludes about an office, as RDF (vocabulary: ontology/results.ttl).

An Evaluation becomes a ck:Evaluation linked to the office (core/office_rdf.py), its rule period,
its attainable and highest tiers, and one ck:TargetGap per higher tier with the missing actions as
the KB's own IRIs (requirements, workplace items, pledge rules), so that SPARQL joins results with
rules and rates.  The figures are those of the JSON result (solver/report.py `to_dict`).
"""

from __future__ import annotations

from carekb.graph.office_rdf import CK, SERVICE_NS, office_graph, office_iri

SHOGAI = "https://w3id.org/carekb/shogai/"
EVALUATION_NS = "https://w3id.org/carekb/evaluation/"


def period_iri(period_id: str) -> str:
    return f"{SHOGAI}{period_id}"


def tier_iri(period_id: str, tier_id: str) -> str:
    return f"{SHOGAI}{period_id}/{tier_id}"


def action_iri(action: str, period) -> str:
    """The KB IRI of a solver action id: cp4 → req/cp4, workplace.18 → workplace/R7-18, pledge.cp3 → pledge/R7-cp3."""
    kind, _, rest = action.partition(".")
    if kind == "workplace" and rest.isdigit():
        return f"{SHOGAI}workplace/{period.item_list.removeprefix('list-')}-{rest}"
    if kind == "pledge":
        return f"{SHOGAI}pledge/{period.id}-{rest}"
    return f"{SHOGAI}req/{action}"


def evaluation_iri(office) -> str:
    return f"{EVALUATION_NS}{office_iri(office).rsplit('/', 1)[-1]}/{office.as_of.isoformat()}"


def results_graph(evaluations, graph=None):
    """An rdflib Graph with each evaluated office and its ck:Evaluation."""
    import rdflib
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, XSD

    from carekb.app.report import to_dict

    ck = rdflib.Namespace(CK)
    g = graph if graph is not None else rdflib.Graph()
    for ev in evaluations:
        o, period = ev.office, ev.period
        _, office = office_graph(o, g)
        data = to_dict(ev, alternatives=False)
        e = URIRef(evaluation_iri(o))
        g.add((e, RDF.type, ck.Evaluation))
        g.add((e, ck.evaluates, office))
        g.add((e, ck.asOf, Literal(o.as_of.isoformat(), datatype=XSD.date)))
        g.add((e, ck.rulePeriod, URIRef(period_iri(period.id))))
        g.add((e, ck.service, URIRef(SERVICE_NS + o.service)))
        g.add((e, ck.kbVersion, Literal(ev.kb.version)))
        g.add((e, ck.pledgesCounted, Literal(ev.use_pledges)))
        if ev.highest:
            g.add((e, ck.highestTier, URIRef(tier_iri(period.id, ev.highest))))
            rate = ev.results[ev.highest].rate
            if rate is not None:
                g.add((e, ck.currentRatePct, Literal(str(rate.pct), datatype=XSD.decimal)))
        for t in ev.attainable:
            g.add((e, ck.attainableTier, URIRef(tier_iri(period.id, t))))
        if data["yen_per_month"] is not None:
            g.add((e, ck.yenPerMonth, Literal(data["yen_per_month"], datatype=XSD.integer)))
        if ev.use_pledges:
            for p in sorted(o.pledged & {x.id for x in ev.kb.pledges.get(period.id, ())}):
                g.add((e, ck.pledgeUsed, URIRef(action_iri(f"pledge.{p}", period))))
        items = ev.kb.items.get(period.item_list, {})
        for m in sorted(o.met):
            g.add((e, ck.inPlace, URIRef(action_iri(m, period))))
        for n in sorted(o.workplace):
            if n in items:
                g.add((e, ck.inPlace, URIRef(action_iri(f"workplace.{n}", period))))
        for w in data["warnings"]:
            g.add((e, ck.warning, Literal(w, lang="en")))
        for n, t in enumerate(data["targets"]):
            tid = t["tier"]
            r = ev.results[tid]
            tg = URIRef(f"{e}/{tid}")
            g.add((e, ck.target, tg))
            g.add((tg, RDF.type, ck.TargetGap))
            g.add((tg, ck.targetTier, URIRef(tier_iri(period.id, tid))))
            g.add((tg, ck.targetRank, Literal(len(data["targets"]) - n, datatype=XSD.integer)))
            if r.rate is not None:
                g.add((tg, ck.targetRatePct, Literal(str(r.rate.pct), datatype=XSD.decimal)))
            g.add((tg, ck.reachable, Literal(bool(t["reachable"]))))
            if not t["reachable"]:
                g.add((tg, ck.unreachableReason, Literal(t["reason"], lang="en")))
                continue
            g.add((tg, ck.missingCount, Literal(t["missing_count"], datatype=XSD.integer)))
            g.add((tg, ck.usesPledge, Literal(bool(t["uses_pledge"]))))
            g.add((tg, ck.effortCost, Literal(t["effort"], datatype=XSD.integer)))
            for a in t["missing"]:
                g.add((tg, ck.missingAction, URIRef(action_iri(a, period))))
                g.add((tg, ck.missingActionId, Literal(a)))
            if t.get("yen_per_month_gain") is not None:
                g.add((tg, ck.yenPerMonthGain, Literal(t["yen_per_month_gain"], datatype=XSD.integer)))
                g.add((tg, ck.yenPerYearGain, Literal(t["yen_per_year_gain"], datatype=XSD.integer)))
            if r.exception is not None:
                g.add((tg, ck.reliesOn, URIRef(f"{SHOGAI}workplace/{r.exception.id}")))
    return g


def evaluate_profiles(paths, kb=None, as_of=None, use_pledges: bool = True):
    """Load, bind and evaluate office profiles.  A folder contributes its *.yaml, *.yml, *.json and
    *.ttl files that are office profiles (have an `office` mapping); other documents there are skipped."""
    from pathlib import Path

    from carekb.model.errors import CarekbError
    from carekb.graph.kbload import load_kb
    from carekb.inputs.profile import bind, check, read_document
    from carekb.solver.gap import evaluate

    kb = kb or load_kb()
    docs = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = []
            for f in sorted(p.iterdir()):
                if f.is_file() and f.suffix in (".yaml", ".yml", ".json", ".ttl"):
                    data, lines, source = read_document(f)
                    if isinstance(data, dict) and "office" in data:
                        found.append((data, lines, source))
            if not found:
                raise CarekbError("no office profile (*.yaml, *.yml, *.json, *.ttl with an office) in this folder",
                                  str(p), "--with")
            docs += found
        else:
            docs.append(read_document(p))
    out, seen = [], {}
    for data, lines, source in docs:
        office, period = bind(check(data, lines, source, kb), kb, as_of)
        key = (office_iri(office), office.as_of)
        if key in seen:
            raise CarekbError(f"the same office and date as {seen[key]} (give each profile its own office.id)",
                              source, "office.id")
        seen[key] = source
        out.append(evaluate(kb, office, period, use_pledges=use_pledges))
    return out
