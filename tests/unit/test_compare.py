"""Period comparison (docs/metrics.md#compare): one test behind marks and words, traffic falls,
partial periods, reasons for every null."""

from __future__ import annotations

import json

import pytest

from fivea.compare import DAY_US, Coverage, compare
from fivea.stats import two_proportion_z
from tests.conftest import SAMPLE_DATA, run_cli
from tests.unit.test_diagnosis import make_table

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
    assert "PAR rose significantly (|z| ≥ 1.96)" in c.reasons
    assert "no significant change in PAR or BAR" not in c.reasons


def test_no_mark_means_the_words_say_no_change() -> None:
    before = make_table([1000, 500, 300, 200, 100])
    c = compare(make_table([1000, 500, 300, 205, 101]), before, "a", "b")
    assert not any(d.significant for d in c.deltas)
    assert c.reasons == ("no significant change in PAR or BAR",)


def test_traffic_halving_is_declining_on_its_own() -> None:
    before = make_table([1000, 500, 300, 200, 100])
    after = make_table([12, 6, 4, 2, 1])  # same rates, 98.8% less traffic
    c = compare(after, before, "a", "b")
    assert c.direction == "declining"
    assert "traffic fell 98.8%: 1,000 aware before, 12 now" in c.reasons
    assert _delta(c, "reached.aware").z is None  # counts get no mark
    assert _delta(c, "reached.aware").z_reason == "a_count"


def test_zero_base_and_not_a_proportion_are_said() -> None:
    before = make_table([1000, 500, 0, 200, 100])
    after = make_table([1000, 500, 30, 200, 100])
    c = compare(after, before, "a", "b")
    ask = _delta(c, "reached.ask")
    assert ask.change is None
    assert ask.change_reason == "zero_base"
    commitment = _delta(c, "ratio.commitment")  # 200 / 0 before: undefined
    assert (commitment.delta, commitment.delta_reason) == (None, "not_observable")
    door_knob = compare(
        make_table([1000, 500, 150, 200, 100]), make_table([1000, 500, 100, 200, 100]), "a", "b"
    )
    commitment = _delta(door_knob, "ratio.commitment")  # 200/150 vs 200/100: above 1
    assert commitment.delta == pytest.approx(200 / 150 - 2)
    assert (commitment.z, commitment.z_reason) == (None, "not_a_proportion")


def test_unmeasured_stage_has_no_delta() -> None:
    before = make_table([1000, 500, 0, 200, 100])
    after = make_table([1000, 450, 0, 210, 100])
    measured = {"aware": True, "appeal": True, "ask": False, "act": True, "advocate": True}
    c = compare(after, before, "a", "b", measured=measured)
    for metric in ("reached.ask", "ratio.curiosity", "ratio.commitment", "flow.curiosity"):
        d = _delta(c, metric)
        assert (d.delta, d.change, d.delta_reason) == (None, None, "not_measured")
    assert _delta(c, "par").delta is not None


@pytest.mark.parametrize(
    ("first", "last", "partial"),
    [
        (0, 2 * WEEK - 1, False),  # the log covers both weeks exactly
        (DAY_US // 4, 2 * WEEK - 1, False),  # starts 6 hours late: inside the slack (6 h = L/28)
        (DAY_US // 4 + 1, 2 * WEEK - 1, True),  # one µs more: partial
        (0, 2 * WEEK - 1 - DAY_US // 4 - 1, True),  # ends too early
    ],
)
def test_coverage_slack(first: int, last: int, partial: bool) -> None:
    assert Coverage(first, last, 0, 2 * WEEK).partial() is partial


def test_partial_period_is_not_judged_and_nulls_every_change() -> None:
    before = make_table([1000, 500, 300, 200, 100])
    after = make_table([1000, 500, 300, 100, 50])
    c = compare(after, before, "a", "b", Coverage(3 * DAY_US, 2 * WEEK - 1, 0, 2 * WEEK))
    assert c.direction == "not_judged"
    assert c.direction_reason == "partial_period"
    assert all(d.change is None and d.change_reason == "partial_period" for d in c.deltas)


def test_a_log_that_starts_inside_the_previous_period(tmp_path) -> None:
    """The sample starts 2025-01-01: comparing the first half-year with the one before it
    covers almost none of the previous period."""
    out = run_cli(
        "diagnose",
        str(SAMPLE_DATA / "events.csv"),
        "--since",
        "2025-03-01",
        "--compare",
        "previous",
        "-f",
        "json",
    )
    compare_block = json.loads(out.stdout)["compare"]
    assert compare_block["direction"] == "not_judged"
    assert compare_block["direction_reason"] == "partial_period"
    check = tmp_path / "checks.yaml"
    check.write_text(
        "version: 1\npreset: 5a-default\nchecks:\n"
        "  - {id: par-drop, metric: change.par, fail: '< -10%', on_missing: warn}\n",
        encoding="utf-8",
    )
    result = run_cli(
        "check", str(SAMPLE_DATA / "events.csv"), "-c", str(check), "--since", "2025-03-01",
        "--compare", "previous", "-f", "json",
    )  # fmt: skip
    (entry,) = json.loads(result.stdout)["checks"]
    assert entry["status"] == "warn"
    assert "partial_period" in json.dumps(entry)
