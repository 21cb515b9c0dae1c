"""Epoch numbers of another unit than their column's (docs/input.md, "Epoch unit").

Times in one epoch column are one unit. A number of another magnitude (seconds among
milliseconds) is dropped as ``other_epoch_unit`` where the scan is built (``fivea.io.timeparse``);
this module reports it once the counts of the whole column are in: a warning naming both units
and the first such row, or, when more than 1% of the column's values are of another unit and
the unit was not set, an input error that asks for the unit. The counts are summable partials
collected with phase 1 (no extra pass over the events).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import polars as pl

from fivea.errors import InputError
from fivea.io.events import EventScan, drop_reason
from fivea.io.sources import ORDER, ROW_BITS
from fivea.io.timeparse import EPOCH_UNIT_LIMITS, OTHER_EPOCH_UNIT, UNIT_NAMES

if TYPE_CHECKING:
    from fivea.person.phase1 import Phase1Tables

OTHER_UNIT = "other_unit"  # the phase-1 table of the first row of another unit
TIME_VALUES = "time_values"  # non-null values of the time column (in the ``rows`` table)
MAX_SHARE = 0.01  # above this share of the column, another unit is not a stray row
_LOG = logging.getLogger("fivea")


def time_values(scan: EventScan) -> pl.Expr:
    """The number of non-null values of the time column (the share's denominator)."""
    return pl.col(scan.columns.time).is_not_null().sum().cast(pl.Int64).alias(TIME_VALUES)


def other_unit_frame(scan: EventScan) -> pl.LazyFrame:
    """The first row (input order) dropped as ``other_epoch_unit``, with its value and the
    column's unit. Per partition; ``first_other_unit`` combines them."""
    mask = drop_reason() == OTHER_EPOCH_UNIT
    unit = scan.build.unit or scan.columns.time_unit
    return scan.raw.select(
        pl.col(ORDER).filter(mask).first().cast(pl.Int64).alias("order"),
        pl.col(scan.columns.time).filter(mask).first().cast(pl.String).alias("value"),
        pl.lit(unit, pl.String).alias("unit"),
    )


def first_other_unit(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """``other_unit_frame`` of several partitions -> the row first in input order."""
    combined = pl.concat(frames, how="vertical_relaxed")
    return combined.sort("order", nulls_last=True).head(1)


def _unit_of(value: str | None) -> str | None:
    """The unit an epoch number's magnitude belongs to (< 1e11 s, < 1e14 ms, < 1e17 µs)."""
    try:
        number = abs(float(value or ""))
    except ValueError:
        return None
    return next((unit for unit, limit in EPOCH_UNIT_LIMITS if number < limit), "ns")


def _row_name(scan: EventScan, order: int | None) -> str | None:
    if order is None:
        return None
    index, row = order >> ROW_BITS, order & ((1 << ROW_BITS) - 1)
    if len(scan.sources) == 1 or not 0 <= index < len(scan.sources):
        return f"row {row + 1}"
    return f"{scan.sources[index].name} row {row + 1}"


def check_other_units(tables: Phase1Tables, scan: EventScan, rows_known: bool = True) -> None:
    """Warn about times of another epoch unit, or stop when they are more than stray rows.

    With the unit set in the config they are only dropped and counted (and warned about).
    ``rows_known``: the scan's input order is the file's rows (not on Spark, whose partitions
    number their own rows): else the first such value is named without its row.
    """
    rows = tables.quality["rows"].row(0, named=True)
    other = int(rows.get(OTHER_EPOCH_UNIT) or 0)
    valid = tables.quality.get("valid")
    if not other or (valid is not None and not valid["rows_used"].item()):
        return  # none, or every row dropped: that error names the counts
    total = int(rows.get(TIME_VALUES) or 0) or other
    first: dict[str, object] = {}
    if OTHER_UNIT in tables.quality and tables.quality[OTHER_UNIT].height:
        first = tables.quality[OTHER_UNIT].row(0, named=True)
    unit = first.get("unit")
    value = first.get("value")
    column_unit = UNIT_NAMES.get(str(unit), "another unit")
    found = _unit_of(str(value) if value is not None else None)
    found_name = UNIT_NAMES[found] if found else "another magnitude"
    order = first.get("order")
    where = _row_name(scan, int(order) if isinstance(order, int) and rows_known else None)
    first_row = ", ".join(str(p) for p in (where, value) if p is not None) or "not kept"
    origin = scan.sources[0].name if len(scan.sources) == 1 else f"{len(scan.sources)} input files"
    text = (
        f"{origin}: {other} of {total} times in column '{scan.columns.time}' are epoch "
        f"{found_name} among epoch {column_unit} (first: {first_row})"
    )
    share = other / total
    if scan.columns.time_unit is None and share > MAX_SHARE and unit is not None:
        msg = (
            f"{text}: {share:.1%} of the column, more than stray rows; set the column's unit, "
            f"e.g. columns: {{time_unit: {unit}}} in the config (times of another unit are then "
            "dropped and counted), or export the times in one unit"
        )
        raise InputError(msg)
    _LOG.warning("%s; dropped as other_epoch_unit", text)
