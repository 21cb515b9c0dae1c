"""What the diagnosis concludes: PAR/BAR, bottleneck, shape, findings, verdict, and the
comparison with a previous period or a baseline (docs/metrics.md#diagnosis).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ratio:
    """PAR or BAR (docs/metrics.md#diagnosis) with its Wilson 95% interval and a reading in words."""

    value: float | None
    low: float | None
    high: float | None
    reason: str | None
    reading: str
    target: float | None = None
    grade: str | None = None  # a Grade (ok / watch / critical / not_judged); None: no target
    count: int = 0  # numerator and denominator (Wilson interval, shown precision)
    base: int = 0
    shown: str | None = None  # the value at the precision its interval allows (docs/metrics.md)


@dataclass(frozen=True)
class ExpectedGain:
    """What reaching the target would add, all else equal (docs/metrics.md#diagnosis)."""

    unit: str  # "buyers" or "advocates"
    value: int | None  # whole persons (rounded down)
    reason: str | None = None  # no_one_at_stage: nobody at the stage to carry the gain forward


@dataclass(frozen=True)
class Bottleneck:
    """The graded transition with the largest uplift to its target."""

    transition: str
    ratio: float | None
    target: float
    uplift: float | None  # None: unbounded (ratio 0)
    expected_gain: ExpectedGain
    problem: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Inversion:
    """One inversion of the funnel shape and how sure we are of it (docs/metrics.md#diagnosis)."""

    archetype: str
    ratio: float
    z: float
    strength: str  # "strong" (z >= 2) or "weak"


@dataclass(frozen=True)
class Archetype:
    """The funnel's shape."""

    primary: str
    secondary: tuple[str, ...]
    confidence: tuple[Inversion, ...]
    implication: str
    reason: str | None = None
    expected: str | None = None


@dataclass(frozen=True)
class Finding:
    """A notable fact with what to do about it."""

    kind: str
    message: str
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """healthy / needs_attention / at_risk / not_judged, always with reasons (docs/metrics.md#diagnosis)."""

    status: str  # a VerdictStatus
    reasons: tuple[str, ...]
    # why it is not judged, as codes: below_min_aware, act_not_measured, too_few_graded,
    # unmatched_events (empty when judged)
    not_judged: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delta:
    """A metric now, before, and the change."""

    metric: str
    current: float | None
    previous: float | None
    delta: float | None
    change: float | None  # relative change
    z: float | None = None
    significant: bool | None = None
    reason: str | None = None  # why change (or the test) is missing: zero_base, partial_period...
    # a proportion's numerators and denominators now and before (shown precision), else None
    counts: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Comparison:
    """The previous period of the same length (docs/metrics.md#compare)."""

    since: str
    until: str
    persons: int
    deltas: tuple[Delta, ...]
    bow_tie_distance: float | None
    previous_bow_tie_distance: float | None
    direction: str  # improving / stable / declining / not_judged
    reasons: tuple[str, ...]
    direction_reason: str | None = None  # partial_period when direction is not_judged


@dataclass(frozen=True)
class RatioChange:
    """PAR or BAR before and after, and the exact split of its log change by transition."""

    before: float | None
    after: float | None
    delta: float | None
    log_change: float | None  # ln(after / before) = the sum of by_transition
    by_transition: dict[str, float] | None  # ln(ratio' / ratio) per transition
    status: str  # ok / not_judged
    status_reason: str | None = None


@dataclass(frozen=True)
class MixGroup:
    """One segment value's part of the change of PAR: its mix and its rate term."""

    value: str
    mix: float
    rate: float
    share_before: float  # of aware persons
    share_after: float


@dataclass(frozen=True)
class MixRate:
    """The change of PAR split into mix (who came) and rate (how they converted)."""

    column: str
    mix: float | None
    rate: float | None
    groups: tuple[MixGroup, ...]
    status: str = "ok"  # ok / not_judged
    status_reason: str | None = None


@dataclass(frozen=True)
class Change:
    """What changed since the baseline (docs/metrics.md#what-changed)."""

    baseline: str  # "previous" or the baseline report's path
    par: RatioChange
    bar: RatioChange
    mix_rate: MixRate | None
    summary: tuple[str, ...] = ()  # the sentences, also among the verdict's reasons
