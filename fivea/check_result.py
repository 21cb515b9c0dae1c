"""The result of ``fivea check``: one evaluated check, the diagnosis -> render contract.

Built by ``fivea.diagnosis.checks``; read by ``fivea.render.checks`` and
``fivea.render.table_checks``. A result-level type, so the renderers import nothing of the
diagnosis (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["anomalous", "normal", "not_judged"]  # an anomaly check's judgement


@dataclass(frozen=True)
class CheckResult:
    """One evaluated check."""

    name: str
    metric: str
    segment: dict[str, str] | None
    value: Any
    status: str  # pass / warn / fail
    condition: str | None  # the condition that triggered, if any
    message: str
    line: int | None
    not_observable: str | None = None  # why the metric is null, e.g. "no one reached Ask"
    conditions: str = ""  # every condition of the check: "fail if < 0.02, warn if < 0.03"
    anomaly: AnomalyResult | None = None  # with anomaly: (docs/checks.md, "Anomaly checks")


@dataclass(frozen=True)
class HistoryPoint:
    """One bucket of the history: its label and value."""

    bucket: str
    value: float | int


@dataclass(frozen=True)
class AnomalyResult:
    """What an anomaly check judged (the check result's ``anomaly`` block)."""

    bucket: str | None  # the latest complete bucket, e.g. 2024-W23
    value: float | int | None
    median: float | None
    low: float | None
    high: float | None
    history: tuple[HistoryPoint, ...]
    status: Status
    status_reason: str | None = None
    direction: str = "both"  # the side(s) watched, for the text (not in the JSON)

    def to_dict(self) -> dict[str, Any]:
        """The JSON block."""
        return {
            "bucket": self.bucket,
            "value": self.value,
            "median": self.median,
            "low": self.low,
            "high": self.high,
            "history": [{"bucket": p.bucket, "value": p.value} for p in self.history],
            "status": self.status,
            "status_reason": self.status_reason,
        }


def show(value: float | None) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def position(judged: AnomalyResult) -> str:
    """Where the value lies against the watched bound(s): 'below [0.16, 0.29]',
    'not below the low bound 0.16' (direction down), 'above the high bound 0.29' (up)."""
    assert judged.value is not None
    assert judged.low is not None
    assert judged.high is not None
    low, high, value = show(judged.low), show(judged.high), judged.value
    if judged.direction == "down":
        return f"{'' if value < judged.low else 'not '}below the low bound {low}"
    if judged.direction == "up":
        return f"{'' if value > judged.high else 'not '}above the high bound {high}"
    side = "below" if value < judged.low else "above" if value > judged.high else "inside"
    return f"{side} [{low}, {high}]"
