"""Money: the addition's units and yen per month, in the official order of rounding (P, T-0025).

addition units = round half up (monthly units × rate); yen = floor((units + addition) × unit price)
− floor(units × unit price): the 総費用額 is truncated once per service per month.

Computed on exact integer ratios of the Decimal rate and price (the same results as Decimal
arithmetic, tests/test_yen.py; about 10× faster, which a batch of 100,000 offices notices).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache


@lru_cache(maxsize=4096)
def _ratio(d: Decimal) -> tuple[int, int]:
    return d.as_integer_ratio()


def addition_units(units: int, rate_pct: Decimal) -> int:
    return _half_up(units, _ratio(rate_pct))


def _half_up(units: int, rate: tuple[int, int]) -> int:
    n, d = rate
    num, den = units * n, d * 100
    q, r = divmod(abs(num), den)
    q += 2 * r >= den           # half up: away from zero at .5
    return q if num >= 0 else -q


def total_yen(units: int, yen_per_unit: Decimal) -> int:
    return _floor_yen(units, _ratio(yen_per_unit))


def _floor_yen(units: int, price: tuple[int, int]) -> int:
    n, d = price
    return units * n // d       # floor


def addition_yen(units: int, rate_pct: Decimal, yen_per_unit: Decimal) -> int:
    """Yen a month that the addition adds to the service's 総費用額."""
    return yen_at_ratios(units, _ratio(rate_pct), _ratio(yen_per_unit))


def yen_at_ratios(units: int, rate: tuple[int, int], price: tuple[int, int]) -> int:
    """`addition_yen` with the rate (percent) and the unit price as integer ratios (a batch keeps them)."""
    return _floor_yen(units + _half_up(units, rate), price) - _floor_yen(units, price)
