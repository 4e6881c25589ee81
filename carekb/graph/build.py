"""The knowledge graph compiled into the model (carekb.model.types.KB): one KB per ck:Scheme, with its
periods, services, requirements and tier expressions, workplace items and rules, pledges, rates and
unit prices, the old additions and grants, and the staff definitions."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal, InvalidOperation

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.graph.provisions import provisions_of
from carekb.model.types import (KB, Cited, DerivedFact, Grant, OldAddition, OldTier, Period, PledgeRule, PriorityRule, Rate,
                    Requirement, Service, StaffConcept, StaffScheme, Tier, UnitPrice, WorkplaceException,
                    WorkplaceItem, WorkplaceRule)

CK = "https://w3id.org/carekb/vocab#"


class _Reader:
    def __init__(self, g):
        import rdflib
        from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

        self.g, self.rdflib = g, rdflib
        self.RDF, self.RDFS, self.DCT, self.SKOS, self.OWL = RDF, RDFS, DCTERMS, SKOS, OWL
        self.VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
        self.ck = rdflib.Namespace(CK)
        self.space = ""  # the uri space of the scheme being read ("" = every node)

    def within(self, space: str) -> "_Reader":
        """A reader of the nodes of one scheme: `subjects` yields only IRIs in its uri space."""
        other = copy.copy(self)
        other.space = space
        return other

    def subjects(self, cls: str):
        """The nodes of class ck:`cls` in this reader's uri space."""
        return [s for s in self.g.subjects(self.RDF.type, self.ck[cls]) if str(s).startswith(self.space)
                and isinstance(s, self.rdflib.URIRef)]

    def one(self, s, p, default=None):
        for o in self.g.objects(s, p):
            return o
        return default

    def py(self, s, p, default=None):
        o = self.one(s, p)
        return default if o is None else o.toPython()

    def label(self, s, lang: str, p=None) -> str:
        """The `lang` value of rdfs:label (or of `p`), else any other one."""
        other = ""
        for o in self.g.objects(s, p or self.RDFS.label):
            if getattr(o, "language", None) == lang:
                return str(o)
            other = other or str(o)
        return other

    def text(self, s, p, lang: str) -> str:
        for o in self.g.objects(s, p):
            if getattr(o, "language", None) in (lang, None):
                return str(o)
        return ""

    def local(self, iri) -> str:
        s = str(iri)
        return s.rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    def decimal(self, s, p) -> Decimal:
        """A number, exact (from the literal's text); an overlay may have replaced it by anything."""
        o = self.one(s, p)
        try:
            d = Decimal(str(o)) if o is not None else None
        except InvalidOperation:
            d = None
        if d is None or not d.is_finite():
            got = "nothing" if o is None else repr(str(o))
            raise CarekbError(t("files.kb.not_a_number", prop=self.local(p), got=got), "kb", self.where(s))
        return d

    def locals(self, s, p) -> tuple[str, ...]:
        """The local names of the nodes `s` links to by `p`, sorted."""
        return tuple(sorted(self.local(o) for o in self.g.objects(s, p)))

    def id_of(self, s, p, id_prop) -> str | None:
        """The id (`id_prop`) of the node `s` links to by `p`."""
        node = self.one(s, p)
        return None if node is None else str(self.py(node, id_prop))

    def ids(self, s, p, id_prop) -> tuple[str, ...]:
        """The ids (`id_prop`) of every node `s` links to by `p`, sorted."""
        return tuple(sorted(str(self.py(o, id_prop)) for o in self.g.objects(s, p)))

    def rate(self, s) -> tuple[str, Rate]:
        """A rate node's service id and its percentage."""
        ck = self.ck
        return self.id_of(s, ck.service, ck.serviceId), Rate(self.decimal(s, ck.ratePct), self.cited(s))

    def is_a(self, s, cls) -> bool:
        return (s, self.RDF.type, self.ck[cls]) in self.g

    def cited(self, s) -> Cited:
        # a source without a notation (a rate table) is cited by its label as the reference names it (@en)
        sources = sorted(str(self.one(o, self.SKOS.notation, "")) or self.label(o, "en") or self.local(o)
                         for o in self.g.objects(s, self.DCT.source))
        conf = self.one(s, self.ck.confidence)
        notation = str(self.one(conf, self.SKOS.notation)) if conf is not None else "U"
        return Cited(tuple(sources), self.text(s, self.ck.sourceNote, "en"), notation,
                     self.text(s, self.ck.confidenceDetail, "en"), provisions_of(self, s),
                     note_ja=self.tagged(s, self.ck.sourceNote, "ja"))

    def tagged(self, s, p, lang: str) -> str:
        """The `lang` literal of `p` only ("" when the KB has none in that language)."""
        return next((str(o) for o in self.g.objects(s, p) if getattr(o, "language", None) == lang), "")

    def where(self, s) -> str:
        return f"node {s.n3(self.g.namespace_manager)}"

    # expressions ----------------------------------------------------------------------------
    def expr(self, node) -> tuple:
        ck = self.ck
        if self.is_a(node, "Tier"):
            return ("tier", str(self.py(self.one(node, ck.period), ck.periodId)), str(self.py(node, ck.tierId)))
        if self.is_a(node, "CompositeRequirement"):
            return ("req", str(self.py(node, ck.requirementId)))
        if self.is_a(node, "Action"):
            return ("act", str(self.py(node, ck.requirementId)))
        if self.is_a(node, "WorkplaceRule"):
            return ("wrule", str(self.py(node, ck.ruleId)))
        for kind, cls in (("all", "AllOf"), ("any", "AnyOf")):
            if self.is_a(node, cls):
                ops = tuple(sorted((self.expr(o) for o in self.g.objects(node, ck.operand)), key=repr))
                if not ops:
                    raise CarekbError(f"{cls} without operands", "kb", self.where(node))
                return (kind, ops)
        if self.is_a(node, "FieldTest"):
            name = str(self.py(node, ck.field))
            for op, prop in (("eq", ck.equals), ("ge", ck.minInclusive), ("lt", ck.maxExclusive)):
                v = self.py(node, prop)
                if v is not None:
                    return ("field", name, op, v)
            values = frozenset(o.toPython() for o in self.g.objects(node, ck.oneOf))
            if values:
                return ("field", name, "in", values)
        if self.is_a(node, "DateTest"):
            return ("date_le", self.py(node, ck.onOrBefore))
        if self.is_a(node, "ServiceTest"):
            return ("group", self.local(self.one(node, ck.inGroup)))
        raise CarekbError(t("files.kb.not_an_expression"), "kb", self.where(node))


def _date(v) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


def build(g, version: str) -> KB:
    """The KB of every ck:Scheme: the default scheme's KB, with all of them in `kb.schemes`.

    A scheme owns the typed nodes whose IRIs start with its void:uriSpace; nothing in this function
    names a scheme, so a new scheme is a new folder of Turtle with its own uri space.
    """
    r = _Reader(g)
    ck, RDF = r.ck, r.RDF
    schemes = sorted(g.subjects(RDF.type, ck.Scheme), key=str)
    if not schemes:
        raise CarekbError(t("files.kb.no_scheme"), "kb")
    kbs: dict[str, KB] = {}
    default = []
    for scheme in schemes:
        sid = str(r.py(scheme, r.DCT.identifier, "") or "")
        space = str(r.one(scheme, r.VOID.uriSpace, "") or "")
        if not sid or not space:
            raise CarekbError(t("files.kb.scheme_ids"), "kb", r.where(scheme))
        if sid in kbs:
            raise CarekbError(t("files.kb.scheme_twice", sid=sid), "kb", r.where(scheme))
        kbs[sid] = build_scheme(r.within(space), scheme, sid, version)
        if r.py(scheme, ck.isDefault, False):
            default.append(sid)
    if len(default) != 1 and len(kbs) > 1:
        raise CarekbError(t("files.kb.default_scheme", count=len(default)), "kb")
    services: dict[str, Service] = {}
    for kb in kbs.values():
        for sid, svc in kb.services.items():
            if sid in services:
                raise CarekbError(t("files.kb.service_twice", sid=sid, a=services[sid].scheme, b=svc.scheme), "kb")
            services[sid] = svc
    services = dict(sorted(services.items(), key=lambda kv: (kv[1].scheme not in default, kv[1].scheme)))
    for kb in kbs.values():
        kb.services, kb.schemes, kb.triples = services, kbs, len(g)
    return kbs[default[0] if default else next(iter(kbs))]


def vocab_labels(r: "_Reader") -> dict[str, tuple[str, str]]:
    """The labels of the vocabulary's properties (ontology/vocab.ttl), e.g. historyShogu ->
    (2024年5月の旧処遇改善加算, ...): how views name the office facts that conditions test."""
    out = {}
    for kind in (r.OWL.DatatypeProperty, r.OWL.ObjectProperty):
        for p in r.g.subjects(r.RDF.type, kind):
            if str(p).startswith(CK):
                out[str(p)[len(CK):]] = (r.label(p, "ja"), r.label(p, "en"))
    return dict(sorted(out.items()))


def build_scheme(r: "_Reader", scheme, scheme_id: str, version: str) -> KB:
    g, ck = r.g, r.ck
    kb = KB(version=version, scheme_ja=r.label(scheme, "ja"), scheme_en=r.label(scheme, "en"), triples=len(g),
            scheme=scheme_id, scheme_source=r.cited(scheme), vocab_labels=vocab_labels(r))
    subjects = r.subjects

    period_iris = {}
    for p in subjects("Period"):
        pid = str(r.py(p, ck.periodId))
        period_iris[p] = pid
        kb.periods[pid] = Period(pid, r.label(p, "ja"), r.label(p, "en"), _date(r.py(p, ck.validFrom)),
                                 _date(r.py(p, ck.validTo)), r.local(r.one(p, ck.itemList)), r.cited(p), str(p))
    kb.periods = dict(sorted(kb.periods.items(), key=lambda kv: kv[1].valid_from))

    for grp in subjects("ServiceGroup"):
        kb.groups[r.local(grp)] = (r.label(grp, "ja"), r.label(grp, "en"))
    for s in subjects("Service"):
        sid = str(r.py(s, ck.serviceId))
        kb.services[sid] = Service(sid, r.label(s, "ja"), r.label(s, "en"),
                                   frozenset(r.local(o) for o in g.objects(s, ck.inGroup)),
                                   str(r.py(s, ck.law, "")), str(r.py(s, ck.cp5Means, "")),
                                   _date(r.py(s, ck.coveredFrom)), r.text(s, r.RDFS.comment, "en"),
                                   scheme_id, str(s), tuple(sorted(str(a) for a in g.objects(s, r.SKOS.altLabel))))

    for cls in ("Action", "CompositeRequirement"):
        for s in subjects(cls):
            if r.is_a(s, "WorkplaceItem"):
                continue
            rid = str(r.py(s, ck.requirementId))
            definition = r.one(s, ck.definedBy)
            applicable = r.one(s, ck.applicableWhen)
            kb.requirements[rid] = Requirement(
                rid, r.label(s, "ja"), r.label(s, "en"), cls == "CompositeRequirement",
                r.expr(definition) if definition is not None else None,
                r.expr(applicable) if applicable is not None else None,
                r.text(s, ck.satisfiedWhen, "ja"), r.text(s, ck.satisfiedWhen, "en"), r.cited(s),
                frozenset(str(r.py(p, ck.periodId)) for p in g.objects(s, ck.usedInPeriod)), str(s))

    cats = []
    for c in subjects("WorkplaceCategory"):
        cats.append((int(r.py(c, ck.nominalRank, 0)), r.local(c), r.label(c, "ja"), r.label(c, "en")))
    for _, cid, ja, en in sorted(cats):
        kb.categories[cid] = (ja, en)
    for s in subjects("WorkplaceItemList"):
        kb.item_lists[r.local(s)] = (r.label(s, "ja"), r.label(s, "en"), r.cited(s))
        kb.items[r.local(s)] = {}  # a list may have no items yet
    for s in subjects("WorkplaceItem"):
        lst = r.local(r.one(s, ck.itemList))
        n = int(r.py(s, ck.itemNumber))
        kb.items.setdefault(lst, {})[n] = WorkplaceItem(lst, n, r.local(r.one(s, ck.category)), r.label(s, "ja"), str(s))
    kb.items = {k: dict(sorted(v.items())) for k, v in kb.items.items()}

    for s in subjects("WorkplaceRule"):
        rid = str(r.py(s, ck.ruleId))
        cat_min = tuple(sorted((r.local(r.one(b, ck.category)), int(r.py(b, ck.min)))
                               for b in g.objects(s, ck.categoryMinimum)))
        must = tuple(sorted(int(r.py(i, ck.itemNumber)) for i in g.objects(s, ck.mustInclude)))
        kb.rules[rid] = WorkplaceRule(rid, period_iris[r.one(s, ck.period)], r.local(r.one(s, ck.itemList)),
                                      r.label(s, "ja"), r.label(s, "en"), int(r.py(s, ck.eachCategoryMin, 0)),
                                      cat_min, must, int(r.py(s, ck.totalMin, 0)), r.cited(s))
    exceptions = []
    for s in subjects("WorkplaceException"):
        exceptions.append(WorkplaceException(
            r.local(s), r.label(s, "ja"), r.label(s, "en"), r.expr(r.one(s, ck.condition)),
            frozenset(str(r.py(x, ck.ruleId)) for x in g.objects(s, ck.appliesToRule)),
            r.local(r.one(s, ck.category)), int(r.py(r.one(s, ck.satisfiedByItem), ck.itemNumber)), r.cited(s), str(s)))
    kb.exceptions = tuple(sorted(exceptions, key=lambda e: e.id))

    for s in subjects("Tier"):
        pid = period_iris[r.one(s, ck.period)]
        tid = str(r.py(s, ck.tierId))
        reach = r.one(s, ck.reachableWhen)
        kb.tiers.setdefault(pid, {})[tid] = Tier(
            pid, tid, r.label(s, "ja"), r.label(s, "en"), r.expr(r.one(s, ck.requires)),
            frozenset(r.local(o) for o in g.objects(s, ck.availableTo)),
            r.expr(reach) if reach is not None else None, int(r.py(s, ck.nominalRank, 0)),
            r.text(s, r.RDFS.comment, "en"), r.cited(s), r.locals(s, ck.combines), r.locals(s, ck.continues), str(s),
            note_ja=r.tagged(s, r.RDFS.comment, "ja"))
    kb.tiers = {p: dict(sorted(ts.items(), key=lambda kv: -kv[1].rank)) for p, ts in kb.tiers.items()}

    pledges: dict[str, list] = {}
    for s in subjects("PledgeRule"):
        pid = period_iris[r.one(s, ck.period)]
        cond = r.one(s, ck.condition)
        pledges.setdefault(pid, []).append(PledgeRule(
            pid, str(r.py(s, ck.pledgeId)), tuple(sorted((r.expr(t) for t in g.objects(s, ck.pledgeFor)), key=repr)),
            _date(r.py(s, ck.deadline)), r.expr(cond) if cond is not None else None,
            r.text(s, r.RDFS.comment, "en"), r.cited(s), str(s)))
    kb.pledges = {p: tuple(sorted(v, key=lambda x: x.id)) for p, v in pledges.items()}

    derived: dict[str, list] = {}
    for s in subjects("DerivedFact"):
        pid = period_iris[r.one(s, ck.period)]
        derived.setdefault(pid, []).append(DerivedFact(
            pid, str(r.py(r.one(s, ck.requirement), ck.requirementId)), r.label(s, "ja"), r.label(s, "en"),
            r.expr(r.one(s, ck.condition)), r.cited(s)))
    kb.derived = {p: tuple(v) for p, v in derived.items()}

    tier_ids = {s: (period_iris[r.one(s, ck.period)], str(r.py(s, ck.tierId))) for s in subjects("Tier")}
    for s in subjects("Rate"):
        tier = r.one(s, ck.tier)
        if tier not in tier_ids:
            raise CarekbError(t("files.kb.rate_unknown_tier"), "kb", r.where(s))
        pid, tid = tier_ids[tier]
        svc, rate = r.rate(s)
        kb.rates[(pid, svc, tid)] = rate
    for s in subjects("UnitPrice"):
        kb.prices[(r.id_of(s, ck.service, ck.serviceId), str(r.py(s, ck.regionGrade)))] = UnitPrice(
            r.decimal(s, ck.yenPerUnit), int(r.py(s, ck.labourSharePct, 0)), r.cited(s))
    read_old_additions(r, kb)
    read_staff(r, kb)
    return kb


def read_old_additions(r: _Reader, kb: KB) -> None:
    """The additions in force until 2024-05, their tiers, the 2024 grant and their per-service rates."""
    g, ck, RDF = r.g, r.ck, r.RDF
    for s in r.subjects("OldAdditionTier"):
        key = r.local(s)
        frac_of = r.one(s, ck.rateFractionOf)
        frac = r.one(s, ck.rateFraction)
        kb.old_tiers[key] = OldTier(
            key, r.id_of(s, ck.addition, ck.additionId), str(r.py(s, ck.tierId)), r.label(s, "ja"),
            r.label(s, "en"), _date(r.py(s, ck.validTo)),
            str(r.py(s, ck.requirementId)) if r.is_a(s, "CompositeRequirement") else None,
            r.local(frac_of) if frac_of is not None else None,
            r.decimal(s, ck.rateFraction) if frac is not None else None, r.cited(s))
    for s in r.subjects("OldAddition"):
        aid = str(r.py(s, ck.additionId))
        tiers = tuple(t.key for t in kb.old_tiers.values() if t.addition == aid)
        kb.old_additions[aid] = OldAddition(aid, r.label(s, "ja"), r.label(s, "en"), _date(r.py(s, ck.validFrom)),
                                            _date(r.py(s, ck.validTo)), tiers, r.cited(s))
    kb.old_additions = dict(sorted(kb.old_additions.items(), key=lambda kv: kv[1].valid_from or dt.date.min))
    for s in r.subjects("Grant"):
        cond = r.one(s, ck.grantCondition)
        held = r.locals(cond, ck.operand) if cond is not None else ()
        gid = str(r.py(s, ck.grantId))
        kb.grants[gid] = Grant(gid, r.label(s, "ja"), r.label(s, "en"), _date(r.py(s, ck.validFrom)),
                               _date(r.py(s, ck.validTo)), held, r.text(s, ck.satisfiedWhen, "ja"),
                               r.text(s, ck.satisfiedWhen, "en"), r.text(s, r.RDFS.comment, "en"), r.cited(s))
    for s in r.subjects("ComponentRate"):
        of = r.one(s, ck.rateOf)
        key = str(r.py(of, ck.grantId)) if r.is_a(of, "Grant") else r.local(of)
        if key not in kb.old_tiers and key not in kb.grants:
            raise CarekbError(t("files.kb.rate_of_nothing"), "kb", r.where(s))
        svc, rate = r.rate(s)
        kb.component_rates[(key, svc)] = rate
    named = [(f"grant {gr.id}", k) for gr in kb.grants.values() for k in gr.held_any]
    named += [(f"tier {t.period}/{t.id}", k)
              for ts in kb.tiers.values() for t in ts.values() for k in t.combines + t.continues]
    for who, k in named:
        if k not in kb.old_tiers:
            raise CarekbError(f"{who} names {k}, not an old-addition tier", "kb")


def read_staff(r: _Reader, kb: KB) -> None:
    """The staff definitions (SKOS concept schemes ※1–※3) and the priority-staff rule."""
    g, ck, RDF, SKOS = r.g, r.ck, r.RDF, r.SKOS
    for s in r.subjects("StaffScheme"):
        concepts = []
        for c in g.subjects(SKOS.inScheme, s):
            concepts.append(StaffConcept(
                str(r.one(c, SKOS.notation)), r.local(s),
                r.label(c, "ja", SKOS.prefLabel), r.label(c, "en", SKOS.prefLabel),
                tuple(sorted(str(a) for a in g.objects(c, SKOS.altLabel))), bool(r.py(c, ck.withoutRole, False)),
                tuple(sorted(str(f) for f in g.objects(c, ck.alsoMatchesField))),
                bool(r.py(c, ck.openListPlaceholder, False))))
        sid = str(r.py(s, ck.schemeId))
        kb.staff_schemes[sid] = StaffScheme(
            sid, str(r.py(s, SKOS.notation, "")), r.label(s, "ja"), r.label(s, "en"), str(r.py(s, ck.matchesField)),
            r.id_of(s, ck.withRoleIn, ck.schemeId), bool(r.py(s, ck.openList, False)),
            r.ids(s, ck.countsFor, ck.requirementId),
            tuple(sorted(concepts, key=lambda c: (c.placeholder, c.label_ja))), r.cited(s))
    kb.staff_schemes = dict(sorted(kb.staff_schemes.items(), key=lambda kv: kv[1].notation))
    rules = list(r.subjects("PriorityStaffRule"))
    if len(rules) > 1:
        raise CarekbError(t("files.kb.priority_rules", count=len(rules)), "kb")
    for s in rules:
        kb.priority_rule = PriorityRule(
            str(r.py(s, ck.ruleId)), r.label(s, "ja"), r.label(s, "en"), r.ids(s, ck.anyOfScheme, ck.schemeId),
            r.decimal(s, ck.minYearsInCorp), r.text(s, ck.satisfiedWhen, "ja"),
            r.text(s, ck.satisfiedWhen, "en"), r.text(s, r.RDFS.comment, "en"), r.cited(s))
