"""Evaluate an office: every tier's minimum-effort action set, the highest attainable tier by
rate, and the targets above it (docs/profile.md)."""

from __future__ import annotations

from dataclasses import dataclass

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import KB, Period, Tier
from carekb.inputs.profile import Office

from carekb.model import actions
from carekb.solver import workplace as wp
from carekb.solver.csp import solve_tier_csp
from carekb.solver.memo import per_kb
from carekb.solver.outcome import TierResult, action_key, rate_of
from carekb.solver.rules import Context, compile_tier, period_requirements
from carekb.solver.terms import Registry, registry

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

    def __repr__(self) -> str:  # the default one prints the whole KB
        return (f"<Evaluation {self.office.label()} {self.office.as_of} {self.period.id} highest={self.highest} "
                f"targets={self.targets} kb={self.kb.version}>")

    def have(self) -> frozenset[str]:
        return self.ctx.have()


class Effort:
    """The relative cost of each action (default 1); `unit` when every action costs 1."""

    def __init__(self, effort: dict[str, int]):
        self.effort = effort
        self.unit = all(v == 1 for v in effort.values())
        self._masks: dict[int, int] = {}

    def __call__(self, action: str) -> int:
        return self.effort.get(action, 1)

    def of_mask(self, mask: int, reg: Registry) -> int:
        """The effort of the actions of a bit mask (bits of the KB's registry `reg`)."""
        if self.unit:
            return mask.bit_count()
        v = self._masks.get(mask)
        if v is None:
            v = self._masks[mask] = sum(self.effort.get(a, 1) for a in reg.names(mask))
        return v


def cost_function(office: Office, extra_effort: dict[str, int] | None = None) -> Effort:
    effort = dict(office.effort)
    if extra_effort:
        effort.update(extra_effort)
    return Effort(effort)


def solve_tier(ctx: Context, tier: Tier, cost_of: Effort, keep_optimal: bool = False) -> TierResult:
    """The cheapest DNF term of the tier, workplace items included (ties: fewer pledges, fewer
    actions, then the first in sorted order)."""
    rate = rate_of(ctx, tier)
    if not ctx.reachable(tier):
        return TierResult(tier, rate, False, "history")
    reg = registry(ctx.kb)
    groups = reg.table(compile_tier(ctx, tier.id))
    open_mask = ctx.open_mask()
    price = int.bit_count if cost_of.unit else (lambda m: cost_of.of_mask(m, reg))
    priced = []  # (lowest cost, group, workplace completion)
    for g in groups:
        comp = None
        if g.rules:
            comp = _completion(ctx, g.rules, cost_of)
            if comp is None:
                continue
        low = min(map(price, map(open_mask.__and__, g.masks)))
        priced.append((low + (comp.cost if comp else 0), g, comp))
    if not priced:
        return TierResult(tier, rate, False, "impossible")
    best_cost = min(p[0] for p in priced)
    ties = [(g, comp, [i for i, m in enumerate(g.masks) if price(m & open_mask) == best_cost - (comp.cost if comp else 0)])
            for cost, g, comp in priced if cost == best_cost]
    return choose(ctx, tier, rate, best_cost, ties, open_mask, keep_optimal)


def choose(ctx: Context, tier: Tier, rate, best_cost: int, ties, open_mask: int, keep_optimal: bool) -> TierResult:
    """Among the terms of least cost — (group, completion, term indices) — the one to report:
    fewer pledges, then fewer actions, then the first missing set in sorted order, then DNF order."""
    reg = registry(ctx.kb)

    def missing(g, i, comp) -> list[str]:
        return reg.names(g.masks[i] & open_mask) + ([actions.workplace(n) for n in comp.items] if comp else [])

    if not keep_optimal and len(ties) == 1 and len(ties[0][2]) == 1:  # the common case: nothing to break
        g, comp, (i,) = ties[0]
        best, optimal = (missing(g, i, comp), comp), []
    else:
        pledge_bits = reg.pledge_mask()
        best_key, best, optimal = None, None, []
        for g, comp, indices in ties:
            seen = set()
            for i in indices:
                if keep_optimal:
                    optimal.append((g.order[i], g.acts[i], g.rules))
                miss = g.masks[i] & open_mask
                if miss in seen:
                    continue  # same missing actions as an earlier term: same key, the earlier one wins
                seen.add(miss)
                acts = missing(g, i, comp)
                key = (best_cost, (miss & pledge_bits).bit_count(), len(acts), sorted(acts), g.order[i])
                if best_key is None or key < best_key:
                    best_key, best = key, (acts, comp)
        optimal = [(a, r) for _, a, r in sorted(optimal, key=lambda t: t[0])]
    acts, comp = best
    return TierResult(tier, rate, True, "", best_cost, tuple(sorted(acts, key=lambda a: action_key(ctx.kb, a))),
                      comp.exception if comp else None, optimal)


def _completion(ctx: Context, rules: frozenset, cost_of: Effort) -> wp.Completion | None:
    """Workplace completion for a set of rules, shared by every tier of one office evaluation."""
    cache = ctx.completions
    key = (rules, id(cost_of))
    if key not in cache:
        item_cost = lambda n: cost_of(actions.workplace(n))  # noqa: E731
        cache[key] = wp.best_completion(ctx.kb, ctx.period.item_list, rules, ctx.office.workplace, item_cost,
                                        ctx.exceptions(), cost_of.unit)
    return cache[key]


def rank_tiers(kb: KB, period: Period, service: str) -> tuple[list[Tier], bool]:
    """The service's tiers, highest first: by rate where every rate is known, else by nominal rank."""
    return _rank(kb, period.id, service)


@per_kb
def _rank(kb: KB, period_id: str, service: str) -> tuple[list[Tier], bool]:
    tiers = kb.tiers_for(period_id, service)
    rates = {t.id: kb.rates.get((period_id, service, t.id)) for t in tiers}
    if all(rates.values()):
        return sorted(tiers, key=lambda t: (-rates[t.id].pct, -t.rank)), True
    return sorted(tiers, key=lambda t: -t.rank), False


# The engines, by name: each solves one tier, (context, tier, effort, keep equal-effort terms) -> TierResult.
ENGINES = {
    "dnf": lambda ctx, tier, cost_of, alternatives: solve_tier(ctx, tier, cost_of, keep_optimal=alternatives),
    "csp": lambda ctx, tier, cost_of, alternatives: solve_tier_csp(ctx, tier, cost_of),  # exact, slow; reads the rule tree
}


def evaluate(kb: KB, office: Office, period: Period, use_pledges: bool = True, extra_effort=None,
             alternatives: bool = False, engine: str = "dnf") -> Evaluation:
    """Solve every tier of the office's service in this period (engine: dnf, or csp — slow, exact)."""
    kb = kb.for_service(office.service)
    ctx = Context(kb, period, office, use_pledges)
    cost_of = cost_function(office, extra_effort)
    ranked, by_rate = rank_tiers(kb, period, office.service)
    solve = ENGINES.get(engine)
    if solve is None:
        raise CarekbError(t("files.unknown_engine", engine=engine, engines=", ".join(ENGINES)), "--engine")
    results = {t.id: solve(ctx, t, cost_of, alternatives) for t in ranked}
    return assemble(ctx, cost_of, results, by_rate)


def assemble(ctx: Context, cost_of: Effort, results: dict[str, TierResult], by_rate: bool) -> Evaluation:
    """The evaluation from every tier's result (in rank order, highest first)."""
    highest = next((t for t, r in results.items() if r.attained), None)
    targets = list(results)[: list(results).index(highest)] if highest else list(results)
    if highest and by_rate:  # a tier at the same rate as the one held gains nothing: not a target
        held = results[highest].rate.pct
        targets = [t for t in targets if results[t].rate.pct > held]
    ev = Evaluation(ctx.kb, ctx.office, ctx.period, ctx.use_pledges, results, highest, targets, [], ctx, cost_of)
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
    exceptions = ctx.exceptions()
    candidates = {a for acts, _ in res.optimal_terms for a in acts}
    candidates |= {actions.workplace(n) for n in kb.items[ev.period.item_list]}
    candidates -= have | chosen

    def feasible(chosen_actions: set[str]) -> bool:
        items = frozenset(n for n in map(actions.item_number, chosen_actions) if n is not None)
        for acts, rules in res.optimal_terms:
            if acts <= chosen_actions and (not rules or wp.satisfied(kb, ev.period.item_list, rules, items, exceptions)):
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
    unknown = [t for t, r in ev.results.items() if r.rate is None]
    out = [] if by_rate else [unknown_rates_warning(ev.kb, ev.period, ev.office.service, unknown)]
    for t in ([ev.highest] if ev.highest else []) + ev.targets:
        r = ev.results[t]
        out += tier_warnings(t, r.rate, r.exception, r.tier)
    history_counts = not ev.office.history_given and history_matters(ev.ctx)
    return out + office_warnings(ev.kb, ev.period, ev.office, ev.use_pledges, history_counts)


def unknown_rates_warning(kb: KB, period: Period, service: str, unknown: list[str]) -> str:
    return (f"rates unknown for {kb.services[service].id} in {period.id} for tier(s) {', '.join(unknown)}: "
            "tiers are ordered by their nominal rank")


def tier_warnings(t: str, rate, exception, tier: Tier) -> list[str]:
    """The notes on one tier shown (the highest or a target): its rate's and rules' confidence, the exception relied on."""
    out = []
    if rate is not None and rate.cited.confidence != "P":
        out.append(f"rate for tier {t} rests on {confidence_word(rate.cited.confidence)} ({rate.cited.confidence})")
    if exception is not None:
        out.append(f"tier {t} relies on an inferred exception ({exception.cited.confidence}): {exception.label_en}")
    if tier.cited.confidence in ("U",):
        out.append(f"the requirements of tier {t} are unconfirmed (U): {tier.note}")
    return out


def office_warnings(kb: KB, period: Period, office: Office, use_pledges: bool, history_counts: bool) -> list[str]:
    """The notes on the office's own facts: history assumed, pledges not counted, fewer than 10 employees.
    `history_counts`: whether the May-2024 history could change its tiers (`history_matters`)."""
    out = []
    if not office.history_given and history_counts:
        out.append("history not given: assumed that no old addition was held in May 2024 (decides Ⅴ tiers and wage.2)")
    valid = {p.id for p in kb.pledges.get(period.id, ()) if office.as_of <= p.deadline}
    for p in sorted(office.pledged):
        if not use_pledges:
            out.append(f"pledge {p} ignored (--no-pledge)")
        elif p not in valid:
            out.append(f"pledge {p} is not accepted in {period.id} on {office.as_of}: ignored")
    if office.employees is not None and office.employees < 10:
        out.append("fewer than 10 regular employees: internal rules suffice for cp1.3 and cp3.2 instead of work rules")
    return out


HISTORIES = [(s, t, b) for s in (0, 1, 2, 3) for t in (0, 1, 2) for b in (False, True)]


def history_matters(ctx: Context) -> bool:
    """Whether the May-2024 history could change this office's tiers on this date: some tier of the
    period is reachable only with a history, or some requirement applies only with one (read from the KB)."""
    kb, period, office = ctx.kb, ctx.period, ctx.office
    if any(t.reachable_when is not None for t in kb.tiers.get(period.id, {}).values()):
        return True
    conditional = [r for r in period_requirements(kb, period.id) if kb.requirements[r].applicable_when is not None]
    base = [ctx.applies(r) for r in conditional]
    for s, t, b in HISTORIES:
        other = Context(kb, period, office.with_changes(shogu=s, tokutei=t, baseup=b), ctx.use_pledges)
        if [other.applies(r) for r in conditional] != base:
            return True
    return False


def confidence_word(c: str) -> str:
    return {"S": "a secondary source", "S×2": "a secondary source (two agree)", "I": "an inference",
            "U": "an unconfirmed source", "P": "a primary source",
            "user": "a user-supplied rate (--rates)"}.get(c, c)
