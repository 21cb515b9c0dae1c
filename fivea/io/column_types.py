"""Column types a role, a rule or a segment cannot use as they are (docs/input.md, "Column types").

Parquet (and NDJSON) columns are typed. A duration is not a time, an id or a number; a list is
not a value to compare or group by. Caught before the scan with the column, its type and the fix,
instead of a cast failing in the middle of it.
"""

from __future__ import annotations

import polars as pl


def kind_of(dtype: pl.DataType) -> str | None:
    """What an unusable column holds, in words ("durations", "lists", ...), or None."""
    if isinstance(dtype, pl.Duration):
        return "durations"
    if isinstance(dtype, pl.List | pl.Array):
        return "lists"
    if isinstance(dtype, pl.Struct):
        return "records"
    if dtype == pl.Object:
        return "Python objects"
    return None


def as_number_fix(name: str, dtype: pl.DataType) -> str:
    """How to compare an unusable column in a ``where:``."""
    if isinstance(dtype, pl.Duration):
        return f"compare it with an interval, e.g. \"{name}\" > interval '30 seconds'"
    if isinstance(dtype, pl.List | pl.Array):
        return f"test its items with a list function, e.g. array_contains(\"{name}\", 'a')"
    return "use a column of plain values"
