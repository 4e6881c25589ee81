"""A seeded generator of realistic office profiles: every period and service, varied fulfilment."""

from __future__ import annotations

import datetime as dt
import random

from carekb.model.types import KB
from carekb.inputs.profile import Office, bind

DAYS = [dt.date(2024, 7, 1), dt.date(2024, 12, 1), dt.date(2025, 7, 1), dt.date(2026, 1, 15),
        dt.date(2026, 7, 1), dt.date(2026, 11, 21)]
REGIONS = ["1級地", "2級地", "3級地", "4級地", "5級地", "6級地", "7級地", "その他"]


def generate(kb: KB, n: int, seed: int = 7) -> list[Office]:
    rng = random.Random(seed)
    services = list(kb.services)
    out = []
    while len(out) < n:
        day = rng.choice(DAYS)
        svc = rng.choice(services)
        okb = kb.for_service(svc)   # the rules of the service's scheme (障害, 介護)
        period = okb.period_at(day)
        if period is None or not okb.tiers_for(period.id, svc):
            continue
        atoms = [r for r, req in okb.requirements.items() if not req.composite]
        level = rng.random()  # how far along the office is
        items = list(okb.items[period.item_list])
        office = Office(
            service=svc, id=f"{1300000000 + len(out)}", as_of=day,
            employees=rng.randint(3, 80), single_office_corp=rng.random() < 0.25,
            region=rng.choice(REGIONS), monthly_units=rng.randint(20_000, 600_000),
            shogu=rng.choice([0, 1, 1, 2, 3]), tokutei=rng.choice([0, 1, 2]), baseup=rng.random() < 0.6,
            history_given=True,
            met=frozenset(a for a in atoms if rng.random() < level),
            top_annual_wage=rng.choice([None, 3_900_000, 4_400_000, 4_650_000]),
            workplace=frozenset(x for x in items if rng.random() < level * 0.8),
            collab_corp=rng.random() < 0.05,
            pledged=frozenset(p.id for p in okb.pledges.get(period.id, ()) if rng.random() < 0.1),
        )
        out.append(bind(office, kb)[0])
    return out
