"""Slow, obviously-correct pure-Python reference ("oracle") for fivea's counting rules.

Written only from the definitions in docs/metrics.md (rule hits, counts per stage, ordered
path, sub-funnels) and docs/config.md (the analysis window).  Nothing here is tuned for speed: every definition is a
plain loop over lists and dicts so that it can be read side by side with those docs.  The fast
polars engine is tested against this module.

Events are dicts with ``user`` (str), ``time`` (int, µs since the epoch, UTC), ``event`` (str)
and any property keys.  The position of an event in the input list is its *input order*, the
tie-breaker for equal times (docs/input.md "Input order", docs/metrics.md, docs/metrics.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STAGES = ("aware", "appeal", "ask", "act", "advocate")
# TRANSITIONS[i] is STAGES[i] -> STAGES[i + 1] (docs/metrics.md#stage-counts-per-analysis-window).
TRANSITIONS = ("attraction", "curiosity", "commitment", "affinity")

QUANTILES = (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))


@dataclass
class RefRule:
    """One rule (docs/metrics.md#stage-counts-per-analysis-window).  Every key that is set must hold for an event to match."""

    event: list[str] | None = None  # exact names, case-sensitive
    event_matches: str | None = None  # regex that must match the WHOLE name (re.fullmatch)
    where: Callable[[dict], bool | None] | None = None  # predicate; None counts as False
    any_event: bool = False
    min_count: int | None = None
    within_us: int | None = None  # trailing window in µs, both ends inclusive
    gap_us: int | None = None  # occasions: a match less than gap after the previous continues


@dataclass
class RefConfig:
    """Stages (keys exactly STAGES), the funnel window and optional sub-funnels."""

    stages: dict[str, list[RefRule]]
    window_us: int  # funnel.window in µs (docs/metrics.md#ordered-path)
    # name -> (steps, window in µs) (docs/metrics.md#sub-funnels)
    subfunnels: dict[str, tuple[list[RefRule], int]] = field(default_factory=dict)


@dataclass
class RefResult:
    """Everything the oracle computes; see ``compute`` for the exact definitions."""

    persons: int
    reach_time: dict[str, dict[str, int]]
    reached: dict[str, int]
    flow: dict[str, int]
    current: dict[str, int]
    ttc: dict[str, dict[str, Any]]
    path_level: dict[str, int]
    path: list[int | None]  # None: the stage is not measured and the path skips it
    in_window: list[int | None]  # stages 1..4; None: not measured, or the last measured stage
    measured: dict[str, bool]
    subfunnels: dict[str, dict[str, Any]]


# ---------------------------------------------------------------------------------------------
# Quantiles (docs/metrics.md#stage-counts-per-analysis-window)
# ---------------------------------------------------------------------------------------------


def quantile7(values: list[int], q: float) -> float | None:
    """Hyndman-Fan type 7 quantile of integer µs values, returned as float µs (docs/metrics.md#stage-counts-per-analysis-window).

    Sort x ascending, h = q * (n - 1), value = x[floor h] + (h - floor h) * (x[floor h + 1] -
    x[floor h]).  None when there are no values.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {q}")
    x = sorted(values)
    n = len(x)
    if n == 0:
        return None
    h = q * (n - 1)
    lo = math.floor(h)
    if lo >= n - 1:
        return float(x[n - 1])
    return x[lo] + (h - lo) * (x[lo + 1] - x[lo])


def _seconds(us: float | None) -> float | None:
    return None if us is None else us / 1e6


# ---------------------------------------------------------------------------------------------
# Rule hits (docs/metrics.md#stage-counts-per-analysis-window)
# ---------------------------------------------------------------------------------------------


def _check_rule(rule: RefRule) -> None:
    """Reject rules the spec calls errors (docs/metrics.md#stage-counts-per-analysis-window: a rule with no matching key)."""
    if (
        rule.event is None
        and rule.event_matches is None
        and rule.where is None
        and not rule.any_event
    ):
        raise ValueError("a rule needs at least one of event, event_matches, where, any_event")
    if rule.min_count is not None and rule.min_count < 1:
        raise ValueError("min_count must be >= 1")
    if rule.within_us is not None:
        if rule.min_count is None:
            raise ValueError("within needs min_count")
        if rule.within_us < 0:
            raise ValueError("within must be >= 0")
    if rule.gap_us is not None and rule.gap_us <= 0:
        raise ValueError("gap must be > 0")


def rule_matches(rule: RefRule, ev: dict) -> bool:
    """True when every key set on the rule holds for the event (docs/metrics.md#stage-counts-per-analysis-window)."""
    if rule.event is not None:
        names = [rule.event] if isinstance(rule.event, str) else list(rule.event)
        if ev["event"] not in names:
            return False
    if rule.event_matches is not None and re.fullmatch(rule.event_matches, ev["event"]) is None:
        return False
    if rule.where is not None:
        result = rule.where(ev)
        if result is None or not result:  # null counts as false
            return False
    # any_event: true holds for every event; nothing to check.
    return True


def rule_hits(rule: RefRule, rows: list[tuple[int, int, dict]]) -> list[bool]:
    """Which of one person's rows are hits of ``rule`` (docs/metrics.md#stage-counts-per-analysis-window).

    ``rows`` are (time, input index, event) of ONE person, sorted by (time, input index) and
    already restricted to time < until.  Returns one bool per row.

    Without min_count and gap every matching event is a hit.  With min_count n (and optional
    within D), a matching event e is a hit iff the number of matching events e' with (time,
    order) <= (time_e, order_e) and, when D is given, time_e - time_e' <= D, is >= n.

    With gap G the matching events form occasions: a matching event less than G after the
    previous matching event continues its occasion, any other starts one.  Then only occasion
    starts can be hits, and min_count (default 1) and within count occasion starts instead of
    matching events.
    """
    matches = [rule_matches(rule, ev) for (_t, _i, ev) in rows]
    if rule.min_count is None and rule.gap_us is None:
        return matches
    # which matching rows start an occasion (without gap: every one)
    starts = [False] * len(rows)
    previous_time = None
    for i, (t_i, _idx_i, _ev_i) in enumerate(rows):
        if not matches[i]:
            continue
        if rule.gap_us is None or previous_time is None or t_i - previous_time >= rule.gap_us:
            starts[i] = True
        previous_time = t_i
    n = rule.min_count if rule.min_count is not None else 1
    hits = []
    for i, (t_i, _idx_i, _ev_i) in enumerate(rows):
        if not starts[i]:
            hits.append(False)
            continue
        count = 0
        for j in range(i + 1):  # rows[0..i] are exactly those <= row i in (time, order)
            if not starts[j]:
                continue
            t_j = rows[j][0]
            if rule.within_us is None or t_i - t_j <= rule.within_us:
                count += 1
        hits.append(count >= n)
    return hits


def any_rule_hits(rules: list[RefRule], rows: list[tuple[int, int, dict]]) -> list[bool]:
    """Union of the rules' hits (docs/metrics.md#stage-counts-per-analysis-window: a stage's hits are the union of its rules' hits)."""
    result = [False] * len(rows)
    for rule in rules:
        for i, hit in enumerate(rule_hits(rule, rows)):
            if hit:
                result[i] = True
    return result


# ---------------------------------------------------------------------------------------------
# Ordered path (docs/metrics.md#ordered-path)
# ---------------------------------------------------------------------------------------------


def path_chain_level(stage_times: list[list[int]], start: int, window_us: int) -> int:
    """Level reached by the path that starts with the stage-1 hit at ``start`` (docs/metrics.md#ordered-path).

    Greedy: each next stage takes its earliest hit at a time >= the previous step's time (ties
    allowed, the same event may serve several steps) and <= start + window (inclusive).  Taking
    the earliest possible hit never hurts later steps, so this is the best chain for this start.
    """
    level = 1
    prev = start
    for k in range(1, len(stage_times)):
        candidates = [t for t in stage_times[k] if t >= prev and t - start <= window_us]
        if not candidates:
            break
        prev = min(candidates)
        level += 1
    return level


def path_level_and_in_window(
    stage_times: list[list[int]], window_us: int, as_of_us: int
) -> tuple[int, bool]:
    """A person's ordered-path level 0..5 and whether it is still in window (docs/metrics.md#ordered-path).

    level = max over every start hit h1 of stage 1 of the greedy chain's level (0 without any
    stage-1 hit).  in_window: level < 5 and some start whose chain reaches that level has
    as_of - h1 < window (strict).
    """
    level = 0
    for start in stage_times[0]:
        level = max(level, path_chain_level(stage_times, start, window_us))
    in_window = False
    if 1 <= level < len(stage_times):
        for start in stage_times[0]:
            if (
                path_chain_level(stage_times, start, window_us) == level
                and as_of_us - start < window_us
            ):
                in_window = True
    return level, in_window


# ---------------------------------------------------------------------------------------------
# Sub-funnels (docs/metrics.md#sub-funnels)
# ---------------------------------------------------------------------------------------------


def subfunnel_chain(
    times: list[int], step_hits: list[list[bool]], start: int, window_us: int
) -> list[int]:
    """Positions of the greedy sub-funnel chain that starts at position ``start`` (docs/metrics.md#sub-funnels).

    ``times[p]`` is the time of the person's p-th in-window row in (time, input order);
    ``step_hits[j][p]`` says whether that row is a hit of step j.  Each next step takes the
    earliest row strictly after the previous step's row (a different row, later in (time,
    order)) that hits the step and has time - times[start] <= window (inclusive).
    """
    chain = [start]
    for j in range(1, len(step_hits)):
        nxt = None
        for p in range(chain[-1] + 1, len(times)):
            if step_hits[j][p] and times[p] - times[start] <= window_us:
                nxt = p
                break
        if nxt is None:
            break
        chain.append(nxt)
    return chain


def subfunnel_person(
    times: list[int], step_hits: list[list[bool]], window_us: int
) -> tuple[int, list[int]]:
    """(level, step times) of one person in one sub-funnel (docs/metrics.md#sub-funnels).

    Tries every row hitting step 1 as a start, in (time, input order).  The level is the longest
    chain; step times come from the earliest start whose chain reaches that level.
    """
    best_chain: list[int] = []
    for start in range(len(times)):
        if not step_hits[0][start]:
            continue
        chain = subfunnel_chain(times, step_hits, start, window_us)
        if len(chain) > len(best_chain):  # strict: keep the earliest start on ties
            best_chain = chain
    return len(best_chain), [times[p] for p in best_chain]


# ---------------------------------------------------------------------------------------------
# Everything together (docs/metrics.md, docs/config.md: the analysis window)
# ---------------------------------------------------------------------------------------------


def _check_config(config: RefConfig) -> None:
    if set(config.stages) != set(STAGES):
        raise ValueError(f"stages must be exactly {STAGES}, got {sorted(config.stages)}")
    if config.window_us < 0:
        raise ValueError("window must be >= 0")
    for rules in config.stages.values():
        for rule in rules:
            _check_rule(rule)
    for name, (steps, window_us) in config.subfunnels.items():
        if not steps:
            raise ValueError(f"subfunnel {name!r} has no steps")
        if window_us < 0:
            raise ValueError(f"subfunnel {name!r}: window must be >= 0")
        for rule in steps:
            _check_rule(rule)


def compute(
    events: list[dict],
    config: RefConfig,
    since_us: int | None = None,
    until_us: int | None = None,
    as_of_us: int | None = None,
) -> RefResult:
    """Compute every per-stage, path and sub-funnel count of docs/metrics.md.

    Analysis window (docs/config.md#segments-and-segment_attribution): as_of defaults to the latest event time (over all given
    events; 0 when there are none), until to as_of + 1 µs, since to minus infinity.  Rule hits
    are computed on all events with time < until (so a min_count pair may start before since);
    only hits with since <= time < until count for everything else.  ``persons`` are the users
    with at least one event in [since, until).
    """
    _check_config(config)

    # --- docs/config.md#segments-and-segment_attribution bounds -------------------------------------------------------------------
    if as_of_us is None:
        as_of_us = max((ev["time"] for ev in events), default=0)
    if until_us is None:
        until_us = as_of_us + 1

    def in_analysis_window(t: int) -> bool:
        return (since_us is None or since_us <= t) and t < until_us

    # --- each person's rows before until, sorted by (time, input order) ----------------------
    rows_by_user: dict[str, list[tuple[int, int, dict]]] = {}
    for idx, ev in enumerate(events):
        if ev["time"] < until_us:
            rows_by_user.setdefault(ev["user"], []).append((ev["time"], idx, ev))
    for rows in rows_by_user.values():
        rows.sort(key=lambda r: (r[0], r[1]))

    persons = sorted(
        user
        for user, rows in rows_by_user.items()
        if any(in_analysis_window(t) for (t, _i, _ev) in rows)
    )

    # --- stage hits (in window) per person (docs/metrics.md#stage-counts-per-analysis-window) ---------------------------------------
    # stage_times[user][k] = times of the in-window hits of stage k, ascending (may repeat)
    stage_times: dict[str, list[list[int]]] = {}
    # sub_rows[name][user] = (times of in-window rows, step_hits[j][p])
    sub_rows: dict[str, dict[str, tuple[list[int], list[list[bool]]]]] = {
        name: {} for name in config.subfunnels
    }
    for user in persons:
        rows = rows_by_user[user]
        window_mask = [in_analysis_window(t) for (t, _i, _ev) in rows]
        per_stage = []
        for stage in STAGES:
            hits = any_rule_hits(config.stages[stage], rows)
            per_stage.append([rows[i][0] for i in range(len(rows)) if hits[i] and window_mask[i]])
        stage_times[user] = per_stage

        for name, (steps, _w) in config.subfunnels.items():
            keep = [i for i in range(len(rows)) if window_mask[i]]
            times = [rows[i][0] for i in keep]
            step_hits = []
            for rule in steps:
                hits = rule_hits(rule, rows)  # computed on ALL rows before until
                step_hits.append([hits[i] for i in keep])
            sub_rows[name][user] = (times, step_hits)

    # --- docs/metrics.md#stage-counts-per-analysis-window reach times, reached, flow, current, time to convert ---------------------
    reach_time: dict[str, dict[str, int]] = {stage: {} for stage in STAGES}
    for user in persons:
        for k, stage in enumerate(STAGES):
            if stage_times[user][k]:
                reach_time[stage][user] = min(stage_times[user][k])
    reached = {stage: len(reach_time[stage]) for stage in STAGES}

    flow: dict[str, int] = {}
    ttc: dict[str, dict[str, Any]] = {}
    for k, name in enumerate(TRANSITIONS):
        a, b = reach_time[STAGES[k]], reach_time[STAGES[k + 1]]
        both = [user for user in persons if user in a and user in b]
        flow[name] = len(both)
        sample: list[int] = []
        reversed_count = 0
        for user in both:
            diff = b[user] - a[user]
            if diff >= 0:
                sample.append(diff)
            else:
                reversed_count += 1
        entry: dict[str, Any] = {"n": len(sample), "reversed": reversed_count}
        for label, q in QUANTILES:
            entry[label] = _seconds(quantile7(sample, q))
        ttc[name] = entry

    current = {"none": 0, **dict.fromkeys(STAGES, 0)}
    for user in persons:
        highest = "none"
        for k, stage in enumerate(STAGES):
            if stage_times[user][k]:
                highest = stage
        current[highest] += 1

    # --- docs/metrics.md#diagnosis measured: a stage with a hit among all valid events before until ----------
    # (every user's rows before until, not only the persons of the window)
    measured = dict.fromkeys(STAGES, False)
    for rows in rows_by_user.values():
        for stage in STAGES:
            if not measured[stage] and any(any_rule_hits(config.stages[stage], rows)):
                measured[stage] = True

    # --- docs/metrics.md#ordered-path ordered path over the measured stages, in 5A order --------------------------
    on_path = [k for k, stage in enumerate(STAGES) if measured[stage]]
    path_level: dict[str, int] = {}
    open_at_level = [0] * len(on_path)
    for user in persons:
        times = [stage_times[user][k] for k in on_path]
        level, still_open = (
            path_level_and_in_window(times, config.window_us, as_of_us) if times else (0, False)
        )
        path_level[user] = level
        if still_open:
            open_at_level[level - 1] += 1
    path: list[int | None] = [None] * len(STAGES)
    in_window: list[int | None] = [None] * (len(STAGES) - 1)
    for rank, k in enumerate(on_path, start=1):
        path[k] = sum(1 for user in persons if path_level[user] >= rank)
        if rank < len(on_path) and k < len(STAGES) - 1:
            in_window[k] = open_at_level[rank - 1]

    # --- docs/metrics.md#sub-funnels sub-funnels ----------------------------------------------------------------
    subfunnels: dict[str, dict[str, Any]] = {}
    for name, (steps, window_us) in config.subfunnels.items():
        levels: dict[str, int] = {}
        step_times: dict[str, list[int]] = {}
        for user in persons:
            times, step_hits = sub_rows[name][user]
            levels[user], step_times[user] = subfunnel_person(times, step_hits, window_us)
        counts = [sum(1 for user in persons if levels[user] >= k) for k in range(1, len(steps) + 1)]
        medians: list[float | None] = [None]
        for k in range(1, len(steps)):
            diffs = [
                step_times[user][k] - step_times[user][k - 1]
                for user in persons
                if levels[user] >= k + 1
            ]
            medians.append(_seconds(quantile7(diffs, 0.5)))
        subfunnels[name] = {"counts": counts, "median_step_seconds": medians, "levels": levels}

    return RefResult(
        persons=len(persons),
        reach_time=reach_time,
        reached=reached,
        flow=flow,
        current=current,
        ttc=ttc,
        path_level=path_level,
        path=path,
        in_window=in_window,
        measured=measured,
        subfunnels=subfunnels,
    )
