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
def _person_codes(
    keys: np.ndarray, check: np.ndarray, part: int, parts: int
) -> tuple[np.ndarray, int, np.ndarray]:
    """Dense codes 0..P-1 (first appearance) of the part's person keys; -1 for other parts.

    The table also keeps each key's second, independent hash: a person whose rows disagree on
    it holds two ids with the same key (``collided``).
    """
    n = keys.shape[0]
    bits = 16
    table = np.zeros((1 << bits, 3), np.uint64)  # key, check, code + 1 (0: empty)
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    codes = np.empty(n, np.int32)
    collided = np.zeros(1 << 10, np.bool_)
    count = 0
    for i in range(n):
        key = keys[i]
        if parts > 1 and _part_of(key, parts) != part:
            codes[i] = -1
            continue
        slot = _slot(key, shift)
        while table[slot, 2] != 0 and table[slot, 0] != key:
            slot = (slot + 1) & mask
        if table[slot, 2] != 0:
            code = np.int64(table[slot, 2]) - 1
            if table[slot, 1] != check[i]:
                collided[code] = True
            codes[i] = code
            continue
        table[slot, 0] = key
        table[slot, 1] = check[i]
        table[slot, 2] = count + 1
        codes[i] = count
        count += 1
        if count > collided.shape[0]:
            grown = np.zeros(2 * collided.shape[0], np.bool_)
            grown[: collided.shape[0]] = collided
            collided = grown
        if 2 * count > mask:  # keep the load under a half: double and re-insert
            bits += 1
            old = table
            table = np.zeros((1 << bits, 3), np.uint64)
            shift = np.uint64(64 - bits)
            mask = (1 << bits) - 1
            for j in range(old.shape[0]):
                if old[j, 2] != 0:
                    s = _slot(old[j, 0], shift)
                    while table[s, 2] != 0:
                        s = (s + 1) & mask
                    table[s] = old[j]
    return codes, count, collided[:count]


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
def input_sequence(order: np.ndarray) -> np.ndarray:
    """Row numbers in input order: empty when the rows already are (the usual case)."""
    for i in range(1, order.shape[0]):
        if order[i] < order[i - 1]:
            return np.argsort(order, kind="mergesort")
    return np.empty(0, np.int64)


@njit(cache=True, nogil=True)
def person_codes(
    keys: np.ndarray, check: np.ndarray, part: int, parts: int
) -> tuple[np.ndarray, int, np.ndarray]:
    """``(codes, persons, collided)`` of one part: the first step of ``group_persons``.

    Apart from the packing, so the caller can free the person keys and their collision check
    before the packed rows are allocated (docs/performance.md, "Where the time and memory go").
    """
    return _person_codes(keys, check, part, parts)


@njit(cache=True, nogil=True)
def person_keys(codes: np.ndarray, persons: int, keys: np.ndarray) -> np.ndarray:
    """Each person's key, by person code (the drivers' key: one per person, not per row).

    One pass in input order; numpy's masked scatter took 0.3 s at 10M events.
    """
    out = np.empty(persons, keys.dtype)
    for i in range(codes.shape[0]):
        if codes[i] >= 0:
            out[codes[i]] = keys[i]
    return out


@njit(cache=True, nogil=True)
def group_persons(
    keys: np.ndarray,
    check: np.ndarray,
    sequence: np.ndarray,
    t: np.ndarray,
    mask: np.ndarray,
    counted: np.ndarray,
    row_hash: np.ndarray,
    part: int,
    parts: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of one part of the persons, grouped by person, each by (time, input order).

    Persons split into ``parts`` by their key, so parts run on threads of their own. A
    counting sort by person, in input order (``sequence``, or row order when it is empty),
    writes each row next to its person's other rows, so the per-person pass reads memory in
    order. Returns ``(starts, packed, collided)``: person p owns rows
    ``packed[starts[p]:starts[p + 1]]``.
    """
    codes, persons, collided = _person_codes(keys, check, part, parts)
    starts, packed = pack_persons(codes, persons, sequence, t, mask, counted, row_hash)
    return starts, packed, collided


@njit(cache=True, nogil=True)
def pack_persons(
    codes: np.ndarray,
    persons: int,
    sequence: np.ndarray,
    t: np.ndarray,
    mask: np.ndarray,
    counted: np.ndarray,
    row_hash: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The second step of ``group_persons``: ``(starts, packed)`` from one part's codes."""
    starts = np.zeros(persons + 1, np.int64)
    n = codes.shape[0]
    for i in range(n):
        if codes[i] >= 0:
            starts[codes[i] + 1] += 1
    for p in range(persons):
        starts[p + 1] += starts[p]
    fill = starts[:-1].copy()
    packed = np.empty((starts[persons], PACKED), np.int64)
    ordered = sequence.shape[0] == 0
    for j in range(n):
        i = j if ordered else sequence[j]
        code = codes[i]
        if code < 0:
            continue
        at = fill[code]
        fill[code] = at + 1
        packed[at, TIME] = t[i]
        packed[at, MASK] = mask[i]
        packed[at, COUNTED] = counted[i]
        packed[at, ROW_AND_HASH] = i | (row_hash[i] << 32)
    for p in range(persons):
        _order_person(starts[p], starts[p + 1], packed)
    return starts, packed


@njit(cache=True, nogil=True)
def shared_instants(starts: np.ndarray, packed: np.ndarray) -> np.ndarray:
    """Rows sharing person, time and row hash (32 bits) with another: the only duplicates."""
    out = np.empty(packed.shape[0], np.int64)
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
                        out[count] = packed[a, ROW_AND_HASH] & LOW32
                        count += 1
                        break
            j = k
    return out[:count]
