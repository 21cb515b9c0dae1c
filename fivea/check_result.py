"""The result of ``fivea check``: one evaluated check, the diagnosis -> render contract.

Built by ``fivea.diagnosis.checks``; read by ``fivea.render.checks`` and
``fivea.render.table_checks``. A result-level type, so the renderers import nothing of the
diagnosis (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
