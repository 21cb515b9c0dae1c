"""The compiled kernel's share of the drivers (docs/metrics.md "Drivers"): per person and event
name, the first offset from each analysed reach_s, from the rows ``group_persons`` already
ordered by time (no join of the events with the reach times, no group-by over (person, name)).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fivea.person.kernel import NULL
from fivea.person.kernel_grouping import LOW32, ROW_AND_HASH, TIME


@njit(cache=True, nogil=True)
def _scan(
    starts: np.ndarray,
    packed: np.ndarray,
    names: np.ndarray,
    first: np.ndarray,
    reach: np.ndarray,
    stages: np.ndarray,
    bound: int,
    until: int,
    stamp: np.ndarray,
    slot: np.ndarray,
    persons_out: np.ndarray,
    names_out: np.ndarray,
    offsets: np.ndarray,
    fill: bool,
) -> int:
    """Count (``fill`` False) or write the (person, name) rows; returns their number.

    One walk over each person's rows from the earliest analysed reach_s serves every
    transition; ``names`` is in grouped order, so both walks read memory in order.
    """
    n_t = stages.shape[0]
    rs = np.empty(n_t, np.int64)
    count = 0
    for p in range(starts.shape[0] - 1):
        if first[p] == NULL:
            continue
        low = NULL
        for i in range(n_t):
            rs[i] = reach[stages[i], p]
            if rs[i] != NULL and (low == NULL or rs[i] < low):
                low = rs[i]
        if low == NULL:
            continue
        for j in range(starts[p], starts[p + 1]):  # the person's rows, by (time, input order)
            tj = packed[j, TIME]
            if tj < low:
                continue
            if tj >= until:
                break
            taken = False
            later = False  # some transition may still take a later row
            for i in range(n_t):
                if rs[i] == NULL:
                    continue
                if tj < rs[i]:
                    later = True
                elif tj - rs[i] < bound:
                    taken = True
                    later = True
            if not later:
                break
            if not taken:
                continue
            code = names[j]
            if code < 0:
                continue
            if stamp[code] != p:
                stamp[code] = p
                if fill:
                    slot[code] = count
                    persons_out[count] = p
                    names_out[count] = code
                    for i in range(n_t):
                        offsets[i, count] = NULL
                count += 1
            if fill:
                at = slot[code]
                for i in range(n_t):
                    # the first row in time order gives the least offset
                    taking = rs[i] != NULL and rs[i] <= tj and tj - rs[i] < bound
                    if taking and offsets[i, at] == NULL:
                        offsets[i, at] = tj - rs[i]
    return count


def event_offsets(
    starts: np.ndarray,
    packed: np.ndarray,
    names: np.ndarray,
    n_names: int,
    first: np.ndarray,
    reach: np.ndarray,
    stages: np.ndarray,
    bound: int,
    until: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (person, event name) done in [reach_s, reach_s + bound) before ``until`` for some
    analysed s (``stages``: s per transition), the first offset from each reach_s (µs, NULL:
    none). ``names``: each grouped row's name code (< 0: no name). Returns (person index,
    name code, offsets: transitions x rows); counted first, so the output is allocated once.
    """
    stamp = np.full(max(n_names, 1), -1, np.int64)
    slot = np.zeros(max(n_names, 1), np.int64)
    # the compiled pass runs twice over the same inputs: first counting, then writing
    shared = (starts, packed, names, first, reach, stages, bound, until, stamp, slot)
    none = np.empty(0, np.int64)
    count = _scan(*shared, none, none, np.empty((0, 0), np.int64), False)
    stamp[:] = -1
    persons_out = np.empty(count, np.int64)
    names_out = np.empty(count, np.int64)
    offsets = np.empty((stages.shape[0], count), np.int64)
    _scan(*shared, persons_out, names_out, offsets, True)
    return persons_out, names_out, offsets


@njit(cache=True, nogil=True)
def touch_rows(
    starts: np.ndarray,
    packed: np.ndarray,
    flags: np.ndarray,
    persons: np.ndarray,
    until: int,
    last_touch: bool,
) -> np.ndarray:
    """For each of ``persons``, its first (last) flagged input row before ``until``, -1 if
    none: ``person_facts``'s touch row of one column, for a few persons again."""
    out = np.full(persons.shape[0], -1, np.int64)
    for k in range(persons.shape[0]):
        lo, hi = starts[persons[k]], starts[persons[k] + 1]
        last_at = lo - 1
        while last_at + 1 < hi and packed[last_at + 1, TIME] < until:
            last_at += 1
        j = last_at if last_touch else lo
        while lo <= j <= last_at:
            row = packed[j, ROW_AND_HASH] & LOW32
            if flags[row]:
                out[k] = row
                break
            j += -1 if last_touch else 1
    return out


@njit(cache=True, nogil=True)
def mark_before(starts: np.ndarray, packed: np.ndarray, until: int, out: np.ndarray) -> None:
    """Set ``out[row]`` for each input row of this part before ``until`` (the drivers' value
    counts read the events before until, fivea.person.drivers_values)."""
    for j in range(starts[starts.shape[0] - 1]):
        if packed[j, TIME] < until:
            out[packed[j, ROW_AND_HASH] & LOW32] = True


@njit(cache=True, nogil=True)
def first_rows(codes: np.ndarray, size: int) -> np.ndarray:
    """Each code's first row (by code 0..size-1, -1: the code does not occur)."""
    first = np.full(size, -1, np.int64)
    for i in range(codes.shape[0]):
        c = codes[i]
        if first[c] < 0:
            first[c] = i
    return first


@njit(cache=True, nogil=True)
def present(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Whether each row's code stands for a non-empty value (``table[code] >= 0``)."""
    out = np.empty(codes.shape[0], np.uint8)
    for i in range(codes.shape[0]):
        out[i] = table[codes[i]] >= 0
    return out


@njit(cache=True, nogil=True)
def used(codes: np.ndarray, table: np.ndarray, before: np.ndarray, size: int) -> np.ndarray:
    """Which of ``size`` values (``table[code]``, -1: none) some row holds, among the rows
    ``before`` marks (every row when it is empty)."""
    out = np.zeros(size, np.bool_)
    every = before.shape[0] == 0
    for i in range(codes.shape[0]):
        k = table[codes[i]]
        if k >= 0 and (every or before[i]):
            out[k] = True
    return out
