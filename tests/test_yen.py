"""Yen arithmetic against hand-computed examples (rounding order of the 留意事項通知)."""

from decimal import Decimal

from carekb.solver.yen import addition_units, addition_yen, total_yen


def test_addition_units_round_half_up():
    assert addition_units(3522, Decimal("15")) == 528        # 留意事項 example: 528.3 → 528
    assert addition_units(1000, Decimal("12.15")) == 122      # 121.5 → 122 (half up, not banker's)
    assert addition_units(1000, Decimal("12.14")) == 121
    assert addition_units(0, Decimal("13.4")) == 0


def test_total_truncates_once():
    assert total_yen(2468, Decimal("11.20")) == 27641         # 留意事項 example: 27,641.6 → 27,641


def test_addition_yen_by_difference_of_truncated_totals():
    # 180,000 units, 12.1 %, 10.36 yen: 21,780 units; 201,780×10.36 = 2,090,440.8 → 2,090,440; 180,000×10.36 = 1,864,800
    assert addition_yen(180_000, Decimal("12.1"), Decimal("10.36")) == 225_640
    # 333 units, 9.8 %, 10.17: 32.634 → 33 units; 366×10.17 = 3722.22 → 3722; 333×10.17 = 3386.61 → 3386 → 336
    assert addition_yen(333, Decimal("9.8"), Decimal("10.17")) == 336


from decimal import ROUND_FLOOR, ROUND_HALF_UP  # noqa: E402

from hypothesis import given, strategies as st  # noqa: E402


def _decimal_yen(units: int, rate_pct: Decimal, price: Decimal) -> int:
    """The rounding rules written in Decimal arithmetic, as the notice states them: the reference."""
    added = int((Decimal(units) * rate_pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    total = lambda u: int((Decimal(u) * price).to_integral_value(rounding=ROUND_FLOOR))  # noqa: E731
    return total(units + added) - total(units)


@given(st.integers(0, 50_000_000), st.decimals("0", "60", places=2), st.decimals("10", "12", places=2))
def test_integer_arithmetic_equals_decimal(units, rate, price):
    assert addition_yen(units, rate, price) == _decimal_yen(units, rate, price)
