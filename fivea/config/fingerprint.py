"""The config fingerprint (docs/metrics.md#baseline): which rules produced a report's numbers.

Two reports compare only when they counted the same way: same columns, time settings, dedupe,
identity, stages, sub-funnels and funnel window. Targets, segments, checks and advice may
differ. The fingerprint is the sha256 of the canonical JSON of those resolved parts (sorted
keys, lists as lists, durations in µs, columns as detected).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fivea.config.loader import Config

PARTS = ("columns", "time", "dedupe", "identity", "stages", "subfunnels", "funnel")


def resolved_parts(config: Config, columns: dict[str, Any]) -> dict[str, Any]:
    """The parts of the config that decide the counts, with the columns actually used."""
    dumped = config.model_dump(
        mode="json", include={"time", "dedupe", "identity", "stages", "subfunnels"}
    )
    dumped["columns"] = {**config.columns.model_dump(mode="json"), **columns}
    dumped["funnel"] = {"window": config.funnel.window}
    return {key: dumped[key] for key in PARTS}


def fingerprint(parts: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``parts``."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differing(parts: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """The top-level parts that differ between two resolved configs (for the error message)."""
    return [key for key in PARTS if parts.get(key) != other.get(key)]
