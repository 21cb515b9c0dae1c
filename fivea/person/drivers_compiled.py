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
from fivea.person.kernel_grouping import LOW32, ROW_AND_HASH

if TYPE_CHECKING:
    from fivea.person.compiled import Grouped
    from fivea.person.table import Window

_HIGH = np.iinfo(np.int64).max


def touch_sources(plan: DriverPlan, columns: Sequence[str]) -> list[str]:
    """``touch_columns`` from the collected kernel input's column names."""
    return [p if (p := prop_column(c)) in columns else f"seg_{c}" for c in plan.properties]


def touch_columns(plan: DriverPlan, segments: Sequence[str], schema: pl.Schema) -> list[str]:
    """The kernel input column whose touch row gives each property's first-touch value: a text
    segment's own value (non-empty and trimmed alike, docs/metrics.md#segments), else its own."""
    return [
        f"seg_{c}" if c in segments and schema[c] == pl.String else prop_column(c)
        for c in plan.properties
    ]


def driver_inputs(plan: DriverPlan, segments: Sequence[str], schema: pl.Schema) -> list[pl.Expr]:
    """The kernel input's extra columns: the event name and the property values."""
    exprs = [pl.col(EVENT).cast(pl.Categorical).alias(NAME)]
    for column, source in zip(plan.properties, touch_columns(plan, segments, schema), strict=True):
        if source == prop_column(column):
            exprs.append(nonempty(column, schema[column]).alias(source))
    return exprs


def driver_tables(
    grouped: Grouped,
    plan: DriverPlan,
    window: Window,
    facts: Sequence[tuple[np.ndarray, ...]],
    sources: Sequence[str],
) -> dict[str, pl.DataFrame]:
    """The two drivers tables from the kernel's facts of each part (``person_facts``'s first,
    reach and touch; the touch rows of ``sources`` are the last ``len(sources)``)."""
    from fivea.person import kernel_drivers
    from fivea.person.kernel import NULL

    frame = grouped.segments
    keys = grouped.keys
    assert keys is not None  # kept by Grouped.of for the drivers
    names = frame.get_column(NAME)
    # 4 bytes a row: the kernel reads them in person order, out of input order
    codes = names.to_physical().cast(pl.Int32).fill_null(-1).to_numpy()
    n_names = int(codes.max()) + 1 if codes.shape[0] else 0
    known = names.drop_nulls().unique()
    lookup = pl.Series(NAME, [None] * n_names, pl.String).scatter(
        known.to_physical().cast(pl.Int64).to_numpy(), known.cast(pl.String)
    )
    stages = np.array([s for s, _ in plan.transitions], np.int64)
    bound = _HIGH if plan.bound_us is None else plan.bound_us
    until = _HIGH if window.until is None else window.until
    reach_at = [reach_column(s) for s in plan.stages]

    def part(k: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        starts, packed, _ = grouped.parts[k]
        first, _, reach, touch = facts[k][:4]
        person_keys = (
            keys[packed[starts[:-1], ROW_AND_HASH] & LOW32]
            if starts.shape[0] > 1
            else (np.empty(0, np.uint64))
        )
        persons = pl.DataFrame(
            {KEY: person_keys, **{reach_column(s): reach[s] for s in plan.stages}}
        ).with_columns(
            pl.when(pl.col(c) != NULL).then(pl.col(c)).alias(c)
            for c in map(reach_column, plan.stages)
        )
        at = len(touch) - len(sources)
        values = []
        for i, (column, source) in enumerate(zip(plan.properties, sources, strict=True)):
            rows = pl.Series(touch[at + i])
            rows = pl.select(pl.when(rows >= 0).then(rows)).to_series()
            value = frame.get_column(source).gather(rows).cast(pl.String).str.strip_chars()
            values.append(value.alias(prop_column(column)))
        persons = persons.with_columns(values)
        kept = (first != NULL) & np.any(
            np.stack([reach[s] != NULL for s, _ in plan.transitions]), axis=0
        )
        persons = persons.filter(pl.Series(kept))
        index, code, offsets = kernel_drivers.event_offsets(
            starts, packed, codes, n_names, first, reach, stages, bound, until
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
    }
