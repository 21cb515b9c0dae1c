"""What was read and measured: the sources, the window, the data quality, the funnel's counts
(stages, transitions, sub-funnels, trend) and the segment breakdowns (docs/metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Dropped:
    """Rows dropped for one reason."""

    reason: str
    rows: int


@dataclass(frozen=True)
class NameCount:
    """An event name and how many events carry it."""

    name: str
    events: int


@dataclass(frozen=True)
class ZeroHitStage:
    """A stage no event reached, with the closest event names in the data."""

    stage: str
    did_you_mean: tuple[str, ...]


@dataclass(frozen=True)
class Quality:
    """Data quality, always reported (README.md#output-formats)."""

    rows_read: int
    rows_used: int
    dropped: tuple[Dropped, ...]
    duplicates: int
    deduplicated: bool
    time_min: str | None
    time_max: str | None
    span_seconds: float | None
    persons: int
    stitched_ids: int
    events_in_window: int
    unmatched_events: int
    unmatched_share: float | None
    unmatched_top: tuple[NameCount, ...]
    zero_hit_stages: tuple[ZeroHitStage, ...]
    non_numeric_values: dict[str, int]
    dst_ambiguous: int
    dst_gap: int
    dropped_share: float | None


@dataclass(frozen=True)
class WindowInfo:
    """The analysis window as reported (ISO-8601 UTC)."""

    since: str | None
    until: str
    as_of: str
    timezone: str
    funnel_window_seconds: float


@dataclass(frozen=True)
class SourceInfo:
    """What was read and with which config."""

    files: tuple[str, ...]
    columns: dict[str, Any]
    export: str | None
    config: str | None
    preset: str | None
    config_from: str


@dataclass(frozen=True)
class RunHeader:
    """What was read and over which window: the head of every result."""

    source: SourceInfo
    window: WindowInfo


@dataclass(frozen=True)
class StageCount:
    """One 5A stage's counts (docs/metrics.md "Stage counts", "Ordered path")."""

    key: str
    label: str
    reached: int
    share_of_aware: float | None
    path: int | None  # None: the stage is not measured and the path skips it
    current: int
    in_window: int | None  # level exactly k and still within the window (not the last stage)
    measured: bool = True  # some hit among the run's valid events before until
    path_reason: str | None = None
    in_window_reason: str | None = None
    share_of_aware_reason: str | None = None


@dataclass(frozen=True)
class Transition:
    """Stage k -> k+1: ratio, flow, path conversion and time to convert."""

    from_stage: str
    to_stage: str
    name: str
    ratio: float | None
    ratio_reason: str | None
    flow: float | None
    flow_count: int
    dropoff: float | None
    path_conversion: float | None
    settled_conversion: float | None
    converted: int  # persons with both reach times in order (the quantile sample size)
    reversed: int
    p25_seconds: float | None
    median_seconds: float | None
    p75_seconds: float | None
    p90_seconds: float | None
    grade: str | None = None  # a Grade (fivea.result.codes); None: ungraded
    grade_reason: str | None = None
    target: float | tuple[float, float] | None = None  # curiosity: the band [low, high]
    target_source: str | None = None
    uplift: float | None = None  # target / ratio (curiosity: low / ratio)
    flow_reason: str | None = None
    path_conversion_reason: str | None = None
    settled_conversion_reason: str | None = None
    path_from: str | None = None  # the measured stage the path conversion is taken from
    flow_base: int = 0  # reached[from]: the denominator of ratio and flow (Wilson intervals)
    ratio_count: int = 0  # reached[to]: the numerator of ratio
    path_count: int | None = None  # path[to] and path[path_from]: the path conversion's counts
    path_base: int | None = None
    settled_base: int | None = None  # path[path_from] - in_window[path_from]


@dataclass(frozen=True)
class FunnelCounts:
    """The stage table of one population: what phase 2 counts and the result reports."""

    persons: int
    stages: tuple[StageCount, ...]
    transitions: tuple[Transition, ...]
    current: dict[str, int]
    prospects: int
    customers: int
    path_conversion: float | None

    def stage(self, key: str) -> StageCount:
        """The stage with this key."""
        return next(s for s in self.stages if s.key == key)

    def transition(self, name: str) -> Transition:
        """The transition with this name (attraction, curiosity, commitment, affinity)."""
        return next(t for t in self.transitions if t.name == name)


@dataclass(frozen=True)
class SubfunnelStep:
    """One step of a sub-funnel."""

    name: str
    reached: int
    conversion: float | None  # from the previous step (null for the first)
    dropoff: float | None
    median_seconds: float | None  # median time from the previous step


@dataclass(frozen=True)
class Subfunnel:
    """An ordered step funnel (docs/metrics.md#sub-funnels)."""

    name: str
    window_seconds: float
    steps: tuple[SubfunnelStep, ...]
    overall_conversion: float | None


@dataclass(frozen=True)
class TrendRow:
    """One calendar bucket of reached counts, PAR and BAR."""

    period: str
    reached: dict[str, int]
    par: float | None
    bar: float | None
    ratios: dict[str, float | None] = field(default_factory=dict)
    small_sample: bool = False  # fewer aware persons than diagnosis.min_stage: drawn hollow
    flows: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Trend:
    """Reached counts per calendar bucket (docs/config.md#segments-and-segment_attribution)."""

    period: str
    rows: tuple[TrendRow, ...]


@dataclass(frozen=True)
class SegmentCell:
    """One tested cell: a segment's flow at a transition (or its PAR) against everyone else's.

    ``direction`` is ``lagging`` or ``leading`` when the two-sided test is significant after
    Benjamini-Hochberg over every cell of the column, else ``same`` (docs/metrics.md#segments).
    """

    transition: str  # attraction, curiosity, commitment, affinity, or par
    persons: int  # the segment's persons at the from-stage (PAR: at Aware)
    flow: float
    rest_flow: float
    z: float
    p_value: float
    q_value: float
    direction: str


@dataclass(frozen=True)
class SegmentRow:
    """One value of a segment column with its full stage table."""

    value: str
    persons: int
    reached: dict[str, int]
    ratios: dict[str, float | None]
    flows: dict[str, float | None]
    par: float | None
    bar: float | None
    lagging: tuple[SegmentCell, ...]
    leading: tuple[SegmentCell, ...] = ()


@dataclass(frozen=True)
class SegmentFinding:
    """One line about a segment value that lags or leads, both flows side by side."""

    value: str
    direction: str  # lagging or leading
    text: str


@dataclass(frozen=True)
class SegmentBreakdown:
    """A segment column: its top values, "(other)" last, and the lag tests run."""

    column: str
    attribution: str
    rows: tuple[SegmentRow, ...]
    tests_run: int
    findings: tuple[SegmentFinding, ...] = ()  # lagging first (by lost conversions), then leading
