"""The distinct values of the drivers' candidate property columns (docs/metrics.md "Drivers").

A property column is a default candidate when its non-empty values (text trimmed, as a segment
value) in the events before ``until`` take 2..50 distinct values. Phase 1 reports, per counted
column, its distinct values, or at least ``MAX_VALUES + 1`` of them (enough to tell "more than
50"): the ``drivers_values`` table, (column, value) rows that concatenate across partitions;
phase 2 counts them.

A column that already shows more than 50 values in the log's first ``HEAD_ROWS`` valid events
(a few row groups) has more than 50 in the log: the compiled kernel's phase 1 then does not
read it at all (``many_valued``); on 10M events, ids such as ``session_id`` cost about 0.4 GB
of memory to carry for nothing (docs/performance.md "Drivers").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from fivea.io.events import TIME
from fivea.person.table import segment_value

if TYPE_CHECKING:
    import numpy as np

DRIVER_VALUES = "drivers_values"
COLUMN, VALUE = "column", "value"
MAX_VALUES = 50  # more distinct values: not a candidate (listed in skipped_properties)
HEAD_ROWS = 20_000  # valid events read up front for the "more than 50 values" test
SCHEMA = pl.Schema({COLUMN: pl.String, VALUE: pl.String})


def value_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A property's value as the drivers show it: a segment value (text, trimmed; null when
    empty, docs/metrics.md#segments)."""
    return segment_value(column, dtype)


def _before(events: pl.LazyFrame, until: int | None) -> pl.LazyFrame:
    return events if until is None else events.filter(pl.col(TIME) < until)


def values_frame(
    events: pl.LazyFrame, columns: Sequence[str], schema: pl.Schema, until: int | None
) -> pl.LazyFrame:
    """The ``drivers_values`` rows of ``columns`` (the polars plan: one distinct per column)."""
    frames = [
        _before(events, until)
        .select(pl.lit(c).alias(COLUMN), value_text(c, schema[c]).alias(VALUE))
        .drop_nulls(VALUE)
        .unique(VALUE)
        .head(MAX_VALUES + 1)
        for c in columns
    ]
    return pl.concat(frames) if frames else pl.LazyFrame(schema=SCHEMA)


def many_valued(
    events: pl.LazyFrame, columns: Sequence[str], schema: pl.Schema, until: int | None
) -> pl.DataFrame:
    """``MAX_VALUES + 1`` values of each column with more than ``MAX_VALUES`` distinct values
    in the first ``HEAD_ROWS`` valid events before ``until`` (a short read of the log's head)."""
    if not columns:
        return pl.DataFrame(schema=SCHEMA)
    head = _before(events, until).head(HEAD_ROWS)  # ``events``: EventScan.head(HEAD_ROWS)
    sample = head.select(value_text(c, schema[c]).alias(c) for c in columns).collect()
    found = [
        pl.DataFrame({COLUMN: c, VALUE: distinct.head(MAX_VALUES + 1)}, schema=SCHEMA)
        for c in columns
        if (distinct := sample[c].drop_nulls().unique(maintain_order=True)).len() > MAX_VALUES
    ]
    return pl.concat(found) if found else pl.DataFrame(schema=SCHEMA)


def column_values(column: str, values: pl.Series, before: np.ndarray | None) -> pl.DataFrame:
    """The ``drivers_values`` rows of one column of the kernel input (raw values by input row;
    ``before``: which rows are before ``until``, None: all)."""
    if before is not None:
        values = values.filter(pl.Series(before))
    distinct = pl.DataFrame({column: values.drop_nulls().unique()})
    text = distinct.select(value_text(column, values.dtype).alias(VALUE))
    return text.drop_nulls().unique().select(pl.lit(column).alias(COLUMN), VALUE)
