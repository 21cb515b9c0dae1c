"""Segments that lag or lead (docs/metrics.md#segments), against a plain-Python reference.

Every cell (value x transition flow, value x PAR) is a two-sided pooled z-test against everyone
outside the value, tested where both sides have min_stage persons at the from-stage, with one
Benjamini-Hochberg correction over the column's cells.
"""

from __future__ import annotations

import math
import random

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fivea import diagnose
from fivea.stats import benjamini_hochberg, bh_adjusted

STAGES = ["page_view", "product_view", "search", "purchase", "review_post"]


@settings(deadline=None)  # the machine may be loaded: no timing in unit tests
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.sampled_from([0.01, 0.05, 0.2]))
def test_adjusted_p_values_reject_exactly_what_bh_rejects(p: list[float], q: float) -> None:
    adjusted = bh_adjusted(p)
    assume(all(abs(a - q) > 1e-9 for a in adjusted))  # float rounding at the threshold itself
    assert all(a >= x - 1e-15 for a, x in zip(adjusted, p, strict=True))
    assert [a <= q for a in adjusted] == benjamini_hochberg(p, q)


def _log(seed: int, rates: dict[str, list[float]], persons: int = 150) -> pl.DataFrame:
    """Each channel's persons go one stage further with that channel's probability per step."""
    rng = random.Random(seed)
    rows = []
    for channel, steps in rates.items():
        for i in range(persons):
            user = f"{channel}-{i}"
            rows.append((user, "2025-01-01T00:00:00", STAGES[0], channel))
            for k, rate in enumerate(steps, start=1):
                if rng.random() >= rate:
                    break
                rows.append((user, f"2025-01-01T0{k}:00:00", STAGES[k], channel))
    return pl.DataFrame(rows, schema=["user_id", "timestamp", "event", "channel"], orient="row")


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


def _reference(frame: pl.DataFrame, min_stage: int) -> dict[tuple[str, str], tuple[float, str]]:
    """(value, metric) -> (q, direction), from the raw rows with plain loops."""
    stages: dict[str, set[int]] = {}
    channel: dict[str, str] = {}
    for user, _, event, value in frame.iter_rows():
        stages.setdefault(user, set()).add(STAGES.index(event))
        channel.setdefault(user, value)
    metrics = [
        ("attraction", 0, 1),
        ("curiosity", 1, 2),
        ("commitment", 2, 3),
        ("affinity", 3, 4),
        ("par", 0, 3),
    ]
    cells = []
    for value in sorted(set(channel.values())):
        for name, s, t in metrics:
            inside = [u for u in stages if channel[u] == value and s in stages[u]]
            outside = [u for u in stages if channel[u] != value and s in stages[u]]
            if len(inside) < min_stage or len(outside) < min_stage:
                continue
            x1 = sum(t in stages[u] for u in inside)
            x2 = sum(t in stages[u] for u in outside)
            n1, n2 = len(inside), len(outside)
            pooled = (x1 + x2) / (n1 + n2)
            se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            if se == 0:
                continue
            z = (x1 / n1 - x2 / n2) / se
            cells.append(((value, name), z, 2 * _phi(-abs(z))))
    m = len(cells)
    order = sorted(range(m), key=lambda i: cells[i][2])
    q = [0.0] * m
    for i in range(m):  # q_(i) = min over j >= i of m p_(j) / j, done the slow way
        rank = order.index(i) + 1
        q[i] = min(min(cells[order[j - 1]][2] * m / j for j in range(rank, m + 1)), 1.0)
    return {
        key: (q[i], "same" if q[i] > 0.05 else ("lagging" if z < 0 else "leading"))
        for i, (key, z, _) in enumerate(cells)
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cells_match_the_reference(seed: int) -> None:
    rates = {
        "email": [0.5, 0.2, 0.5, 0.3],
        "search": [0.5, 0.5, 0.5, 0.3],
        "social": [0.8, 0.3, 0.3, 0.5],
        "tiny": [0.5, 0.3, 0.5, 0.3],
    }
    frame = _log(seed, rates)
    small = pl.col("user_id").str.split("-").list.last().cast(pl.Int64) < 15
    frame = frame.filter((pl.col("channel") != "tiny") | small)
    result = diagnose(frame, {"version": 1, "preset": "5a-default"}, segments=["channel"])
    (seg,) = result.segments
    got = {
        (row.value, cell.transition): (cell.q_value, cell.direction)
        for row in seg.rows
        for cell in (*row.lagging, *row.leading)
    }
    expected = _reference(frame, min_stage=20)
    assert seg.tests_run == len(expected)
    significant = {k: v for k, v in expected.items() if v[1] != "same"}
    assert {k: d for k, (_, d) in got.items()} == {k: d for k, (_, d) in significant.items()}
    assert significant  # the planted differences are found
    for key, (q, _) in got.items():
        assert q == pytest.approx(expected[key][0], rel=1e-9, abs=1e-15)
    assert all(value != "tiny" for value, _ in got)  # 15 persons < min_stage: never tested


def test_a_value_that_lags_on_a_step_but_leads_on_par_says_both() -> None:
    """samsung-like: fewer go from Aware to Appeal, but far more of them buy."""
    rows = []
    for channel, appeal, buy in (("samsung", 0.4, 0.3), ("other", 0.6, 0.05)):
        for i in range(400):
            user = f"{channel}{i}"
            rows.append((user, "2025-01-01T00:00:00", "page_view", channel))
            if i < appeal * 400:
                rows.append((user, "2025-01-01T01:00:00", "product_view", channel))
            if i % 100 < buy * 100:
                rows.append((user, "2025-01-01T02:00:00", "purchase", channel))
    frame = pl.DataFrame(rows, schema=["user_id", "timestamp", "event", "channel"], orient="row")
    result = diagnose(frame, {"version": 1, "preset": "5a-default"}, segments=["channel"])
    (seg,) = result.segments
    samsung = next(f for f in seg.findings if f.value == "samsung")
    assert samsung.direction == "lagging"
    assert samsung.text.startswith(
        "samsung: fewer reach Appeal, attraction 40% vs 60% for the rest"
    )
    assert samsung.text.endswith(", but more buyers, PAR 0.300 vs 0.050")
    other = seg.findings[0]  # by lost conversions: 400 x 25% of PAR before 400 x 20% of attraction
    assert other.text == (
        "other: fewer buyers, PAR 0.050 vs 0.300, but more reach Appeal, "
        "attraction 60% vs 40% for the rest"
    )
    assert seg.findings[1] == samsung
    assert any(
        r.startswith("lagging segment by channel: samsung: ") for r in result.verdict.reasons
    )
