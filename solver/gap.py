"""Evaluate an office: every tier's minimum-effort action set, the highest attainable tier by
rate, and the targets above it (spec/profile.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from carekb.model import KB, Period, Rate, Tier, WorkplaceException
from carekb.profile import Office

from . import workplace as wp
from .rules import Context, compile_tier

KIND_ORDER = {"act": 0, "workplace": 1, "pledge": 2}


def action_key(kb: KB, a: str):
    kind, _, rest = a.partition(".")
    if kind == "workplace":
        return (1, int(rest), a)
    if kind == "pledge":
        return (2, 0, a)
    order = list(kb.requirements)
    return (0, order.index(a) if a in order else len(order), a)


@dataclass
class TierResult:
    tier: Tier
    rate: Rate | None
    reachable: bool
    reason: str = ""
    cost: int | None = None
    missing: tuple[str, ...] = ()
    exception: WorkplaceException | None = None
    optimal_terms: list = field(default_factory=list)

    @property
    def attained(self) -> bool:
        return self.reachable and self.cost == 0

    @property
    def uses_pledge(self) -> bool:
        return any(a.startswith("pledge.") for a in self.missing)


@dataclass
class Evaluation:
    kb: KB
    office: Office
    period: Period
    use_pledges: bool
    results: dict[str, TierResult]   # the service's tiers, highest first
    highest: str | None
    targets: list[str]
    warnings: list[str]
    ctx: Context
    cost_of: object

    @property
    def attainable(self) -> list[str]:
        return [t for t, r in self.results.items() if r.attained]

    def have(self) -> frozenset[str]:
        return _have(self.office, self.use_pledges)


def _have(office: Office, use_pledges: bool) -> frozenset[str]:
    pledged = {f"pledge.{p}" for p in office.pledged} if use_pledges else set()
    return frozenset(office.met) | pledged | {f"workplace.{n}" for n in office.workplace}


def cost_function(office: Office, extra_effort: dict[str, int] | None = None):
    effort = dict(office.effort)
    if extra_effort:
        effort.update(extra_effort)
    return lambda action: effort.get(action, 1)


def solve_tier(ctx: Context, tier: Tier, cost_of, keep_optimal: bool = False) -> TierResult:
    kb, office = ctx.kb, ctx.office
    rate = kb.rates.get((ctx.period.id, office.service, tier.id))
    if tier.reachable_when is not None and not ctx.holds(tier.reachable_when):
        return TierResult(tier, rate, False, "history")
    terms = compile_tier(ctx, tier.id)
    have = _have(office, ctx.use_pledges)
    items = office.workplace
    list_id = ctx.period.item_list
    item_cost = lambda n: cost_of(f"workplace.{n}")  # noqa: E731
    exceptions = tuple(e for e in kb.exceptions if ctx.holds(e.condition))
    completions: dict[frozenset, wp.Completion | None] = {}
    best_key, best, optimal = None, None, []
    for acts, rules in terms:
        missing = [a for a in acts if a not in have]
        cost = sum(cost_of(a) for a in missing)
        if best_key is not None and cost > best_key[0]:
            continue
        comp = None
        if rules:
            if rules not in completions:
                completions[rules] = wp.best_completion(kb, list_id, rules, items, item_cost, exceptions)
            comp = completions[rules]
            if comp is None:
                continue
            cost += comp.cost
            missing += [f"workplace.{n}" for n in comp.items]
        pledges = sum(1 for a in missing if a.startswith("pledge."))
        key = (cost, pledges, len(missing), sorted(missing))
        if best_key is None or key < best_key:
            if best_key is None or cost < best_key[0]:
                optimal = []
            best_key, best = key, (missing, comp)
        if keep_optimal and cost == best_key[0]:
            optimal.append((acts, rules))
    if best is None:
        return TierResult(tier, rate, False, "impossible")
    missing, comp = best
    return TierResult(tier, rate, True, "", best_key[0], tuple(sorted(missing, key=lambda a: action_key(kb, a))),
                      comp.exception if comp else None, optimal)


def rank_tiers(kb: KB, period: Period, service: str) -> tuple[list[Tier], bool]:
    """The service's tiers, highest first: by rate where every rate is known, else by nominal rank."""
    tiers = kb.tiers_for(period.id, service)
    rates = {t.id: kb.rates.get((period.id, service, t.id)) for t in tiers}
    if all(rates.values()):
        return sorted(tiers, key=lambda t: (-rates[t.id].pct, -t.rank)), True
    return sorted(tiers, key=lambda t: -t.rank), False


def evaluate(kb: KB, office: Office, period: Period, use_pledges: bool = True, extra_effort=None,
             alternatives: bool = False, engine: str = "dnf") -> Evaluation:
    """Solve every tier of the office's service in this period (engine: dnf, or csp — slow, exact)."""
    ctx = Context(kb, period, office, use_pledges)
    cost_of = cost_function(office, extra_effort)
    ranked, by_rate = rank_tiers(kb, period, office.service)
    if engine == "csp":
        from .csp import solve_tier_csp
        results = {t.id: solve_tier_csp(ctx, t, cost_of) for t in ranked}
    else:
        results = {t.id: solve_tier(ctx, t, cost_of, keep_optimal=alternatives) for t in ranked}
    highest = next((t for t, r in results.items() if r.attained), None)
    targets = list(results)[: list(results).index(highest)] if highest else list(results)
    ev = Evaluation(kb, office, period, use_pledges, results, highest, targets, [], ctx, cost_of)
    ev.warnings = collect_warnings(ev, by_rate)
    return ev


def alternatives_for(ev: Evaluation, tier_id: str) -> dict[str, list[str]]:
    """For each missing action, the actions that could replace it at equal effort (one swap)."""
    res = ev.results[tier_id]
    if not res.reachable or not res.missing:
        return {}
    if not res.optimal_terms:
        res = solve_tier(ev.ctx, res.tier, ev.cost_of, keep_optimal=True)
    kb, ctx, cost_of = ev.kb, ev.ctx, ev.cost_of
    have = ev.have()
    chosen = set(res.missing)
    exceptions = tuple(e for e in kb.exceptions if ctx.holds(e.condition))
    candidates = {a for acts, _ in res.optimal_terms for a in acts}
    candidates |= {f"workplace.{n}" for n in kb.items[ev.period.item_list]}
    candidates -= have | chosen

    def feasible(actions: set[str]) -> bool:
        items = frozenset(int(a.split(".")[1]) for a in actions if a.startswith("workplace."))
        for acts, rules in res.optimal_terms:
            if acts <= actions and (not rules or wp.satisfied(kb, ev.period.item_list, rules, items, exceptions)):
                return True
        return False

    out = {}
    for x in res.missing:
        base = (set(have) | chosen) - {x}
        alts = sorted((y for y in candidates if cost_of(y) == cost_of(x) and feasible(base | {y})),
                      key=lambda a: action_key(kb, a))
        if alts:
            out[x] = alts
    return out


def collect_warnings(ev: Evaluation, by_rate: bool) -> list[str]:
    kb, period, office = ev.kb, ev.period, ev.office
    out = []
    svc = kb.services[office.service]
    if not by_rate:
        unknown = [t for t, r in ev.results.items() if r.rate is None]
        out.append(f"rates unknown for {svc.id} in {period.id} for tier(s) {', '.join(unknown)}: "
                   "tiers are ordered by their nominal rank")
    shown = ([ev.highest] if ev.highest else []) + ev.targets
    for t in shown:
        r = ev.results[t]
        if r.rate is not None and r.rate.cited.confidence != "P":
            out.append(f"rate for tier {t} rests on a {confidence_word(r.rate.cited.confidence)} ({r.rate.cited.confidence})")
        if r.exception is not None:
            out.append(f"tier {t} relies on an inferred exception ({r.exception.cited.confidence}): {r.exception.label_en}")
        if r.tier.cited.confidence in ("U",):
            out.append(f"the requirements of tier {t} are unconfirmed (U): {r.tier.note}")
    uses_history = any(t.reachable_when is not None for t in kb.tiers.get(period.id, {}).values()) or any(
        r.applicable_when is not None and "history" in repr(r.applicable_when) for r in kb.requirements.values())
    if not office.history_given and uses_history and period.id in ("R6", "R7"):
        out.append("history not given: assumed that no old addition was held in May 2024 (decides Ⅴ tiers and wage.2)")
    valid = {p.id for p in kb.pledges.get(period.id, ()) if office.as_of <= p.deadline}
    for p in sorted(office.pledged):
        if not ev.use_pledges:
            out.append(f"pledge {p} ignored (--no-pledge)")
        elif p not in valid:
            out.append(f"pledge {p} is not accepted in {period.id} on {office.as_of}: ignored")
    if office.employees is not None and office.employees < 10:
        out.append("fewer than 10 regular employees: 内規 (internal rules) suffice for cp1.3 and cp3.2 instead of 就業規則")
    return out


def confidence_word(c: str) -> str:
    return {"S": "secondary source", "S×2": "secondary source (two agree)", "I": "inference", "U": "unconfirmed source",
            "P": "primary source"}.get(c, c)
