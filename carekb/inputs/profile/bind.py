"""Binding an office to a date: the as-of date (given, else the profile's, else today), its rule
period, and the checks that depend on that period."""

from __future__ import annotations

import datetime as dt

from carekb.i18n import current_lang, t
from carekb.model import actions
from carekb.model.dates import as_of_or_today
from carekb.model.errors import CarekbError
from carekb.model.types import KB, Period
from carekb.inputs.profile.office import Office
from carekb.inputs.roster import top_wage, wage_threshold


def resolve_period(kb: KB, as_of: dt.date, source: str = "", where: str = "as_of") -> Period:
    period = kb.period_at(as_of)
    if period is None:
        raise CarekbError(t("err.outside_coverage", date=as_of, coverage=coverage(kb)), source, where)
    return period


def coverage(kb: KB) -> str:
    """What the KB covers, from its periods: the old additions (periods whose tiers combine old tiers) and the new one."""
    old = [p for p in kb.periods.values() if any(t.combines for t in kb.tiers.get(p.id, {}).values())]
    new = [p for p in kb.periods.values() if p not in old]
    parts = [t("err.coverage.old", start=p.valid_from, end=p.valid_to, period=p.id) for p in old]
    if new:
        parts.append(t("err.coverage.new", start=new[0].valid_from, periods=", ".join(p.id for p in new)))
    return t("err.coverage.sep").join(parts)


def check_effort_items(action_ids, kb: KB, period: Period, source: str, where) -> None:
    """workplace.N must name an item of the period's list (numbers differ between R6 and R7+);
    `where(action)` names the place of an action in the input."""
    items = kb.items[period.item_list]
    for action in action_ids:
        n = actions.item_number(action)
        if n is not None and n not in items:
            raise CarekbError(t("err.effort_item_not_in_list", action=action, period=period.id, last=max(items)),
                              source, where(action))


def bind(office: Office, kb: KB, as_of: dt.date | None = None) -> tuple[Office, Period]:
    """Fix the as-of date (argument, else profile, else today) and check what depends on its period."""
    kb = kb.for_service(office.service)
    day = as_of_or_today(as_of, office.as_of)
    period = resolve_period(kb, day, office.source, "--as-of" if as_of else "as_of")
    items = kb.items[period.item_list]
    bad = sorted(n for n in office.workplace if n not in items)
    if bad:
        raise CarekbError(t("err.item_not_in_list", item=bad[0], period=period.id, last=max(items)),
                          office.source, "workplace")
    check_effort_items([a for a, _ in office.effort], kb, period, office.source, lambda a: f"effort.{a}")
    svc = kb.services[office.service]
    if not kb.tiers_for(period.id, office.service):
        covered = t("err.covered_from", date=svc.covered_from) if svc.covered_from else ""
        name = svc.label_ja if current_lang() == "ja" else (svc.label_en or svc.label_ja)
        raise CarekbError(t("err.no_tier_in_period", service=name, id=svc.id, period=period.id, covered=covered),
                          office.source, "office.service")
    changes: dict = {"as_of": day}
    if office.staff:  # the roster decides the wage for cp4 (over top_annual_wage), under this period's threshold
        changes["top_annual_wage"] = top_wage(kb, office.staff, wage_threshold(kb, period.id))
    return office.with_changes(**changes), period
