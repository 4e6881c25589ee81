"""Money: the addition's units and yen per month, in the official order of rounding (P, T-0025).

addition units = round half up (monthly units × rate); yen = floor((units + addition) × unit price)
− floor(units × unit price): the 総費用額 is truncated once per service per month.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal


def addition_units(units: int, rate_pct: Decimal) -> int:
    return int((Decimal(units) * rate_pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def total_yen(units: int, yen_per_unit: Decimal) -> int:
    return int((Decimal(units) * yen_per_unit).to_integral_value(rounding=ROUND_FLOOR))


def addition_yen(units: int, rate_pct: Decimal, yen_per_unit: Decimal) -> int:
    """Yen a month that the addition adds to the service's 総費用額."""
    return total_yen(units + addition_units(units, rate_pct), yen_per_unit) - total_yen(units, yen_per_unit)
