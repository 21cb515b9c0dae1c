"""Compare with an earlier JSON report instead of the previous period (docs/metrics.md#baseline).

``--baseline report.json`` reads a report written earlier (cron's ``-o 'report-{as_of}.json'``):
its counts are enough for the same deltas, significance tests and splits as ``--compare
previous``, without the old log. Reports compare only when they counted the same way (same
``config_fingerprint``) over windows of the same length.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from fivea.aggregate.measures import StageTable
from fivea.config.fingerprint import differing
from fivea.config.loader import STAGE_KEYS
from fivea.diagnosis.change import (
    BAR_TRANSITIONS,
    PAR_TRANSITIONS,
    funnel_split,
    mix_rate,
    sentences,
    shared_groups,
)
from fivea.diagnosis.compare import compare
from fivea.errors import UsageError
from fivea.result import Change, Result, StageCount, Transition


def load_baseline(path: str) -> dict[str, Any]:
    """The baseline report, checked to be a fivea JSON report."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"--baseline {path}: file not found; pass a JSON report written by fivea (-o report.json)"
        raise UsageError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"--baseline {path}: cannot read it ({exc.__class__.__name__}); pass a JSON report written by fivea"
        raise UsageError(msg) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"--baseline {path}: line {exc.lineno}: not JSON ({exc.msg}); pass a JSON report written by fivea (-f json)"
        raise UsageError(msg) from exc
    if not isinstance(data, dict) or data.get("schema_version") != 1 or "stages" not in data:
        msg = f"--baseline {path}: not a fivea JSON report (no schema_version 1 and stages); write one with fivea report EVENTS -o report.json"
        raise UsageError(msg)
    if "config_fingerprint" not in data:
        msg = f"--baseline {path}: the report has no config_fingerprint (written by an older fivea); write it again with this version"
        raise UsageError(msg)
    return data


def _length(since: str | None, until: str) -> float | None:
    if since is None:
        return None
    parse = dt.datetime.fromisoformat
    return (parse(until) - parse(since)).total_seconds()


def _check_comparable(result: Result, data: dict[str, Any], path: str) -> None:
    if data["config_fingerprint"] != result.config_fingerprint:
        parts = differing(result.config_resolved or {}, data.get("config_resolved") or {})
        msg = (
            f"--baseline {path}: counted with other rules ({', '.join(parts) or 'config'} differ); "
            "ratios of different rules do not compare: use a baseline written with this config"
        )
        raise UsageError(msg)
    window = data.get("window") or {}
    now = _length(result.window.since, result.window.until)
    before = _length(window.get("since"), window.get("until", ""))
    if now != before:
        shown = ", ".join(
            "all history" if v is None else f"{v / 86400:g} days" for v in (now, before)
        )
        msg = (
            f"--baseline {path}: the analysis windows differ in length (now, baseline: {shown}); "
            "use the same --since (e.g. --since 7d) for both runs"
        )
        raise UsageError(msg)


def _stage_table(data: dict[str, Any]) -> StageTable:
    """The baseline's stage table from its JSON (the counts the comparison needs)."""
    stage_fields = [f.name for f in dataclasses.fields(StageCount)]
    stages = tuple(StageCount(**{k: s.get(k) for k in stage_fields}) for s in data["stages"])
    transition_fields = [f.name for f in dataclasses.fields(Transition)]
    transitions = []
    for t in data["transitions"]:
        values = {**t, "from_stage": t["from"], "to_stage": t["to"]}
        if isinstance(values.get("target"), list):
            values["target"] = tuple(values["target"])
        transitions.append(Transition(**{k: values.get(k) for k in transition_fields}))
    return StageTable(
        persons=int(data.get("persons", 0)),
        stages=stages,
        transitions=tuple(transitions),
        current=dict(data.get("current", {})),
        prospects=int(data.get("prospects", 0)),
        customers=int(data.get("customers", 0)),
        path_conversion=data.get("path_conversion"),
    )


def _segment_counts(
    segments: list[dict[str, Any]], column: str
) -> dict[str, tuple[int, int]] | None:
    for seg in segments:
        if seg["column"] == column:
            return {r["value"]: (r["reached"]["aware"], r["reached"]["act"]) for r in seg["rows"]}
    return None


def apply_baseline(result: Result, path: str, aware_is_every_event: bool = True) -> Result:
    """``result`` compared with the baseline report at ``path``: compare, change, reasons."""
    data = load_baseline(path)
    _check_comparable(result, data, path)
    before = _stage_table(data)
    now = StageTable(
        result.persons, result.stages, result.transitions, result.current,
        result.prospects, result.customers, result.path_conversion,
    )  # fmt: skip
    # the report keeps no hits before the window: a stage with no person in either run is
    # taken as not measured (its ratios are undefined anyway)
    reached_before = {s.key: s.reached for s in before.stages}
    measured = {k: result.stage(k).reached > 0 or reached_before.get(k, 0) > 0 for k in STAGE_KEYS}
    window = data.get("window") or {}
    comparison = compare(now, before, window.get("since") or "", window.get("until") or "", None)
    split = None
    if result.segments:
        column = result.segments[0].column
        mine = _segment_counts([dataclasses.asdict(s) for s in result.segments], column)
        theirs = _segment_counts(data.get("segments") or [], column)
        if mine is not None and theirs is not None:
            split = mix_rate(column, *shared_groups(mine, theirs), aware_is_every_event)
    change = Change(
        path,
        funnel_split(now, before, PAR_TRANSITIONS, measured),
        funnel_split(now, before, BAR_TRANSITIONS, measured),
        split,
    )
    change = dataclasses.replace(change, summary=sentences(change))
    verdict = dataclasses.replace(
        result.verdict, reasons=(*result.verdict.reasons, *comparison.reasons, *change.summary)
    )
    return dataclasses.replace(result, compare=comparison, change=change, verdict=verdict)
