"""What was read: the sources, the window and the data quality (docs/input.md)."""

from __future__ import annotations

from dataclasses import dataclass
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
class RunHeader:
    """What was read and over which window: the head of every result."""

    source: SourceInfo
    window: WindowInfo
