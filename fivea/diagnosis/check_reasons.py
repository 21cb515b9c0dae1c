"""Why a check's metric is null, in the words of the report (docs/checks.md, "What a check prints").

A check on a null metric is resolved by ``on_missing``; its output gives this sentence once:
``ratio.commitment not observable: no one reached Ask``.
"""

from __future__ import annotations

from fivea.config.loader import TRANSITION_NAMES, Check
from fivea.result import Result


def _label(result: Result, key: str) -> str:
    return result.stage(key).label


def _transition_reason(result: Result, head: str, tail: str) -> str:
    """Why a transition metric is null, in words (docs/checks.md, "What a check prints")."""
    transition = next(t for t in result.transitions if t.name == tail)
    low, high = _label(result, transition.from_stage), _label(result, transition.to_stage)
    if head in ("path_conversion", "settled_conversion"):
        if head == "settled_conversion" and transition.path_conversion is not None:
            return f"everyone who reached {low} on the path is still inside the funnel window"
        return f"no one reached {low} on the ordered path"
    if head.endswith("_seconds"):
        return f"no one reached {high} after {low}"
    if head == "uplift" and transition.ratio is not None:
        return f"the {tail} ratio is 0, so no uplift reaches the target"
    return f"no one reached {low}"


def null_reason(result: Result, check: Check) -> str:
    """Why the metric a check names is null: the sentence the report would give."""
    head, _, tail = check.metric.partition(".")
    if check.segment:
        column, value = next(iter(check.segment.items()))
        if head in ("ratio", "flow"):
            transition = next(t for t in result.transitions if t.name == tail)
            low = _label(result, transition.from_stage)
            return f"no one with {column} = {value} reached {low}"
        return f"no one with {column} = {value} reached {_label(result, 'aware')}"
    if check.metric in ("par", "bar"):
        ratio = getattr(result, check.metric)
        if ratio is not None and ratio.reading and ": " in ratio.reading:
            return ratio.reading.split(": ", 1)[1]  # "PAR not observable: nobody reached Aware"
        return f"no one reached {_label(result, 'aware')}"
    if tail in TRANSITION_NAMES:
        return _transition_reason(result, head, tail)
    if head == "share" or check.metric == "path_conversion":
        return f"no one reached {_label(result, 'aware')}"
    if head == "in_window":
        return f"{_label(result, tail)} is the last stage: no one can be on the way past it"
    if head in ("change", "delta"):
        return f"{tail} is not observable in this period or the previous one"
    if head == "subfunnel":
        sub_name = tail.rpartition(".")[0]
        sub = next(s for s in result.subfunnels if s.name == sub_name)
        first = sub.steps[0].name if sub.steps else "its first step"
        return f"no one reached {first}, the first step of sub-funnel {sub_name}"
    if head == "quality":
        # span and shares have no base when no valid event was read (or none in the window)
        return "no events in the window" if tail == "unmatched_share" else "no valid events"
    return "the report has no value for it"
