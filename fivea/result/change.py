"""The comparison with a previous period or a baseline, and what changed."""

from __future__ import annotations

from dataclasses import dataclass


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
    """The previous period of the same length (SPEC §4.5)."""

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
