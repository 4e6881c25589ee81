"""What the solver concludes about an office, as RDF (vocabulary: ontology/results.ttl).

An Evaluation becomes a ck:Evaluation linked to the office (core/office_rdf.py), its rule period,
its attainable and highest tiers, and one ck:TargetGap per higher tier with the missing actions as
the KB's own IRIs (requirements, workplace items, pledge rules), so that SPARQL joins results with
rules and rates.  The figures are those of the JSON result (solver/report.py `to_dict`).
"""

from __future__ import annotations

from pathlib import Path

from carekb.model import actions
from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.graph.kbload import load_kb
from carekb.graph.office_rdf import CK, office_graph, office_iri
from carekb.inputs.profile import bind, check, read_document
from carekb.solver.gap import evaluate
from carekb.app.report import to_dict

EVALUATION_NS = "https://w3id.org/carekb/evaluation/"


def tier_iri(kb, period, tier_id: str) -> str:
    return kb.tiers[period.id][tier_id].iri


def action_iri(kb, action: str, period) -> str:
    """The KB IRI of a solver action id (a requirement atom, workplace.N or pledge.X of the period),
    as the compiled KB recorded it: any scheme's IRIs, no naming convention assumed."""
    a = actions.parse(action)
    if a.kind == actions.WORKPLACE:
        return kb.items[period.item_list][a.number].iri
    if a.kind == actions.PLEDGE:
        return next(p.iri for p in kb.pledges.get(period.id, ()) if p.id == a.key)
    return kb.requirements[action].iri


def evaluation_iri(office) -> str:
    return f"{EVALUATION_NS}{office_iri(office).rsplit('/', 1)[-1]}/{office.as_of.isoformat()}"


def results_graph(evaluations, graph=None):
    """An rdflib Graph with each evaluated office and its ck:Evaluation."""
    import rdflib
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, XSD

    ck = rdflib.Namespace(CK)
    g = graph if graph is not None else rdflib.Graph()
    for ev in evaluations:
        o, period = ev.office, ev.period
        kb = ev.kb
        _, office = office_graph(o, g, kb.services[o.service].iri)
        data = to_dict(ev, alternatives=False)
        e = URIRef(evaluation_iri(o))
        g.add((e, RDF.type, ck.Evaluation))
        g.add((e, ck.evaluates, office))
        g.add((e, ck.asOf, Literal(o.as_of.isoformat(), datatype=XSD.date)))
        g.add((e, ck.rulePeriod, URIRef(period.iri)))
        g.add((e, ck.service, URIRef(kb.services[o.service].iri)))
        g.add((e, ck.kbVersion, Literal(ev.kb.version)))
        g.add((e, ck.pledgesCounted, Literal(ev.use_pledges)))
        if ev.highest:
            g.add((e, ck.highestTier, URIRef(tier_iri(kb, period, ev.highest))))
            rate = ev.results[ev.highest].rate
            if rate is not None:
                g.add((e, ck.currentRatePct, Literal(str(rate.pct), datatype=XSD.decimal)))
        for t in ev.attainable:
            g.add((e, ck.attainableTier, URIRef(tier_iri(kb, period, t))))
        if data["yen_per_month"] is not None:
            g.add((e, ck.yenPerMonth, Literal(data["yen_per_month"], datatype=XSD.integer)))
        if ev.use_pledges:
            for p in sorted(o.pledged & {x.id for x in ev.kb.pledges.get(period.id, ())}):
                g.add((e, ck.pledgeUsed, URIRef(action_iri(kb, actions.pledge(p), period))))
        items = ev.kb.items.get(period.item_list, {})
        for m in sorted(o.met):
            g.add((e, ck.inPlace, URIRef(action_iri(kb, m, period))))
        for n in sorted(o.workplace):
            if n in items:
                g.add((e, ck.inPlace, URIRef(action_iri(kb, actions.workplace(n), period))))
        for w in data["warnings"]:
            g.add((e, ck.warning, Literal(w, lang="en")))
        for n, t in enumerate(data["targets"]):
            tid = t["tier"]
            r = ev.results[tid]
            tg = URIRef(f"{e}/{tid}")
            g.add((e, ck.target, tg))
            g.add((tg, RDF.type, ck.TargetGap))
            g.add((tg, ck.targetTier, URIRef(tier_iri(kb, period, tid))))
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
                g.add((tg, ck.missingAction, URIRef(action_iri(kb, a, period))))
                g.add((tg, ck.missingActionId, Literal(a)))
            if t.get("yen_per_month_gain") is not None:
                g.add((tg, ck.yenPerMonthGain, Literal(t["yen_per_month_gain"], datatype=XSD.integer)))
                g.add((tg, ck.yenPerYearGain, Literal(t["yen_per_year_gain"], datatype=XSD.integer)))
            if r.exception is not None:
                g.add((tg, ck.reliesOn, URIRef(r.exception.iri)))
    return g


def evaluate_profiles(paths, kb=None, as_of=None, use_pledges: bool = True):
    """Load, bind and evaluate office profiles.  A folder contributes its *.yaml, *.yml, *.json and
    *.ttl files that are office profiles (have an `office` mapping); other documents there are skipped."""
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
                raise CarekbError(t("inputs.with.no_profile"),
                                  str(p), "--with")
            docs += found
        else:
            docs.append(read_document(p))
    out, seen = [], {}
    for data, lines, source in docs:
        office, period = bind(check(data, lines, source, kb), kb, as_of)
        key = (office_iri(office), office.as_of)
        if key in seen:
            raise CarekbError(t("inputs.with.same_office", other=seen[key]),
                              source, "office.id")
        seen[key] = source
        out.append(evaluate(kb, office, period, use_pledges=use_pledges))
    return out
