"""The segment breakdowns (docs/metrics.md#segments)."""

from __future__ import annotations

from dataclasses import dataclass


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
