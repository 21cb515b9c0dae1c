"""``checks:`` (README.md#exit-codes): metrics addressed by dotted names, SodaCL-like conditions, levels.

A condition names the *bad* state: ``fail: "< 0.02"`` fails when the metric is below 0.02.
``fail:`` is evaluated before ``warn:``. A null metric, whatever its reason (not measured, not
observable, zero base, ...), is resolved by ``on_missing`` (fail by default).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from fivea.check_result import CheckResult  # the result type, below the renderer
from fivea.config.loader import STAGE_KEYS, TRANSITION_NAMES, Check, Config
from fivea.diagnosis.anomaly import evaluate_anomaly
from fivea.diagnosis.check_reasons import null_reason
from fivea.errors import ConfigError
from fivea.result import NOT_MEASURED, NOT_OBSERVABLE, Result, SegmentRow

_COMPARATORS = ("<=", ">=", "==", "!=", "<", ">")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_VALUE = re.compile(rf"^\s*({_NUMBER})\s*(%|pp)?\s*$")
_STAGE_METRICS = ("reached", "share", "path", "current", "in_window")
_TRANSITION_METRICS = (
    "ratio",
    "flow",
    "dropoff",
    "path_conversion",
    "settled_conversion",
    "uplift",
    "median_seconds",
    "p25_seconds",
    "p75_seconds",
    "p90_seconds",
    "reversed",
    "grade",
)
_QUALITY = (
    "rows_read",
    "rows_used",
    "duplicates",
    "persons",
    "stitched_ids",
    "unmatched_events",
    "unmatched_share",
    "dropped_share",
    "events_in_window",
    "span_seconds",
)
_SEGMENT_METRICS = ("persons", "par", "bar")


@dataclass(frozen=True)
class Condition:
    """A parsed condition: comparator with a number, a range, or a set of words."""

    text: str
    op: str  # a comparator, "between", "in" or "not in"
    values: tuple[Any, ...]

    def holds(self, value: Any) -> bool:
        """Whether the metric value is in the bad state this condition names."""
        if self.op in ("in", "not in"):
            inside = str(value) in self.values
            return inside if self.op == "in" else not inside
        if isinstance(value, str):
            if self.op in ("==", "!="):
                return (value == str(self.values[0])) == (self.op == "==")
            return False
        if self.op == "between":
            return self.values[0] <= value <= self.values[1]
        target = self.values[0]
        return {
            "<": value < target,
            "<=": value <= target,
            ">": value > target,
            ">=": value >= target,
            "==": value == target,
            "!=": value != target,
        }[self.op]


def _number(text: str, where: str) -> float:
    match = _VALUE.match(text)
    if match is None:
        msg = f"{where}: expected a number such as 0.2, 5% or -0.5pp, got {text.strip()!r}"
        raise ConfigError(msg)
    value = float(match.group(1))
    if not math.isfinite(value):
        msg = f"{where}: expected a finite number such as 0.2, 5% or -0.5pp, got {text.strip()!r}"
        raise ConfigError(msg)
    unit = match.group(2)
    return value / 100 if unit in ("%", "pp") else value


def parse_condition(text: str, where: str) -> Condition:
    """Parse ``< 0.02``, ``between 0.1 and 0.3``, ``in [goldfish, trumpet]``, ``== door_knob``."""
    raw = text.strip()
    lowered = raw.lower()
    for op in ("not in", "in"):
        if lowered.startswith(op + " ") or lowered.startswith(op + "["):
            body = raw[len(op) :].strip()
            if not (body.startswith("[") and body.endswith("]")):
                msg = f'{where}: write the set in brackets, e.g. "{op} [goldfish, trumpet]"'
                raise ConfigError(msg)
            items = tuple(i.strip().strip("'\"") for i in body[1:-1].split(",") if i.strip())
            if not items:
                never = "never holds" if op == "in" else "always holds"
                msg = (
                    f'{where}: "{raw}" names an empty set, so the condition {never}; list the '
                    'bad values, e.g. "in [goldfish, trumpet]"'
                )
                raise ConfigError(msg)
            return Condition(raw, op, items)
    if lowered.startswith("between "):
        parts = re.split(r"\s+and\s+", raw[len("between ") :], flags=re.IGNORECASE)
        if len(parts) != 2:
            msg = f'{where}: write a range as "between 0.1 and 0.3", got {raw!r}'
            raise ConfigError(msg)
        low, high = (_number(p, where) for p in parts)
        return Condition(raw, "between", (min(low, high), max(low, high)))
    for op in _COMPARATORS:
        if raw.startswith(op):
            rest = raw[len(op) :].strip()
            if _VALUE.match(rest):
                return Condition(raw, op, (_number(rest, where),))
            if op in ("==", "!=") and re.fullmatch(r"[\w-]+", rest):
                return Condition(raw, op, (rest,))
            return Condition(raw, op, (_number(rest, where),))
    msg = (
        f"{where}: cannot read condition {raw!r}; use <, <=, >, >=, ==, !=, "
        '"between A and B", "in [...]" or "not in [...]"'
    )
    raise ConfigError(msg)


def metric_names(config: Config) -> list[str]:
    """Every metric a check may name (for validation and "did you mean")."""
    names = [
        "par",
        "bar",
        "archetype",
        "verdict",
        "bottleneck",
        "persons",
        "prospects",
        "customers",
        "path_conversion",
    ]
    names += [f"{m}.{s}" for m in _STAGE_METRICS for s in STAGE_KEYS]
    names += [f"{m}.{t}" for m in _TRANSITION_METRICS for t in TRANSITION_NAMES]
    names += [f"quality.{q}" for q in _QUALITY]
    compared = [
        "par",
        "bar",
        *[f"reached.{s}" for s in STAGE_KEYS],
        *[f"{m}.{t}" for m in ("ratio", "flow") for t in TRANSITION_NAMES],
    ]
    names += [f"{kind}.{c}" for kind in ("change", "delta") for c in compared]
    names += [f"subfunnel.{name}.conversion" for name in config.subfunnels]
    names += [f"subfunnel.{name}.reached" for name in config.subfunnels]
    return names


def validate_checks(config: Config, lines: tuple[int | None, ...], origin: str) -> None:
    """Config errors for unknown metrics and unreadable conditions, before any data is read."""
    known = metric_names(config)
    for index, check in enumerate(config.checks):
        line = lines[index] if index < len(lines) else None
        where = f"{origin}:{line}" if line else origin
        key = f"checks[{index}]"
        if check.metric not in known:
            close = difflib.get_close_matches(check.metric, known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "see docs/checks.md for the names"
            msg = f"{where}: {key}.metric: unknown metric '{check.metric}'; {hint}"
            raise ConfigError(msg)
        if check.segment is not None:
            if len(check.segment) != 1:
                msg = f"{where}: {key}.segment: name one column and value, e.g. {{channel: email}}"
                raise ConfigError(msg)
            base = check.metric.split(".")[0]
            if base not in ("reached", "ratio", "flow", "par", "bar", "persons"):
                msg = (
                    f"{where}: {key}.segment: {check.metric} is not available per segment; "
                    "use reached.*, ratio.*, flow.*, par, bar or persons"
                )
                raise ConfigError(msg)
        if check.anomaly is None:  # anomaly: only says "anomalous"
            for level, text in check.conditions():
                parse_condition(text, f"{where}: {key}.{level}")


def check_name(check: Check) -> str:
    """The check's identifier: its id, else its metric (and segment)."""
    base = check.id or check.metric
    if check.segment and not check.id:
        column, value = next(iter(check.segment.items()))
        base += f" [{column}={value}]"
    return base


def _segment_row(result: Result, segment: dict[str, str]) -> SegmentRow | None:
    column, value = next(iter(segment.items()))
    for breakdown in result.segments:
        if breakdown.column == column:
            return next((r for r in breakdown.rows if r.value == value), None)
    return None


def metric_value(result: Result, check: Check) -> tuple[Any, str | None]:
    """(value, reason when null) of the metric a check names."""
    value, reason = _metric_value(result, check)
    if value is None and reason in (None, NOT_OBSERVABLE, "last_stage"):
        reason = null_reason(result, check)  # the report's own sentence: "no one reached Ask"
    return value, reason


def _metric_value(result: Result, check: Check) -> tuple[Any, str | None]:
    name = check.metric
    head, _, tail = name.partition(".")
    if check.segment:
        row = _segment_row(result, check.segment)
        if row is None:
            column, value = next(iter(check.segment.items()))
            return None, f"no persons with {column} = {value}"
        unmeasured = {s.key for s in result.stages if not s.measured}
        table = {"reached": row.reached, "ratio": row.ratios, "flow": row.flows}
        if head in table:
            value = table[head][tail]
            stages = _stages_of(head, tail)
        else:
            value = {"par": row.par, "bar": row.bar, "persons": row.persons}[head]
            stages = {"par": {"aware", "act"}, "bar": {"aware", "advocate"}}.get(head, set())
        if value is not None:
            return value, None
        return None, NOT_MEASURED if stages & unmeasured else NOT_OBSERVABLE
    value: Any = None
    reason: str | None = None  # the number's own reason code when it is null
    if name in ("par", "bar"):
        ratio = getattr(result, name)
        value = ratio.value if ratio else None
        reason = ratio.reason if ratio else None
    elif name == "archetype":
        value = result.archetype.primary if result.archetype else None
    elif name == "verdict":
        value = result.verdict.status if result.verdict else None
    elif name == "bottleneck":
        value = result.bottleneck.transition if result.bottleneck else "none"
    elif name in ("persons", "prospects", "customers", "path_conversion"):
        value = getattr(result, name)
        reason = result.path_conversion_reason if name == "path_conversion" else None
    elif head in _STAGE_METRICS:
        stage = result.stage(tail)
        value = {
            "reached": stage.reached,
            "share": stage.share_of_aware,
            "path": stage.path,
            "current": stage.current,
            "in_window": stage.in_window,
        }[head]
        reason = {
            "share": stage.share_of_aware_reason,
            "path": stage.path_reason,
            "in_window": stage.in_window_reason,
        }.get(head)
    elif head in _TRANSITION_METRICS:
        transition = next(t for t in result.transitions if t.name == tail)
        value = getattr(transition, "dropoff" if head == "dropoff" else head)
        reason = {
            "ratio": transition.ratio_reason,
            "flow": transition.flow_reason,
            "dropoff": transition.flow_reason,
            "uplift": transition.grade_reason,
            "path_conversion": transition.path_conversion_reason,
            "settled_conversion": transition.settled_conversion_reason,
        }.get(head)
        if reason is None and transition.grade == NOT_MEASURED:
            reason = NOT_MEASURED  # times into or out of a stage no rule can see
    elif head == "quality":
        value = getattr(result.quality, tail)
    elif head in ("change", "delta"):
        if result.compare is None:
            return None, "needs --compare previous"
        delta = next((d for d in result.compare.deltas if d.metric == tail), None)
        value = None if delta is None else (delta.change if head == "change" else delta.delta)
        reason = None if delta is None else delta.reason
    elif head == "subfunnel":
        sub_name, _, what = tail.rpartition(".")
        sub = next(s for s in result.subfunnels if s.name == sub_name)
        value = sub.overall_conversion if what == "conversion" else sub.steps[-1].reached
    if value is not None:
        return value, None
    return None, reason


def _stages_of(head: str, tail: str) -> set[str]:
    """The stages a per-segment number reads (a null one is not measured if any is not)."""
    if head == "reached":
        return {tail}
    i = TRANSITION_NAMES.index(tail)
    return {STAGE_KEYS[i], STAGE_KEYS[i + 1]}


def evaluate(
    config: Config, result: Result, lines: tuple[int | None, ...] = ()
) -> list[CheckResult]:
    """Evaluate every check against the result; ``fail`` before ``warn``."""
    out = []
    for index, check in enumerate(config.checks):
        line = lines[index] if index < len(lines) else None
        name = check_name(check)
        if check.anomaly is not None:
            out.append(evaluate_anomaly(check, result, line, name))
            continue
        conditions = condition_words(check)
        value, reason = metric_value(result, check)
        if value is None:
            status = {"fail": "fail", "warn": "warn", "pass": "pass"}[check.on_missing]
            if reason is not None and " " not in reason:  # a code: not_measured, zero_base...
                words = reason.replace("_", " ")
                message = f"{check.metric} has no value ({words}); on_missing: {check.on_missing}"
            else:  # a sentence: why nobody could be counted
                message = f"{check.metric} not observable: {reason}; on_missing: {check.on_missing}"
            out.append(
                CheckResult(
                    name,
                    check.metric,
                    check.segment,
                    None,
                    status,
                    None,
                    message,
                    line,
                    reason,
                    conditions,
                )
            )
            continue
        status, triggered = "pass", None
        for level, text in check.conditions():
            if parse_condition(text, name).holds(value):
                status, triggered = level, text
                break
        shown = _show(value)
        if triggered:
            message = f"{check.metric} = {shown} ({triggered.strip()})"
        else:
            message = f"{check.metric} = {shown} (pass; {conditions})"
        out.append(
            CheckResult(
                name,
                check.metric,
                check.segment,
                value,
                status,
                triggered,
                message,
                line,
                conditions=conditions,
            )
        )
    return out


def condition_words(check: Check) -> str:
    """The check's conditions in the order they are evaluated: 'fail if < 0.02, warn if < 0.03'."""
    levels = (("fail", check.fail), ("warn", check.warn))
    return ", ".join(f"{level} if {text.strip()}" for level, text in levels if text is not None)


def _show(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def exit_status(results: list[CheckResult], strict: bool) -> int:
    """0 when every check passes (warnings allowed unless strict), else 1."""
    bad = {"fail", "warn"} if strict else {"fail"}
    return 1 if any(r.status in bad for r in results) else 0
