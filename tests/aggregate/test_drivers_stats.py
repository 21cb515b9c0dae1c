"""The drivers' statistics against slow exact references (docs/metrics.md "Drivers")."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fivea.aggregate.drivers_stats import (
    FISHER_TOLERANCE,
    TwoByTwo,
    associate,
    chi_square_p,
    fisher_p,
    odds_ratio,
)


def reference_fisher(a: int, b: int, c: int, d: int) -> float:
    """scipy's two-sided rule in exact fractions: every table at most as probable."""
    rows, cols = (a + b, c + d), (a + c, b + d)
    if min(*rows, *cols) == 0:
        return 1.0
    n = a + b + c + d

    def pmf(x: int) -> Fraction:
        return Fraction(
            math.comb(rows[0], x) * math.comb(rows[1], cols[0] - x), math.comb(n, cols[0])
        )

    observed = pmf(a) * Fraction(FISHER_TOLERANCE)
    support = range(max(0, cols[0] - rows[1]), min(cols[0], rows[0]) + 1)
    return float(min(Fraction(1), sum(p for x in support if (p := pmf(x)) <= observed)))


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ((3, 1, 1, 3), 0.4857142857142857),  # the lady tasting tea
        ((8, 2, 1, 5), 0.03496503496503495),
        ((0, 5, 5, 0), 0.007936507936507936),
        ((0, 0, 3, 4), 1.0),  # a zero margin
        ((2, 2, 2, 2), 1.0),
    ],
)
def test_fisher_known_values(table: tuple[int, int, int, int], expected: float) -> None:
    assert fisher_p(TwoByTwo(*table)) == pytest.approx(expected, rel=1e-12)
    assert reference_fisher(*table) == pytest.approx(expected, rel=1e-12)


cell = st.integers(min_value=0, max_value=40)


@settings(max_examples=300, deadline=None)
@given(cell, cell, cell, cell)
def test_fisher_matches_exact_fractions(a: int, b: int, c: int, d: int) -> None:
    assert fisher_p(TwoByTwo(a, b, c, d)) == pytest.approx(reference_fisher(a, b, c, d), rel=1e-9)


def test_fisher_large_table_is_fast_and_tiny() -> None:
    # 400,000 persons: the tails stop once negligible; a strong effect has a p far below 1e-300
    t = TwoByTwo(30_000, 70_000, 30_000, 270_000)
    assert 0.0 <= fisher_p(t) < 1e-300
    balanced = TwoByTwo(25_000, 75_000, 75_000, 225_000)  # the same rate with and without
    assert fisher_p(balanced) == pytest.approx(1.0)


def test_fisher_matches_scipy_on_medium_tables() -> None:
    scipy_stats = pytest.importorskip("scipy.stats", reason="scipy is not a dependency")
    for table in [(120, 880, 300, 4700), (7, 93, 40, 860), (500, 500, 480, 520)]:
        expected = scipy_stats.fisher_exact([[table[0], table[1]], [table[2], table[3]]]).pvalue
        assert fisher_p(TwoByTwo(*table)) == pytest.approx(expected, rel=1e-7)


def test_odds_ratio_adds_half_to_every_cell() -> None:
    ratio, low, high = odds_ratio(TwoByTwo(10, 0, 5, 20))
    assert ratio == pytest.approx(10.5 * 20.5 / (0.5 * 5.5))
    se = math.sqrt(1 / 10.5 + 1 / 0.5 + 1 / 5.5 + 1 / 20.5)
    assert low == pytest.approx(ratio * math.exp(-1.96 * se))
    assert high == pytest.approx(ratio * math.exp(1.96 * se))


def test_chi_square_above_a_million_persons() -> None:
    t = TwoByTwo(1_000, 400_000, 1_200, 600_000)  # 1,002,200 persons
    n = t.total
    chi2 = n * (t.a * t.d - t.b * t.c) ** 2 / (401_000 * 601_200 * 2_200 * 1_000_000)
    assert associate(t).p_value == pytest.approx(math.erfc(math.sqrt(chi2 / 2)))
    assert associate(t).p_value == chi_square_p(t)
    small = TwoByTwo(8, 2, 1, 5)
    assert associate(small).p_value == fisher_p(small)
    assert associate(small).converted_with == pytest.approx(0.8)
    assert associate(small).converted_without == pytest.approx(1 / 6)
