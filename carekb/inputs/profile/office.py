"""An office's facts as read from its profile (docs/profile.md), and the keys a profile may have."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

MAX_PROFILE_BYTES = 5_000_000
HISTORY_TIERS = {"shogu": (1, 2, 3), "tokutei": (1, 2)}
TOP_KEYS = ("version", "office", "as_of", "history", "met", "top_annual_wage", "workplace", "collab_corp",
            "pledged", "effort", "guidance_done", "staff")
OFFICE_KEYS = ("id", "name", "service", "employees", "single_office_corp", "region", "monthly_units")
REGION_GRADES = ("1級地", "2級地", "3級地", "4級地", "5級地", "6級地", "7級地", "その他")


# The Turtle form of a profile: profile key -> property of ck:Office (ontology/vocab.ttl).
TURTLE_PROPERTIES = {
    "office.service": "service", "office.id": "officeId", "office.employees": "employees",
    "office.single_office_corp": "singleOfficeCorp", "office.region": "region", "office.monthly_units": "monthlyUnits",
    "as_of": "asOf", "history.shogu": "historyShogu", "history.tokutei": "historyTokutei",
    "history.baseup": "historyBaseup", "met": "met", "top_annual_wage": "topAnnualWage", "workplace": "workplaceItem",
    "collab_corp": "collabCorp", "pledged": "pledged", "effort": "effort",
}
LIST_KEYS = ("met", "workplace", "pledged")

FACT_ATTRIBUTES = {  # ck:field name -> Office attribute
    "history.shogu": "shogu", "history.tokutei": "tokutei", "history.baseup": "baseup",
    "collab_corp": "collab_corp", "single_office_corp": "single_office_corp",
    "employees": "employees", "top_annual_wage": "top_annual_wage",
}


@dataclass(frozen=True)
class Office:
    """One office's facts, as read from its profile (validated against the KB)."""

    service: str
    id: str = ""
    name: str = ""
    employees: int | None = None
    single_office_corp: bool = False
    region: str | None = None
    monthly_units: int | None = None
    as_of: dt.date | None = None
    shogu: int = 0          # 旧処遇改善加算 tier held in May 2024 (0 = none)
    tokutei: int = 0        # 旧特定処遇改善加算 tier held in May 2024 (0 = none)
    baseup: bool = False    # 旧ベースアップ等支援加算 held in May 2024
    history_given: bool = False
    met: frozenset[str] = frozenset()
    top_annual_wage: int | None = None
    workplace: frozenset[int] = frozenset()
    collab_corp: bool = False
    pledged: frozenset[str] = frozenset()
    effort: tuple[tuple[str, int], ...] = ()
    guidance_done: tuple[str, ...] = ()
    staff: tuple = ()        # StaffMember records of the roster (core/roster.py)
    source: str = "<profile>"
    lines: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    document: dict | None = field(default=None, compare=False, hash=False, repr=False)  # as read: what-if edits it

    def fact(self, name: str):
        """The value of an office fact named in the KB's conditions (ck:field)."""
        return getattr(self, FACT_ATTRIBUTES[name])

    def label(self) -> str:
        return self.id or self.name or Path(self.source).stem

    def with_changes(self, **kw) -> "Office":
        return replace(self, **kw)
