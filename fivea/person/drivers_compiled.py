"""The drivers tables of ``fivea.person.drivers`` through the compiled kernel (docs/metrics.md
"Drivers", cost): the same three tables, from the kernel's grouping and per-person facts.

The polars plan of ``driver_frames`` takes one ``min_by`` over a 128-bit (time, input order)
key per property column, a join of the events with the reach times and a group-by over
(person, event name). Here the kernel input carries each row's event name and the property
values (text as categories; when a transition is analysed, each distinct name is hashed,
``fivea.person.name_hashes``, and each distinct text read, ``fivea.person.coded_text``); touch
rows give the first-touch values (like the segments'), and one more pass over each person's
rows, already ordered by time, gives the first offset per (person, name) from each analysed
reach_s (``fivea.person.kernel_drivers``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from fivea.io.events import EVENT
from fivea.person.coded_text import CodedText, raw_text
from fivea.person.drivers import (
    DRIVER_EVENTS,
    DRIVER_PERSONS,
    KEY,
    NAME,
    OFFSET,
    TRANSITION,
    DriverPlan,
    nonempty,
    prop_column,
    reach_column,
)
from fivea.person.drivers_values import COLUMN, DRIVER_VALUES, SCHEMA, VALUE, column_values

if TYPE_CHECKING:
    from fivea.person.compiled import Grouped
    from fivea.person.table import Window

_HIGH = np.iinfo(np.int64).max


def touch_sources(plan: DriverPlan, columns: Sequence[str]) -> list[str]:
    """``touch_columns`` from the collected kernel input's column names."""
    return [p if (p := prop_column(c)) in columns else f"seg_{c}" for c in plan.properties]


def touch_columns(plan: DriverPlan, segments: Sequence[str], schema: pl.Schema) -> list[str]:
    """The kernel input column whose touch row gives each property's first-touch value: a
    segment's own value (non-empty and trimmed alike, docs/metrics.md#segments), else its own."""
    return [f"seg_{c}" if c in segments else prop_column(c) for c in plan.properties]


def driver_inputs(plan: DriverPlan, segments: Sequence[str], schema: pl.Schema) -> list[pl.Expr]:
    """The kernel input's extra columns: the event name and the property values."""
    # as categories: the cheapest column the scan can make of them (4 bytes a row, no hash of
    # every row); each distinct name's hash is made when a transition is analysed
    # (``Grouped.drivers_inputs``; docs/performance.md "Drivers")
    exprs = [pl.col(EVENT).cast(pl.Categorical).alias(NAME)]
    for column, source in zip(plan.properties, touch_columns(plan, segments, schema), strict=True):
        if source != prop_column(column):
            continue
        dtype = schema[column]
        # text as categories, 4 bytes a row, coded (``CodedText``) only when a transition is
        # analysed (docs/performance.md "Drivers")
        exprs.append(
            (raw_text(column, dtype) if dtype == pl.String else nonempty(column, dtype)).alias(
                source
            )
        )
    return exprs


def present(column: pl.Series) -> np.ndarray:
    """Whether each row holds a value of a property of numbers, dates or booleans (carried
    with NaN as null, ``nonempty``); text goes through ``CodedText``."""
    return column.is_not_null().to_numpy()


_PRESENT = np.array([-1, 0], np.int32)  # code 0: no value, code 1: a value


def _read_only(values: np.ndarray, dtype: type) -> np.ndarray:
    """A contiguous read-only view (a copy only if needed): numba types a tuple of arrays by
    each one's type, layout and flags, and one compiled walk takes one kind of tuple."""
    view = np.ascontiguousarray(values, dtype=dtype).view()
    view.setflags(write=False)
    return view


def _meaning(text: CodedText) -> tuple[np.ndarray, np.ndarray]:
    return _read_only(text.codes, np.uint32), _read_only(text.table, np.int32)


def _presence(column: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """A property of numbers, dates or booleans as codes: 1 where the row holds a value."""
    return _read_only(present(column), np.uint32), _read_only(_PRESENT, np.int32)


_NO_CODES = _read_only(np.zeros(0), np.uint32)
_NO_TABLE = _read_only(np.zeros(0), np.int32)


def _eight(
    meanings: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Up to eight columns' codes and tables, each tuple padded to eight (one compiled walk)."""
    pad = 8 - len(meanings)
    codes = tuple(c for c, _ in meanings) + (_NO_CODES,) * pad
    return codes, tuple(t for _, t in meanings) + (_NO_TABLE,) * pad


def _first_values(column: pl.Series, rows: np.ndarray) -> pl.Series:
    """The value of each touch row (-1: none) as text, like a segment value."""
    picked = pl.Series(rows)
    picked = pl.select(pl.when(picked >= 0).then(picked)).to_series()
    return column.gather(picked).cast(pl.String).str.strip_chars()


def driver_tables(
    grouped: Grouped,
    plan: DriverPlan,
    window: Window,
    facts: Sequence[tuple[np.ndarray, ...]],
    segments: Sequence[str],
    events: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """The two drivers tables from the kernel's facts of each part (``person_facts``'s first,
    reach and touch rows; the touch rows of a text segment column serve its property too).
    ``events``: phase 1's event counts of these persons (each name with its ``NAME``), whose
    names the rules of a transition's stages list get no offsets for it (``rule_named``)."""
    from fivea.person import kernel_drivers
    from fivea.person.kernel import NULL

    frame = grouped.segments
    keys = grouped.keys
    assert keys is not None  # kept by Grouped.of for the drivers
    pairs = np.array(plan.transitions, np.int64).reshape(-1, 2)
    bound = _HIGH if plan.bound_us is None else plan.bound_us
    until = _HIGH if window.until is None else window.until
    last = plan.last_touch
    excluded = rule_named(plan, events)
    reach_at = [reach_column(s) for s in plan.stages]
    sources = touch_sources(plan, frame.columns)
    textual = [s for s in sources if frame.schema[s] in (pl.Categorical, pl.String)]
    names, texts = grouped.drivers_inputs(textual)
    assert names is not None
    coded = dict(zip(textual, texts, strict=True))
    # each column the segments' touch rows do not serve, as codes and what each code means
    # (-1: empty): one walk reads eight columns and usually stops at a person's first row
    flagged = [s for s in sources if not s.startswith("seg_")]
    meanings = {s: _meaning(coded[s]) if s in coded else _presence(frame[s]) for s in flagged}
    groups = [flagged[i : i + 8] for i in range(0, len(flagged), 8)]

    def touch_rows(k: int, kept: np.ndarray) -> dict[str, np.ndarray]:
        """Each flagged column's first (last) row of each kept person, -1: none."""
        starts, packed, _ = grouped.parts[k]
        out: dict[str, np.ndarray] = {}
        for columns in groups:
            codes, tables = _eight([meanings[c] for c in columns])
            rows = kernel_drivers.touch_rows(
                starts, packed, codes, tables, len(columns), kept, until, last
            )
            out.update(zip(columns, rows, strict=True))
        return out

    def first_values(
        k: int, source: str, kept: np.ndarray, rows: dict[str, np.ndarray]
    ) -> pl.Series:
        if source in rows:
            at = rows[source]
        else:  # a segment: the kernel's own touch rows
            at = facts[k][3][list(segments).index(source.removeprefix("seg_"))][kept]
        if source in coded:  # exact flags: no blank winner to move past
            # as categories: 4 bytes a person, not a string view (person partitions hold
            # their tables until phase 2; docs/performance.md "Person partitions and the
            # drivers")
            return coded[source].values(at, categorical=True)
        return _first_values(frame.get_column(source), at)

    def part(k: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        starts, packed, _ = grouped.parts[k]
        first, _, reach = facts[k][:3]
        person_keys = keys[k]
        kept = np.flatnonzero(
            (first != NULL)
            & np.any(np.stack([reach[s] != NULL for s, _ in plan.transitions]), axis=0)
        )
        persons = pl.DataFrame(
            {KEY: person_keys[kept], **{reach_column(s): reach[s][kept] for s in plan.stages}}
        ).with_columns(
            pl.when(pl.col(c) != NULL).then(pl.col(c)).alias(c)
            for c in map(reach_column, plan.stages)
        )
        rows = touch_rows(k, kept)
        values = [
            first_values(k, source, kept, rows).alias(prop_column(column))
            for column, source in zip(plan.properties, sources, strict=True)
        ]
        persons = persons.with_columns(values)
        # long, one frame a chunk of persons (concatenated, not copied into one): the walk's
        # room stays bounded, and a (person, name) row costs only its offsets
        # (docs/performance.md "Person partitions and the drivers")
        chunks = [
            _long(person_keys, *found)
            for found in kernel_drivers.event_offsets(
                starts, packed, names, first, reach, pairs, bound, until, excluded
            )
        ]
        long = pl.concat(chunks, rechunk=False) if chunks else _long(person_keys, *_NO_ROWS)
        return persons.select(KEY, *map(prop_column, plan.properties), *reach_at), long

    if len(grouped.parts) == 1:
        tables = [part(0)]
    else:  # the kernel releases the GIL: one thread per part
        with ThreadPoolExecutor(len(grouped.parts)) as pool:
            tables = list(pool.map(part, range(len(grouped.parts))))
    return {
        DRIVER_PERSONS: pl.concat([p for p, _ in tables]),
        DRIVER_EVENTS: pl.concat([e for _, e in tables]),
        DRIVER_VALUES: _counted_values(grouped, plan, window, coded),
    }


def rule_named(plan: DriverPlan, events: pl.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the event names the rules of each transition's stages list (phase 2
    never tests them for it: ``fivea.aggregate.drivers.excluded_names``, the same names and
    patterns, by Python's ``re``), sorted, and for each a bit per transition."""
    bits: dict[int, int] = {}
    if events is not None and plan.named:
        named = events.filter(pl.col(EVENT).is_not_null()).select(EVENT, NAME)
        for i, (s, t) in enumerate(plan.transitions):
            listed = {*plan.named[s][0], *plan.named[t][0]}
            patterns = [re.compile(p) for p in (*plan.named[s][1], *plan.named[t][1])]
            if not listed and not patterns:
                continue
            for name, h in named.iter_rows():
                if name in listed or any(p.search(name) for p in patterns):
                    bits[h] = bits.get(h, 0) | 1 << i
    hashes = np.array(list(bits), np.uint64).view(np.int64)  # as numba compares them
    masks = np.array(list(bits.values()), np.int64)
    order = np.argsort(hashes)
    return hashes[order], masks[order]


_NO_ROWS = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, 0), np.int64))


def _long(
    keys: np.ndarray, persons: np.ndarray, hashes: np.ndarray, offsets: np.ndarray
) -> pl.DataFrame:
    """The walk's (person, name) rows as ``drivers_events`` rows, one per transition with an
    offset (``TRANSITION``: its index; ``fivea.person.drivers.before_landmark``)."""
    from fivea.person.kernel import NULL

    which, rows = np.nonzero(offsets != NULL)
    return pl.DataFrame(
        {
            KEY: keys[persons[rows]],
            NAME: hashes[rows].view(np.uint64),
            TRANSITION: which.astype(np.uint8),
            OFFSET: offsets[which, rows],
        }
    )


def _counted_values(
    grouped: Grouped,
    plan: DriverPlan,
    window: Window,
    coded: dict[str, CodedText],
) -> pl.DataFrame:
    """The ``drivers_values`` rows of the counted columns, from the rows before until."""
    from fivea.person import kernel_drivers

    before = np.zeros(0, np.bool_)
    if window.until is not None and plan.counted:
        before = np.zeros(grouped.rows, np.bool_)
        for starts, packed, _ in grouped.parts:
            kernel_drivers.mark_before(starts, packed, window.until, before)
    frames = [pl.DataFrame(schema=SCHEMA)]
    for column in plan.counted:
        source = prop_column(column)
        if source in coded:
            text = coded[source]
            seen = text.texts  # the values of every row
            if before.shape[0]:
                seen = seen.filter(
                    pl.Series(kernel_drivers.used(text.codes, text.table, before, seen.len()))
                )
            frames.append(pl.DataFrame({COLUMN: column, VALUE: seen.unique()}, schema=SCHEMA))
        else:
            rows = before if before.shape[0] else None
            frames.append(column_values(column, grouped.segments.get_column(source), rows))
    return pl.concat(frames)
