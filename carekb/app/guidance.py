"""Guidance items (指針・事務連絡の項目) and visitor-screening data from kb/guidance, as plain Python.

Loaded from the Turtle with rdflib (imported lazily) and cached in memory and on disk under the
content hash of the KB files, like `carekb.graph.kbload.load_kb`.  The model is generic: nothing here
knows a particular item, rule or condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from carekb.i18n import t
from carekb.inputs import normalize
from carekb.model.errors import CarekbError
from carekb.graph.kbload import cached_build, kb_files, kb_version, parse_graph

CK = "https://w3id.org/carekb/vocab#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"


@dataclass(frozen=True)
class Notice:
    label_ja: str
    date: str | None
    cited_as: str
    type: str = ""


# ck:sourceNote of an item: "seed 000 §1, line 21" or "seed 000 line 11"
_WHERE = re.compile(r"(?P<doc>.+?) (?:§(?P<section>\S+?),? )?line (?P<line>\d+)$")
# the kinds of notice (ck:noticeType, Japanese in the KB) that have a catalogue entry; others are
# numbered notices (3介334号通知), proper names shown as they are
NOTICE_TYPES = {"事務連絡": "guidance.notice_type.jimu", "通知": "guidance.notice_type.tsuchi"}


def _where_text(note: str, lang: str) -> str:
    m = _WHERE.match(note)
    if not m:
        return note
    if m["section"]:
        return t("guidance.source_ref", lang, doc=m["doc"], section=m["section"], line=m["line"])
    return t("guidance.source_ref_line", lang, doc=m["doc"], line=m["line"])


def notice_type(kind: str, lang: str) -> str:
    return t(NOTICE_TYPES[kind], lang) if kind in NOTICE_TYPES else kind


@dataclass
class Item:
    id: str
    order: int
    section: str              # "1"…"18", "V"
    subsection: str | None    # "6(1)", "V(1)", …
    label: dict               # {"ja": …, "en": …}
    quote: str
    modality: str             # notation: must, should, …
    actionable: bool
    status: str               # in-force, abolished, historical
    categories: tuple[str, ...]
    notices: tuple[Notice, ...]
    urls: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    refers_to: tuple[str, ...] = ()
    related_workplace: tuple[str, ...] = ()
    valid_to: str | None = None
    source: str = ""
    source_note: str = ""
    iri: str = ""

    def source_text(self, lang: str = "en") -> str:
        """Where the item is in the document and the notices it cites, in `lang` (the JSON keeps
        `source_note` and `notices` as they are in the KB)."""
        parts = [_where_text(self.source_note, lang)]
        by_type: dict[str, list[str]] = {}
        for n in self.notices:
            by_type.setdefault(n.type, []).append(n.date or "?")
        for kind, ds in by_type.items():
            dates = ", ".join(ds) if len(ds) <= 3 else t("guidance.notices_more", lang, first=", ".join(ds[:2]),
                                                          last=ds[-1], count=len(ds))
            parts.append(f"{notice_type(kind, lang)} {dates}")
        return "; ".join(p for p in parts if p)

    def to_json(self) -> dict:
        return {"id": self.id, "section": self.section, "subsection": self.subsection, "label": self.label,
                "quote": self.quote, "modality": self.modality, "status": self.status,
                "categories": list(self.categories), "source": self.source, "source_note": self.source_note,
                "notices": [{"label": n.label_ja, "date": n.date, "type": n.type, "cited_as": n.cited_as} for n in self.notices],
                "urls": list(self.urls), "phones": list(self.phones), "emails": list(self.emails),
                "refers_to": list(self.refers_to), "related_workplace": list(self.related_workplace),
                "valid_to": self.valid_to, "iri": self.iri}


@dataclass
class Category:
    id: str
    label: dict
    broader: tuple[str, ...]


@dataclass
class ServiceType:
    id: str
    label: dict
    categories: tuple[str, ...]


@dataclass
class Test:
    field: str
    op: str                   # notation of ck:ComparisonOperator: >=, >, true, not-empty
    threshold: float | None = None
    assumption: str | None = None


@dataclass
class Rule:
    key: str
    order: int
    label: dict
    reason: dict               # templates
    test: Test | None
    only_if: Test | None
    unless: Test | None
    implements: tuple[str, ...]  # guidance ids


@dataclass
class Field:
    name: str
    type: str
    order: int
    label: dict
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()


@dataclass
class Assumption:
    id: str
    value: float
    unit: dict                # {"ja": …, "en": …}: 人 / visitors
    label: dict
    confidence: str
    note: str


@dataclass
class Guidance:
    version: str
    document: dict
    items: list[Item]
    categories: dict[str, Category]
    services: dict[str, ServiceType]
    modalities: dict[str, dict]   # notation -> label {"ja": …, "en": …}
    fields: list[Field]
    refusals: list[Rule]
    conditions: list[Rule]
    assumptions: dict[str, Assumption]
    symptom_labels: dict[str, dict] = field(default_factory=dict)
    addressed_to: tuple[str, ...] = ()   # the categories the document is written for (ck:addressedTo)

    def checklist_note(self, service: str, done=()) -> str | None:
        """One line for `gap`: the document's checklist exists for an office whose service falls
        under a category the document is addressed to (seed 000: 介護); None otherwise."""
        if service not in self.services or not self.addressed_to:
            return None
        cats = self.service_categories(service)
        if not cats & set(self.addressed_to):
            return None
        return (f"guidance checklist ({self.document.get('source', '')}) applies to this service: "
                f"{len(self.gap(cats, set(done)))} open items (carekb guidance PROFILE)")

    # ------------------------------------------------------------------ applicability
    def closure(self, cats) -> set[str]:
        """The categories and all their broader ones (transitively)."""
        out, todo = set(), list(cats)
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo += self.categories[c].broader if c in self.categories else ()
        return out

    def service_categories(self, service: str, source: str = "--service", where: str | None = None) -> set[str]:
        if service not in self.services:
            by_label = [s for s in self.services.values() if service in s.label.values()]
            if not by_label:
                raise CarekbError(t("guidance.unknown_service", got=repr(service)), source, where)
            service = by_label[0].id
        return self.closure(self.services[service].categories)

    def category(self, name: str) -> str:
        if name in self.categories:
            return name
        # labels of the KB and their short forms (通所系 for 通所系サービス); several fitting: the error lists them
        forms = {c.id: [c.id, *c.label.values(), *[v.removesuffix("サービス") for v in c.label.values()]]
                 for c in self.categories.values()}
        return normalize.pick(name, forms, t("norm.what_category"), "--category", None,
                              display=lambda i: f"{i}（{self.categories[i].label.get('ja', i)}）")

    def applicable(self, cats: set[str]) -> list[Item]:
        return [i for i in self.items if set(i.categories) & cats]

    def gap(self, cats: set[str], done: set[str]) -> list[Item]:
        """Applicable items that ask for something, are in force, and are not in `done` (section order)."""
        return [i for i in self.applicable(cats) if i.actionable and i.status == "in-force" and i.id not in done]


def load_guidance(use_cache: bool = True) -> Guidance:
    files = kb_files()
    version = kb_version()
    return cached_build("guidance", version, lambda: build(parse_graph(files), version), use_cache)


def build(g, version: str) -> Guidance:
    import rdflib
    from rdflib import RDF

    ck = rdflib.Namespace(CK)
    skos = rdflib.Namespace(SKOS)
    rdfs = rdflib.Namespace(RDFS)
    dct = rdflib.Namespace(DCT)

    def labels(s, *preds) -> dict:
        out = {}
        for p in preds or (rdfs.label, skos.prefLabel):
            for o in g.objects(s, p):
                lang = getattr(o, "language", None) or "ja"
                out.setdefault(lang, str(o))
        out.setdefault("ja", out.get("en", str(s)))
        out.setdefault("en", out["ja"])
        return out

    def one(s, p):
        return next(iter(g.objects(s, p)), None)

    def py(s, p):
        v = one(s, p)
        return None if v is None else v.toPython()

    def notation(s):
        return str(one(s, skos.notation))

    categories = {}
    for c in g.subjects(RDF.type, ck.ServiceCategory):
        categories[notation(c)] = Category(notation(c), labels(c), tuple(sorted(notation(b) for b in g.objects(c, skos.broader))))

    def cats_of(s):
        return tuple(sorted(notation(c) for c in g.objects(s, ck.serviceCategory)))

    services = {}
    for s in g.subjects(RDF.type, ck.KaigoService):
        services[str(one(s, ck.kaigoServiceId))] = ServiceType(str(one(s, ck.kaigoServiceId)), labels(s), cats_of(s))
    for s in g.subjects(RDF.type, ck.Service):
        if cats_of(s):
            sid = str(one(s, ck.serviceId))
            services[sid] = ServiceType(sid, labels(s), cats_of(s))

    modalities = {notation(m): labels(m) for m in g.subjects(RDF.type, ck.Modality)}

    def notice(n) -> Notice:
        lab = labels(n)
        d = py(n, dct.date)
        return Notice(lab["ja"], d.isoformat() if d else None, str(one(n, ck.citedAs) or lab["ja"]),
                      str(one(n, ck.noticeType) or ""))

    items = []
    for s in g.subjects(RDF.type, ck.GuidanceItem):
        sec = one(s, ck.section)
        sub = one(s, ck.subsection)
        mod = one(s, ck.modality)
        src = one(s, dct.source)
        related = tuple(sorted(str(o).rsplit("/", 1)[-1] for o in g.objects(s, skos.related)
                               if "/workplace/" in str(o)))
        items.append(Item(
            id=str(one(s, ck.guidanceId)), order=int(py(s, ck.order)),
            section=str(one(sec, ck.sectionNumber)),
            subsection=str(one(sub, ck.sectionNumber)) if sub is not None else None,
            label=labels(s), quote=str(one(s, ck.quote) or ""),
            modality=notation(mod), actionable=bool(py(mod, ck.actionable)), status=notation(one(s, ck.status)),
            categories=tuple(sorted(notation(c) for c in g.objects(s, ck.appliesTo))),
            notices=tuple(sorted((notice(n) for n in g.objects(s, ck.notice)), key=lambda n: (n.date or "", n.label_ja))),
            urls=tuple(sorted(str(u) for u in g.objects(s, ck.url))),
            phones=tuple(sorted(str(u) for u in g.objects(s, ck.phone))),
            emails=tuple(sorted(str(u) for u in g.objects(s, ck.email))),
            refers_to=tuple(sorted(labels(r)["ja"] for r in g.objects(s, ck.refersTo))),
            related_workplace=related,
            valid_to=(py(s, ck.validTo).isoformat() if one(s, ck.validTo) is not None else None),
            source=str(one(src, skos.notation) or src) if src is not None else "",
            source_note=str(one(s, ck.sourceNote) or ""), iri=str(s)))
    items.sort(key=lambda i: i.order)

    doc = {}
    cited = sorted({o for s in g.subjects(RDF.type, ck.GuidanceItem) for o in g.objects(s, dct.source)}, key=str)
    if cited:  # the guidance document: the source the items cite
        seed = cited[0]
        pub = one(seed, dct.publisher)
        doc = {"source": str(one(seed, skos.notation) or seed), "title": str(one(seed, dct.title) or ""),
               "publisher": labels(pub) if pub is not None else None,
               "date": str(py(seed, dct.date)), "note": labels(seed, ck.historicalNote)}
    addressed = tuple(sorted({notation(c) for s in cited for c in g.objects(s, ck.addressedTo)}))

    def test(t):
        if t is None:
            return None
        a = one(t, ck.thresholdFrom)
        return Test(field=str(one(t, ck.fieldName)), op=notation(one(t, ck.operator)),
                    threshold=py(t, ck.threshold), assumption=str(one(a, ck.assumptionId)) if a is not None else None)

    def rules(cls):
        out = []
        for r in g.subjects(RDF.type, cls):
            out.append(Rule(key=str(one(r, ck.ruleKey)), order=int(py(r, ck.order)), label=labels(r),
                            reason=labels(r, ck.reasonText) if one(r, ck.reasonText) is not None else labels(r),
                            test=test(one(r, ck.test)), only_if=test(one(r, ck.onlyIf)), unless=test(one(r, ck.unless)),
                            implements=tuple(sorted(str(one(i, ck.guidanceId)) for i in g.objects(r, ck.implements)))))
        return sorted(out, key=lambda r: r.order)

    fields = []
    for f in g.subjects(RDF.type, ck.VisitField):
        scheme = one(f, ck.valuesFrom)
        vals = tuple(sorted(notation(c) for c in g.subjects(skos.inScheme, scheme))) if scheme is not None else ()
        fields.append(Field(str(one(f, ck.fieldName)), str(one(f, ck.fieldType)), int(py(f, ck.order)), labels(f),
                            py(f, ck.minValue), py(f, ck.maxValue), vals))
    fields.sort(key=lambda f: f.order)
    symptom_labels = {notation(c): labels(c) for c in g.subjects(RDF.type, ck.Symptom)}

    assumptions = {}
    for a in g.subjects(RDF.type, ck.Assumption):
        aid = str(one(a, ck.assumptionId))
        assumptions[aid] = Assumption(aid, float(py(a, ck.value)), labels(a, ck.unit) if one(a, ck.unit) else {"ja": "", "en": ""}, labels(a),
                                      notation(one(a, ck.confidence)), str(one(a, ck.sourceNote) or ""))

    return Guidance(version, doc, items, categories, services, modalities, fields,
                    rules(ck.RefusalRule), rules(ck.VisitCondition), assumptions, symptom_labels, addressed)
