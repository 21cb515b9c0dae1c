"""The canonical event scan: raw sources -> (user, time µs UTC, event, input order, properties).

Rows with no user, no event or an unparsable time are dropped here and counted (SPEC §2); the
counts are lazy expressions evaluated in the same pass as phase 1.
"""

from __future__ import annotations

import time as wallclock
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from fivea.columns import ColumnMap, resolve_columns
from fivea.config import Config
from fivea.errors import InputError
from fivea.sources import ORDER, Source, scan_sources
from fivea.timeparse import dst_flags, naive_for_flags, time_to_micros

USER = "__user"
TIME = "__time"
EVENT = "__event"
_VALID = "__valid_reason"
# why a row is dropped, in the order the reasons are tested
DROP_REASONS = ("missing_user", "missing_event", "unparsable_time", "future_time")
_FUTURE_SLACK_US = 86_400_000_000  # a day of clock skew is not "the future"


@dataclass
class EventScan:
    """A lazy canonical event frame plus what data quality needs to count."""

    frame: pl.LazyFrame  # valid rows only
    raw: pl.LazyFrame  # every row, with the drop reason (null = kept)
    columns: ColumnMap
    sources: list[Source]
    properties: list[str]  # raw column names usable in rules and segments
    property_types: dict[str, pl.DataType]
    temps: list[Path] = field(default_factory=list)
    stitching: bool = False

    def cleanup(self) -> None:
        """Delete temp files made for stdin, compressed or transcoded input."""
        for path in self.temps:
            path.unlink(missing_ok=True)


def _non_empty(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        text = expr.str.strip_chars()
        return pl.when(text != "").then(text)
    return expr


def _user_expr(columns: ColumnMap, schema: pl.Schema, origin: str) -> pl.Expr:
    for name in columns.user:
        dtype = schema[name]
        if dtype.is_float():
            msg = (
                f"{origin}: user column '{name}' holds floats, which cannot be exact ids; "
                "export ids as integers or text"
            )
            raise InputError(msg)
    if len(columns.user) == 1:
        name = columns.user[0]
        dtype = schema[name]
        if dtype.is_integer():
            return pl.col(name).cast(pl.Int64)
        return _non_empty(pl.col(name).cast(pl.String), pl.String)
    parts = [_non_empty(pl.col(n).cast(pl.String), pl.String) for n in columns.user]
    return pl.coalesce(parts)


def _stitch(frame: pl.LazyFrame, columns: ColumnMap) -> pl.LazyFrame:
    """A later-position id seen on a row with an earlier-position id becomes that id.

    The earliest such pair (time, input order) wins, so an anonymous visitor's history joins the
    logged-in history of the account they first signed in to (SPEC §2).
    """
    primary = pl.col(USER)
    later = [pl.col(n).cast(pl.String).str.strip_chars() for n in columns.user[1:]]
    pairs = pl.concat(
        [
            frame.filter(pl.col(_VALID).is_null())
            .select(alias=later_id, target=primary, t=pl.col(TIME), o=pl.col(ORDER))
            .filter(
                pl.col("alias").is_not_null()
                & (pl.col("alias") != "")
                & (pl.col("alias") != pl.col("target"))
            )
            for later_id in later
        ]
    )
    mapping = pairs.sort("t", "o").group_by("alias").agg(pl.col("target").first())
    stitched = frame.join(mapping, left_on=USER, right_on="alias", how="left")
    return stitched.with_columns(
        pl.col("target").is_not_null().alias("__stitched"),
        pl.coalesce("target", USER).alias(USER),
    ).drop("target")


def scan_events(sources: list[Source], config: Config, now_us: int | None = None) -> EventScan:
    """Open the sources lazily and map them to canonical columns (nothing is read yet)."""
    raw, temps = scan_sources(sources, config.input.encoding, config.input.separator)
    origin = sources[0].name if len(sources) == 1 else f"{sources[0].name} (+{len(sources) - 1})"
    try:
        schema = raw.collect_schema()
    except pl.exceptions.PolarsError as exc:
        msg = f"{origin}: cannot read the columns ({str(exc).splitlines()[0][:160]})"
        raise InputError(msg) from exc
    columns = resolve_columns(schema.names(), config.columns, origin)
    time_dtype = schema[columns.time]
    micros = time_to_micros(
        pl.col(columns.time),
        time_dtype,
        config.time.timezone,
        columns.time_unit,
        columns.time_format,
    )
    now = now_us if now_us is not None else int(wallclock.time() * 1_000_000)
    event_dtype = schema[columns.event]
    event = _non_empty(pl.col(columns.event).cast(pl.String), pl.String)
    if event_dtype != pl.String:
        event = pl.col(columns.event).cast(pl.String)
    frame = raw.with_columns(
        _user_expr(columns, schema, origin).alias(USER),
        micros.alias(TIME),
        event.alias(EVENT),
    )
    reason = (
        pl.when(pl.col(USER).is_null())
        .then(pl.lit("missing_user"))
        .when(pl.col(EVENT).is_null())
        .then(pl.lit("missing_event"))
        .when(pl.col(TIME).is_null())
        .then(pl.lit("unparsable_time"))
        .when(pl.col(TIME) > now + _FUTURE_SLACK_US)
        .then(pl.lit("future_time"))
    )
    naive = naive_for_flags(pl.col(columns.time), time_dtype)
    extra = []
    if naive is not None and config.time.timezone != "UTC":
        fold, gap = dst_flags(naive, config.time.timezone)
        extra = [fold.alias("__dst_fold"), gap.alias("__dst_gap")]
    frame = frame.with_columns(reason.alias(_VALID), *extra)
    stitching = len(columns.user) > 1 and config.identity.stitch
    if stitching:
        frame = _stitch(frame, columns)
    properties = [n for n in schema.names() if not n.startswith("__")]
    valid = frame.filter(pl.col(_VALID).is_null())
    if config.dedupe:
        valid = valid.unique(subset=properties, keep="first", maintain_order=True)
    return EventScan(
        frame=valid,
        raw=frame,
        columns=columns,
        sources=sources,
        properties=properties,
        property_types=dict(schema.items()),
        temps=temps,
        stitching=stitching,
    )


def drop_reason() -> pl.Expr:
    """The per-row drop reason column of ``EventScan.raw`` (null for kept rows)."""
    return pl.col(_VALID)
