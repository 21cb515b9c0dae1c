"""Result types of the drivers (docs/metrics.md "Drivers"), re-exported by ``fivea.result``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DriverFeature:
    """One feature shown for a transition: its 2×2 statistics (q < 0.05)."""

    kind: str  # "event" | "property"
    name: str  # event name, or property column
    value: str | None  # property value; None for an event
    persons: int  # persons in the population with the feature
    converted_with: float | None
    converted_without: float | None
    odds_ratio: float
    low: float  # 95% Woolf interval
    high: float
    p_value: float
    q_value: float
    direction: str  # "positive" (OR > 1) | "negative"


@dataclass(frozen=True)
class Drivers:
    """The drivers of one transition s -> t (a landmark design)."""

    transition: str
    population: int
    converted: int
    tested: int  # features that met the support rule (the Benjamini-Hochberg count)
    status: str  # "ok" | "not_judged"
    status_reason: str | None
    features: tuple[DriverFeature, ...] = ()
    # the design behind the counts: watched for the same time whatever the outcome
    landmark_seconds: float | None = None
    horizon_seconds: float | None = None
    reversed: int = 0  # converters who reached t before s: dropped from the population
    skipped_properties: tuple[str, ...] = ()  # candidate columns with more than 50 values
