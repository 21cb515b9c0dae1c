"""The statistics of one driver (docs/metrics.md "Drivers"): a 2×2 table of persons.

Cells: ``a`` with the feature and converted, ``b`` with it and not converted, ``c`` without it
and converted, ``d`` without it and not converted. Pure Python (no scipy): the two-sided Fisher
exact p follows scipy's ``fisher_exact`` (every table at most as probable as the observed one,
with its relative tolerance 1 + 1e-7), in log space so that large tables neither overflow nor
lose their small p-values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fivea.stats import Z95

# scipy's fisher_exact counts a table as "as extreme" when its probability is within this
# relative tolerance of the observed one's (floating-point ties)
FISHER_TOLERANCE = 1 + 1e-7
# above this many persons the p-value is Pearson's chi-square (docs/metrics.md "Drivers")
CHI_SQUARE_FROM = 1_000_000
# a tail stops once its terms fall below this share of its sum (far below float precision)
_NEGLIGIBLE = math.log(1e-20)


@dataclass(frozen=True)
class TwoByTwo:
    """Persons with / without a feature, by outcome."""

    a: int  # with the feature, converted
    b: int  # with the feature, not converted
    c: int  # without the feature, converted
    d: int  # without the feature, not converted

    @property
    def with_feature(self) -> int:
        return self.a + self.b

    @property
    def without_feature(self) -> int:
        return self.c + self.d

    @property
    def total(self) -> int:
        return self.a + self.b + self.c + self.d


@dataclass(frozen=True)
class Association:
    """A feature's association with converting."""

    converted_with: float | None
    converted_without: float | None
    odds_ratio: float
    low: float
    high: float
    p_value: float


def odds_ratio(t: TwoByTwo) -> tuple[float, float, float]:
    """Odds ratio with 0.5 added to every cell, and its 95% Woolf (log) interval."""
    cells = (t.a + 0.5, t.b + 0.5, t.c + 0.5, t.d + 0.5)
    log_or = math.log(cells[0]) + math.log(cells[3]) - math.log(cells[1]) - math.log(cells[2])
    se = math.sqrt(sum(1 / x for x in cells))
    return math.exp(log_or), math.exp(log_or - Z95 * se), math.exp(log_or + Z95 * se)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _log_sum(logs: list[float]) -> float:
    top = max(logs)
    return top + math.log(sum(math.exp(x - top) for x in logs))


class _Hypergeometric:
    """The law of ``a`` given the margins (scipy's ``hypergeom(M, n, N)``)."""

    def __init__(self, t: TwoByTwo) -> None:
        self.total = t.total
        self.successes = t.with_feature  # row 1
        self.draws = t.a + t.c  # column 1
        self.rest = self.total - self.successes
        self.low = max(0, self.draws - t.without_feature)
        self.high = min(self.draws, self.successes)
        self._norm = _log_comb(self.total, self.draws)
        # the terms of ``_log_comb`` that do not depend on x, computed once: the same floats
        # in the same order, so the same p-values (a tail takes thousands of terms)
        self._successes_term = math.lgamma(self.successes + 1)
        self._rest_term = math.lgamma(self.rest + 1)

    def log_pmf(self, x: int) -> float:
        # _log_comb(successes, x) + _log_comb(rest, draws - x) - norm
        lgamma = math.lgamma
        return (
            (self._successes_term - lgamma(x + 1) - lgamma(self.successes - x + 1))
            + (
                self._rest_term
                - lgamma(self.draws - x + 1)
                - lgamma(self.rest - self.draws + x + 1)
            )
            - self._norm
        )

    def mode(self) -> int:
        # scipy's formula, clipped to the support
        m = (self.draws + 1) * (self.successes + 1) // (self.total + 2)
        return min(max(m, self.low), self.high)

    def tail(self, start: int, step: int) -> list[float]:
        """Log probabilities from ``start`` outwards (``step`` ±1) until negligible."""
        lgamma, successes, draws, rest = math.lgamma, self.successes, self.draws, self.rest
        s_term, r_term, norm = self._successes_term, self._rest_term, self._norm
        logs: list[float] = []
        x = start
        while self.low <= x <= self.high:
            # log_pmf(x), inlined: the loop is most of a drivers report's statistics time
            value = (
                (s_term - lgamma(x + 1) - lgamma(successes - x + 1))
                + (r_term - lgamma(draws - x + 1) - lgamma(rest - draws + x + 1))
                - norm
            )
            logs.append(value)
            if value - logs[0] < _NEGLIGIBLE:
                break  # the pmf falls monotonically away from the mode
            x += step
        return logs


def _nearest_qualifying(h: _Hypergeometric, threshold: float, mode: int, end: int) -> int:
    """The x nearest the mode, towards the support end ``end``, with log pmf ≤ threshold.

    The pmf is monotone between the mode and either end of the support (it is log-concave);
    ``end`` qualifies and the mode does not.
    """
    lo, hi = mode, end  # invariant: lo does not qualify, hi does
    while abs(hi - lo) > 1:
        mid = (lo + hi) // 2
        if h.log_pmf(mid) <= threshold:
            hi = mid
        else:
            lo = mid
    return hi


def fisher_p(t: TwoByTwo) -> float:
    """Two-sided Fisher exact p-value, as scipy's ``fisher_exact(table).pvalue``.

    The sum of the probabilities of every table with the observed margins that is at most as
    probable as the observed one (relative tolerance ``FISHER_TOLERANCE``): two tails of the
    unimodal hypergeometric law, each found by a binary search and summed outwards.
    """
    if min(t.with_feature, t.without_feature, t.a + t.c, t.b + t.d) == 0:
        return 1.0  # a zero margin: the observed table is the only one
    h = _Hypergeometric(t)
    threshold = h.log_pmf(t.a) + math.log(FISHER_TOLERANCE)
    mode = h.mode()
    if h.log_pmf(mode) <= threshold:
        return 1.0  # as probable as the most probable table: every table counts
    logs: list[float] = []
    for end, step in ((h.low, -1), (h.high, 1)):
        if h.log_pmf(end) <= threshold:
            logs += h.tail(_nearest_qualifying(h, threshold, mode, end), step)
    return min(1.0, math.exp(_log_sum(logs)))


def chi_square_p(t: TwoByTwo) -> float:
    """Pearson chi-square p-value of a 2×2 table, without continuity correction."""
    rows = (t.with_feature, t.without_feature)
    cols = (t.a + t.c, t.b + t.d)
    if min(*rows, *cols) == 0:
        return 1.0
    n = t.total
    chi2 = n * (t.a * t.d - t.b * t.c) ** 2 / (rows[0] * rows[1] * cols[0] * cols[1])
    return math.erfc(math.sqrt(chi2 / 2))


def associate(t: TwoByTwo) -> Association:
    """Conversion with and without, odds ratio with its interval, and the p-value."""
    ratio, low, high = odds_ratio(t)
    p = chi_square_p(t) if t.total > CHI_SQUARE_FROM else fisher_p(t)
    return Association(
        converted_with=t.a / t.with_feature if t.with_feature else None,
        converted_without=t.c / t.without_feature if t.without_feature else None,
        odds_ratio=ratio,
        low=low,
        high=high,
        p_value=p,
    )
