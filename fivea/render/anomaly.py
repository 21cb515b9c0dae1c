"""An anomaly check's value cell (docs/checks.md, "Anomaly checks")."""

from __future__ import annotations

from fivea.diagnosis.anomaly import AnomalyResult, show


def anomaly_value(judged: AnomalyResult) -> str:
    """'0.0121 in 2025-W13 (band 0.18–0.27)', or why the bucket was not judged."""
    if judged.status == "not_judged":
        return f"not judged: {judged.status_reason}"
    return (
        f"{show(judged.value)} in {judged.bucket} "
        f"({judged.status}; band {show(judged.low)} to {show(judged.high)})"
    )
