"""What solving one tier yields (TierResult), whichever engine solved it, and the order in which
actions are reported."""

from __future__ import annotations

from dataclasses import dataclass, field

from carekb.model import actions
from carekb.model.types import KB, Rate, Tier, WorkplaceException
from carekb.solver.memo import per_kb
from carekb.solver.rules import Context


@per_kb
def action_key(kb: KB, a: str):
    """Report order: requirements in KB order, then workplace items by number, then pledges."""
    act = actions.parse(a)
    if act.kind == actions.WORKPLACE:
        return (1, act.number, a)
    if act.kind == actions.PLEDGE:
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
    optimal_terms: list = field(default_factory=list, repr=False)

    @property
    def attained(self) -> bool:
        return self.reachable and self.cost == 0

    @property
    def uses_pledge(self) -> bool:
        return any(map(actions.is_pledge, self.missing))


def rate_of(ctx: Context, tier: Tier) -> Rate | None:
    return ctx.kb.rates.get((ctx.period.id, ctx.office.service, tier.id))
