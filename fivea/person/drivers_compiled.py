"""The drivers tables of ``fivea.person.drivers`` through the compiled kernel (docs/metrics.md
"Drivers", cost): the same two tables, from the kernel's grouping and per-person facts.

The polars plan of ``driver_frames`` takes one ``min_by`` over a 128-bit (time, input order)
key per property column, a join of the events with the reach times and a group-by over
(person, event name). Here the kernel input carries each row's event name (a categorical code)
and the non-empty property values; the kernel's touch rows give the first-touch values (like
the segments'), and one more pass over each person's rows, already ordered by time, gives the
first offset per (person, name) from each analysed reach_s (``fivea.person.kernel_drivers``).
"""

from __future__ import annotations

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
    DriverPlan,
    nonempty,
    offset_column,
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
    exprs = [pl.col(EVENT).cast(pl.Categorical).alias(NAME)]
    for column, source in zip(plan.properties, touch_columns(plan, segments, schema), strict=True):
        if source != prop_column(column):
            continue
        # text as categorical codes: 4 bytes a row instead of a string view, a contiguous
        # numpy copy instead of a gather from a chunked string column (10M events: 0.1 s a
        # column and part), and the white-space test once per distinct value (``CodedText``)
        dtype = schema[column]
        exprs.append(
            (raw_text(column, dtype) if dtype == pl.String else nonempty(column, dtype)).alias(
                source
            )
        )
    return exprs


def name_codes(names: pl.Series) -> np.ndarray:
    """Each input row's event-name code (the categorical's physical code, -1: no name)."""
    return names.to_physical().cast(pl.Int32).fill_null(-1).to_numpy()


def present(column: pl.Series) -> np.ndarray:
    """Whether each row may hold a value: not null, and for text not empty (blank text is
    found on the touch rows, ``_first_values``)."""
    if column.dtype == pl.String:
        return (column.str.len_bytes().fill_null(0) > 0).to_numpy()
    return column.is_not_null().to_numpy()


_TRIES = 3  # rounds of "the next row" for blank first touches, then the test on every row


def _first_values(
    column: pl.Series,
    rows: np.ndarray,
    persons: np.ndarray,
    part: tuple[np.ndarray, np.ndarray],
    until: int,
    last: bool,
) -> pl.Series:
    """The trimmed text of each person's touch row (``rows``, of the part's ``persons``),
    moving past blank values (white space only).

    The touch rows skip nulls and empty text; a blank winner is rare, so its person walks on
    to the next candidate row, and after a few rounds every row is tested.
    """
    from fivea.person import kernel_drivers

    starts, packed = part

    def values(at: np.ndarray) -> pl.Series:
        picked = pl.Series(at)
        picked = pl.select(pl.when(picked >= 0).then(picked)).to_series()
        return column.gather(picked).cast(pl.String).str.strip_chars()

    out = values(rows)
    if column.dtype != pl.String:
        return out
    rows = rows.copy()
    flags: np.ndarray | None = None
    for attempt in range(_TRIES + 1):
        blank = np.flatnonzero((out == "").fill_null(False).to_numpy())
        if blank.shape[0] == 0:
            break
        if attempt == _TRIES:  # many blanks in a row: test every row (as the polars plan)
            flags = column.str.contains(r"\S").fill_null(False).to_numpy().astype(np.uint8)
        else:
            if flags is None:
                flags = present(column).astype(np.uint8)
            flags[rows[blank]] = 0
        rows[blank] = kernel_drivers.touch_rows(starts, packed, flags, persons[blank], until, last)
        out = out.scatter(blank, values(rows[blank]))
    return out


def driver_tables(
    grouped: Grouped,
    plan: DriverPlan,
    window: Window,
    facts: Sequence[tuple[np.ndarray, ...]],
    segments: Sequence[str],
) -> dict[str, pl.DataFrame]:
    """The two drivers tables from the kernel's facts of each part (``person_facts``'s first,
    reach and touch rows; the touch rows of a text segment column serve its property too)."""
    from fivea.person import kernel_drivers
    from fivea.person.kernel import NULL

    frame = grouped.segments
    keys, grouped_names = grouped.keys, grouped.names
    # kept by Grouped.of for the drivers
    assert keys is not None
    assert grouped_names is not None
    names = frame.get_column(NAME)
    n_names = max((int(n.max()) + 1 for n in grouped_names if n.shape[0]), default=0)
    known = names.drop_nulls().unique()
    lookup = pl.Series(NAME, [None] * n_names, pl.String).scatter(
        known.to_physical().cast(pl.Int64).to_numpy(), known.cast(pl.String)
    )
    stages = np.array([s for s, _ in plan.transitions], np.int64)
    bound = _HIGH if plan.bound_us is None else plan.bound_us
    until = _HIGH if window.until is None else window.until
    last = plan.last_touch
    reach_at = [reach_column(s) for s in plan.stages]
    sources = touch_sources(plan, frame.columns)
    # which input rows may hold a value of each column the segments' touch rows do not serve
    textual = [s for s in sources if frame.schema[s] == pl.Categorical]
    coded = dict(zip(textual, grouped.texts(textual), strict=True))
    flags = {
        source: coded[source].present()
        if source in coded
        else present(frame[source]).astype(np.uint8)
        for source in sources
        if not source.startswith("seg_")
    }

    def first_values(k: int, source: str, kept: np.ndarray) -> pl.Series:
        if source in coded:  # exact flags: no blank winner to move past
            return coded[source].values(touch(k, source, kept))
        starts, packed, _ = grouped.parts[k]
        column, rows = frame.get_column(source), touch(k, source, kept)
        return _first_values(column, rows, kept, (starts, packed), until, last)

    def touch(k: int, source: str, kept: np.ndarray) -> np.ndarray:
        if source in flags:  # the first (last) flagged row of each person, -1: none
            starts, packed, _ = grouped.parts[k]
            return kernel_drivers.touch_rows(starts, packed, flags[source], kept, until, last)
        return facts[k][3][list(segments).index(source.removeprefix("seg_"))][kept]

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
        values = [
            first_values(k, source, kept).alias(prop_column(column))
            for column, source in zip(plan.properties, sources, strict=True)
        ]
        persons = persons.with_columns(values)
        index, code, offsets = kernel_drivers.event_offsets(
            starts, packed, grouped_names[k], n_names, first, reach, stages, bound, until
        )
        long = pl.DataFrame(
            {
                KEY: person_keys[index],
                NAME: lookup.gather(code),
                **{offset_column(i): offsets[i] for i in range(len(plan.transitions))},
            }
        ).with_columns(
            pl.when(pl.col(c) != NULL).then(pl.col(c)).alias(c)
            for c in map(offset_column, range(len(plan.transitions)))
        )
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
            seen = text.texts.filter(
                pl.Series(kernel_drivers.used(text.codes, text.table, before, text.texts.len()))
            )
            frames.append(pl.DataFrame({COLUMN: column, VALUE: seen.unique()}, schema=SCHEMA))
        else:
            rows = before if before.shape[0] else None
            frames.append(column_values(column, grouped.segments.get_column(source), rows))
    return pl.concat(frames)
