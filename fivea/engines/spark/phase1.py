"""Phase 1 on Spark: shuffle by person, the same ``run_phase1`` on every partition via Arrow.

Each partition of whole persons (``repartition`` by a key that is a function of the canonical
id) is sorted by input order, turned into polars, canonicalised by ``fivea.io.events.scan_events``
(via ``frame_source``) and run through ``fivea.person.phase1.run_phase1``: no second implementation of
any rule, window or tie-break. A partition emits its person rows (typed columns) and its
data-quality partials (one row each, an Arrow IPC blob), told apart by ``__sp_kind``.

The output is persisted: the partials (a few rows per partition) are collected and combined with
``fivea.person.phase1.combine_frames``; the person tables stay in Spark for phase 2
(``fivea.engines.spark.persons``).

Global parameters are resolved before partitioning: the epoch unit of the time column (from
exact, summable counts around each unit's limit: the median's side of a limit follows from
them), the clock for "future" times, the analysis window (the latest valid time when a flag
needs it).
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from fivea.config.loader import Config
from fivea.engines.spark.io import (
    KEY,
    ORDER_COLUMNS,
    arrow_schema,
    collect_arrow,
    person_key,
    quoted,
    to_polars,
)
from fivea.engines.spark.persons import SparkPersons
from fivea.io.epoch_units import check_other_units
from fivea.io.events import EVENT, TIME, EventScan, scan_events
from fivea.io.sources import frame_source
from fivea.io.timeparse import (
    EPOCH_UNIT_LIMITS,
    epoch_numbers,
    epoch_unit_from_counts,
    epoch_unit_partials,
)
from fivea.person.phase1 import Phase1Plan, Phase1Tables, combine_frames, phase1_frames, run_phase1
from fivea.rules.expressions import compile_rules

_KIND, _BLOB = "__sp_kind", "__sp_blob"
_PERSON_KINDS = ("persons", "previous")


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
    ordered = frame.sort(list(ORDER_COLUMNS)).drop([*ORDER_COLUMNS, KEY], strict=False)
    return scan_events([frame_source(ordered, job.name)], job.config, job.now_us)


@contextmanager
def _partition(job: _Job, batches: Iterator) -> Iterator[EventScan | None]:
    """One partition's events as a scan (None when the partition is empty), cleaned up after."""
    frame = to_polars(batches)
    if frame is None:
        yield None
        return
    scan = _partition_scan(job, frame)
    try:
        yield scan
    finally:
        scan.cleanup()


def _unit_partials(
    column: str, dtype: pl.DataType, time_format: str | None, batches: Iterator
) -> Iterator:
    """Exact summable facts about the epoch numbers' median: count below and values around each limit."""
    frame = to_polars(batches)
    if frame is None:
        return
    numbers = epoch_numbers(column, dtype, time_format)
    assert numbers is not None
    row = frame.select(numbers.alias("x")).select(epoch_unit_partials(pl.col("x")))
    yield from row.to_arrow().to_batches()


def _max_time(job: _Job, batches: Iterator) -> Iterator:
    import pyarrow as pa

    with _partition(job, batches) as scan:
        if scan is None:
            return
        latest = scan.frame.select(pl.col(TIME).max()).collect().item()
    yield pa.RecordBatch.from_pydict({"t": [latest]}, schema=pa.schema([("t", pa.int64())]))


def _phase1_partition(job: _Job, batches: Iterator) -> Iterator:
    """Phase 1 on one partition of whole persons; person rows plus partial blobs."""
    import pyarrow as pa

    with _partition(job, batches) as scan:
        if scan is None:
            return
        rules = compile_rules(job.config, EVENT, scan.properties, scan.property_types)
        tables = run_phase1(scan, Phase1Plan(rules=rules, **job.plan))
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
    columns = [f"{quoted(n)} {_SPARK_TYPES[t]}" for n, t in output]
    return ", ".join([*columns, f"{_KIND} string", f"{_BLOB} binary"])


# --- the runner -----------------------------------------------------------------------------


@dataclass
class SparkRunner:
    """Phase 1 on Spark, partitioned by person (``fivea.pipeline.Phase1Runner``)."""

    spark: Any
    raw: Any  # Spark frame: raw columns plus the input-order columns
    config: Config
    scan: EventScan  # the driver's lazy scan: columns, properties, checks
    partitions: int
    now_us: int
    name: str
    _schema: pl.Schema | None = None
    _config: Config | None = None
    _persisted: list[Any] = field(default_factory=list)

    def _spark_schema(self) -> pl.Schema:
        if self._schema is None:
            self._schema = arrow_schema(self.raw)
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
        rows = collect_arrow(self.raw.select(quoted(column)).mapInArrow(function, ddl))
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
        rows = collect_arrow(self.raw.mapInArrow(function, "t bigint"))
        return rows["t"].max() if rows.height else None  # type: ignore[return-value]

    def run(self, plan: Phase1Plan) -> Phase1Tables:
        """Shuffle by person and run phase 1 per partition; the person tables stay in Spark."""
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        fields = {
            "window": plan.window,
            "paths": plan.paths,
            "segments": plan.segments,
            "last_touch": plan.last_touch,
            "previous": plan.previous,
            "trend": plan.trend,
            "history": plan.history,
            "timezone": plan.timezone,
            "drivers": plan.drivers,  # per-person tables, combined like the partials
        }
        output = self._person_schema(plan)
        job = self._job(fields, output)
        keyed = self.raw.withColumn(KEY, person_key(self.scan.columns.user))
        shuffled = keyed.repartition(self.partitions, F.col(KEY))
        out = shuffled.mapInArrow(functools.partial(_phase1_partition, job), _output_ddl(output))
        # phase 2 reads the person rows several times: computed once, kept by Spark
        out = out.persist(StorageLevel.MEMORY_AND_DISK)
        self._persisted.append(out)
        partials = collect_arrow(out.filter(F.col(_BLOB).isNotNull()).select(_KIND, _BLOB))
        person_columns = [quoted(name) for name, _ in output]
        tables = _combine_partials(partials)
        check_other_units(tables, self.scan, rows_known=False)
        people = {
            kind: SparkPersons(out.filter(F.col(_KIND) == kind).select(*person_columns))
            for kind in _PERSON_KINDS
        }
        return dataclasses.replace(
            tables,
            persons=people["persons"],  # type: ignore[arg-type]
            previous=people["previous"] if plan.previous is not None else None,  # type: ignore[arg-type]
        )

    def release(self) -> None:
        """Drop what this run persisted."""
        for frame in self._persisted:
            frame.unpersist()
        self._persisted.clear()

    def _person_schema(self, plan: Phase1Plan) -> tuple[tuple[str, str], ...]:
        """Person-table columns as they come out of a partition (from an empty frame)."""
        empty = pl.DataFrame(schema=self._spark_schema())
        scan = _partition_scan(
            self._job(), empty.with_columns(*[pl.lit(0, pl.Int64).alias(c) for c in ORDER_COLUMNS])
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


def _combine_partials(partials: pl.DataFrame) -> Phase1Tables:
    """The partitions' data-quality and trend partials -> combined ``Phase1Tables``.

    The person tables are not among them (they stay in Spark): an empty frame stands in.
    """
    by_name: dict[str, list[pl.DataFrame]] = {"persons": [pl.DataFrame()]}
    for kind, blob in partials.iter_rows():
        by_name.setdefault(kind, []).append(pl.read_ipc(io.BytesIO(blob)))
    return combine_frames(by_name)
