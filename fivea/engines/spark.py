"""The diagnosis on Apache Spark: the same phase-1 polars code on every partition of persons.

How a run goes (SPEC §7, the seam):

1. The driver resolves the sources and opens them with the local scanner *lazily* (only heads
   are read): the same checks, column detection and error messages as the local engine.
2. Spark reads every file (CSV all text with a header, Parquet, NDJSON) and tags each row with
   its input order (SPEC §2): ``(file index in path byte order, split start, row id)``. The file
   index comes from the driver's sorted source list; within a file, rows of one split are read
   in file order and ``monotonically_increasing_id`` grows along them; splits of a file are
   ordered by their start offset (``_metadata.file_block_start``).
3. Global parameters are resolved before partitioning: the epoch unit of the time column (from
   exact, summable counts around each unit's limit: the median's side of a limit follows from
   them), the clock for "future" times, the analysis window (the latest valid time when a flag
   needs it).
4. Rows are shuffled by a hash of a key that is a function of the canonical user id (the id with
   every whitespace removed), so each person's events land in one partition; each partition is
   sorted by input order and goes through ``mapInArrow`` into ``fivea.events.scan_events`` (via
   ``frame_source``) and ``fivea.phase1.run_phase1``: no second implementation of any rule,
   window or tie-break.
5. Each partition emits its person rows (typed columns) and its data-quality partials (one row
   each, an Arrow IPC blob), told apart by ``__kind``.
6. First step (this version): the driver collects that output and combines it with
   ``fivea.phase1.combine_frames``; phase 2, the diagnosis and the renderers are the local ones.
   The person table must fit in the driver's memory (about 100 bytes per person).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import shutil
import sys
import time as wallclock
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from fivea.analysis import Options, WindowRequest, analyse_scan
from fivea.config import Config, LoadedConfig
from fivea.errors import FiveaError, InputError
from fivea.events import EVENT, TIME, EventScan, scan_events
from fivea.phase1 import Phase1Plan, Phase1Tables, combine_frames, phase1_frames, run_phase1
from fivea.readers import csv_separator
from fivea.result import Result
from fivea.rules import compile_rules
from fivea.sources import Source, frame_source, resolve_sources
from fivea.timeparse import EPOCH_UNIT_LIMITS, epoch_numbers
from fivea.trend import PERIODS

__all__ = ["SparkUnavailableError", "diagnose_spark", "spark_session"]

_FILE, _BLOCK, _ROWID, _KEY = "__sp_file", "__sp_block", "__sp_rowid", "__sp_key"
_ORDER_COLUMNS = (_FILE, _BLOCK, _ROWID)
_KIND, _BLOB = "__sp_kind", "__sp_blob"
_PERSON_KINDS = ("persons", "previous")
_INSTALL = 'pip install "fivea[spark]"'


class SparkUnavailableError(FiveaError):
    """pyspark or a Java runtime is missing: one line saying what to install (exit 2)."""


def _require_pyspark() -> Any:
    try:
        import pyspark
        from pyspark.sql import SparkSession  # noqa: F401
    except ImportError as exc:
        msg = f"--engine spark needs pyspark with pyarrow and pandas: {_INSTALL}"
        raise SparkUnavailableError(msg) from exc
    return pyspark


def _require_java() -> None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return
    if shutil.which("java"):
        return
    msg = (
        "--engine spark needs a Java runtime (17 or newer) for a local Spark: install one "
        "(e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME, "
        "or use --spark-remote sc://host:port"
    )
    raise SparkUnavailableError(msg)


def spark_session(master: str | None = None, remote: str | None = None) -> Any:
    """The active SparkSession, or a new one on ``master`` (default ``local[*]``) or ``remote``.

    Times cross the Arrow boundary in UTC: the session time zone is set to UTC.
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    if remote is None:
        active = SparkSession.getActiveSession()
        if active is not None and master is None:
            active.conf.set("spark.sql.session.timeZone", "UTC")
            return active
        _require_java()
        # local workers run this interpreter (and so this fivea and polars)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            SparkSession.builder.master(master or "local[*]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
    else:
        builder = SparkSession.builder.remote(remote)
    session = builder.appName("fivea").config("spark.sql.session.timeZone", "UTC").getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session


# --- reading ------------------------------------------------------------------------------


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _read_source(spark: Any, source: Source, index: int, config: Config) -> Any:
    """One file as a Spark frame of its raw columns plus the input-order columns."""
    from pyspark.sql import functions as F

    assert source.path is not None
    path = str(source.path)
    encoding = config.input.encoding
    if source.format == "csv":
        frame = (
            spark.read.option("header", True)
            .option("sep", csv_separator(source, encoding, config.input.separator))
            .option("inferSchema", False)  # every column is text, as in the local engine
            .option("multiLine", True)  # quoted newlines (a file is then one split)
            .option("quote", '"')
            .option("escape", '"')  # RFC 4180: "" inside quotes
            .option("mode", "PERMISSIVE")  # ragged lines: missing cells null, extra dropped
            .option("encoding", encoding)
            .csv(path)
        )
    elif source.format == "parquet":
        frame = spark.read.parquet(path)
    else:
        frame = spark.read.option("encoding", encoding).json(path)
    names = frame.columns
    hive = [
        F.lit(value).cast("string").alias(key) for key, value in source.hive if key not in names
    ]
    return frame.select(
        *[F.col(_quoted(n)) for n in names],
        *hive,
        F.lit(index).cast("long").alias(_FILE),
        F.col("_metadata.file_block_start").cast("long").alias(_BLOCK),
        F.monotonically_increasing_id().alias(_ROWID),
    )


def _read(spark: Any, sources: list[Source], config: Config) -> Any:
    frames = [_read_source(spark, s, i, config) for i, s in enumerate(sources)]
    combined = frames[0]
    for frame in frames[1:]:
        combined = combined.unionByName(frame, allowMissingColumns=True)
    return combined


def _with_order(frame: Any) -> Any:
    """A pyspark DataFrame given directly: its row order (partition, then row) is the input order."""
    from pyspark.sql import functions as F

    return frame.select(
        *[F.col(_quoted(n)) for n in frame.columns],
        F.lit(0).cast("long").alias(_FILE),
        F.lit(0).cast("long").alias(_BLOCK),
        F.monotonically_increasing_id().alias(_ROWID),
    )


def _person_key(users: tuple[str, ...]) -> Any:
    """A key that is a function of the canonical id, so a person's rows share a partition.

    The canonical id is the first user column whose trimmed text is not empty (SPEC §2);
    removing *every* whitespace character is a function of that trimmed text, and a trimmed
    text is empty exactly when it holds only whitespace.
    """
    from pyspark.sql import functions as F

    parts = [
        F.nullif(F.regexp_replace(F.col(_quoted(u)).cast("string"), r"(?U)\s", ""), F.lit(""))
        for u in users
    ]
    return parts[0] if len(parts) == 1 else F.coalesce(*parts)


def _to_polars(batches: Iterator[Any]) -> pl.DataFrame | None:
    import pyarrow as pa

    collected = [b for b in batches if b.num_rows]
    if not collected:
        return None
    return pl.from_arrow(pa.Table.from_batches(collected))  # type: ignore[return-value]


def _arrow_schema(spark_frame: Any) -> pl.Schema:
    """The polars schema of a Spark frame after the Arrow transfer (no rows are read)."""
    empty = spark_frame.limit(0)
    table = empty.toArrow() if hasattr(empty, "toArrow") else None
    if table is None:  # pyspark 3.5
        import pyarrow as pa

        batches = empty._collect_as_arrow()
        from pyspark.sql.pandas.types import to_arrow_schema

        table = pa.Table.from_batches(batches, schema=to_arrow_schema(empty.schema))
    return pl.from_arrow(table).schema  # type: ignore[union-attr]


def _collect_arrow(frame: Any) -> pl.DataFrame:
    if hasattr(frame, "toArrow"):
        return pl.from_arrow(frame.toArrow())  # type: ignore[return-value]
    import pyarrow as pa

    return pl.from_arrow(pa.Table.from_batches(frame._collect_as_arrow()))  # type: ignore[return-value]


# --- the per-partition functions (run on the executors) -------------------------------------


@dataclass(frozen=True)
class _Job:
    """What every partition needs: picklable, rules are compiled again on the executor."""

    config: Config  # with the resolved epoch unit
    now_us: int
    name: str
    plan: dict[str, Any] = field(default_factory=dict)  # Phase1Plan fields except rules
    output: tuple[tuple[str, str], ...] = ()  # person columns: (name, arrow type name)


def _partition_scan(job: _Job, frame: pl.DataFrame) -> EventScan:
    ordered = frame.sort(list(_ORDER_COLUMNS)).drop([*_ORDER_COLUMNS, _KEY], strict=False)
    return scan_events([frame_source(ordered, job.name)], job.config, job.now_us)


def _unit_partials(
    column: str, dtype: pl.DataType, time_format: str | None, batches: Iterator
) -> Iterator:
    """Exact summable facts about the epoch numbers' median: count below and values around each limit."""
    frame = _to_polars(batches)
    if frame is None:
        return
    numbers = epoch_numbers(column, dtype, time_format)
    assert numbers is not None
    x = numbers.abs().alias("x")
    row = frame.select(x).select(
        pl.col("x").count().cast(pl.Int64).alias("n"),
        *[
            (pl.col("x") < limit).sum().cast(pl.Int64).alias(f"b{i}")
            for i, (_, limit) in enumerate(EPOCH_UNIT_LIMITS)
        ],
        *[
            pl.col("x").filter(pl.col("x") < limit).max().alias(f"lo{i}")
            for i, (_, limit) in enumerate(EPOCH_UNIT_LIMITS)
        ],
        *[
            pl.col("x").filter(pl.col("x") >= limit).min().alias(f"hi{i}")
            for i, (_, limit) in enumerate(EPOCH_UNIT_LIMITS)
        ],
    )
    yield from row.to_arrow().to_batches()


def _max_time(job: _Job, batches: Iterator) -> Iterator:
    import pyarrow as pa

    frame = _to_polars(batches)
    if frame is None:
        return
    scan = _partition_scan(job, frame)
    try:
        latest = scan.frame.select(pl.col(TIME).max()).collect().item()
    finally:
        scan.cleanup()
    yield pa.RecordBatch.from_pydict({"t": [latest]}, schema=pa.schema([("t", pa.int64())]))


def _phase1_partition(job: _Job, batches: Iterator) -> Iterator:
    """Phase 1 on one partition of whole persons; person rows plus partial blobs."""
    import pyarrow as pa

    frame = _to_polars(batches)
    if frame is None:
        return
    scan = _partition_scan(job, frame)
    try:
        rules = compile_rules(job.config, EVENT, scan.properties, scan.property_types)
        tables = run_phase1(scan, Phase1Plan(rules=rules, **job.plan))
    finally:
        scan.cleanup()
    schema = _output_arrow_schema(job.output)
    for name, table in tables.frames().items():
        if name in _PERSON_KINDS:
            if table.height == 0:
                continue
            out = table.with_columns(
                pl.lit(name).alias(_KIND), pl.lit(None, pl.Binary).alias(_BLOB)
            )
        else:
            buffer = io.BytesIO()
            table.write_ipc(buffer)
            out = pl.DataFrame({_KIND: [name], _BLOB: [buffer.getvalue()]})
        arrow = out.to_arrow()
        columns = [
            arrow.column(f.name).cast(f.type)
            if f.name in arrow.column_names
            else pa.nulls(arrow.num_rows, f.type)
            for f in schema
        ]
        yield from pa.Table.from_arrays(columns, schema=schema).to_batches()


# --- output schema --------------------------------------------------------------------------

_SPARK_TYPES = {
    "int64": "bigint",
    "int32": "int",
    "string": "string",
    "bool": "boolean",
    "double": "double",
}


def _arrow_name(dtype: pl.DataType) -> str:
    if dtype in (pl.Int64, pl.UInt32, pl.Int16, pl.Int8, pl.UInt16, pl.UInt8):
        return "int64"
    if dtype == pl.Int32:
        return "int32"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_float():
        return "double"
    return "string"


def _output_arrow_schema(output: tuple[tuple[str, str], ...]) -> Any:
    import pyarrow as pa

    types = {
        "int64": pa.int64(),
        "int32": pa.int32(),
        "string": pa.string(),
        "bool": pa.bool_(),
        "double": pa.float64(),
    }
    fields = [pa.field(n, types[t]) for n, t in output]
    return pa.schema([*fields, pa.field(_KIND, pa.string()), pa.field(_BLOB, pa.binary())])


def _output_ddl(output: tuple[tuple[str, str], ...]) -> str:
    columns = [f"{_quoted(n)} {_SPARK_TYPES[t]}" for n, t in output]
    return ", ".join([*columns, f"{_KIND} string", f"{_BLOB} binary"])


# --- the runner -----------------------------------------------------------------------------


@dataclass
class SparkRunner:
    """Phase 1 on Spark, partitioned by person (``fivea.analysis.Phase1Runner``)."""

    spark: Any
    raw: Any  # Spark frame: raw columns plus the input-order columns
    config: Config
    scan: EventScan  # the driver's lazy scan: columns, properties, checks
    partitions: int
    now_us: int
    name: str
    _schema: pl.Schema | None = None
    _config: Config | None = None

    def _spark_schema(self) -> pl.Schema:
        if self._schema is None:
            self._schema = _arrow_schema(self.raw)
        return self._schema

    def _resolved_config(self) -> Config:
        """The config with the epoch unit resolved over the whole time column."""
        if self._config is not None:
            return self._config
        columns = self.scan.columns
        unit = columns.time_unit
        dtype = self._spark_schema()[columns.time]
        if unit is None and epoch_numbers(columns.time, dtype, columns.time_format) is not None:
            unit = self._epoch_unit(columns.time, dtype, columns.time_format)
        config = self.config
        if unit is not None:
            config = config.model_copy(
                update={"columns": config.columns.model_copy(update={"time_unit": unit})}
            )
        self._config = config
        return config

    def _epoch_unit(self, column: str, dtype: pl.DataType, time_format: str | None) -> str | None:
        limits = range(len(EPOCH_UNIT_LIMITS))
        ddl = ", ".join(
            [
                "n bigint",
                *[f"b{i} bigint" for i in limits],
                *[f"lo{i} double" for i in limits],
                *[f"hi{i} double" for i in limits],
            ]
        )
        function = functools.partial(_unit_partials, column, dtype, time_format)
        rows = _collect_arrow(self.raw.select(_quoted(column)).mapInArrow(function, ddl))
        if rows.height == 0:
            return None
        total = rows.select(
            pl.col("n").sum(),
            *[pl.col(f"b{i}").sum() for i in limits],
            *[pl.col(f"lo{i}").max() for i in limits],
            *[pl.col(f"hi{i}").min() for i in limits],
        ).row(0, named=True)
        return epoch_unit_from_counts(total)

    def _job(self, plan: dict[str, Any] | None = None, output: tuple = ()) -> _Job:
        return _Job(self._resolved_config(), self.now_us, self.name, plan or {}, output)

    def max_time(self) -> int | None:
        """The latest valid event time: a pass over the rows, not shuffled."""
        function = functools.partial(_max_time, self._job())
        rows = _collect_arrow(self.raw.mapInArrow(function, "t bigint"))
        return rows["t"].max() if rows.height else None  # type: ignore[return-value]

    def run(self, plan: Phase1Plan) -> Phase1Tables:
        """Shuffle by person, run phase 1 per partition, collect and combine (first step)."""
        from pyspark.sql import functions as F

        fields = {
            "window": plan.window,
            "paths": plan.paths,
            "segments": plan.segments,
            "last_touch": plan.last_touch,
            "previous": plan.previous,
            "trend": plan.trend,
            "timezone": plan.timezone,
        }
        output = self._person_schema(plan)
        job = self._job(fields, output)
        keyed = self.raw.withColumn(_KEY, _person_key(self.scan.columns.user))
        shuffled = keyed.repartition(self.partitions, F.col(_KEY))
        out = shuffled.mapInArrow(functools.partial(_phase1_partition, job), _output_ddl(output))
        collected = _collect_arrow(out)
        return _split(collected)

    def _person_schema(self, plan: Phase1Plan) -> tuple[tuple[str, str], ...]:
        """Person-table columns as they come out of a partition (from an empty frame)."""
        empty = pl.DataFrame(schema=self._spark_schema())
        scan = _partition_scan(
            self._job(), empty.with_columns(*[pl.lit(0, pl.Int64).alias(c) for c in _ORDER_COLUMNS])
        )
        rules = compile_rules(self._resolved_config(), EVENT, scan.properties, scan.property_types)
        lazy = phase1_frames(scan, dataclasses.replace(plan, rules=rules))
        names: dict[str, str] = {}
        for kind in _PERSON_KINDS:
            if kind in lazy:
                for name, dtype in lazy[kind].collect_schema().items():
                    names.setdefault(name, _arrow_name(dtype))
        return tuple(names.items())

    def info(self) -> dict[str, object]:
        """Engine details for ``run``."""
        return {
            "engine": "spark",
            "spark_version": self.spark.version,
            "spark_partitions": self.partitions,
        }


def epoch_unit_from_counts(total: dict[str, Any]) -> str | None:
    """The unit of the median magnitude from counts below each limit and the values around it.

    With n numbers sorted, the median is x[k] (n odd, k = (n-1)/2) or the mean of x[n/2-1] and
    x[n/2]; it lies below a limit L when more than k (resp. n/2) numbers do, above when at most
    n/2-1 do, and otherwise is (largest below + smallest at or above) / 2.
    """
    n = int(total["n"] or 0)
    if n == 0:
        return None
    for i, (unit, limit) in enumerate(EPOCH_UNIT_LIMITS):
        below = int(total[f"b{i}"] or 0)
        if n % 2:
            is_below = below > (n - 1) // 2
        elif below > n // 2:
            is_below = True
        elif below <= n // 2 - 1:
            is_below = False
        else:
            low, high = total[f"lo{i}"], total[f"hi{i}"]
            is_below = low + (high - low) * 0.5 < limit
        if is_below:
            return unit
    return "ns"


def _split(collected: pl.DataFrame) -> Phase1Tables:
    """The collected partition output -> combined ``Phase1Tables``."""
    by_name: dict[str, list[pl.DataFrame]] = {}
    people = collected.filter(pl.col(_BLOB).is_null())
    for kind in _PERSON_KINDS:
        rows = people.filter(pl.col(_KIND) == kind).drop(_KIND, _BLOB)
        by_name[kind] = [rows]
    for kind, blob in (
        collected.filter(pl.col(_BLOB).is_not_null()).select(_KIND, _BLOB).iter_rows()
    ):
        by_name.setdefault(kind, []).append(pl.read_ipc(io.BytesIO(blob)))
    return combine_frames(by_name)


# --- entry point ----------------------------------------------------------------------------


SPARK_DEFAULT_SHUFFLE = 200


def default_partitions(session: Any) -> int:
    """Person partitions when none are asked for.

    A ``spark.sql.shuffle.partitions`` the user set wins; Spark's untouched default (200) is
    far too many for a small cluster or local mode (each partition pays a Python worker and a
    polars plan), so then two per core.
    """
    configured = int(session.conf.get("spark.sql.shuffle.partitions"))
    if configured != SPARK_DEFAULT_SHUFFLE:
        return configured
    try:
        cores = int(session.sparkContext.defaultParallelism)
    except Exception:
        return configured
    return max(2 * cores, 1)


def diagnose_spark(
    paths: list[str] | Any,
    loaded: LoadedConfig,
    request: WindowRequest | None = None,
    segments: list[str] | None = None,
    input_format: str | None = None,
    trend: str | None = None,
    *,
    master: str | None = None,
    remote: str | None = None,
    partitions: int | None = None,
    spark: Any = None,
) -> Result:
    """``fivea.analysis.diagnose`` on Spark: same arguments, plus where Spark runs.

    ``paths`` are event files, folders or globs (read by Spark; in cluster mode every executor
    must see them at the same path), or a pyspark DataFrame. ``partitions`` is the number of
    person partitions (default: ``default_partitions``).
    """
    started = wallclock.perf_counter()
    config = loaded.config
    request = request or WindowRequest()
    if trend is not None and trend not in PERIODS:
        msg = f"--trend {trend}: use day, week or month"
        raise InputError(msg)
    _require_pyspark()
    session = spark if spark is not None else spark_session(master, remote)
    now_us = int(wallclock.time() * 1_000_000)
    is_frame = not isinstance(paths, list | tuple | str)
    if is_frame:
        sample = pl.DataFrame(schema=_arrow_schema(paths))
        sources = [frame_source(sample)]
    else:
        sources = resolve_sources(
            list(paths) if not isinstance(paths, str) else [paths],
            input_format or config.input.format,
        )
    scan = scan_events(sources, config, now_us)
    try:
        if scan.stitching:
            msg = (
                "--engine spark does not stitch identities yet; set identity: {stitch: false} "
                "in the config, or use the local engine"
            )
            raise InputError(msg)
        raw = _with_order(paths) if is_frame else _read(session, sources, config)
        count = partitions or default_partitions(session)
        runner = SparkRunner(
            spark=session,
            raw=raw,
            config=config,
            scan=scan,
            partitions=max(1, count),
            now_us=now_us,
            name=sources[0].name,
        )
        options = Options(tuple(segments or config.segments), trend)
        return analyse_scan(scan, loaded, request, options, started, runner)
    finally:
        scan.cleanup()
