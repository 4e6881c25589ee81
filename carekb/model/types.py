"""The compiled knowledge base: plain, picklable records built from the Turtle in kb/.

Expressions are nested tuples, so that they hash and compare cheaply:
  ("all", (e, ...)), ("any", (e, ...))      composites
  ("act", "cp1.1")                          an action the office can put in place
  ("req", "cp1")                            a composite requirement (its definition + pledges)
  ("tier", "R7", "III")                     another tier's requirement expression
  ("wrule", "R7-low")                       a workplace counting rule
  ("field", "history.shogu", op, value)     a test on an office fact (op: eq, in, ge, lt)
  ("date_le", date)                         the as-of date is on or before `date`
  ("group", "cp5-applies")                  the office's service is in this group
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from carekb.model.errors import CarekbError
from carekb.i18n import t

CONDITION_KINDS = ("field", "date_le", "group")


@dataclass(frozen=True)
class Provision:
    """The pinpoint in a document that a rule encodes, with its Japanese text where a public source gives it."""

    id: str
    document: str                    # the document's number or short name (skos:notation)
    title: str
    date: str                        # ISO date (or year) of the document, "" when unknown
    url: str
    pinpoint: str                    # section, 表, page
    quoted: tuple[str, ...] = ()     # verbatim Japanese text; empty when not available
    quoted_from: str = ""            # where the quotation was read, when not the document itself
    note: str = ""                   # what is known when the text is not available (Japanese)
    checked_on: str = ""
    document_en: str = ""            # the document's name for English views (a rate source's @en label)
    note_en: str = ""                # the note in English (ck:textNote @en)
    pinpoint_en: str = ""            # the pinpoint in English (ck:pinpoint @en) where more than a section name

    @property
    def text_available(self) -> bool:
        return bool(self.quoted)

    def document_in(self, lang: str) -> str:
        return (self.document_en or self.document) if lang == "en" else self.document

    def pinpoint_in(self, lang: str) -> str:
        return (self.pinpoint_en or self.pinpoint) if lang == "en" else self.pinpoint

    def citation(self, lang: str = "ja") -> str:
        """「document pinpoint」 as one line, for tables."""
        return f"{self.document_in(lang)} {self.pinpoint_in(lang)}".strip()


@dataclass(frozen=True)
class Cited:
    """Where a fact comes from, and how sure we are of it."""

    sources: tuple[str, ...] = ()
    note: str = ""
    confidence: str = "U"
    confidence_detail: str = ""
    provisions: tuple[Provision, ...] = ()
    note_ja: str = ""          # the note in Japanese (ck:sourceNote @ja), for Japanese views

    def text(self, lang: str = "en") -> str:
        """Sources and note; `lang` "ja" takes the Japanese note where the KB has one."""
        s = "; ".join(self.sources)
        note = (self.note_ja or self.note) if lang == "ja" else self.note
        return f"{s} {note}".strip() if note else s


@dataclass(frozen=True)
class Requirement:
    id: str
    label_ja: str
    label_en: str
    composite: bool
    definition: tuple | None
    applicable_when: tuple | None
    satisfied_when_ja: str
    satisfied_when_en: str
    cited: Cited
    periods: frozenset[str] = frozenset()   # only these periods' tiers use it (empty: any period)
    iri: str = ""


@dataclass(frozen=True)
class Tier:
    period: str
    id: str
    label_ja: str
    label_en: str
    expr: tuple
    groups: frozenset[str]
    reachable_when: tuple | None
    rank: int
    note: str
    cited: Cited
    combines: tuple[str, ...] = ()    # period OLD: the old-addition tiers claimed together (OldTier keys)
    continues: tuple[str, ...] = ()   # a Ⅴ tier: the old-addition tiers it continues (OldTier keys)
    iri: str = ""
    note_ja: str = ""                 # rdfs:comment @ja where the KB has one (else Japanese views fall back to `note`)


@dataclass(frozen=True)
class WorkplaceItem:
    list_id: str
    number: int
    category: str
    label_ja: str
    iri: str = ""


@dataclass(frozen=True)
class WorkplaceRule:
    id: str
    period: str
    list_id: str
    label_ja: str
    label_en: str
    each_min: int
    category_min: tuple[tuple[str, int], ...]
    must_include: tuple[int, ...]
    total_min: int
    cited: Cited


@dataclass(frozen=True)
class WorkplaceException:
    id: str
    label_ja: str
    label_en: str
    condition: tuple
    rules: frozenset[str]
    category: str
    item: int
    cited: Cited
    iri: str = ""


@dataclass(frozen=True)
class PledgeRule:
    period: str
    id: str
    targets: tuple[tuple, ...]
    deadline: dt.date
    condition: tuple | None
    note: str
    cited: Cited
    iri: str = ""


@dataclass(frozen=True)
class DerivedFact:
    period: str
    requirement: str
    label_ja: str
    label_en: str
    condition: tuple
    cited: Cited


@dataclass(frozen=True)
class Period:
    id: str
    label_ja: str
    label_en: str
    valid_from: dt.date
    valid_to: dt.date | None
    item_list: str
    cited: Cited
    iri: str = ""

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, start: dt.date | None, end: dt.date | None) -> bool:
        """Whether the days start..end (None: unbounded) share a day with this period."""
        return ((start is None or self.valid_to is None or start <= self.valid_to)
                and (end is None or self.valid_from <= end))


@dataclass(frozen=True)
class Service:
    id: str
    label_ja: str
    label_en: str
    groups: frozenset[str]
    law: str
    cp5_means: str
    covered_from: dt.date | None
    note: str
    scheme: str = ""                 # the id of the scheme that defines it (KB.schemes)
    iri: str = ""
    alt_labels: tuple[str, ...] = ()  # common names a profile may use (特養, デイサービス)


@dataclass(frozen=True)
class Rate:
    pct: Decimal
    cited: Cited


@dataclass(frozen=True)
class UnitPrice:
    yen: Decimal
    labour_share_pct: int
    cited: Cited


@dataclass(frozen=True)
class OldTier:
    """A tier of an addition in force until 2024-05 (key: shogu-I, tokutei-II, baseup, ...)."""

    key: str
    addition: str
    tier: str
    label_ja: str
    label_en: str
    valid_to: dt.date | None
    requirement: str | None          # its CompositeRequirement id where the requirements are known
    fraction_of: str | None          # amount = fraction × the amount of this tier (旧Ⅳ/Ⅴ)
    fraction: Decimal | None
    cited: Cited


@dataclass(frozen=True)
class OldAddition:
    id: str
    label_ja: str
    label_en: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    tiers: tuple[str, ...]
    cited: Cited


@dataclass(frozen=True)
class Grant:
    """A subsidy paid outside the fees (交付金): reported beside the tiers, never ranked as one."""

    id: str
    label_ja: str
    label_en: str
    valid_from: dt.date
    valid_to: dt.date
    held_any: tuple[str, ...]        # the office must claim one of these old tiers
    condition_ja: str
    condition_en: str
    note: str
    cited: Cited

    def overlaps(self, period: Period) -> bool:
        return period.overlaps(self.valid_from, self.valid_to)


@dataclass(frozen=True)
class StaffConcept:
    id: str                          # skos:notation: the id a roster may use
    scheme: str
    label_ja: str
    label_en: str
    alt_labels: tuple[str, ...]
    without_role: bool = False       # counts whatever the holder's role (※2 心理指導担当職員)
    also_fields: tuple[str, ...] = ()
    placeholder: bool = False        # stands for unlisted members of an open list


@dataclass(frozen=True)
class StaffScheme:
    id: str
    notation: str
    label_ja: str
    label_en: str
    field: str                       # the roster field it matches: role or qualifications
    with_role_in: str | None         # a qualification counts only for a holder with a role in this scheme
    open_list: bool
    counts_for: tuple[str, ...]      # requirement ids it decides (※2 → cp4)
    concepts: tuple[StaffConcept, ...]
    cited: Cited


@dataclass(frozen=True)
class PriorityRule:
    id: str
    label_ja: str
    label_en: str
    schemes: tuple[str, ...]
    min_years: Decimal
    satisfied_when_ja: str
    satisfied_when_en: str
    note: str
    cited: Cited


@dataclass(frozen=True)
class Contest:
    """A rule that public sources read differently; each reading is a Reading."""

    id: str
    period: str
    label_ja: str
    label_en: str
    readings: tuple[str, ...]
    provisions: tuple[Provision, ...] = ()


@dataclass(frozen=True)
class Reading:
    """One reading of a contested rule, compiled: the KB records it replaces or adds.

    swaps: (table, key, record) with table one of tiers, rules, pledges, derived, requirements,
    exceptions; key the record's key in that table (tiers and pledges: (period, id))."""

    id: str
    contest: str
    label_ja: str
    label_en: str
    default: bool
    reason_ja: str
    reason_en: str
    cited: Cited
    swaps: tuple = ()


@dataclass
class KB:
    """The compiled rules of one scheme (制度: 障害, 介護, ...).

    Periods, tiers, requirements, rules, pledges, rates and prices belong to the scheme (both
    schemes have periods R6–R8 and requirements cp1–cp5 that mean different things); `services`
    holds every scheme's services (their ids are unique across schemes), so that an office names
    its service and `for_service` finds the scheme whose rules apply to it.
    """

    version: str
    scheme_ja: str
    scheme_en: str
    periods: dict[str, Period] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)
    requirements: dict[str, Requirement] = field(default_factory=dict)
    tiers: dict[str, dict[str, Tier]] = field(default_factory=dict)           # period -> id -> tier
    items: dict[str, dict[int, WorkplaceItem]] = field(default_factory=dict)  # list -> number -> item
    categories: dict[str, tuple[str, str]] = field(default_factory=dict)      # id -> (ja, en), in list order
    item_lists: dict[str, tuple[str, str, Cited]] = field(default_factory=dict)  # id -> (ja, en, citation)
    rules: dict[str, WorkplaceRule] = field(default_factory=dict)
    exceptions: tuple[WorkplaceException, ...] = ()
    pledges: dict[str, tuple[PledgeRule, ...]] = field(default_factory=dict)  # period -> rules
    derived: dict[str, tuple[DerivedFact, ...]] = field(default_factory=dict)
    rates: dict[tuple[str, str, str], Rate] = field(default_factory=dict)     # (period, service, tier)
    prices: dict[tuple[str, str], UnitPrice] = field(default_factory=dict)    # (service, grade)
    old_additions: dict[str, OldAddition] = field(default_factory=dict)
    old_tiers: dict[str, OldTier] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    component_rates: dict[tuple[str, str], Rate] = field(default_factory=dict)  # (old tier key or grant, service)
    staff_schemes: dict[str, StaffScheme] = field(default_factory=dict)
    priority_rule: PriorityRule | None = None
    triples: int = 0
    contests: dict[str, Contest] = field(default_factory=dict)   # contested rules (ck:ContestedRule)
    readings: dict[str, Reading] = field(default_factory=dict)   # every reading of them, by id
    in_force: tuple[str, ...] = ()                               # the non-default readings this KB is under
    user_rates: tuple[str, ...] = ()                             # files of user-supplied rates applied to it
    scheme: str = ""                                                          # dcterms:identifier
    scheme_source: Cited = Cited()
    vocab_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # ck: property local name -> (ja, en)
    schemes: dict[str, "KB"] = field(default_factory=dict, repr=False)       # every scheme by id, this one included

    @property
    def cache_key(self) -> str:
        """Memo key of the views derived from this scheme's rules (ids such as R7-low recur across schemes)."""
        return f"{self.version}/{self.scheme}"

    def for_service(self, service: str) -> "KB":
        """The KB of the scheme that defines this service (this one when the id is unknown: callers report it)."""
        svc = self.services.get(service)
        if svc is None or svc.scheme == self.scheme or svc.scheme not in self.schemes:
            return self
        return self.schemes[svc.scheme]

    def of_scheme(self, scheme: str | None) -> "KB":
        """The KB of the scheme with this identifier (None: this one)."""
        if not scheme:
            return self
        if scheme not in self.schemes:
            raise CarekbError(t("err.unknown_scheme", scheme=scheme, schemes=", ".join(self.schemes)), "--scheme")
        return self.schemes[scheme]

    def own_services(self) -> dict[str, Service]:
        """This scheme's services."""
        return {k: s for k, s in self.services.items() if s.scheme == self.scheme}

    def period_at(self, day: dt.date) -> Period | None:
        for p in self.periods.values():
            if p.covers(day):
                return p
        return None

    def tiers_for(self, period: str, service: str) -> list[Tier]:
        """The tiers that this service has in this period (of the service's scheme)."""
        if self.for_service(service) is not self:
            return self.for_service(service).tiers_for(period, service)
        groups = self.services[service].groups
        return [t for t in self.tiers.get(period, {}).values() if t.groups & groups]

    def pledge_ids(self) -> set[str]:
        return {p.id for rules in self.pledges.values() for p in rules}

    def action_label(self, action: str, period: Period, lang: str = "ja") -> str:
        """A human label for an action id: an atom, `workplace.N` or `pledge.X`."""
        kind, _, rest = action.partition(".")
        if kind == "workplace":
            item = self.items[period.item_list].get(int(rest))
            return f"職場環境等要件 {rest}: {item.label_ja}" if lang == "ja" else f"workplace item {rest}: {item.label_ja}"
        if kind == "pledge":
            rule = next((r for r in self.pledges.get(period.id, ()) if r.id == rest), None)
            names = [self.expr_label(t, lang) for t in rule.targets] if rule else [rest]
            return ("誓約: " if lang == "ja" else "pledge: ") + " / ".join(names)
        req = self.requirements[action]
        return req.label_ja if lang == "ja" else req.label_en

    def expr_label(self, expr: tuple, lang: str = "ja") -> str:
        """A label for a named node (requirement, rule or tier)."""
        kind = expr[0]
        ja = lang == "ja"
        if kind in ("act", "req"):
            r = self.requirements[expr[1]]
            return r.label_ja if ja else r.label_en
        if kind == "wrule":
            r = self.rules[expr[1]]
            return r.label_ja if ja else r.label_en
        if kind == "tier":
            t = self.tiers[expr[1]][expr[2]]
            return t.label_ja if ja else t.label_en
        return kind
