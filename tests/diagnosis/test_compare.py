"""Period comparison (docs/metrics.md#compare): one test behind marks and words, traffic falls,
partial periods, reasons for every null."""

from __future__ import annotations

import json

import pytest

from fivea.diagnosis.compare import DAY_US, Coverage, compare, partial
from fivea.stats import two_proportion_z
from tests.conftest import SAMPLE_DATA, run_cli
from tests.diagnosis.test_diagnosis import make_table

WEEK = 7 * DAY_US


def _delta(comparison, metric: str):
    return next(d for d in comparison.deltas if d.metric == metric)


def test_par_rising_alone_is_named_and_marked_but_stable() -> None:
    before = make_table([1000, 500, 300, 50, 20])
    after = make_table([1000, 500, 300, 90, 22])
    c = compare(after, before, "a", "b")
    par = _delta(c, "par")
    assert par.significant is True
    assert par.z == pytest.approx(two_proportion_z(90, 1000, 50, 1000))
    assert c.direction == "stable"  # only BAR rising or a move towards the bow tie improves
    assert any(r.startswith("PAR rose significantly") for r in c.reasons)
    assert not any("PAR: no significant change" in r for r in c.reasons)


def test_traffic_halving_is_declining_on_its_own() -> None:
    before = make_table([1000, 500, 300, 200, 100])
    after = make_table([12, 6, 4, 2, 1])  # same rates, 98.8% less traffic
    c = compare(after, before, "a", "b")
    assert c.direction == "declining"
    assert "traffic fell 98.8%: aware persons 1,000 → 12" in c.reasons
    assert _delta(c, "reached.aware").z is None  # counts get no mark


@pytest.mark.parametrize(
    ("first", "last", "is_partial"),
    [
        (0, 2 * WEEK - 1, False),  # the log covers both weeks exactly
        (DAY_US // 4, 2 * WEEK - 1, False),  # starts 6 hours late: inside the slack (6 h = L/28)
        (DAY_US // 4 + 1, 2 * WEEK - 1, True),  # one µs more: partial
        (0, 2 * WEEK - DAY_US // 4 - 2, True),  # ends too early
    ],
)
def test_coverage_slack(first: int, last: int, is_partial: bool) -> None:
    assert partial(Coverage(first, last, 0, 2 * WEEK, WEEK)) is is_partial


def test_a_log_that_starts_inside_the_previous_period(tmp_path) -> None:
    """The sample starts 2025-01-01: comparing March-June with the four months before covers
    half of the previous period: not judged, and a change check follows its on_missing."""
    args = ("--since", "2025-03-01", "--compare", "previous")
    out = run_cli("diagnose", str(SAMPLE_DATA / "events.csv"), *args, "-f", "json")
    compare_block = json.loads(out.stdout)["compare"]
    assert compare_block["direction"] == "not_judged"
    assert compare_block["direction_reason"] == "partial_period"
    assert all(d["change"] is None for d in compare_block["deltas"])
    check = tmp_path / "checks.yaml"
    check.write_text(
        "version: 1\npreset: 5a-default\nchecks:\n"
        "  - {id: par-drop, metric: change.par, fail: '< -10%', on_missing: warn}\n",
        encoding="utf-8",
    )
    result = run_cli(
        "check", str(SAMPLE_DATA / "events.csv"), "-c", str(check), *args, "-f", "json"
    )
    (entry,) = json.loads(result.stdout)["checks"]
    assert entry["status"] == "warn"
    assert "partial period" in entry["message"]
