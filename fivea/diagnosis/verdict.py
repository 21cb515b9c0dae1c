"""PAR/BAR and the verdict (docs/metrics.md "PAR and BAR", "Verdict"): evidence before verdicts.

The verdict is ``not_judged`` unless the log holds enough evidence: enough aware persons, a
measured Act, at least two graded transitions and a config that describes most of the events.
Pure functions over phase-2 results; nothing here reads events or prints.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fivea.aggregate.measures import StageTable, safe_ratio
from fivea.config.loader import Targets
from fivea.precision import complement_percent, plural, shown_proportion
from fivea.result import (
    GRADED,
    NOT_MEASURED,
    NOT_OBSERVABLE,
    WINDOW_TOO_SHORT,
    Archetype,
    Bottleneck,
    Grade,
    Ratio,
    Transition,
    Verdict,
    VerdictStatus,
)
from fivea.stats import wilson

UNMATCHED_LIMIT = 0.5  # above: the config does not describe this log
FIX_STAGES = "`fivea stages EVENTS -c CONFIG` shows what each rule matches"
FIX_INIT = "`fivea init EVENTS` writes a starter config from the data's event names"


def target_of(targets: Targets, name: str) -> float:
    """The single number a ratio is measured against (curiosity: its band's low end)."""
    value = getattr(targets, name)
    return value[0] if isinstance(value, tuple) else value


def par_target(targets: Targets) -> float:
    """PAR's target: attraction × curiosity lo × commitment."""
    return math.prod(target_of(targets, n) for n in ("attraction", "curiosity", "commitment"))


def bar_target(targets: Targets) -> float:
    """BAR's target: PAR's × affinity."""
    return par_target(targets) * target_of(targets, "affinity")


def grade_against(value: float, target: float) -> Grade:
    """ok at or above the target, watch from half of it, critical below half."""
    if value >= target:
        return Grade.OK
    return Grade.WATCH if value >= target / 2 else Grade.CRITICAL


def _productivity(
    name: str, count: int, aware: int, target: float | None, noun: str, unseen: list[str]
) -> Ratio:
    if unseen:
        stages = " and ".join(s.capitalize() for s in unseen)
        verb, pronoun = ("is", "it") if len(unseen) == 1 else ("are", "them")
        reading = f"{name} not measured: {stages} {verb} not measured (no rule sees {pronoun})"
        return Ratio(None, None, None, NOT_MEASURED, reading, None, None, count, aware)
    value = safe_ratio(count, aware)
    if value is None:
        reading = f"{name} not observable: nobody reached Aware"
        return Ratio(None, None, None, NOT_OBSERVABLE, reading, target, None, count, aware)
    grade = None if target is None else grade_against(value, target)
    shown = shown_proportion(count, aware)
    assert shown is not None  # aware > 0 here
    if value > 1:
        reading = f"{name} {shown.text}: more people {noun} than were aware (stages are not nested)"
        return Ratio(
            value, None, None, "not_a_proportion", reading, target, grade, count, aware, shown.text
        )
    low, high = wilson(count, aware) or (None, None)
    reading = f"{name} {shown.text}: {complement_percent(shown)} of aware people did not {noun}"
    return Ratio(value, low, high, None, reading, target, grade, count, aware, shown.text)


def productivity(
    table: StageTable,
    targets: Targets,
    measured: Mapping[str, bool] | None = None,
    span_too_short: bool = False,
) -> tuple[Ratio, Ratio]:
    """PAR = Act / Aware and BAR = Advocate / Aware with Wilson intervals.

    Null (``not_measured``) when Aware or Act (Advocate) is not measured; a target only when
    every stage it multiplies through is measured; a below-target BAR on a log shorter than the
    funnel window is ``not_judged`` (advocacy has not had time to show).
    """
    measured = measured or {s.key: True for s in table.stages}
    reached = {s.key: s.reached for s in table.stages}
    to_act = all(measured[k] for k in ("aware", "appeal", "ask", "act"))
    par = _productivity(
        "PAR",
        reached["act"],
        reached["aware"],
        par_target(targets) if to_act else None,
        "buy",
        [k for k in ("aware", "act") if not measured[k]],
    )
    bar = _productivity(
        "BAR",
        reached["advocate"],
        reached["aware"],
        bar_target(targets) if to_act and measured["advocate"] else None,
        "advocate",
        [k for k in ("aware", "advocate") if not measured[k]],
    )
    if span_too_short and bar.grade in (Grade.WATCH, Grade.CRITICAL):
        bar = dataclasses.replace(bar, grade=Grade.NOT_JUDGED, reason=WINDOW_TOO_SHORT)
    return par, bar


@dataclass(frozen=True)
class Evidence:
    """What the verdict weighs beyond the grades."""

    aware: int
    min_aware: int
    measured: Mapping[str, bool]
    unmatched_share: float | None


def _not_judged(transitions: tuple[Transition, ...], ev: Evidence) -> list[tuple[str, str]]:
    """(code, reason with its fix) for each missing piece of evidence."""
    out = []
    if ev.aware < ev.min_aware:
        out.append(
            (
                "below_min_aware",
                f"only {plural(ev.aware, 'aware person')}, fewer than diagnosis.min_aware "
                f"{ev.min_aware}: widen --since/--until or lower diagnosis.min_aware",
            )
        )
    if not ev.measured["act"]:
        out.append(
            (
                "act_not_measured",
                f"Act is not measured: no event hits its rules; map the purchase (or signup, "
                f"deal won) event to stages.act ({FIX_STAGES})",
            )
        )
    graded = [t for t in transitions if t.grade in GRADED]
    if len(graded) < 2:
        some = "none" if not graded else "only 1"
        out.append(
            (
                "too_few_graded",
                f"{some} of the 4 transitions can be graded (both stages measured, the ratio "
                f"defined): map events to more stages ({FIX_INIT})",
            )
        )
    if ev.unmatched_share is not None and ev.unmatched_share > UNMATCHED_LIMIT:
        out.append(
            (
                "unmatched_events",
                f"{ev.unmatched_share:.0%} of the events in the window match no rule: the config "
                f"does not describe this log ({FIX_INIT})",
            )
        )
    return out


def _ratio_reason(ratio: Ratio, name: str) -> str | None:
    if ratio.value is None or ratio.target is None:
        return None
    if ratio.grade == Grade.NOT_JUDGED:
        return f"{name} {ratio.shown} not judged: window too short to judge advocacy"
    side = "below" if ratio.value < ratio.target else "at or above"
    half = " (below half of it)" if ratio.grade == Grade.CRITICAL else ""
    return f"{name} {ratio.shown} is {side} its target {ratio.target:.4g}{half}"


def verdict(
    *,
    par: Ratio,
    bar: Ratio,
    transitions: tuple[Transition, ...],
    targets: Targets,
    shape: Archetype,
    bottleneck: Bottleneck | None,
    evidence: Evidence,
    extra_reasons: Sequence[str] = (),
) -> Verdict:
    """not_judged / at_risk / healthy / needs_attention, always with the reasons.

    The reasons run: missing evidence, the graded transitions, PAR and BAR, the shape, the
    bottleneck, then ``extra_reasons`` (what the caller knows beyond the grades).
    """
    missing = _not_judged(transitions, evidence)
    graded = [t for t in transitions if t.grade in GRADED]
    judged_ratios = [r for r in (par, bar) if r.grade in GRADED]
    if missing:
        status = VerdictStatus.NOT_JUDGED
    elif any(t.grade == Grade.CRITICAL for t in graded) or any(
        r.grade == Grade.CRITICAL for r in judged_ratios
    ):
        status = VerdictStatus.AT_RISK
    elif all(t.grade == Grade.OK for t in graded) and all(
        r.grade == Grade.OK for r in judged_ratios
    ):
        status = VerdictStatus.HEALTHY
    else:
        status = VerdictStatus.NEEDS_ATTENTION
    reasons = [text for _, text in missing]
    for t in transitions:
        if t.grade in (Grade.CRITICAL, Grade.WATCH) and t.ratio is not None:
            shown = shown_proportion(t.ratio_count, t.flow_base)
            text = shown.text if shown is not None and t.flow_base else f"{t.ratio:.2f}"
            reasons.append(
                f"{t.name} {text} is {t.grade} (target {target_of(targets, t.name):.2f})"
            )
        elif t.grade == Grade.NOT_JUDGED:
            reasons.append(f"{t.name} not judged: window too short to judge advocacy")
    reasons += [r for r in (_ratio_reason(par, "PAR"), _ratio_reason(bar, "BAR")) if r]
    shape_text = shape.primary.replace("_", " ")
    reasons.append(
        f"shape: {shape_text}"
        + (f" ({shape.reason})" if shape.reason else f" — {shape.implication}")
    )
    if bottleneck is not None:
        gain = bottleneck.expected_gain
        if gain.value is None:
            reasons.append(
                f"bottleneck: {bottleneck.transition} — nobody has reached its stage yet, so no gain "
                "can be estimated"
            )
        else:
            gain_text = plural(int(gain.value), f"more {gain.unit[:-1]}", f"more {gain.unit}")
            reasons.append(
                f"bottleneck: {bottleneck.transition} — reaching its target would add about {gain_text}"
            )
    elif graded:
        reasons.append("no bottleneck: every graded transition meets its target")
    reasons.extend(extra_reasons)
    return Verdict(status, tuple(reasons), tuple(code for code, _ in missing))
