"""The diagnosis as one function (docs/architecture.md "The diagnosis"): a stage table and the
config in, every judgement of the report out.

``diagnose`` grades the transitions, estimates the bottleneck's gain, reads the shape, weighs the
evidence into the verdict and writes its reasons, and compares with the previous period when one
is given. It is pure: the pipeline computes the numbers (phase 1 and 2) and hands them over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fivea.aggregate.measures import PersonTable, StageTable
from fivea.config.loader import STAGE_KEYS, Config
from fivea.diagnosis.change import what_changed
from fivea.diagnosis.compare import PARTIAL_PERIOD, Coverage, compare
from fivea.diagnosis.grading import (
    Evidence,
    GradeContext,
    archetype,
    bottleneck,
    grade,
    productivity,
    shape_findings,
    verdict,
)
from fivea.result import (
    Archetype,
    Bottleneck,
    Change,
    Comparison,
    Finding,
    Quality,
    Ratio,
    SegmentBreakdown,
    Transition,
    Verdict,
)

__all__ = ["Diagnosis", "DiagnosisContext", "PreviousPeriod", "diagnose", "limits_of_the_data"]


@dataclass(frozen=True)
class PreviousPeriod:
    """The previous period of the same length (``--compare previous``, docs/metrics.md#compare)."""

    table: StageTable | None  # None: nobody in the previous period, nothing to compare
    since: str  # ISO-8601, as reported
    until: str
    coverage: Coverage  # what the log covers: a partial period is not judged
    # both periods' person tables, for the split of the change by segment (what_changed)
    persons: PersonTable
    current_persons: PersonTable


@dataclass(frozen=True)
class DiagnosisContext:
    """What the diagnosis weighs beyond the stage table and the config."""

    measured: Mapping[str, bool]  # stage -> some hit before until (docs/metrics.md "Not measured")
    quality: Quality
    span_too_short: bool  # the log spans less than funnel.window: advocacy is not judged
    target_source: str  # where the targets come from (config file:line or the preset)
    segments: tuple[SegmentBreakdown, ...] = ()  # the first column also splits the change
    previous: PreviousPeriod | None = None
    aware_is_any_event: bool = True  # Aware's rule matches every event (the mix/rate split)


@dataclass(frozen=True)
class Diagnosis:
    """Every judgement of one run: the parts of the result the diagnosis writes.

    Each field is the ``Result`` field of the same name (``Result(**diagnosis.result_fields())``).
    """

    transitions: tuple[Transition, ...]  # graded (grade, target, uplift)
    par: Ratio
    bar: Ratio
    bottleneck: Bottleneck | None
    archetype: Archetype
    verdict: Verdict
    findings: tuple[Finding, ...]
    compare: Comparison | None = None
    change: Change | None = None

    def result_fields(self) -> dict[str, Any]:
        """The fields by name, for ``Result(...)`` (the graded transitions among them)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def diagnose(table: StageTable, config: Config, context: DiagnosisContext) -> Diagnosis:
    """Grades, bottleneck and expected gain, shape, verdict with its reasons, comparison."""
    targets = config.targets
    transitions, findings = grade(
        table.transitions,
        targets,
        GradeContext(
            dict(context.measured),
            context.span_too_short,
            context.target_source,
            config.actions,
            config.diagnosis.expected_archetype,
            config.business,
        ),
    )
    table = dataclasses.replace(table, transitions=transitions)
    par, bar = productivity(table, targets, context.measured, context.span_too_short)
    neck = bottleneck(transitions, table, config.actions, config.business)
    shape = archetype(table, config)
    findings += shape_findings(table, shape, config.business)
    judged = verdict(
        par=par,
        bar=bar,
        transitions=transitions,
        targets=targets,
        shape=shape,
        bottleneck=neck,
        extra_reasons=_context_reasons(context),
        evidence=Evidence(
            table.stage("aware").reached,
            config.diagnosis.min_aware,
            context.measured,
            context.quality.unmatched_share,
        ),
    )
    comparison, change = None, None
    previous = context.previous
    if previous is not None and previous.table is None:
        findings.append(
            Finding(
                "empty_previous_period", "the previous period has no events: nothing to compare"
            )
        )
    elif previous is not None and previous.table is not None:
        comparison = compare(
            table, previous.table, previous.since, previous.until, previous.coverage
        )
        change = what_changed(
            "previous",
            (table, previous.current_persons),
            (previous.table, previous.persons),
            context.segments[0].column if context.segments else None,
            context.measured,
            context.aware_is_any_event,
            partial=comparison.direction_reason == PARTIAL_PERIOD,
        )
        # what changed closes the reasons (docs/metrics.md#what-changed)
        judged = dataclasses.replace(judged, reasons=(*judged.reasons, *change.summary))
    return Diagnosis(
        transitions, par, bar, neck, shape, judged, tuple(findings), comparison, change
    )


def _context_reasons(context: DiagnosisContext) -> list[str]:
    """The verdict's reasons after the grades: unmeasured stages, lagging segments, data limits."""
    reasons = []
    unmeasured = [k for k in STAGE_KEYS if not context.measured[k]]
    if unmeasured:
        reasons.append(
            f"not measured: {', '.join(unmeasured)} (no event hits their rules): ratios into and "
            "out of them are not graded and the ordered path skips them; "
            "`fivea stages EVENTS -c CONFIG` shows what each rule matches, "
            "`fivea init EVENTS` writes rules from the data's event names"
        )
    reasons += [
        f"lagging segment by {segment.column}: {finding.text}"
        for segment in context.segments
        for finding in segment.findings
        if finding.direction == "lagging"
    ]
    return reasons + limits_of_the_data(context.quality, context.span_too_short)


def limits_of_the_data(quality: Quality, span_too_short: bool) -> list[str]:
    """Reasons to read the verdict with care: dropped rows, unmatched events, a short log."""
    reasons = []
    if quality.dropped_share and quality.dropped_share >= 0.01:
        reasons.append(f"data quality: {quality.dropped_share:.1%} of rows were dropped")
    if quality.unmatched_share and 0.2 <= quality.unmatched_share <= 0.5:
        # above half it is a reason the verdict is not judged (fivea.diagnosis.verdict)
        reasons.append(
            f"data quality: {quality.unmatched_share:.0%} of events match no rule "
            "(check the event names in the config)"
        )
    if span_too_short:
        reasons.append(
            "the data spans less than the funnel window: advocacy may not have had time to show"
        )
    return reasons
