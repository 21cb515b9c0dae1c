"""An anomaly check's value cell (docs/checks.md, "Anomaly checks")."""

from __future__ import annotations

from fivea.check_result import AnomalyResult, position, show


def anomaly_value(judged: AnomalyResult) -> str:
    """'129 in 2025-W14: anomalous, below [297.2, 395.8]', or why it was not judged."""
    if judged.status == "not_judged":
        return f"not judged: {judged.status_reason}"
    return f"{show(judged.value)} in {judged.bucket}: {judged.status}, {position(judged)}"
