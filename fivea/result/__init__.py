"""The core -> render contract: one frozen result object per run (docs/architecture.md).

Renderers read only these dataclasses; ``Result.to_dict`` is the JSON shape (snake_case keys,
fractions, null with a sibling ``*_reason`` for undefined numbers). The modules follow the
report: ``data`` (what was read), ``funnel`` (the counts), ``diagnosed`` (grades, shape,
verdict), ``segments``, ``change`` (comparison), ``codes`` (the closed vocabularies),
``report`` (the whole result).
"""

from fivea.result.change import Change, Comparison, Delta, MixGroup, MixRate, RatioChange
from fivea.result.codes import (
    GRADED,
    LAST_STAGE,
    NO_ONE_AT_STAGE,
    NONE_SETTLED,
    NOT_MEASURED,
    NOT_OBSERVABLE,
    TOO_FEW_SETTLED,
    WINDOW_TOO_SHORT,
    Grade,
    VerdictStatus,
)
from fivea.result.data import (
    Dropped,
    NameCount,
    Quality,
    RunHeader,
    SourceInfo,
    WindowInfo,
    ZeroHitStage,
)
from fivea.result.diagnosed import (
    Archetype,
    Bottleneck,
    ExpectedGain,
    Finding,
    Inversion,
    Ratio,
    Verdict,
)
from fivea.result.funnel import (
    FunnelCounts,
    StageCount,
    Subfunnel,
    SubfunnelStep,
    Transition,
    Trend,
    TrendRow,
)
from fivea.result.report import SCHEMA_VERSION, Result
from fivea.result.segments import SegmentBreakdown, SegmentCell, SegmentFinding, SegmentRow

__all__ = [
    "GRADED",
    "LAST_STAGE",
    "NONE_SETTLED",
    "NOT_MEASURED",
    "NOT_OBSERVABLE",
    "NO_ONE_AT_STAGE",
    "SCHEMA_VERSION",
    "TOO_FEW_SETTLED",
    "WINDOW_TOO_SHORT",
    "Archetype",
    "Bottleneck",
    "Change",
    "Comparison",
    "Delta",
    "Dropped",
    "ExpectedGain",
    "Finding",
    "FunnelCounts",
    "Grade",
    "Inversion",
    "MixGroup",
    "MixRate",
    "NameCount",
    "Quality",
    "Ratio",
    "RatioChange",
    "Result",
    "RunHeader",
    "SegmentBreakdown",
    "SegmentCell",
    "SegmentFinding",
    "SegmentRow",
    "SourceInfo",
    "StageCount",
    "Subfunnel",
    "SubfunnelStep",
    "Transition",
    "Trend",
    "TrendRow",
    "Verdict",
    "VerdictStatus",
    "WindowInfo",
    "ZeroHitStage",
]
