"""The compiled kernel's grouping: phase 1's rows grouped by person once, each person's rows
in time order, in the packed row layout the per-person pass reads (``fivea.person.kernel``).

The rows are grouped by a hash table of the person keys and a counting sort, which keeps input
order; each person's rows are then ordered by time. Memory is the cost that matters: fresh
pages cost about 1 s per GB to map on the benchmark machine, so a grouped row is 32 bytes
(time, stage mask, counted-rule mask, row number and row hash in ``PACKED`` int64 columns) and
nothing is copied twice. numba compiles the loops to machine code (cached on disk after the
first run).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_FIB = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing spreads dense or clustered keys
_SMALL = 32  # rows up to which a person's rows are ordered by insertion

# a grouped row: its time, its stage/step mask, its counted-rule matches, and its input row
# number (low 32 bits; polars frames hold < 2^32 rows) with 32 bits of its row hash.
# numba freezes these numbers into the cached machine code of ``fivea.person.kernel`` too, and
# its disk cache checks only each function's own file: after changing the layout, touch
# kernel.py as well (or delete the ``__pycache__`` folder)
TIME, MASK, COUNTED, ROW_AND_HASH = 0, 1, 2, 3
PACKED = 4
LOW32 = (1 << 32) - 1  # ROW_AND_HASH & LOW32: the input row number


@njit(cache=True, nogil=True)
def _slot(key: np.uint64, shift: np.uint64) -> int:
    return np.int64((key * _FIB) >> shift)


@njit(cache=True, nogil=True)
def _part_of(key: np.uint64, parts: int) -> int:
    return np.int64(((key * _FIB) >> np.uint64(32)) % np.uint64(parts))


@njit(cache=True, nogil=True)
def _order_person(lo: int, hi: int, packed: np.ndarray) -> None:
    """Order one person's rows by time; ties keep input order (the rows arrive in it)."""
    for j in range(lo + 1, hi):
        if packed[j, TIME] < packed[j - 1, TIME]:
            break
    else:
        return  # logs are often written in time order
    if hi - lo <= _SMALL:
        for j in range(lo + 1, hi):
            k = j
            while k > lo and packed[k, TIME] < packed[k - 1, TIME]:
                for f in range(PACKED):
                    packed[k, f], packed[k - 1, f] = packed[k - 1, f], packed[k, f]
                k -= 1
        return
    permutation = np.argsort(packed[lo:hi, TIME], kind="mergesort") + lo  # stable
    packed[lo:hi] = packed[permutation]


@njit(cache=True, nogil=True)
def _grown_table(table: np.ndarray, bits: int) -> np.ndarray:
    """The person table with twice the slots, every key re-inserted."""
    grown = np.zeros((1 << bits, 3), np.uint64)
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    for j in range(table.shape[0]):
        if table[j, 2] != 0:
            s = _slot(table[j, 0], shift)
            while grown[s, 2] != 0:
                s = (s + 1) & mask
            grown[s] = table[j]
    return grown


@njit(cache=True, nogil=True)
def stage_rows(
    keys: np.ndarray,
    check: np.ndarray,
    order: np.ndarray,
    t: np.ndarray,
    mask: np.ndarray,
    counted: np.ndarray,
    row_hash: np.ndarray,
    start: int,
    first_row: int,
    table: np.ndarray,
    meta: np.ndarray,
    collided: np.ndarray,
    person_keys: np.ndarray,
    packed: np.ndarray,
    codes: np.ndarray,
    high: np.ndarray,
    at: int,
) -> int:
    """Code a batch's rows from ``start`` and write them, packed, into the staging chunk
    (``packed``, ``codes``: their persons, ``high``: their row hash's high 32 bits) from
    ``at``. ``first_row``: the input row number of the batch's first row. Returns the next
    row not written: at the end of the batch or the chunk, or when the person table or
    arrays are full (``grown_table``, the caller grows the arrays; no array is replaced
    inside the loop, which keeps it fast).

    Each person is coded 0, 1, ... in order of first appearance by a hash table of the keys
    (``table``: key, check, code + 1; 0 is empty) that also keeps each key's second,
    independent hash: a person whose rows disagree on it holds two ids with the same key
    (``collided``); ``person_keys``: each person's key. ``meta``: the person count, the
    table's bits, the last input order seen and whether the rows arrived out of input order
    (then the caller orders them and runs again).
    """
    count, bits, last, disordered = meta[0], meta[1], meta[2], meta[3]
    shift = np.uint64(64 - bits)
    slots = (1 << bits) - 1
    room = min(person_keys.shape[0], slots // 2)  # persons before a table or array is full
    n = min(keys.shape[0], start + packed.shape[0] - at)
    i = start
    while i < n and count < room:
        if order[i] <= last:
            disordered = 1
        last = order[i]
        key = keys[i]
        slot = _slot(key, shift)
        while table[slot, 2] != 0 and table[slot, 0] != key:
            slot = (slot + 1) & slots
        if table[slot, 2] != 0:
            code = np.int64(table[slot, 2]) - 1
            if table[slot, 1] != check[i]:
                collided[code] = True
        else:
            code = count
            table[slot, 0] = key
            table[slot, 1] = check[i]
            table[slot, 2] = count + 1
            person_keys[code] = key
            count += 1
        j = at + i - start
        codes[j] = code
        packed[j, TIME] = t[i]
        packed[j, MASK] = mask[i]
        packed[j, COUNTED] = counted[i]
        packed[j, ROW_AND_HASH] = (first_row + i) | (row_hash[i] << 32)
        high[j] = (row_hash[i] >> 32) & LOW32
        i += 1
    meta[0], meta[2], meta[3] = count, last, disordered
    return i


@njit(cache=True, nogil=True)
def grown_table(table: np.ndarray, meta: np.ndarray) -> np.ndarray:
    """The person table with twice the slots, every key re-inserted (``meta[1]``: its bits)."""
    meta[1] += 1
    return _grown_table(table, meta[1])


@njit(cache=True, nogil=True)
def scatter_rows(
    packed_chunk: np.ndarray,
    codes: np.ndarray,
    n: int,
    fill: np.ndarray,
    packed: np.ndarray,
    parts: np.ndarray,
    part: int,
) -> None:
    """Move the rows of one part of the persons (``parts``: each person's) among a staging
    chunk's first ``n`` next to their person's other rows: a counting sort in arrival (input)
    order, so each person's rows stay in input order. One thread per part: the random writes
    are the cost, and two threads keep twice as many in flight."""
    for j in range(n):
        code = codes[j]
        if parts[code] != part:
            continue
        at = fill[code]
        fill[code] = at + 1
        for f in range(PACKED):
            packed[at, f] = packed_chunk[j, f]


@njit(cache=True, nogil=True)
def parts_of(keys: np.ndarray, parts: int) -> np.ndarray:
    """The part (thread) of each person key: persons split by key."""
    out = np.zeros(keys.shape[0], np.int64)
    if parts > 1:
        for p in range(keys.shape[0]):
            out[p] = _part_of(keys[p], parts)
    return out


@njit(cache=True, nogil=True)
def split_rows(parts: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows by partition (a counting sort: input order kept within each) and where each
    partition's rows start (``count + 1`` bounds)."""
    bounds = np.zeros(count + 1, np.int64)
    for i in range(parts.shape[0]):
        bounds[parts[i] + 1] += 1
    for k in range(count):
        bounds[k + 1] += bounds[k]
    fill = bounds[:-1].copy()
    order = np.empty(parts.shape[0], np.int64)
    for i in range(parts.shape[0]):
        order[fill[parts[i]]] = i
        fill[parts[i]] += 1
    return order, bounds


@njit(cache=True, nogil=True)
def order_persons(starts: np.ndarray, packed: np.ndarray) -> None:
    """Order each person's rows by time; ties keep input order."""
    for p in range(starts.shape[0] - 1):
        _order_person(starts[p], starts[p + 1], packed)


@njit(cache=True, nogil=True)
def shared_instants(starts: np.ndarray, packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows sharing person, time and row hash (32 bits) with another: the only duplicates.

    Returns their packed positions and persons.
    """
    out = np.empty(packed.shape[0], np.int64)
    owners = np.empty(packed.shape[0], np.int64)
    count = 0
    for p in range(starts.shape[0] - 1):
        lo, hi = starts[p], starts[p + 1]
        j = lo
        while j < hi:
            k = j + 1
            while k < hi and packed[k, TIME] == packed[j, TIME]:
                k += 1
            for a in range(j, k):  # an instant holds a few rows: compare them pairwise
                for b in range(j, k):
                    if a != b and packed[a, ROW_AND_HASH] >> 32 == packed[b, ROW_AND_HASH] >> 32:
                        out[count] = a
                        owners[count] = p
                        count += 1
                        break
            j = k
    return out[:count].copy(), owners[:count].copy()
