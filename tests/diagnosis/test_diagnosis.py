"""docs/metrics.md#diagnosis on hand-checked numbers: PAR/BAR, grades, bottleneck, archetype, verdict, compare."""

from __future__ import annotations

import math

import pytest

from fivea.aggregate.measures import Aggregates, StageTable, stage_table
from fivea.config.loader import STAGE_KEYS, TRANSITION_NAMES, Config, Targets
from fivea.diagnosis.compare import compare
from fivea.diagnosis.grading import (
    Evidence,
    GradeContext,
    archetype,
    bar_target,
    bottleneck,
    grade,
    productivity,
    shape_findings,
    verdict,
)
from fivea.stats import benjamini_hochberg, two_proportion_z, wilson

ALL_MEASURED = dict.fromkeys(STAGE_KEYS, True)
CTX = GradeContext(ALL_MEASURED, span_too_short=False, target_source="test")


def make_table(
    reached: list[int],
    both: list[int] | None = None,
    measured: dict[str, bool] | None = None,
    **extra: int,
) -> StageTable:
    """A stage table from reached counts through the real ``stage_table``.

    Flow counts default to the smaller stage; the gain counts assume nested stages (every buyer
    also reached the earlier stages) unless given in ``extra``.
    """
    both = both or [min(reached[i], reached[i + 1]) for i in range(4)]
    r = dict(zip(STAGE_KEYS, reached, strict=True))
    values: dict[str, object] = {"persons": reached[0]}
    values |= {f"reached_{k}": r[k] for k in STAGE_KEYS}
    values |= {f"both_{n}": both[i] for i, n in enumerate(TRANSITION_NAMES)}
    values |= {f"path_{k}": 0 for k in range(1, 6)} | {f"in_window_{k}": 0 for k in range(1, 5)}
    for n in TRANSITION_NAMES:
        values |= {f"converted_{n}": 0, f"reversed_{n}": 0, f"to_{n}": (None,) * 4}
    values |= {f"current_{v}": 0 for v in ("none", *STAGE_KEYS)}
    values |= {
        "act_and_appeal": min(r["act"], r["appeal"]),
        "act_and_ask": min(r["act"], r["ask"]),
        "act_and_advocate": min(r["act"], r["advocate"]),
        "lost_attraction": max(0, r["aware"] - max(r["appeal"], r["act"])),
        "lost_curiosity": max(0, r["appeal"] - max(r["ask"], r["act"])),
        "lost_commitment": max(0, r["ask"] - r["act"]),
    }
    values |= extra
    return stage_table(Aggregates(values), config(), measured)


def config(**diagnosis: object) -> Config:
    stages = {k: {"rules": [{"any_event": True}]} for k in STAGE_KEYS}
    return Config.model_validate({"stages": stages, "diagnosis": diagnosis})


# --- productivity ratios ------------------------------------------------------------------


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
    # PAR = attraction × curiosity × commitment, BAR = PAR × affinity (docs/metrics.md#diagnosis)
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
    assert (par.low, par.high, par.reason) == (None, None, "not_a_proportion")


def test_par_without_aware_is_not_observable() -> None:
    par, bar = productivity(make_table([0, 0, 0, 0, 0]), Targets())
    assert par.value is None
    assert bar.value is None
    assert par.reason == "not_observable"


# --- grades and bottleneck ------------------------------------------------------------------


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


# --- archetype ------------------------------------------------------------------------------


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


# --- verdict ------------------------------------------------------------------------------


def _verdict(
    reached: list[int],
    span_too_short: bool = False,
    measured: dict[str, bool] | None = None,
    unmatched_share: float | None = 0.0,
    min_aware: int = 200,
):
    measured = measured or ALL_MEASURED
    ctx = GradeContext(measured, span_too_short, "t")
    table = make_table(reached, measured=measured)
    transitions, _ = grade(table.transitions, Targets(), ctx)
    par, bar = productivity(table, Targets(), measured, span_too_short)
    return verdict(
        par=par,
        bar=bar,
        transitions=transitions,
        targets=Targets(),
        shape=archetype(table, config()),
        bottleneck=bottleneck(transitions, table),
        evidence=Evidence(reached[0], min_aware, measured, unmatched_share),
    )


def test_verdict_levels() -> None:
    assert bar_target(Targets()) == pytest.approx(0.35 * 0.15 * 0.30 * 0.30)
    assert _verdict([1000, 500, 300, 150, 75]).status == "healthy"
    assert _verdict([1000, 400, 200, 100, 4]).status == "at_risk"  # affinity 0.04: critical
    # BAR 0.00405 < target 0.004725 but >= half of it; affinity 0.3 ok, the rest ok too
    assert _verdict([100000, 35000, 5250, 1575, 405]).status == "needs_attention"
    # every grade only "watch", but BAR 0.0008 < half its target: at risk
    low = _verdict([100000, 20000, 2000, 400, 80])
    assert low.status == "at_risk"
    assert any(
        "BAR 0.0008 is below its target 0.004725 (below half of it)" in r for r in low.reasons
    )


def test_a_watch_grade_is_never_healthy() -> None:
    # attraction 0.3 < 0.35 (watch): PAR and BAR meet their targets, still needs attention
    result = _verdict([1000, 300, 200, 150, 75])
    assert result.status == "needs_attention"
    assert "attraction 0.30 is watch (target 0.35)" in result.reasons


def test_short_window_does_not_judge_advocacy() -> None:
    result = _verdict([1000, 500, 300, 150, 4], span_too_short=True)
    assert result.status == "healthy"
    assert "affinity not judged: window too short to judge advocacy" in result.reasons
    assert "BAR 0.004 not judged: window too short to judge advocacy" in result.reasons
    # at or above its target, BAR stays ok on a short log
    result = _verdict([1000, 500, 300, 150, 75], span_too_short=True)
    assert "BAR 0.08 is at or above its target 0.004725" in result.reasons


def test_nothing_measured_is_not_judged_never_healthy() -> None:
    # OTTO with the default preset: only Aware has hits
    measured = dict.fromkeys(STAGE_KEYS, False) | {"aware": True}
    result = _verdict([500, 0, 0, 0, 0], measured=measured, unmatched_share=1.0)
    assert result.status == "not_judged"
    assert result.not_judged == ("act_not_measured", "too_few_graded", "unmatched_events")
    assert any("`fivea stages EVENTS -c CONFIG`" in r for r in result.reasons)
    assert any("100% of the events in the window match no rule" in r for r in result.reasons)


def test_too_few_aware_is_not_judged_never_at_risk() -> None:
    result = _verdict([3, 1, 0, 3, 3])  # --since 28d on the sample: three persons
    assert result.status == "not_judged"
    assert result.not_judged == ("below_min_aware",)
    assert result.reasons[0].startswith("only 3 aware persons, fewer than diagnosis.min_aware 200")
    assert _verdict([1, 1, 1, 1, 1], min_aware=2).reasons[0].startswith("only 1 aware person,")


def test_one_graded_transition_is_not_judged() -> None:
    # a lead log under --preset leadgen: Aware and Act only
    measured = dict(ALL_MEASURED, appeal=False, ask=False, advocate=False)
    result = _verdict([1000, 0, 0, 100, 0], measured=measured)
    assert result.status == "not_judged"
    assert result.not_judged == ("too_few_graded",)


def test_unmatched_share_above_half_is_not_judged() -> None:
    assert _verdict([1000, 500, 300, 150, 75], unmatched_share=0.5).status == "healthy"
    result = _verdict([1000, 500, 300, 150, 75], unmatched_share=0.51)
    assert (result.status, result.not_judged) == ("not_judged", ("unmatched_events",))


def test_par_bar_targets_only_over_measured_stages() -> None:
    measured = dict(ALL_MEASURED, ask=False)
    table = make_table([1000, 500, 0, 150, 75], measured=measured)
    par, bar = productivity(table, Targets(), measured)
    assert par.value == pytest.approx(0.15)
    assert (par.target, par.grade, bar.target, bar.grade) == (None, None, None, None)
    measured = dict(ALL_MEASURED, advocate=False)
    par, bar = productivity(
        make_table([1000, 500, 300, 150, 0], measured=measured), Targets(), measured
    )
    assert par.target == pytest.approx(0.35 * 0.15 * 0.30)
    assert (bar.value, bar.reason, bar.target) == (None, "not_measured", None)
    assert bar.reading == "BAR not measured: Advocate is not measured (no rule sees it)"


# --- not measured is null everywhere ------------------------------------------------------


def test_unmeasured_stage_has_null_ratios_flows_and_path() -> None:
    measured = dict(ALL_MEASURED, ask=False)
    table = make_table(
        [1000, 500, 0, 150, 75], measured=measured, path_1=1000, path_2=500, path_3=140, path_4=70
    )
    t = {x.name: x for x in table.transitions}
    assert (t["curiosity"].ratio, t["curiosity"].ratio_reason) == (None, "not_measured")
    assert (t["commitment"].flow, t["commitment"].flow_reason) == (None, "not_measured")
    assert t["commitment"].dropoff is None
    ask = table.stages[2]
    assert (ask.path, ask.path_reason, ask.in_window, ask.in_window_reason) == (
        None,
        "not_measured",
        None,
        "not_measured",
    )
    # the path skips Ask: Act is level 3, reached from Appeal
    assert [s.path for s in table.stages] == [1000, 500, None, 140, 70]
    assert (t["curiosity"].path_conversion, t["curiosity"].path_conversion_reason) == (
        None,
        "not_measured",
    )
    assert t["commitment"].path_from == "appeal"
    assert t["commitment"].path_conversion == pytest.approx(140 / 500)
    assert table.path_conversion == pytest.approx(70 / 1000)
    assert table.path_skipped == ("ask",)


def test_settled_conversion_reasons() -> None:
    # nobody stopped with a closed window: 100% by construction -> none_settled
    table = make_table([100, 50, 20, 10, 5], path_1=100, path_2=50, in_window_1=50)
    t = table.transitions[0]
    assert (t.settled_conversion, t.settled_conversion_reason) == (None, "none_settled")
    # 100 at level >= 1, 10 still open, 90 settled
    table = make_table([100, 50, 20, 10, 5], path_1=100, path_2=50, in_window_1=10)
    assert table.transitions[0].settled_conversion == pytest.approx(50 / 90)
    table = make_table([100, 50, 20, 10, 5], path_1=25, path_2=10, in_window_1=10)
    assert table.transitions[0].settled_conversion_reason == "too_few_settled"  # 15 < 20


# --- gains that add up --------------------------------------------------------------------


def test_door_knob_gain_is_capped_by_those_who_could_buy() -> None:
    # REES46 with cart mapped to Ask: 193 buyers, 111 askers of whom 62 bought
    table = make_table([4504, 4504, 111, 193, 19], act_and_ask=62, lost_curiosity=4504 - 111 - 131)
    transitions, _ = grade(table.transitions, Targets(), CTX)
    neck = bottleneck(transitions, table)
    assert neck.transition == "curiosity"
    extra_ask = 4504 * 0.15 - 111
    assert neck.expected_gain.value == math.floor(extra_ask * 62 / 111) == 315
    assert neck.expected_gain.value < 787  # the old reached[act]·(u−1)


def test_gain_never_exceeds_the_people_there() -> None:
    # attraction 0.01: u = 35, but only 10 aware persons reached neither Appeal nor Act
    table = make_table([1000, 10, 5, 2, 1], lost_attraction=10, act_and_appeal=2)
    transitions, _ = grade(table.transitions, Targets(), CTX)
    neck = bottleneck(transitions, table)
    assert neck.transition == "attraction"
    assert neck.expected_gain.value == 10


def test_zero_ratio_gain_is_null_with_reason() -> None:
    table, g, _ = _graded([1000, 100, 0, 10, 5])
    neck = bottleneck(tuple(g.values()), table)
    assert neck.transition == "curiosity"
    assert (neck.expected_gain.value, neck.expected_gain.reason) == (None, "no_one_at_stage")


def test_over_curiosity_expected_for_a_goldfish_is_ok() -> None:
    ctx = GradeContext(ALL_MEASURED, False, "t", expected_archetype="goldfish")
    _, g, findings = _graded([1000, 400, 360, 100, 50], ctx=ctx)
    assert g["curiosity"].grade == "ok"
    assert [f.kind for f in findings] == ["over_curiosity"]


# --- direction ----------------------------------------------------------------------------


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


def test_traffic_falling_by_half_is_declining() -> None:
    before = make_table([1000, 500, 300, 200, 100])
    now = make_table([12, 6, 4, 2, 1])
    result = compare(now, before, "a", "b")
    assert result.direction == "declining"
    assert "traffic fell 98.8%: aware persons 1,000 → 12" in result.reasons


def test_marks_and_words_come_from_one_test() -> None:
    # PAR rose a lot, BAR did not move: stable, and the words say PAR rose significantly
    before = make_table([1000, 500, 300, 100, 50])
    now = make_table([1000, 500, 300, 130, 50])  # z about +2.1, the shape barely moves
    result = compare(now, before, "a", "b")
    par = next(d for d in result.deltas if d.metric == "par")
    assert par.significant is True
    assert result.direction == "stable"
    assert f"PAR rose significantly (z {par.z:+.2f})" in result.reasons
    assert "BAR: no significant change (z +0.00)" in result.reasons


def test_change_from_zero_base_is_null() -> None:
    before = make_table([1000, 500, 300, 0, 0])
    now = make_table([1000, 500, 300, 10, 0])
    reached_act = next(
        d for d in compare(now, before, "a", "b").deltas if d.metric == "reached.act"
    )
    assert (reached_act.change, reached_act.reason, reached_act.delta) == (None, "zero_base", 10)


def test_partial_period_is_not_judged() -> None:
    from fivea.diagnosis.compare import DAY_US, Coverage

    before = make_table([1000, 500, 300, 200, 100])
    now = make_table([1000, 500, 300, 120, 60])
    length = 28 * DAY_US
    # the log starts 3 days into the previous period: more than the 1-day slack
    late = Coverage(3 * DAY_US, 2 * length, 0, 2 * length, length)
    result = compare(now, before, "a", "b", late)
    assert (result.direction, result.direction_reason) == ("not_judged", "partial_period")
    par = next(d for d in result.deltas if d.metric == "par")
    assert (par.change, par.delta, par.reason) == (None, None, "partial_period")
    full = Coverage(DAY_US, 2 * length - DAY_US, 0, 2 * length, length)  # within the slack
    assert compare(now, before, "a", "b", full).direction == "declining"


def test_two_proportion_z_and_bh() -> None:
    # pooled p = 0.5, se = sqrt(0.25 * 2/100)
    assert two_proportion_z(60, 100, 40, 100) == pytest.approx(0.2 / math.sqrt(0.005))
    assert two_proportion_z(0, 10, 0, 10) is None
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.5]) == [True, False, False, False]
    assert benjamini_hochberg([0.01, 0.02, 0.03, 0.5]) == [True, True, True, False]
    # step-up: the largest p under its threshold rejects every smaller one too
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.045]) == [True, True, True, True]
    assert benjamini_hochberg([0.03, 0.5]) == [False, False]


def test_compared_proportions_are_shown_at_their_precision() -> None:
    from fivea.render.text import delta_values

    before = make_table([23570, 23570, 23570, 23502, 100])
    now = make_table([23570, 23570, 23570, 23540, 100])
    par = next(d for d in compare(now, before, "a", "b").deltas if d.metric == "par")
    assert par.counts == (23540, 23570, 23502, 23570)
    assert delta_values(par) == ("0.999", "0.997")  # never "1.00" and "1.00"
