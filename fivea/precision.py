"""Shown numbers agree with their intervals (docs/metrics.md "Display precision").

A proportion k/n is printed with the fewest decimals, from 2 to 4, at which the rounded value
(half away from zero) lies inside its Wilson 95% interval, and is 0 or 1 only when it is
exactly 0 or 1: CDNOW's PAR 1354/1422... is "0.997", never "1.00" next to 68 non-buyers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from fivea.stats import wilson

MIN_DECIMALS = 2
MAX_DECIMALS = 4


@dataclass(frozen=True)
class Shown:
    """A proportion as printed: its text and decimals (None for ``< 0.0001`` / ``> 0.9999``)."""

    text: str
    decimals: int | None
    value: float


def _round(value: float, decimals: int) -> Decimal:
    # half away from zero on the decimal digits of the float (values here are >= 0)
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def shown_value(value: float, low: float | None, high: float | None) -> Shown:
    """``value`` at the fewest decimals (2..4) that stay inside [low, high] (None: no interval).

    Without an interval only the 0/1 rule applies (a ratio above 1 is not a proportion).
    """
    for decimals in range(MIN_DECIMALS, MAX_DECIMALS + 1):
        rounded = _round(value, decimals)
        as_float = float(rounded)
        if as_float == 0 and value != 0:
            continue
        if as_float == 1 and value != 1:
            continue
        # the interval's float ends may miss an exact 0 or 1 by an ulp
        if low is not None and high is not None and not (low - 1e-12 <= as_float <= high + 1e-12):
            continue
        return Shown(f"{rounded:.{decimals}f}", decimals, value)
    return Shown("< 0.0001" if value < 0.5 else "> 0.9999", None, value)


def shown_proportion(count: int, base: int) -> Shown | None:
    """count / base shown within its Wilson interval; None when base is 0.

    Above 1 (stages are not nested) there is no interval: two decimals, as for any ratio.
    """
    if base <= 0:
        return None
    value = count / base
    interval = wilson(count, base) if count <= base else None
    if interval is None:
        return Shown(f"{value:.2f}", 2, value)
    return shown_value(value, *interval)


def complement_percent(shown: Shown) -> str:
    """1 - the shown value as a percent with d - 2 decimals ("0.997" -> "0.3%")."""
    if shown.decimals is None:
        return "more than 99.99%" if shown.value < 0.5 else "less than 0.01%"
    rest = 1 - Decimal(shown.text)
    return f"{rest * 100:.{shown.decimals - 2}f}%"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 person', '2 persons' (counts agree in number)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
