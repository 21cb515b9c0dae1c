"""The JSON rendering: the whole result, sorted keys, no NaN or infinity (README.md#output-formats)."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from fivea.result import Result

if TYPE_CHECKING:  # `fivea stages` only: a diagnosis does not build its dataclasses
    from fivea.stage_report import StageInspection


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def render_json(result: Result) -> str:
    """The result as a JSON document with ``schema_version`` 1."""
    return json.dumps(_finite(result.to_dict()), sort_keys=True, indent=2, allow_nan=False) + "\n"


def render_stages_json(inspection: StageInspection) -> str:
    """``fivea stages --format json``: the inspection, sorted keys, no NaN or infinity."""
    return (
        json.dumps(_finite(inspection.to_dict()), sort_keys=True, indent=2, allow_nan=False) + "\n"
    )
