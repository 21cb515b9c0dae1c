"""The Python API: ``fivea.diagnose(source, config)`` returns the object the CLI renders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fivea.config.loader import ConfigSource, LoadedConfig, load_config, validate_config
from fivea.result import Result


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

            from fivea.config.loader import _merge, preset_text

            base = yaml.safe_load(preset_text(str(data["preset"])))
            data = _merge(base, data)
        return validate_config(data, "<config>", {}, source)
    return load_config(Path(config), preset)


def diagnose(
    source: str | Path | Sequence[str | Path] | Any,
    config: LoadedConfig | Mapping[str, Any] | str | Path | None = None,
    *,
    preset: str | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    compare: str | None = None,
    segments: Sequence[str] | None = None,
    trend: str | None = None,
    memory: int | str | None = None,
    partitions: int | None = None,
    engine: str | None = None,
    spark: Any = None,
    spark_master: str | None = None,
    spark_remote: str | None = None,
    drivers: str | None = None,
) -> Result:
    """Diagnose event logs: a path, paths, a polars or pandas DataFrame (or LazyFrame), or a
    ``pyspark.sql.DataFrame``.

    ``config`` is a YAML path, a mapping with the same keys, a loaded config, or None for the
    built-in 5a-default preset (``preset=`` picks another). ``memory`` (bytes or a size such as
    "2GB") bounds the local engine's working set; ``partitions`` forces its number of person
    partitions (see docs/performance.md). ``drivers`` is ``--drivers``: a transition, "all" or
    "none" (default: the bottleneck; docs/metrics.md "Drivers").

    A pyspark DataFrame, ``engine="spark"`` or a ``spark`` session runs on Spark (docs/spark.md):
    ``spark`` is the session to use (else one is started, on ``spark_master`` or
    ``spark_remote``) and ``partitions`` the number of person partitions there.
    """
    import polars as pl

    from fivea.person.window import WindowRequest
    from fivea.pipeline import diagnose as run

    loaded = _loaded(config, preset)
    on_spark = type(source).__module__.startswith("pyspark")
    if on_spark or engine == "spark" or spark is not None:
        return _on_spark(
            source,
            loaded,
            since,
            until,
            as_of,
            compare,
            segments,
            trend,
            partitions,
            spark=spark,
            master=spark_master,
            remote=spark_remote,
            drivers=drivers,
        )
    if engine not in (None, "polars"):
        from fivea.errors import UsageError

        msg = f"engine={engine!r}: use 'polars' (local, default) or 'spark'"
        raise UsageError(msg)
    if isinstance(source, pl.LazyFrame):
        source = source.collect()
    if not isinstance(source, pl.DataFrame) and type(source).__module__.startswith("pandas"):
        source = pl.from_pandas(source)
    if isinstance(source, str | Path):
        paths: Any = [str(source)]
    elif isinstance(source, pl.DataFrame):
        paths = source
    else:
        paths = [str(p) for p in source]
    request = WindowRequest(since=since, until=until, as_of=as_of, compare=compare)
    if isinstance(memory, str):
        from fivea.engines.local import parse_size

        memory = parse_size(memory)
    from fivea.io.scratch import scratch_run

    with scratch_run():  # the result is in memory: the run's temp files go when it returns
        return run(
            paths,
            loaded,
            request,
            segments=list(segments or []) or None,
            trend=trend,
            memory=memory,
            partitions=partitions,
            drivers=drivers,
        )


def _on_spark(
    source: Any,
    loaded: LoadedConfig,
    since: str | None,
    until: str | None,
    as_of: str | None,
    compare: str | None,
    segments: Sequence[str] | None,
    trend: str | None,
    partitions: int | None,
    **where: Any,
) -> Result:
    from fivea.engines.spark.runner import diagnose_spark
    from fivea.person.window import WindowRequest

    if isinstance(source, str | Path):
        source = [str(source)]
    elif isinstance(source, Sequence):
        source = [str(p) for p in source]
    request = WindowRequest(since=since, until=until, as_of=as_of, compare=compare)
    return diagnose_spark(
        source,
        loaded,
        request,
        segments=list(segments or []) or None,
        trend=trend,
        partitions=partitions,
        **where,
    )
