"""Shown numbers agree with their intervals (docs/metrics.md "Display precision")."""

from __future__ import annotations

import pytest

from fivea.precision import complement_percent, plural, shown_proportion
from fivea.render.text import share
from fivea.stats import wilson


@pytest.mark.parametrize(
    ("count", "base", "text", "rest"),
    [
        (18, 90, "0.20", "80%"),  # the book's example: two decimals suffice
        (23502, 23570, "0.997", "0.3%"),  # CDNOW: never "1.00 ... 0% did not buy"
        (19, 4504, "0.004", "99.6%"),  # REES46 BAR: never "0.00 ... 100%"
        (0, 50, "0.00", "100%"),  # an exact 0 is 0
        (50, 50, "1.00", "0%"),  # an exact 1 is 1
        (3, 100_000, "< 0.0001", "more than 99.99%"),
        (99_999, 100_000, "> 0.9999", "less than 0.01%"),
    ],
)
def test_fewest_decimals_inside_the_interval(count: int, base: int, text: str, rest: str) -> None:
    shown = shown_proportion(count, base)
    assert shown is not None
    assert shown.text == text
    assert complement_percent(shown) == rest
    if shown.decimals is not None:
        low, high = wilson(count, base) or (0.0, 1.0)
        assert low - 1e-12 <= float(shown.text) <= high + 1e-12


def test_half_away_from_zero_and_not_a_proportion() -> None:
    assert shown_proportion(5, 1000).text == "0.01"  # 0.005 rounds up, inside [0.002, 0.012]
    assert shown_proportion(12, 10).text == "1.20"  # above 1: no interval, two decimals
    assert shown_proportion(1, 0) is None


def test_percent_cells_and_counts_in_number() -> None:
    assert share(23502 / 23570, 23502, 23570) == "99.7%"
    assert share(0.5, 1, 2) == "50.0%"
    assert plural(1, "aware person") == "1 aware person"
    assert plural(3, "aware person") == "3 aware persons"
