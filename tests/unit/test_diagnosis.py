"""SPEC §4 on hand-checked numbers: PAR/BAR, grades, bottleneck, archetype, verdict, compare."""

from __future__ import annotations

import math

import pytest

from fivea.aggregate import StageTable, safe_ratio
from fivea.compare import compare
from fivea.config import STAGE_KEYS, TRANSITION_NAMES, Config, Targets
from fivea.diagnosis import (
    GradeContext,
    archetype,
    bar_target,
    bottleneck,
    grade,
    productivity,
    shape_findings,
    verdict,
)
from fivea.result import StageCount, Transition
from fivea.stats import benjamini_hochberg, two_proportion_z, wilson

ALL_MEASURED = dict.fromkeys(STAGE_KEYS, True)
CTX = GradeContext(ALL_MEASURED, span_too_short=False, target_source="test")


def make_table(reached: list[int], both: list[int] | None = None) -> StageTable:
    """A stage table from reached counts (flow counts default to the smaller stage)."""
    both = both or [min(reached[i], reached[i + 1]) for i in range(4)]
    stages = tuple(
        StageCount(k, k.capitalize(), reached[i], safe_ratio(reached[i], reached[0]), 0, 0, None)
        for i, k in enumerate(STAGE_KEYS)
    )
    transitions = tuple(
        Transition(
            from_stage=STAGE_KEYS[i],
            to_stage=STAGE_KEYS[i + 1],
            name=name,
            ratio=safe_ratio(reached[i + 1], reached[i]),
            ratio_reason=None if reached[i] else "not observable",
            flow=safe_ratio(both[i], reached[i]),
            flow_count=both[i],
            dropoff=None,
            path_conversion=None,
            settled_conversion=None,
            converted=0,
            reversed=0,
            p25_seconds=None,
            median_seconds=None,
            p75_seconds=None,
            p90_seconds=None,
        )
        for i, name in enumerate(TRANSITION_NAMES)
    )
    return StageTable(reached[0], stages, transitions, {}, 0, 0, None)


def config(**diagnosis: object) -> Config:
    stages = {k: {"rules": [{"any_event": True}]} for k in STAGE_KEYS}
    return Config.model_validate({"stages": stages, "diagnosis": diagnosis})


# --- §4.1 productivity ratios ------------------------------------------------------------------


def test_book_example_par_bar_and_insufficient_data() -> None:
    table = make_table([90, 50, 30, 18, 9])
    par, bar = productivity(table, Targets())
    assert par.value == pytest.approx(0.20)
    assert bar.value == pytest.approx(0.10)
    assert par.reading == "PAR 0.20: 80% of aware people did not buy"
    assert bar.reading == "BAR 0.10: 90% of aware people did not advocate"
    shape = archetype(table, config())
    assert shape.primary == "insufficient_data"
    assert "90 < min_aware 200" in (shape.reason or "")


def test_book_example_scaled_is_a_funnel() -> None:
    table = make_table([900, 500, 300, 180, 90])
    par, bar = productivity(table, Targets())
    assert (par.value, bar.value) == (pytest.approx(0.2), pytest.approx(0.1))
    # PAR = attraction × curiosity × commitment, BAR = PAR × affinity (§4.1)
    ratios = [t.ratio for t in table.transitions]
    assert par.value == pytest.approx(math.prod(ratios[:3]))
    assert bar.value == pytest.approx(math.prod(ratios))
    assert archetype(table, config()).primary == "funnel"


def test_wilson_interval_hand_computed() -> None:
    # p = 0.2, n = 900, z = 1.96: centre 0.201273, half-width 0.026109
    low, high = wilson(180, 900)
    assert low == pytest.approx(0.175164, abs=1e-5)
    assert high == pytest.approx(0.227382, abs=1e-5)
    assert wilson(0, 0) is None
    assert wilson(0, 10)[0] == 0.0


def test_par_above_one_is_not_a_proportion() -> None:
    par, _ = productivity(make_table([10, 5, 5, 12, 1]), Targets())
    assert par.value == pytest.approx(1.2)
    assert (par.low, par.high, par.reason) == (None, None, "not a proportion")


def test_par_without_aware_is_not_observable() -> None:
    par, bar = productivity(make_table([0, 0, 0, 0, 0]), Targets())
    assert par.value is None
    assert bar.value is None
    assert "not observable" in (par.reason or "")


# --- §4.2 grades and bottleneck ------------------------------------------------------------------


def _graded(reached: list[int], targets: Targets | None = None, ctx: GradeContext = CTX):
    table = make_table(reached)
    transitions, findings = grade(table.transitions, targets or Targets(), ctx)
    return table, {t.name: t for t in transitions}, findings


def test_grade_boundaries() -> None:
    targets = Targets(attraction=0.4, curiosity=(0.2, 0.8), commitment=0.5, affinity=0.25)
    # attraction 0.40 (= target: ok), curiosity 0.10 (= lo/2: watch),
    # commitment 0.245 (< 0.25 = target/2: critical), affinity 0.25 (ok)
    _, g, findings = _graded([1000, 400, 40, 0, 0], targets)
    assert g["attraction"].grade == "ok"
    assert g["curiosity"].grade == "watch"
    assert g["curiosity"].target == (0.2, 0.8)
    assert g["commitment"].grade == "critical"  # ratio 0 is critical
    assert g["affinity"].grade is None  # 0 / 0: not observable, never graded
    assert findings == []
    _, g, _ = _graded([1000, 400, 40, 49, 49], targets)
    assert g["commitment"].ratio == pytest.approx(1.225)
    _, g, _ = _graded([1000, 400, 200, 49, 13], targets)
    assert g["commitment"].ratio == pytest.approx(0.245)
    assert g["commitment"].grade == "critical"
    assert g["affinity"].grade == "ok"  # 13/49 = 0.265 >= 0.25


def test_over_curiosity_is_watch_with_a_finding() -> None:
    _, g, findings = _graded([1000, 400, 360, 100, 50])
    assert g["curiosity"].ratio == pytest.approx(0.9)
    assert g["curiosity"].grade == "watch"
    assert [f.kind for f in findings] == ["over_curiosity"]
    assert findings[0].actions  # the curiosity-high actions


def test_not_measured_stage_is_ungraded_and_excluded() -> None:
    measured = dict(ALL_MEASURED, advocate=False)
    table, g, _ = _graded(
        [1000, 400, 100, 50, 0], ctx=GradeContext(measured, span_too_short=False, target_source="t")
    )
    assert g["affinity"].grade == "not_measured"
    neck = bottleneck(tuple(g.values()), table)
    assert neck is None or neck.transition != "affinity"


def test_bottleneck_largest_uplift_and_expected_gain() -> None:
    # attraction 0.2 (u = 0.35/0.2 = 1.75), commitment 0.1 (u = 3.0): commitment wins
    table, g, _ = _graded([1000, 200, 100, 10, 5])
    neck = bottleneck(tuple(g.values()), table)
    assert neck.transition == "commitment"
    assert neck.uplift == pytest.approx(3.0)
    assert neck.expected_gain.unit == "buyers"
    assert neck.expected_gain.value == pytest.approx(10 * (3.0 - 1))
    assert neck.actions


def test_bottleneck_ties_go_to_the_earlier_stage() -> None:
    # attraction 0.175 (u = 2.0) and commitment 0.15 (u = 2.0)
    table, g, _ = _graded([1000, 175, 100, 15, 15])
    assert g["attraction"].uplift == pytest.approx(2.0)
    assert g["commitment"].uplift == pytest.approx(2.0)
    assert bottleneck(tuple(g.values()), table).transition == "attraction"


def test_zero_ratio_between_measured_stages_is_an_unbounded_bottleneck() -> None:
    table, g, _ = _graded([1000, 100, 50, 10, 0])
    assert g["affinity"].grade == "critical"
    neck = bottleneck(tuple(g.values()), table)
    assert neck.transition == "affinity"
    assert neck.uplift is None
    assert neck.expected_gain.value is None
    assert neck.expected_gain.unit == "advocates"


def test_no_bottleneck_when_every_ratio_meets_target() -> None:
    table, g, _ = _graded([1000, 500, 300, 150, 75])
    assert bottleneck(tuple(g.values()), table) is None


def test_affinity_gain_counts_advocates() -> None:
    table, g, _ = _graded([1000, 500, 300, 150, 15])  # affinity 0.1, u = 3
    neck = bottleneck(tuple(g.values()), table)
    assert neck.transition == "affinity"
    assert neck.expected_gain.value == pytest.approx(15 * 2)


# --- §4.3 archetype ------------------------------------------------------------------------------


def test_inversions_by_strength_with_secondaries() -> None:
    # goldfish ask/appeal 1.5, door knob act/ask 1.2, trumpet none
    shape = archetype(make_table([2000, 400, 600, 720, 100]), config())
    assert shape.primary == "goldfish"
    assert shape.secondary == ("door_knob",)
    z = (600 - 400) / math.sqrt(1000)
    assert shape.confidence[0].z == pytest.approx(z)
    assert shape.confidence[0].strength == "strong"


def test_inversion_needs_more_than_eps() -> None:
    assert archetype(make_table([2000, 400, 420, 200, 100]), config()).primary == "funnel"
    assert archetype(make_table([2000, 400, 421, 200, 100]), config()).primary == "goldfish"


def test_bow_tie_boundaries() -> None:
    # advocate/aware = 0.85 and act/appeal = 1.15, curiosity < 1: within tol
    shape = archetype(make_table([1000, 400, 300, 460, 850]), config())
    assert shape.primary == "bow_tie"
    assert archetype(make_table([1000, 400, 300, 461, 849]), config()).primary != "bow_tie"


def test_door_knob_and_weak_confidence() -> None:
    shape = archetype(make_table([1000, 500, 100, 108, 30]), config(min_stage=20))
    assert shape.primary == "door_knob"
    assert shape.confidence[0].strength == "weak"  # z = 8 / sqrt(208) < 2


def test_min_stage_guard() -> None:
    shape = archetype(make_table([1000, 500, 19, 200, 50]), config(min_stage=20))
    assert shape.primary == "insufficient_data"
    assert "ask" in (shape.reason or "")


def test_expected_archetype_mismatch_finding() -> None:
    table = make_table([900, 500, 300, 180, 90])
    shape = archetype(table, config(expected_archetype="door_knob"))
    kinds = [f.kind for f in shape_findings(table, shape)]
    assert "unexpected_archetype" in kinds


def test_door_knob_undetectable_warning() -> None:
    table = make_table([1000, 500, 300, 200, 50], both=[500, 300, 196, 50])
    shape = archetype(table, config())
    assert "door_knob_undetectable" in [f.kind for f in shape_findings(table, shape)]


# --- §4.4 verdict ------------------------------------------------------------------------------


def _verdict(reached: list[int], span_too_short: bool = False, advocate_measured: bool = True):
    ctx = GradeContext(ALL_MEASURED, span_too_short, "t")
    table = make_table(reached)
    transitions, _ = grade(table.transitions, Targets(), ctx)
    par, bar = productivity(table, Targets())
    return verdict(
        par,
        bar,
        transitions,
        Targets(),
        archetype(table, config()),
        bottleneck(transitions, table),
        [],
        span_too_short,
        advocate_measured,
    )


def test_verdict_levels() -> None:
    assert bar_target(Targets()) == pytest.approx(0.35 * 0.15 * 0.30 * 0.30)
    assert _verdict([1000, 500, 300, 150, 75]).status == "healthy"
    assert _verdict([1000, 400, 200, 100, 4]).status == "at_risk"  # affinity 0.04: critical
    # BAR 0.00405 < target 0.004725 but >= half of it, no critical grade: needs attention
    assert _verdict([100000, 30000, 4500, 1350, 405]).status == "needs_attention"
    # every grade only "watch", but BAR 0.0008 < half its target: at risk
    low = _verdict([100000, 20000, 2000, 400, 80])
    assert low.status == "at_risk"
    assert any("BAR 0.001 is below" in r for r in low.reasons)


def test_short_window_does_not_judge_advocacy() -> None:
    result = _verdict([1000, 500, 300, 150, 5], span_too_short=True)
    assert result.status == "healthy"
    assert any("window too short to judge advocacy" in r for r in result.reasons)


# --- §4.5 direction ----------------------------------------------------------------------------


def test_compare_directions() -> None:
    before = make_table([1000, 500, 300, 200, 100])
    worse = make_table([1000, 500, 300, 120, 60])
    assert compare(worse, before, "a", "b").direction == "declining"
    better = make_table([1000, 500, 300, 200, 160])
    assert compare(better, before, "a", "b").direction == "improving"
    same = make_table([1000, 500, 300, 205, 101])
    assert compare(same, before, "a", "b").direction == "stable"
    par = next(d for d in compare(worse, before, "a", "b").deltas if d.metric == "par")
    assert par.z == pytest.approx(two_proportion_z(120, 1000, 200, 1000))
    assert par.significant is True


def test_two_proportion_z_and_bh() -> None:
    # pooled p = 0.5, se = sqrt(0.25 * 2/100)
    assert two_proportion_z(60, 100, 40, 100) == pytest.approx(0.2 / math.sqrt(0.005))
    assert two_proportion_z(0, 10, 0, 10) is None
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.5]) == [True, False, False, False]
    assert benjamini_hochberg([0.01, 0.02, 0.03, 0.5]) == [True, True, True, False]
    # step-up: the largest p under its threshold rejects every smaller one too
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.045]) == [True, True, True, True]
    assert benjamini_hochberg([0.03, 0.5]) == [False, False]
