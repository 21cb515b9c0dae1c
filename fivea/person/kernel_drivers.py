"""The compiled kernel's share of the drivers (docs/metrics.md "Drivers"): per person and event
name, the first offset from each analysed reach_s, from the rows ``group_persons`` already
ordered by time (no join of the events with the reach times, no group-by over (person, name)).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np
from numba import njit

from fivea.person.kernel import NULL
from fivea.person.kernel_grouping import LOW32, ROW_AND_HASH, TIME


@njit(cache=True, nogil=True)
def _slot(table: np.ndarray, h: int) -> int:
    """The slot of hash ``h`` in an open-addressing table of (hash, code) rows: its own, or
    the free one (code -1) where it goes."""
    size = table.shape[0]
    at = h & (size - 1)
    while table[at, 1] >= 0 and table[at, 0] != h:
        at = (at + 1) & (size - 1)
    return at


@njit(cache=True, nogil=True)
def _grown(table: np.ndarray) -> np.ndarray:
    """The table of ``_slot`` at twice the size."""
    out = np.full((2 * table.shape[0], 2), -1, np.int64)
    for s in range(table.shape[0]):
        if table[s, 1] >= 0:
            at = _slot(out, table[s, 0])
            out[at, 0] = table[s, 0]
            out[at, 1] = table[s, 1]
    return out


CHUNK_ROWS = 1 << 18  # input rows a chunk of persons walks at most (bounds the walk's room)
# ``_scan``'s walks: the window rows' input rows; the (person, name) rows from the names of
# the window rows (in walk order) or of every grouped row
_ROWS, _FILL, _FILL_ALL = 0, 1, 2


@njit(cache=True, nogil=True)
def _mask(hashes: np.ndarray, masks: np.ndarray, h: int) -> int:
    """The transitions (bit i: ``stages[i]``) whose rules name the event of hash ``h``."""
    at = np.searchsorted(hashes, h)
    return masks[at] if at < hashes.shape[0] and hashes[at] == h else 0


@njit(cache=True, nogil=True)
def _scan(
    starts: np.ndarray,
    packed: np.ndarray,
    first: np.ndarray,
    reach: np.ndarray,
    pairs: np.ndarray,
    bound: int,
    until: int,
    persons: tuple[int, int],
    mode: int,
    room: int,
    names: np.ndarray,
    excluded: tuple[np.ndarray, np.ndarray],
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """One walk over the window rows of ``persons`` (a range of person indexes), with
    ``room`` output rows: ``_ROWS`` returns their input rows (as the first array); ``_FILL``
    the (person, name) rows, ``names`` holding each window row's name hash in walk order;
    ``_FILL_ALL`` the same, ``names`` holding the name of each grouped row of ``persons``
    (``names[j - starts[persons[0]]]``). Returns the number of rows and (person index, name
    hash, offsets: transitions x rows).

    A transition s -> t (``pairs[i]``) reads a person's offset o only when the person is in
    its population, which holds no one who reached t before s, nor before reach_s + L, and
    reads it as o < L (docs/metrics.md "Drivers"): so a row counts for it from reach_s up to
    reach_t (or reach_s + ``bound``), none if t came first, and not when the rules of s or t
    name its event (``excluded``: sorted hashes and their transitions' bits, never tested).
    One walk over each person's rows from the earliest reach_s serves every transition.
    Names get dense codes on the way (an open-addressing table), so that ``stamp`` marks
    each (person, name) once.
    """
    n_t = pairs.shape[0]
    rs = np.empty(n_t, np.int64)
    limit = np.empty(n_t, np.int64)  # offsets below this
    table = np.full((64, 2), -1, np.int64)  # (hash, code)
    stamp = np.full(32, -1, np.int64)  # by code: the last person that did it
    slot = np.zeros(32, np.int64)  # by code: that person's output row
    skip = np.zeros(32, np.int64)  # by code: the transitions whose rules name it
    n_codes = 0
    base = starts[persons[0]]
    persons_out = np.empty(room, np.int64)
    names_out = np.empty(room if mode != _ROWS else 0, np.int64)
    offsets = np.empty((n_t, room if mode != _ROWS else 0), np.int64)
    rows = 0  # _ROWS: window rows; else (person, name) rows
    k = 0  # _FILL: the window row
    for p in range(persons[0], persons[1]):
        if first[p] == NULL:
            continue
        low = NULL
        for i in range(n_t):
            rs[i] = reach[pairs[i, 0], p]
            rt = reach[pairs[i, 1], p]
            limit[i] = bound
            if rs[i] != NULL and rt != NULL:
                if rt < rs[i]:  # reversed: never in the population
                    rs[i] = NULL
                elif rt - rs[i] < bound:
                    limit[i] = rt - rs[i]
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
                elif tj - rs[i] < limit[i]:
                    taken = True
                    later = True
            if not later:
                break
            if not taken:
                continue
            if mode == _ROWS:
                persons_out[rows] = packed[j, ROW_AND_HASH] & LOW32
                rows += 1
                continue
            h = names[j - base if mode == _FILL_ALL else k]
            k += 1
            at = _slot(table, h)
            if table[at, 1] < 0:  # a name not seen yet
                table[at, 0] = h
                table[at, 1] = n_codes
                if n_codes == stamp.shape[0]:
                    stamp = np.concatenate((stamp, np.full(n_codes, -1, np.int64)))
                    slot = np.concatenate((slot, np.zeros(n_codes, np.int64)))
                    skip = np.concatenate((skip, np.zeros(n_codes, np.int64)))
                skip[n_codes] = _mask(excluded[0], excluded[1], h)
                n_codes += 1
                if 2 * n_codes > table.shape[0]:
                    table = _grown(table)
                    at = _slot(table, h)
            code = table[at, 1]
            for i in range(n_t):
                # the first row in time order gives the least offset
                if rs[i] == NULL or tj < rs[i] or tj - rs[i] >= limit[i]:
                    continue
                if (skip[code] >> i) & 1:
                    continue
                if stamp[code] != p:
                    stamp[code] = p
                    slot[code] = rows
                    persons_out[rows] = p
                    names_out[rows] = h
                    offsets[:, rows] = NULL
                    rows += 1
                if offsets[i, slot[code]] == NULL:
                    offsets[i, slot[code]] = tj - rs[i]
    return rows, persons_out, names_out, offsets


class RowNames(Protocol):
    """Event-name hashes (int64) by input row: an array, or ``compiled.NameHashes``."""

    def __getitem__(self, rows: np.ndarray, /) -> np.ndarray: ...


def event_offsets(
    starts: np.ndarray,
    packed: np.ndarray,
    names: RowNames,
    first: np.ndarray,
    reach: np.ndarray,
    pairs: np.ndarray,
    bound: int,
    until: int,
    excluded: tuple[np.ndarray, np.ndarray] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per (person, event name) done in [reach_s, reach_s + bound) before ``until`` for some
    analysed s -> t (``pairs``: (s, t) per transition) that may read it (``_scan``), the
    first offset from each reach_s (µs, NULL: none), chunk by chunk of persons. ``names``:
    each input row's name hash (``RowNames``); ``excluded``: the hashes of the names the rules of
    each transition's stages name, sorted, and a bit per transition. Yields (person index,
    name hash, offsets: transitions x rows), each array of its exact size.

    A chunk's persons hold at most ``chunk_rows`` input rows (or one person): the walk's room
    is bounded, whatever the part's size (docs/performance.md "Drivers"). The names are
    gathered by numpy before the walk that reads them: one random read a row inside a walk
    cost 10x (a gather keeps many reads in flight). Those of the window rows only, found by
    a first walk, when the last chunk's window held less than half its rows (a landmark of
    minutes); else those of every row of the chunk (a funnel window: nearly every row).
    """
    if excluded is None:
        excluded = (np.empty(0, np.int64), np.empty(0, np.int64))
    shared = (starts, packed, first, reach, pairs, bound, until)
    n = starts.shape[0] - 1
    low = 0
    dense = False  # the last chunk's window held most of its rows
    while low < n:
        high = int(np.searchsorted(starts, starts[low] + chunk_rows, side="right")) - 1
        high = min(n, max(high, low + 1))
        size = int(starts[high] - starts[low])
        if dense:
            taken = names[packed[starts[low] : starts[high], ROW_AND_HASH] & LOW32]
            count, persons, hashes, offsets = _scan(
                *shared, (low, high), _FILL_ALL, size, taken, excluded
            )
        else:
            window, rows = _scan(*shared, (low, high), _ROWS, size, _NONE, excluded)[:2]
            dense = 2 * window > size
            taken = names[rows[:window]]
            del rows
            count, persons, hashes, offsets = _scan(
                *shared, (low, high), _FILL, window, taken, excluded
            )
        del taken
        low = high
        if count == persons.shape[0]:
            yield persons, hashes, offsets
        else:  # copies: a frame on a slice would hold the room for every grouped row
            yield persons[:count].copy(), hashes[:count].copy(), offsets[:, :count].copy()


_NONE = np.empty(0, np.int64)


@njit(cache=True, nogil=True)
def touch_rows(
    starts: np.ndarray,
    packed: np.ndarray,
    codes: tuple[np.ndarray, ...],
    tables: tuple[np.ndarray, ...],
    width: int,
    persons: np.ndarray,
    until: int,
    last_touch: bool,
) -> np.ndarray:
    """For each of ``persons`` and each of the first ``width`` columns (``codes[b][row]``, a
    value when ``tables[b][code] >= 0``), its first (last) such input row before ``until``,
    -1 if none (columns x persons): ``person_facts``'s touch rows, for a few persons again.
    One walk serves eight columns (the tuples padded to eight) and usually stops at a
    person's first row; no flag a row is built (docs/performance.md "Drivers")."""
    out = np.full((width, persons.shape[0]), -1, np.int64)
    every = (1 << width) - 1
    for k in range(persons.shape[0]):
        lo, hi = starts[persons[k]], starts[persons[k] + 1]
        last_at = lo - 1  # the last row before until
        if last_touch:
            while last_at + 1 < hi and packed[last_at + 1, TIME] < until:
                last_at += 1
        found = 0
        j = last_at if last_touch else lo
        while found != every and lo <= j < hi:
            if not last_touch and packed[j, TIME] >= until:
                break
            if last_touch and j > last_at:
                break
            row = packed[j, ROW_AND_HASH] & LOW32
            for b in range(width):
                if not (found >> b) & 1 and tables[b][codes[b][row]] >= 0:
                    out[b, k] = row
                    found |= 1 << b
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
