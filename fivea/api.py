"""The Python API and the one entry point: ``fivea.diagnose(source, config)`` returns the object
the CLI renders.

``diagnose`` is the only place that picks an engine (docs/architecture.md, "One entry point"):
it builds the local phase-1 runner and hands it to ``fivea.pipeline``, or passes the run to the
Spark engine. The CLI builds one ``Options`` from its flags and calls it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fivea import __version__
from fivea.config.loader import ConfigSource, LoadedConfig, load_config, validate_config
from fivea.options import Engine, InputFormat, Options, Period, ReportFormat
from fivea.result import Result

__all__ = ["Engine", "InputFormat", "Options", "Period", "ReportFormat", "diagnose"]


def _loaded(
    config: LoadedConfig | Mapping[str, Any] | str | Path | None, preset: str | None
) -> LoadedConfig:
    if isinstance(config, LoadedConfig):
        return config
    if config is None:
        return load_config(None, preset)
    if isinstance(config, Mapping):
        source = ConfigSource(path=None, preset=config.get("preset") or preset, how="api")
        data = dict(config)
        if preset and "preset" not in data:
            data["preset"] = preset
        if data.get("preset"):
            import yaml

            from fivea.config.presets import merge_over, preset_text

            base = yaml.safe_load(preset_text(str(data["preset"])))
            data = merge_over(base, data)
        return validate_config(data, "<config>", {}, source)
    return load_config(Path(config), preset)


def diagnose(
    source: str | Path | Sequence[str | Path] | Any,
    config: LoadedConfig | Mapping[str, Any] | str | Path | None = None,
    *,
    options: Options | None = None,
    preset: str | None = None,
    spark: Any = None,
    on_progress: Callable[[str], None] | None = None,
    **fields: Any,
) -> Result:
    """Diagnose event logs: a path, paths, a polars or pandas DataFrame (or LazyFrame), or a
    ``pyspark.sql.DataFrame``.

    ``config`` is a YAML path, a mapping with the same keys, a loaded config, or None for the
    built-in 5a-default preset (``preset=`` picks another).

    What to compute is an ``Options`` (``options=``) or its fields as keywords, which win over
    ``options``: ``since``, ``until``, ``as_of``, ``compare="previous"``, ``baseline`` (an
    earlier JSON report), ``segments``, ``trend`` ("day", "week", "month"), ``input_format``,
    ``engine`` ("polars", "spark"), ``memory`` (bytes or a size such as "2GB": the local
    engine's working set), ``partitions`` (person partitions, either engine; see
    docs/performance.md), ``spark_master``, ``spark_remote``, ``drivers`` (a transition, "all" or "none"; default:
    the bottleneck, docs/metrics.md#drivers).

    A pyspark DataFrame, ``engine="spark"`` or a ``spark`` session runs on Spark (docs/spark.md):
    ``spark`` is the session to use (else one is started, on ``spark_master`` or
    ``spark_remote``). ``on_progress`` is told a short line as each local person partition
    starts (the CLI's spinner).
    """
    unknown = sorted(set(fields) - {field.name for field in dataclasses.fields(Options)})
    if unknown:  # as Python says it for any function, not as Options.__init__()
        msg = f"diagnose() got an unexpected keyword argument {unknown[0]!r}"
        raise TypeError(msg)
    options = dataclasses.replace(options or Options(), **fields)
    loaded = _loaded(config, preset)
    result = _run(source, loaded, options, spark, on_progress)
    if options.baseline is None:
        return result
    from fivea.diagnosis.baseline import apply_baseline

    aware_is_any = any(r.is_any_event for r in loaded.config.stages.aware.rules)
    return apply_baseline(result, options.baseline, aware_is_any)


def _run(
    source: Any,
    loaded: LoadedConfig,
    options: Options,
    spark: Any,
    on_progress: Callable[[str], None] | None,
) -> Result:
    """The engine dispatch: Spark for a pyspark frame, a session or ``engine="spark"``."""
    if (
        type(source).__module__.startswith("pyspark")
        or options.engine is Engine.SPARK
        or spark is not None
    ):
        from fivea.engines.spark.runner import diagnose_spark

        paths = _paths(source) if isinstance(source, str | Path | Sequence) else source
        return diagnose_spark(paths, loaded, options, spark=spark, version=__version__)
    import polars as pl

    from fivea.engines.local import LocalRunner, parse_size
    from fivea.io.events import EventScan
    from fivea.io.scratch import scratch_run
    from fivea.pipeline import diagnose as run

    if isinstance(source, pl.LazyFrame):
        source = source.collect()
    if not isinstance(source, pl.DataFrame) and type(source).__module__.startswith("pandas"):
        source = pl.from_pandas(source)
    memory = parse_size(options.memory) if isinstance(options.memory, str) else options.memory

    def runner(scan: EventScan) -> LocalRunner:
        return LocalRunner(scan, memory, options.partitions, on_progress)

    events = source if isinstance(source, pl.DataFrame) else _paths(source)
    with scratch_run():  # the result is in memory: the run's temp files go when it returns
        return run(events, loaded, options, runner, __version__)


def _paths(source: str | Path | Sequence[str | Path]) -> list[str]:
    if isinstance(source, str | Path):
        return [str(source)]
    return [str(p) for p in source]
