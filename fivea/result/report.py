"""The whole result of one run and its JSON shape (``to_dict``)."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from fivea.result.drivers import Drivers
from fivea.result.judged import Archetype, Bottleneck, Change, Comparison, Finding, Ratio, Verdict
from fivea.result.measured import (
    FunnelCounts,
    Quality,
    RunHeader,
    SegmentBreakdown,
    Subfunnel,
    Trend,
)

SCHEMA_VERSION = 1


# The fields run in the JSON schema's order: the header's (source, window), the stage table's
# (persons ... path_conversion), then these; dataclasses take base fields last base first.
@dataclass(frozen=True)
class Result(FunnelCounts, RunHeader):
    """Everything one run of ``fivea diagnose`` found."""

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
    drivers: tuple[Drivers, ...] = ()  # docs/metrics.md#drivers
    config_fingerprint: str | None = None  # sha256 of config_resolved (docs/metrics.md#baseline)
    config_resolved: dict[str, Any] | None = None  # the parts of the config the counts depend on
    run: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # the complete buckets anomaly checks read, per period (not in the JSON: docs/checks.md)
    history: dict[str, Trend] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of this result (README.md#output-formats)."""
        out = _plain(self)
        out.update(out.pop("extras"))
        out.pop("history")
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
