"""The canonical columns of the event scan: each row's user id, time (µs UTC), event name and
drop reason, built from the opened sources; identity stitching; one person partition.

``fivea.io.events`` holds the scan that keeps what it needs to rebuild these frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from fivea.config.loader import Config
from fivea.io.columns import ColumnMap
from fivea.io.dropped import VALID
from fivea.io.nested_values import (
    NESTED_EVENT,
    NESTED_TIME,
    NESTED_USER,
    any_nested,
    without_nested,
)
from fivea.io.sources import ORDER
from fivea.io.timeparse import (
    drop_temps,
    dst_flags,
    epoch_numbers,
    epoch_unit_from_counts,
    epoch_unit_partials,
    with_micros,
)

USER = "__user"
TIME = "__time"
EVENT = "__event"
_FUTURE_SLACK_US = 86_400_000_000  # a day of clock skew is not "the future"
EPOCH_MAGNITUDE = "__epoch_magnitude"  # of the time column's epoch numbers (unit check)
_EPOCH_REASON = "__epoch_reason"  # why an epoch number is not a time (≤ 0, another unit)
PARTITION_SEED = 0x5A5A5  # hash seed of the person partitions of the local engine


def person_partition(person: pl.Expr, count: int) -> pl.Expr:
    """The person partition (0..count-1) of an id: the same in the filter of a partition's
    read and in the kernel rows written per partition (docs/performance.md)."""
    return person.hash(PARTITION_SEED) % count


def _non_empty(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        text = expr.str.strip_chars()
        return pl.when(text != "").then(text)
    return expr


def _id_text(name: str, nested: frozenset[str] = frozenset()) -> pl.Expr:
    """The trimmed text of an id column; a record or list is not an id (null)."""
    return without_nested(_non_empty(pl.col(name).cast(pl.String), pl.String), name, nested)


def _user_expr(
    columns: ColumnMap, schema: pl.Schema, nested: frozenset[str] = frozenset()
) -> pl.Expr:
    """The row's id: integer ids stay Int64 (exact), everything else is trimmed text."""
    if len(columns.user) == 1:
        name = columns.user[0]
        dtype = schema[name]
        if dtype.is_integer() and dtype != pl.UInt64:  # UInt64 may not fit in Int64: text
            return pl.col(name).cast(pl.Int64)
        return _id_text(name, nested)
    return pl.coalesce([_id_text(n, nested) for n in columns.user])


def _event_expr(
    columns: ColumnMap, schema: pl.Schema, nested: frozenset[str] = frozenset()
) -> pl.Expr:
    event = _id_text(columns.event, nested)
    if columns.export == "segment" and "type" in schema.names() and columns.event == "event":
        # Segment page and screen calls carry no event name; they are touches (Aware)
        kind = pl.col("type").cast(pl.String)
        event = pl.coalesce(
            event,
            pl.when(kind == "page")
            .then(pl.lit("Page Viewed"))
            .when(kind == "screen")
            .then(pl.lit("Screen Viewed")),
        )
    return event


def _stitch(
    frame: pl.LazyFrame, columns: ColumnMap, nested: frozenset[str] = frozenset()
) -> pl.LazyFrame:
    """A later-position id seen on a row with an earlier-position id becomes that id.

    The earliest such pair (time, input order) wins, so an anonymous visitor's history joins the
    logged-in history of the account they first signed in to (docs/input.md). Rows without an event
    name still link ids (a Segment ``identify`` call is exactly that link); rows without a valid
    time cannot be ordered and do not. Chains (anonymous -> device -> account) are followed.
    """
    primary = pl.col(USER)
    later = [_id_text(n, nested) for n in columns.user[1:]]
    linking = pl.col(VALID).is_null() | pl.col(VALID).is_in(["missing_event", NESTED_EVENT])
    pairs = pl.concat(
        [
            frame.filter(linking & primary.is_not_null())
            .select(alias=later_id, target=primary, t=pl.col(TIME), o=pl.col(ORDER))
            .filter(pl.col("alias").is_not_null() & (pl.col("alias") != pl.col("target")))
            for later_id in later
        ]
    )
    mapping = pairs.sort("t", "o").group_by("alias").agg(pl.col("target").first())
    for _ in range(len(later) - 1):  # follow alias -> alias -> primary chains
        hop = mapping.rename({"alias": "via", "target": "next"})
        mapping = mapping.join(hop, left_on="target", right_on="via", how="left").select(
            "alias", pl.coalesce("next", "target").alias("target")
        )
    stitched = frame.join(mapping, left_on=USER, right_on="alias", how="left")
    return stitched.with_columns(
        pl.col("target").is_not_null().alias("__stitched"),
        pl.coalesce("target", USER).alias(USER),
    ).drop("target")


@dataclass(frozen=True)
class CanonicalBuild:
    """Which canonical frame a scan holds: a person partition, the epoch unit, extra columns."""

    part: tuple[int, int] | None = None  # (index, count)
    unit: str | None = None
    check_unit: bool = False  # ``unit`` is a guess: keep the epoch magnitudes to check it
    marks: tuple[tuple[str, pl.Expr], ...] = ()


@dataclass(frozen=True)
class CanonicalLayout:
    """What turns the opened sources into canonical frames: kept to rebuild one partition."""

    source: pl.LazyFrame  # the opened sources with their input order, nothing parsed
    schema: pl.Schema
    columns: ColumnMap
    config: Config
    now_us: int
    nested: frozenset[str] = frozenset()  # role columns that may hold records as JSON text
    # the time parsers' order per person partition (None: all rows), sampled once: every
    # rebuild (epoch unit, marks, a second pass) reads the same head (docs/performance.md)
    orders: dict[tuple[int, int] | None, dict[str, list[int]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def stitching(self) -> bool:
        return len(self.columns.user) > 1 and self.config.identity.stitch

    @property
    def properties(self) -> list[str]:
        return [n for n in self.schema.names() if not n.startswith("__")]

    def canonical(self, build: CanonicalBuild | None = None) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        """(every row with its drop reason, valid rows), optionally of one person partition."""
        build = build or CanonicalBuild()
        columns, config, schema, nested = self.columns, self.config, self.schema, self.nested
        raw, part = self.source, build.part
        if part is not None:
            # a function of the canonical id: each person's rows fall in one partition, and
            # the filter reaches the reader (only that partition's rows are materialised)
            index, count = part
            person = _user_expr(columns, schema, nested)
            raw = raw.filter(person_partition(person, count) == index)
        frame, naive = with_micros(
            raw,
            columns.time,
            schema[columns.time],
            TIME,
            config.time.timezone,
            build.unit or columns.time_unit,
            columns.time_format,
            EPOCH_MAGNITUDE if build.check_unit else None,
            _EPOCH_REASON,
            self.orders.setdefault(part, {}),
        )
        frame = frame.with_columns(
            _user_expr(columns, schema, nested).alias(USER),
            _event_expr(columns, schema, nested).alias(EVENT),
        )
        false = pl.lit(False)
        nested_user = any_nested(columns.user, nested)
        nested_event = any_nested([columns.event], nested)
        nested_time = any_nested([columns.time], nested)
        reason = (
            pl.when(pl.col(USER).is_null() & (nested_user if nested_user is not None else false))
            .then(pl.lit(NESTED_USER))
            .when(pl.col(USER).is_null())
            .then(pl.lit("missing_user"))
            .when(pl.col(EVENT).is_null() & (nested_event if nested_event is not None else false))
            .then(pl.lit(NESTED_EVENT))
            .when(pl.col(EVENT).is_null())
            .then(pl.lit("missing_event"))
            .when(nested_time if nested_time is not None else false)
            .then(pl.lit(NESTED_TIME))
            .when(pl.col(_EPOCH_REASON).is_not_null())
            .then(pl.col(_EPOCH_REASON))
            .when(pl.col(TIME).is_null())
            .then(pl.lit("unparsable_time"))
            .when(pl.col(TIME) > self.now_us + _FUTURE_SLACK_US)
            .then(pl.lit("future_time"))
        )
        extra = []
        if naive is not None and config.time.timezone != "UTC":
            fold, gap = dst_flags(naive, config.time.timezone)
            extra = [fold.alias("__dst_fold"), gap.alias("__dst_gap")]
        frame = drop_temps(frame.with_columns(reason.alias(VALID), *extra)).drop(_EPOCH_REASON)
        if self.stitching:
            frame = _stitch(frame, columns, nested)
        if build.marks:
            frame = frame.with_columns(**dict(build.marks))
        # every phase-1 output and quality count reads this frame: parse the file once, not
        # once per output (CSV text and time parsing dominate otherwise: 4.2 s -> 1.7 s at 1M)
        frame = frame.cache()
        valid = frame.filter(pl.col(VALID).is_null())
        if config.dedupe:
            valid = valid.unique(subset=self.properties, keep="first", maintain_order=True)
        return frame, valid

    def epoch_numbers(self) -> pl.Expr | None:
        """The time column as epoch numbers (None: it cannot hold epochs)."""
        columns = self.columns
        return epoch_numbers(columns.time, self.schema[columns.time], columns.time_format)

    def epoch_unit(self) -> str | None:
        """The epoch unit of the whole time column (None: not epochs, or set in the config).

        A partition's median is not the column's: an engine that partitions resolves the unit
        once over every row and passes it to each partition.
        """
        if self.columns.time_unit is not None:
            return self.columns.time_unit
        numbers = self.epoch_numbers()
        if numbers is None:
            return None
        # summable counts rather than a median: they stream, so a huge text column is never
        # held in memory (a median over 50M text times peaked at 4.7 GB)
        partials = self.source.select(numbers.alias("x")).select(epoch_unit_partials(pl.col("x")))
        return epoch_unit_from_counts(partials.collect(engine="streaming").row(0, named=True))
