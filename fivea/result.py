"""The core -> render contract: one frozen result object per run (SPEC §5).

Renderers read only these dataclasses; ``to_dict`` is the JSON shape (snake_case keys, fractions,
null with a sibling ``*_reason`` for undefined numbers).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from fivea.drivers_result import DriverFeature as DriverFeature  # re-exported
from fivea.drivers_result import Drivers as Drivers

SCHEMA_VERSION = 1
# reason codes of null numbers (docs/metrics.md "Not measured, not judged"); the text formats
# print them as sentences (fivea.render.text.REASONS)
NOT_MEASURED = "not_measured"
NOT_OBSERVABLE = "not_observable"
NONE_SETTLED = "none_settled"
TOO_FEW_SETTLED = "too_few_settled"
NO_ONE_AT_STAGE = "no_one_at_stage"
WINDOW_TOO_SHORT = "window_too_short"
LAST_STAGE = "last_stage"


@dataclass(frozen=True)
class StageCount:
    """One 5A stage's counts (SPEC §3.3-§3.4)."""

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
    grade: str | None = None  # ok / watch / critical / not_judged / not_measured; None: ungraded
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
class SubfunnelStep:
    """One step of a sub-funnel."""

    name: str
    reached: int
    conversion: float | None  # from the previous step (null for the first)
    dropoff: float | None
    median_seconds: float | None  # median time from the previous step


@dataclass(frozen=True)
class Subfunnel:
    """An ordered step funnel (SPEC §3.5)."""

    name: str
    window_seconds: float
    steps: tuple[SubfunnelStep, ...]
    overall_conversion: float | None


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
    """Data quality, always reported (SPEC §5)."""

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
class Ratio:
    """PAR or BAR (SPEC §4.1) with its Wilson 95% interval and a reading in words."""

    value: float | None
    low: float | None
    high: float | None
    reason: str | None
    reading: str
    target: float | None = None
    grade: str | None = None
    count: int = 0  # numerator and denominator (Wilson interval, shown precision)
    base: int = 0
    shown: str | None = None  # the value at the precision its interval allows (docs/metrics.md)


@dataclass(frozen=True)
class ExpectedGain:
    """What reaching the target would add, all else equal (SPEC §4.2)."""

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
    """One inversion of the funnel shape and how sure we are of it (SPEC §4.3)."""

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
    """healthy / needs_attention / at_risk / not_judged, always with reasons (SPEC §4.4)."""

    status: str
    reasons: tuple[str, ...]
    # why it is not judged, as codes: below_min_aware, act_not_measured, too_few_graded,
    # unmatched_events (empty when judged)
    not_judged: tuple[str, ...] = ()


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
    """Reached counts per calendar bucket (SPEC §3.6)."""

    period: str
    rows: tuple[TrendRow, ...]


@dataclass(frozen=True)
class Result:
    """Everything one run of ``fivea diagnose`` found."""

    source: SourceInfo
    window: WindowInfo
    persons: int
    stages: tuple[StageCount, ...]
    transitions: tuple[Transition, ...]
    current: dict[str, int]
    prospects: int
    customers: int
    path_conversion: float | None
    subfunnels: tuple[Subfunnel, ...]
    quality: Quality
    generated_at: str
    path_conversion_reason: str | None = None
    path_skipped: tuple[str, ...] = ()  # stages not measured, skipped by the ordered path
    par: Ratio | None = None
    bar: Ratio | None = None
    bottleneck: Bottleneck | None = None
    archetype: Archetype | None = None
    verdict: Verdict | None = None
    findings: tuple[Finding, ...] = ()
    segments: tuple[SegmentBreakdown, ...] = ()
    compare: Comparison | None = None
    change: Change | None = None
    trend: Trend | None = None
    drivers: tuple[Drivers, ...] = ()  # docs/metrics.md "Drivers"
    config_fingerprint: str | None = None  # sha256 of config_resolved (docs/metrics.md#baseline)
    config_resolved: dict[str, Any] | None = None  # the parts of the config the counts depend on
    run: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def stage(self, key: str) -> StageCount:
        """The stage with this key."""
        return next(s for s in self.stages if s.key == key)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of this result (SPEC §5)."""
        out = _plain(self)
        out.update(out.pop("extras"))
        for transition in out["transitions"]:
            transition["from"] = transition.pop("from_stage")
            transition["to"] = transition.pop("to_stage")
        if out["run"] is None:
            out.pop("run")
        return out


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
