"""The canonical event scan: raw sources -> (user, time µs UTC, event, input order, properties).

Rows with no user, no event or an unparsable time are dropped here and counted (SPEC §2); the
counts are lazy expressions evaluated in the same pass as phase 1.
"""

from __future__ import annotations

import dataclasses
import time as wallclock
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from fivea.config.loader import Config
from fivea.errors import InputError
from fivea.io.column_types import kind_of
from fivea.io.columns import ColumnMap, resolve_file_columns
from fivea.io.dropped import DROP_REASONS, VALID, all_dropped_message, drop_reason
from fivea.io.nested_values import (
    NESTED_EVENT,
    NESTED_TIME,
    NESTED_USER,
    any_nested,
    nested_columns,
    without_nested,
)
from fivea.io.readers import FileColumns, explain_read_error, scan_sources
from fivea.io.sources import DECOMPRESS_ERRORS, ORDER, Source
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
__all__ = [
    "DROP_REASONS",
    "EVENT",
    "TIME",
    "USER",
    "EventScan",
    "all_dropped_message",
    "drop_reason",
]
_FUTURE_SLACK_US = 86_400_000_000  # a day of clock skew is not "the future"
EPOCH_MAGNITUDE = "__epoch_magnitude"  # of the time column's epoch numbers (unit check)
_EPOCH_REASON = "__epoch_reason"  # why an epoch number is not a time (≤ 0, another unit)
_UNIT_GUESS_ROWS = 1000
PARTITION_SEED = 0x5A5A5  # hash seed of the person partitions of the local engine
_SPOOL_ROW_GROUP = 262_144


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
    deduplicated: bool = False  # ``frame`` keeps the first of identical rows (``dedupe``)
    layout: _Layout | None = None
    build: _Build = field(default_factory=lambda: _Build())

    def cleanup(self) -> None:
        """Delete temp files made for stdin, compressed or transcoded input."""
        for path in self.temps:
            path.unlink(missing_ok=True)

    def partition(self, index: int, count: int, time_unit: str | None) -> EventScan:
        """The events of the persons whose id hashes to ``index`` of ``count`` (SPEC §7).

        ``time_unit`` is the epoch unit resolved over the whole column (``epoch_unit``). The
        partition shares this scan's files and temp files: clean up this scan, not it.
        """
        if self.layout is None or self.stitching:
            msg = "only an unstitched scan of sources can be partitioned by person"
            raise ValueError(msg)
        return self._rebuilt(dataclasses.replace(self.build, part=(index, count), unit=time_unit))

    def marked(self, columns: dict[str, pl.Expr]) -> EventScan:
        """This scan with ``columns`` computed on every row once, before the shared cache.

        For per-event values that several outputs read (the rule code): computed after the
        cache, each output would compute them again.
        """
        if self.layout is None or not columns:
            return dataclasses.replace(self, frame=self.frame.with_columns(**columns))
        marks = {**dict(self.build.marks), **columns}
        return self._rebuilt(dataclasses.replace(self.build, marks=tuple(marks.items())))

    def spooled(self, path: Path) -> EventScan:
        """This scan reading a Parquet copy of its sources, written to ``path`` (streaming).

        Raw columns, their types and the input order are kept, so every count is unchanged.
        """
        if self.layout is None:
            return self
        # row groups of the usual size: a partition pass holds one decoded group at a time
        self.layout.source.sink_parquet(
            path, compression="lz4", statistics=False, row_group_size=_SPOOL_ROW_GROUP
        )
        layout = dataclasses.replace(self.layout, source=pl.scan_parquet(path))
        frame, valid = layout.canonical(self.build)
        return dataclasses.replace(self, layout=layout, frame=valid, raw=frame, temps=[])

    def _rebuilt(self, build: _Build) -> EventScan:
        assert self.layout is not None
        frame, valid = self.layout.canonical(build)
        return dataclasses.replace(self, frame=valid, raw=frame, temps=[], build=build)

    def epoch_unit(self) -> str | None:
        """The epoch unit of the whole time column, for ``partition``."""
        return self.layout.epoch_unit() if self.layout is not None else None

    def with_guessed_unit(self) -> EventScan:
        """This scan with the epoch unit of the time column's first rows, to be checked.

        Left to the plan, the unit is the median magnitude of the whole column: a median
        blocks polars' streaming, so every column of the log was held in memory at once (10M
        CSV events: peak 2.5 GB -> 2.0 GB, 0.25 s faster without). The guess is exact unless
        the first rows' unit is not the column's; ``unit_check`` tells, in the same pass.
        """
        layout = self.layout
        if layout is None or self.build.unit is not None or layout.columns.time_unit:
            return self
        numbers = layout.epoch_numbers()
        if numbers is None:
            return self
        head = layout.source.head(_UNIT_GUESS_ROWS).select(numbers.alias("x"))
        counts = head.select(epoch_unit_partials(pl.col("x"))).collect().row(0, named=True)
        guess = epoch_unit_from_counts(counts) or "s"  # no epoch in the head: any unit
        return self._rebuilt(dataclasses.replace(self.build, unit=guess, check_unit=True))

    def unit_check(self) -> pl.LazyFrame | None:
        """Summable facts of the whole column's epoch unit when the scan's unit is a guess."""
        if not self.build.check_unit:
            return None
        return self.raw.select(epoch_unit_partials(pl.col(EPOCH_MAGNITUDE)))

    def with_unit(self, unit: str) -> EventScan:
        """This scan with the epoch unit ``unit`` (known, not guessed)."""
        return self._rebuilt(dataclasses.replace(self.build, unit=unit, check_unit=False))


def _non_empty(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        text = expr.str.strip_chars()
        return pl.when(text != "").then(text)
    return expr


def _check_role_dtypes(columns: ColumnMap, schema: pl.Schema, origin: str) -> None:
    """Column types that can never work, caught before the scan."""
    roles = [("user", n) for n in columns.user] + [("time", columns.time), ("event", columns.event)]
    for role, name in roles:
        dtype = schema[name]
        if dtype == pl.Null:
            msg = (
                f"{origin}: the {role} column '{name}' is empty in every row; "
                f"set columns.{role} in the config to the column that holds the {role}"
            )
            raise InputError(msg)
        if role == "user" and (
            dtype.is_float() or (isinstance(dtype, pl.Decimal) and (dtype.scale or 0) > 0)
        ):
            msg = (
                f"{origin}: user column '{name}' holds floats ({dtype}), which cannot be exact "
                "ids; export the ids as integers or text"
            )
            raise InputError(msg)
        if dtype.is_nested():
            msg = (
                f"{origin}: the {role} column '{name}' holds nested values ({dtype}); "
                f"set columns.{role} in the config to a plain column"
            )
            raise InputError(msg)
        kind = kind_of(dtype) or ("times of day" if role == "time" and dtype == pl.Time else None)
        if kind is not None:
            what = {"user": "ids", "event": "event names", "time": "instants"}[role]
            msg = (
                f"{origin}: the {role} column '{name}' holds {kind} ({dtype}), not {what}; "
                f"set columns.{role} in the config to the column that holds the {role}"
            )
            raise InputError(msg)


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
    logged-in history of the account they first signed in to (SPEC §2). Rows without an event
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


def scan_events(sources: list[Source], config: Config, now_us: int | None = None) -> EventScan:
    """Open the sources lazily and map them to canonical columns (nothing is read yet).

    Checks what can be checked without reading the events (files, columns, column types); an
    error here removes the temp files it made.
    """
    raw, temps, files = scan_sources(sources, config.input.encoding, config.input.separator)
    try:
        return _scan(raw, temps, sources, files, config, now_us)
    except DECOMPRESS_ERRORS as exc:  # damage met by a sample read while planning: one line
        for path in temps:
            path.unlink(missing_ok=True)
        raise explain_read_error(sources, exc) from exc
    except BaseException:
        for path in temps:
            path.unlink(missing_ok=True)
        raise


def _scan(
    raw: pl.LazyFrame,
    temps: list[Path],
    sources: list[Source],
    files: list[FileColumns],
    config: Config,
    now_us: int | None,
) -> EventScan:
    origin = sources[0].name if len(sources) == 1 else f"{sources[0].name} (+{len(sources) - 1})"
    try:
        schema = raw.collect_schema()
    except pl.exceptions.PolarsError as exc:
        msg = f"{origin}: cannot read the columns ({str(exc).splitlines()[0][:160]})"
        raise InputError(msg) from exc
    columns = resolve_file_columns(files, schema.names(), config.columns, origin)
    _check_role_dtypes(columns, schema, origin)
    now = now_us if now_us is not None else int(wallclock.time() * 1_000_000)
    roles = [*columns.user, columns.event, columns.time]
    json_input = any(s.format == "ndjson" for s in sources)
    layout = _Layout(raw, schema, columns, config, now, nested_columns(schema, roles, json_input))
    frame, valid = layout.canonical()
    return EventScan(
        frame=valid,
        raw=frame,
        columns=columns,
        sources=sources,
        properties=layout.properties,
        property_types=dict(schema.items()),
        temps=temps,
        stitching=layout.stitching,
        deduplicated=config.dedupe,
        layout=layout,
    )


@dataclass(frozen=True)
class _Build:
    """Which canonical frame a scan holds: a person partition, the epoch unit, extra columns."""

    part: tuple[int, int] | None = None  # (index, count)
    unit: str | None = None
    check_unit: bool = False  # ``unit`` is a guess: keep the epoch magnitudes to check it
    marks: tuple[tuple[str, pl.Expr], ...] = ()


@dataclass(frozen=True)
class _Layout:
    """What turns the opened sources into canonical frames: kept to rebuild one partition."""

    source: pl.LazyFrame  # the opened sources with their input order, nothing parsed
    schema: pl.Schema
    columns: ColumnMap
    config: Config
    now_us: int
    nested: frozenset[str] = frozenset()  # role columns that may hold records as JSON text

    @property
    def stitching(self) -> bool:
        return len(self.columns.user) > 1 and self.config.identity.stitch

    @property
    def properties(self) -> list[str]:
        return [n for n in self.schema.names() if not n.startswith("__")]

    def canonical(self, build: _Build | None = None) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        """(every row with its drop reason, valid rows), optionally of one person partition."""
        build = build or _Build()
        columns, config, schema, nested = self.columns, self.config, self.schema, self.nested
        raw, part = self.source, build.part
        if part is not None:
            # a function of the canonical id: each person's rows fall in one partition, and
            # the filter reaches the reader (only that partition's rows are materialised)
            index, count = part
            person = _user_expr(columns, schema, nested)
            raw = raw.filter(person.hash(PARTITION_SEED) % count == index)
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
