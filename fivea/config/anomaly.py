"""The ``anomaly:`` block of a check (docs/checks.md, "Anomaly checks").

A separate model so that the check models can move without it: ``Check.anomaly`` and the one
call of ``fit_anomaly`` in the check's validator are its only references.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

# a lookback far beyond any real use, low enough that the calendar arithmetic of the history's
# first bucket stays inside years 1..9999 (docs/checks.md, "Anomaly checks")
MAX_LOOKBACK = 1000
ANOMALOUS = "anomalous"  # the one condition an anomaly check's fail: / warn: may hold


class _CheckLike(Protocol):
    id: str | None
    anomaly: Anomaly | None
    metric: str
    segment: dict[str, str] | None
    fail: str | None
    warn: str | None


def conditions(check: _CheckLike) -> list[tuple[str, str]]:
    """The check's conditions that are set, as (level, text), fail first (docs/checks.md)."""
    return [
        (level, text) for level in ("fail", "warn") if (text := getattr(check, level)) is not None
    ]


def anomaly_metrics(stages: Sequence[str], transitions: Sequence[str]) -> list[str]:
    """The metrics the trend counts per bucket (docs/metrics.md#trend)."""
    return [
        "par",
        "bar",
        *[f"reached.{s}" for s in stages],
        *[f"{m}.{t}" for m in ("ratio", "flow") for t in transitions],
    ]


class Anomaly(BaseModel):
    """Judge the latest complete bucket against the median ± k·MAD of the ones before it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    over: Literal["day", "week", "month"]
    lookback: int = Field(default=8, ge=1, le=MAX_LOOKBACK)
    k: float = Field(default=3.5, gt=0, allow_inf_nan=False)
    direction: Literal["down", "up", "both"] = "both"
    min_periods: int = Field(default=4, ge=1)

    @model_validator(mode="after")
    def _periods_fit(self) -> Anomaly:
        if self.min_periods > self.lookback:
            msg = (
                f"min_periods ({self.min_periods}) must be between 1 and lookback "
                f"({self.lookback}): it counts buckets among the lookback"
            )
            raise ValueError(msg)
        return self

    def fit(self, check: _CheckLike, stages: Sequence[str], transitions: Sequence[str]) -> None:
        """A ValueError when the check cannot carry this block (pydantic adds the line)."""
        name = f"check '{check.id}'" if check.id else f"the check on {check.metric}"
        allowed = anomaly_metrics(stages, transitions)
        if check.metric not in allowed:
            close = difflib.get_close_matches(check.metric, allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            msg = (
                f"anomaly: {name}: '{check.metric}' is not counted per {self.over}; {hint}"
                f"anomaly checks take par, bar, reached.<stage>, ratio.<transition> or "
                f"flow.<transition> (stages: {', '.join(stages)}; transitions: "
                f"{', '.join(transitions)})"
            )
            raise ValueError(msg)
        if check.segment is not None:
            msg = (
                f"anomaly: {name}: not available per segment (the buckets count every person); "
                "remove segment: or anomaly:"
            )
            raise ValueError(msg)
        for level, text in conditions(check):
            if text.strip().lower() != ANOMALOUS:
                msg = (
                    f'{level}: with anomaly: the condition is "{ANOMALOUS}", got {text!r}; '
                    f'an anomalous bucket fails unless the check says warn: "{ANOMALOUS}"'
                )
                raise ValueError(msg)


def fit_anomaly(check: _CheckLike, stages: Sequence[str], transitions: Sequence[str]) -> None:
    """A ValueError when a check's anomaly: block, or its absence, does not fit the check."""
    if check.anomaly is not None:
        check.anomaly.fit(check, stages, transitions)
        return
    for level, text in conditions(check):
        if text.strip().lower() == ANOMALOUS:
            msg = (
                f'{level}: "{ANOMALOUS}" needs an anomaly: block saying which buckets to '
                "compare, e.g. anomaly: {over: week}"
            )
            raise ValueError(msg)
