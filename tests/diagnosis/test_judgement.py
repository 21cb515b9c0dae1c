"""The diagnosis as one function: fivea.diagnosis.diagnose(table, config, context) -> Diagnosis."""

from __future__ import annotations

import dataclasses
import json

import polars as pl
import pytest

from fivea.aggregate.measures import FramePersons
from fivea.config.loader import STAGE_KEYS, Targets
from fivea.diagnosis import Diagnosis, DiagnosisContext, PreviousPeriod, diagnose
from fivea.diagnosis.compare import Coverage
from fivea.diagnosis.grading import Evidence, productivity, verdict
from fivea.result import (
    GRADED,
    Grade,
    Quality,
    Result,
    SegmentBreakdown,
    SegmentFinding,
    VerdictStatus,
)
from tests.diagnosis.test_diagnosis import archetype, config, make_table

ALL_MEASURED = dict.fromkeys(STAGE_KEYS, True)
DAY = 86_400_000_000
NOBODY = FramePersons(pl.DataFrame())  # the person tables matter only with a segment column


def quality(dropped_share: float = 0.0, unmatched_share: float = 0.0) -> Quality:
    return Quality(
        rows_read=1000, rows_used=1000, dropped=(), duplicates=0, deduplicated=True,
        time_min=None, time_max=None, span_seconds=None, persons=1000, stitched_ids=0,
        events_in_window=1000, unmatched_events=0, unmatched_share=unmatched_share,
        unmatched_top=(), zero_hit_stages=(), non_numeric_values={}, dst_ambiguous=0, dst_gap=0,
        dropped_share=dropped_share,
    )  # fmt: skip


def context(**changes: object) -> DiagnosisContext:
    base = DiagnosisContext(ALL_MEASURED, quality(), span_too_short=False, target_source="test")
    return dataclasses.replace(base, **changes)


def previous(reached: list[int] | None) -> PreviousPeriod:
    whole = Coverage(first_event=0, last_event=60 * DAY, previous_since=0, until=60 * DAY,
                     length=30 * DAY)  # fmt: skip
    table = make_table(reached) if reached is not None else None
    return PreviousPeriod(table, "2025-01-01T00:00:00Z", "2025-01-31T00:00:00Z", whole,
                          NOBODY, NOBODY)  # fmt: skip


def test_a_healthy_funnel_collects_every_judgement() -> None:
    found = diagnose(make_table([1000, 500, 300, 150, 75]), config(), context())
    assert isinstance(found, Diagnosis)
    assert [t.grade for t in found.transitions] == [Grade.OK] * 4
    assert found.transitions[0].target == 0.35  # graded: target and where it came from
    assert found.transitions[0].target_source == "test"
    assert (found.par.grade, found.bar.grade) == (Grade.OK, Grade.OK)
    assert found.bottleneck is None
    assert found.archetype.primary == "funnel"
    assert found.verdict.status is VerdictStatus.HEALTHY
    assert found.verdict.reasons[-1] == "no bottleneck: every graded transition meets its target"
    assert (found.compare, found.change) == (None, None)
    # every buyer asked first (nested stages): the shape findings come through
    assert [f.kind for f in found.findings] == ["door_knob_undetectable"]


def test_the_verdict_equals_the_one_built_from_its_parts() -> None:
    table = make_table([1000, 400, 200, 100, 4])  # affinity 0.04: critical
    found = diagnose(table, config(), context())
    table = dataclasses.replace(table, transitions=found.transitions)
    par, bar = productivity(table, Targets(), ALL_MEASURED)
    by_hand = verdict(
        par=par,
        bar=bar,
        transitions=found.transitions,
        targets=Targets(),
        shape=archetype(table, config()),
        bottleneck=found.bottleneck,
        evidence=Evidence(1000, 200, ALL_MEASURED, 0.0),
    )
    assert found.verdict == by_hand
    assert found.verdict.status == "at_risk"  # a str enum compares equal to its value
    assert found.bottleneck is not None
    assert found.bottleneck.transition == "affinity"
    assert found.verdict.reasons[-1].startswith("bottleneck: affinity — reaching its target")


def test_context_reasons_follow_the_grades_in_order() -> None:
    lagging = SegmentFinding("mobile", "lagging", "mobile: commitment 0.20 vs 0.40")
    leading = SegmentFinding("desktop", "leading", "desktop: commitment 0.60 vs 0.30")
    segment = SegmentBreakdown("device", "first", (), 4, (lagging, leading))
    measured = {**ALL_MEASURED, "advocate": False}
    found = diagnose(
        make_table([1000, 500, 300, 150, 0], measured=measured),
        config(),
        context(
            measured=measured,
            quality=quality(dropped_share=0.02, unmatched_share=0.3),
            span_too_short=True,
            segments=(segment,),
        ),
    )
    tail = found.verdict.reasons[-5:]
    assert tail[0].startswith("not measured: advocate (no event hits their rules)")
    assert tail[1] == "lagging segment by device: mobile: commitment 0.20 vs 0.40"
    assert tail[2] == "data quality: 2.0% of rows were dropped"
    assert tail[3] == (
        "data quality: 30% of events match no rule (check the event names in the config)"
    )
    assert tail[4].startswith("the data spans less than the funnel window")
    assert not any("desktop" in reason for reason in found.verdict.reasons)  # leading: no reason
    assert found.transitions[3].grade == Grade.NOT_MEASURED
    assert found.transitions[3].grade not in GRADED


def test_an_empty_previous_period_is_a_finding_not_a_comparison() -> None:
    found = diagnose(
        make_table([1000, 500, 300, 150, 75]), config(), context(previous=previous(None))
    )
    assert (found.compare, found.change) == (None, None)
    assert [f.kind for f in found.findings][-1] == "empty_previous_period"  # after the shape's


def test_a_previous_period_adds_the_comparison_and_what_changed_last() -> None:
    now = make_table([1000, 500, 300, 150, 75])
    found = diagnose(now, config(), context(previous=previous([1000, 500, 300, 60, 30])))
    assert found.compare is not None
    assert found.change is not None
    assert found.compare.since == "2025-01-01T00:00:00Z"
    assert found.change.baseline == "previous"
    assert found.change.par.before == pytest.approx(0.06)
    assert found.change.par.after == pytest.approx(0.15)
    assert found.change.summary  # the sentences close the verdict's reasons
    summary = len(found.change.summary)
    assert found.verdict.reasons[-summary:] == found.change.summary
    alone = diagnose(now, config(), context())
    assert found.verdict.reasons[:-summary] == alone.verdict.reasons


def test_statuses_and_grades_serialise_as_their_values() -> None:
    found = diagnose(make_table([100, 50, 30, 15, 7]), config(), context())
    assert found.verdict.status is VerdictStatus.NOT_JUDGED  # below min_aware
    assert found.verdict.not_judged == ("below_min_aware",)
    dumped = json.dumps({"status": found.verdict.status, "grade": found.transitions[0].grade})
    assert dumped == '{"status": "not_judged", "grade": "ok"}'
    assert f"{Grade.WATCH}" == "watch"


def test_every_part_of_the_diagnosis_is_a_result_field() -> None:
    result_fields = {f.name for f in dataclasses.fields(Result)}
    assert {f.name for f in dataclasses.fields(Diagnosis)} <= result_fields
    found = diagnose(make_table([1000, 500, 300, 150, 75]), config(), context())
    assert found.result_fields()["transitions"] == found.transitions


def test_verdict_takes_keywords_only() -> None:
    with pytest.raises(TypeError):
        verdict(None, None, (), Targets(), None, None, None)  # type: ignore[misc]
