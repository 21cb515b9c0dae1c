"""Why rows are dropped (docs/input.md, "Dropped rows") and the error when every row is.

The reasons are tested in the order of ``DROP_REASONS``; ``fivea.io.canonical`` computes the
per-row reason column, data quality counts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from fivea.errors import quote_data
from fivea.io.nested_values import NESTED_EVENT, NESTED_TIME, NESTED_USER
from fivea.io.timeparse import IMPOSSIBLE_TIME, OTHER_EPOCH_UNIT

if TYPE_CHECKING:
    from fivea.io.events import EventScan

VALID = "__valid_reason"  # the per-row drop reason column (null: kept)
# why a row is dropped, in the order the reasons are tested
DROP_REASONS = (
    NESTED_USER,
    "missing_user",
    NESTED_EVENT,
    "missing_event",
    NESTED_TIME,
    IMPOSSIBLE_TIME,
    OTHER_EPOCH_UNIT,
    "unparsable_time",
    "future_time",
)


def drop_reason() -> pl.Expr:
    """The per-row drop reason column of ``EventScan.raw`` (null for kept rows)."""
    return pl.col(VALID)


_FIX = {
    "missing_user": "set columns.user in the config to the column that holds the ids",
    "missing_event": "set columns.event in the config to the column that holds the event names",
    "unparsable_time": (
        "set columns.time to the right column, or columns.time_format for an unusual form "
        "(e.g. '%d/%m/%Y %H:%M')"
    ),
    "future_time": "check the clock of the system that wrote the times, or columns.time_unit",
    NESTED_USER: (
        "set columns.user in the config to the field of the record that holds the id "
        "(e.g. user_id.id), or export the ids as plain values"
    ),
    NESTED_EVENT: (
        "set columns.event in the config to the field of the record that holds the name, "
        "or export the names as plain values"
    ),
    NESTED_TIME: (
        "set columns.time in the config to the field of the record that holds the time, "
        "or export the times as plain values"
    ),
    IMPOSSIBLE_TIME: (
        "epoch times must be above 0 (after 1970-01-01 00:00:00); set columns.time to the "
        "column that holds the times"
    ),
    OTHER_EPOCH_UNIT: "set columns.time_unit in the config to the unit of the times",
}


def all_dropped_message(scan: EventScan, counts: dict[str, int]) -> str:
    """The one-line error when every row was dropped: counts, columns, an example and the fix.

    ``counts`` maps ``rows`` and each of ``DROP_REASONS`` to a row count (the quality frame's
    row). Reads one example value, so call it only on this error path.
    """
    name = scan.sources[0].name if len(scan.sources) == 1 else f"{len(scan.sources)} input files"
    if not counts.get("rows"):
        return f"{name}: no events (the file has a header but no data rows); export some events"
    column = {
        "missing_user": ", ".join(repr(c) for c in scan.columns.user),
        "missing_event": repr(scan.columns.event),
        "unparsable_time": repr(scan.columns.time),
        "future_time": repr(scan.columns.time),
        IMPOSSIBLE_TIME: repr(scan.columns.time),
        OTHER_EPOCH_UNIT: repr(scan.columns.time),
        NESTED_USER: ", ".join(repr(c) for c in scan.columns.user),
        NESTED_EVENT: repr(scan.columns.event),
        NESTED_TIME: repr(scan.columns.time),
    }
    parts = [
        f"{reason.replace('_', ' ')} {counts[reason]} (column {column[reason]})"
        for reason in DROP_REASONS
        if counts.get(reason)
    ]
    main = max(DROP_REASONS, key=lambda r: counts.get(r) or 0)
    example = ""
    shown = {NESTED_USER: scan.columns.user[0], NESTED_EVENT: scan.columns.event}
    if main in ("unparsable_time", "future_time", NESTED_TIME, IMPOSSIBLE_TIME, OTHER_EPOCH_UNIT):
        shown[main] = scan.columns.time
    if main in shown:
        try:
            value = (
                scan.raw.filter(drop_reason() == main)
                .select(pl.col(shown[main]).cast(pl.String))
                .head(1)
                .collect()
                .item()
            )
            example = f", e.g. {quote_data(value)}" if value is not None else ""
        except pl.exceptions.PolarsError:
            example = ""
    return (
        f"{name}: no valid events ({counts['rows']} rows read, all dropped: "
        f"{', '.join(parts)}{example}); {_FIX[main]}"
    )
