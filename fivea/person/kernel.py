"""The compiled per-person kernel of phase 1: one pass per person over the grouped rows.

The polars plan of ``fivea.person.table`` needs several hash group-bys and two sorts of the hits (10M
events: about 8.6 of 12 CPU seconds). Here the rows are grouped by person once
(``fivea.person.kernel_grouping``: each person's rows ordered by time), and one loop per person
computes every fact of the person table: window bounds, reach per stage, counted
(``min_count``) rules, the ordered path and the sub-funnels with monotone pointers (linear in
the person's rows), and the touch row for the segments. numba compiles the loops to machine
code (cached on disk after the first run).

The semantics are those of ``fivea.person.table`` (the tests compare both with the reference); the
NULL sentinel stands for a missing time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fivea.person.kernel_grouping import COUNTED, LOW32, MASK, ROW_AND_HASH, TIME

NULL = np.iinfo(np.int64).min  # a missing time


@njit(cache=True, nogil=True)
def _chain(
    times: np.ndarray,
    masks: np.ndarray,
    count: int,
    bits: np.ndarray,
    steps: int,
    window: int,
    distinct: bool,
    pointers: np.ndarray,
    chain_times: np.ndarray,
    best_times: np.ndarray,
) -> tuple[int, int]:
    """Greedy ordered path over one person's hit rows; (level, start time) of the best start.

    For a fixed start the earliest next hit at each step is optimal (ClickHouse
    ``windowFunnel``); the next hit of step k only moves forward as the start does, so one
    pointer per step walks the rows once. Non-distinct paths keep the latest start reaching the
    best level, distinct ones (sub-funnels) the earliest and its step times.
    """
    for k in range(steps):
        pointers[k] = 0
    best, best_start = 0, NULL
    first = 1 << bits[0]
    for i in range(count):
        if masks[i] & first == 0:
            continue
        level = 1
        within = True
        previous = i
        chain_times[0] = times[i]
        for k in range(1, steps):
            chain_times[k] = NULL
        for k in range(1, steps):
            low = previous + 1 if distinct else previous
            if pointers[k] < low:
                pointers[k] = low
            bit = 1 << bits[k]
            while pointers[k] < count and masks[pointers[k]] & bit == 0:
                pointers[k] += 1
            if pointers[k] >= count:
                break
            previous = pointers[k]
            chain_times[k] = times[previous]
            if within and times[previous] - times[i] <= window:
                level += 1
            else:
                within = False
        if level > best or (level == best and not distinct):
            if level > best and distinct:
                for k in range(steps):
                    best_times[k] = chain_times[k]
            best, best_start = level, times[i]
    return best, best_start


@njit(cache=True, nogil=True)
def person_facts(
    starts: np.ndarray,
    packed: np.ndarray,
    since: int,
    until: int,
    counted_bits: np.ndarray,
    counted_min: np.ndarray,
    counted_within: np.ndarray,
    counted_match: np.ndarray,
    counted_gap: np.ndarray,
    path_bits: np.ndarray,
    path_steps: np.ndarray,
    path_window: np.ndarray,
    path_distinct: np.ndarray,
    aware_is_any: bool,
    last_touch: bool,
    present: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Every fact of the person table, one person at a time (times in µs, NULL if none).

    Reads one part as ``group_persons`` returns it.
    ``since``/``until``: the window [since, until) (pass int64 min / max for no bound);
    counted rules: stage bit, ``min_count``, ``within`` (µs, < 0 for none), the bit of their
    match in the row's counted matches and ``gap`` (µs, < 0 for none); paths: step bits
    (one row per path), step count, window (µs) and whether steps need distinct rows.
    ``present``: input rows x segments, whether the row has a non-empty value of the segment.
    Returns first, last, reach (5 x P), touch rows (segments x P: each segment's first, or last,
    non-empty row before ``until``, -1 if none), levels (paths x P), path starts (paths x P)
    and step times (paths x steps x P).
    """
    persons = starts.shape[0] - 1
    n_paths, max_steps = path_bits.shape
    first = np.full(persons, NULL, np.int64)
    last = np.full(persons, NULL, np.int64)
    reach = np.full((5, persons), NULL, np.int64)
    n_segments = present.shape[1]
    touch = np.full((n_segments, persons), -1, np.int64)
    levels = np.zeros((n_paths, persons), np.int32)
    path_start = np.full((n_paths, persons), NULL, np.int64)
    step_times = np.full((n_paths, max(max_steps, 1), persons), NULL, np.int64)
    # per-person scratch, sized for the largest person
    longest = 0
    for p in range(persons):
        longest = max(longest, starts[p + 1] - starts[p])
    hit_times = np.empty(longest, np.int64)
    hit_masks = np.empty(longest, np.int64)
    sel_times = np.empty(longest, np.int64)
    sel_masks = np.empty(longest, np.int64)
    n_counted = counted_bits.shape[0]
    ring_at = np.zeros(n_counted + 1, np.int64)
    for r in range(n_counted):
        # only `within` needs the earlier start times, and never more than a person's rows
        size = min(counted_min[r] - 1, longest) if counted_within[r] >= 0 else 0
        ring_at[r + 1] = ring_at[r] + size
    ring = np.empty(max(ring_at[n_counted], 1), np.int64)
    seen = np.zeros(n_counted, np.int64)  # occasion starts so far (docs/metrics.md "Occasions")
    previous = np.zeros(n_counted, np.int64)  # the person's previous matching event
    pointers = np.zeros(max(max_steps, 1), np.int64)
    chain_times = np.empty(max(max_steps, 1), np.int64)
    best_times = np.empty(max(max_steps, 1), np.int64)
    for p in range(persons):
        lo, hi = starts[p], starts[p + 1]
        count = 0
        for r in range(n_counted):
            seen[r] = 0
        last_at = -1
        for j in range(lo, hi):
            ti = packed[j, TIME]
            if ti >= until:
                break
            last_at = j
            inside = ti >= since
            m = packed[j, MASK] if inside else 0
            matched = packed[j, COUNTED]
            if matched != 0:
                for r in range(n_counted):
                    if matched & (1 << counted_match[r]) == 0:
                        continue
                    gap = counted_gap[r]
                    if gap >= 0 and seen[r] > 0 and ti - previous[r] < gap:
                        previous[r] = ti  # continues the occasion (ties too)
                        continue
                    previous[r] = ti
                    need = counted_min[r] - 1  # starts before this one that make it a hit
                    size = ring_at[r + 1] - ring_at[r]
                    if seen[r] >= need and inside:
                        if counted_within[r] < 0 or need == 0:
                            m |= 1 << counted_bits[r]
                        elif size == need:
                            earlier = ring[ring_at[r] + (seen[r] - need) % need]
                            if ti - earlier <= counted_within[r]:
                                m |= 1 << counted_bits[r]
                    if size > 0 and size == need:
                        ring[ring_at[r] + seen[r] % need] = ti
                    seen[r] += 1
            if inside:
                if first[p] == NULL:
                    first[p] = ti
                last[p] = ti
                if m != 0:
                    hit_times[count] = ti
                    hit_masks[count] = m
                    count += 1
        if first[p] == NULL:
            continue  # no event in the window: not in the table
        # first (last) touch: each segment's first (last) non-empty value, in one walk over
        # the rows (a row's flags share a cache line: the rows are in input order)
        missing = n_segments
        j = last_at if last_touch else lo
        while missing > 0 and lo <= j <= last_at:
            row = packed[j, ROW_AND_HASH] & LOW32
            for s in range(n_segments):
                if touch[s, p] < 0 and present[row, s]:
                    touch[s, p] = row
                    missing -= 1
            j += -1 if last_touch else 1
        for j in range(count):
            m = hit_masks[j]
            for b in range(5):
                if reach[b, p] == NULL and m & (1 << b) != 0:
                    reach[b, p] = hit_times[j]
        if aware_is_any:
            reach[0, p] = first[p]
        for q in range(n_paths):
            steps = path_steps[q]
            distinct = path_distinct[q]
            wanted = 0
            for k in range(steps):
                wanted |= 1 << path_bits[q, k]
            n_sel = 0
            for j in range(count):
                m = hit_masks[j] & wanted
                if m == 0:
                    continue
                if not distinct:
                    if aware_is_any:
                        m |= 1 << path_bits[q, 0]
                    if n_sel > 0 and sel_times[n_sel - 1] == hit_times[j]:
                        sel_masks[n_sel - 1] |= m  # stages compare times: one row per instant
                        continue
                sel_times[n_sel] = hit_times[j]
                sel_masks[n_sel] = m
                n_sel += 1
            level, start = _chain(
                sel_times,
                sel_masks,
                n_sel,
                path_bits[q],
                steps,
                path_window[q],
                distinct,
                pointers,
                chain_times,
                best_times,
            )
            levels[q, p] = level
            path_start[q, p] = start
            if distinct and level > 0:
                for k in range(steps):
                    step_times[q, k, p] = best_times[k]
    return first, last, reach, touch, levels, path_start, step_times
