"""The diagnosis on Apache Spark: the same polars code on every partition of persons.

How a run goes (SPEC §7, the seam; docs/spark.md):

1. Sources: local paths are resolved and opened lazily by the driver (heads only: the same
   checks, column detection and messages as the local engine); URIs (``s3a://``, ``hdfs://``,
   ``file://`` ...) go straight to Spark's reader, columns from the schema Spark reads
   (``fivea.engines.spark.io``).
2. Phase 1: shuffle by person, ``fivea.person.phase1.run_phase1`` per partition via Arrow; the output
   is persisted, the data-quality partials are collected and combined
   (``fivea.engines.spark.phase1``).
3. Phase 2: the person table stays in Spark; the measures of ``fivea.aggregate.measures`` are evaluated
   per partition and combined by Spark SQL (counts, min/max, exact ``percentile``); only those
   aggregates reach the driver (``fivea.engines.spark.persons``).
4. The diagnosis, renderers and checks are the local ones (``fivea.pipeline.analyse_scan``).
"""

from __future__ import annotations

import time as wallclock
from typing import Any

import polars as pl

from fivea.config.loader import Config, LoadedConfig
from fivea.engines.spark.errors import spark_errors
from fivea.engines.spark.io import (
    ORDER_COLUMNS,
    arrow_schema,
    is_uri,
    read_sources,
    read_uris,
    uri_format,
    with_order,
)
from fivea.engines.spark.phase1 import SparkRunner, epoch_unit_from_counts
from fivea.engines.spark.session import (
    SparkUnavailableError,
    require_java,
    require_pyspark,
    spark_session,
)
from fivea.errors import InputError
from fivea.io.sources import Source, frame_source, resolve_sources
from fivea.io.zero_config import scan_with_preset
from fivea.person.trend import check_period
from fivea.pipeline import Options, WindowRequest, analyse_scan
from fivea.result import Result

__all__ = [
    "SparkUnavailableError",
    "default_partitions",
    "diagnose_spark",
    "epoch_unit_from_counts",
    "require_java",
    "spark_session",
]


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
    drivers: str | None = None,
) -> Result:
    """``fivea.pipeline.diagnose`` on Spark: same arguments, plus where Spark runs.

    ``paths`` are event files, folders or globs (read by Spark; in cluster mode every executor
    must see them at the same path), URIs for Spark's reader (``s3a://``, ``hdfs://``,
    ``file://``, globs in them), or a pyspark DataFrame. ``partitions`` is the number of
    person partitions (default: ``default_partitions``).
    """
    started = wallclock.perf_counter()
    config = loaded.config
    request = request or WindowRequest()
    check_period(trend)
    require_pyspark()
    session = spark if spark is not None else spark_session(master, remote)
    now_us = int(wallclock.time() * 1_000_000)
    given = [] if _is_frame(paths) else ([paths] if isinstance(paths, str) else list(paths))
    with spark_errors(given, session):
        raw, sources = _open(session, paths, given, input_format or config.input.format, config)
        # zero config: the export's preset (its input settings are the default ones `raw` used)
        loaded, scan = scan_with_preset(sources, loaded, now_us)
        config = loaded.config
        try:
            if scan.stitching:
                msg = (
                    "--engine spark does not stitch identities yet; set identity: "
                    "{stitch: false} in the config, or use the local engine"
                )
                raise InputError(msg)
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
            options = Options(tuple(segments or config.segments), trend, drivers)
            try:
                return analyse_scan(scan, loaded, request, options, started, runner)
            finally:
                runner.release()
        finally:
            scan.cleanup()


def _is_frame(paths: object) -> bool:
    return not isinstance(paths, list | tuple | str)


def _open(
    session: Any, paths: Any, given: list[str], forced: str | None, config: Config
) -> tuple[Any, list[Source]]:
    """The raw Spark frame (with input order) and the driver's sources for checks and names.

    Local paths are resolved and their heads read by the driver, as by the local engine; URIs
    and pyspark DataFrames are described by the schema Spark reads (an empty polars frame of
    that schema serves the column checks).
    """
    if _is_frame(paths):
        sample = pl.DataFrame(schema=arrow_schema(paths))
        return with_order(paths), [frame_source(sample)]
    if any(is_uri(p) for p in given):
        raw = read_uris(session, given, uri_format(given, forced), config)
        sample = pl.DataFrame(schema=arrow_schema(raw.drop(*ORDER_COLUMNS)))
        return raw, [frame_source(sample, uri) for uri in given]
    sources = resolve_sources(given, forced)
    return read_sources(session, sources, config), sources
