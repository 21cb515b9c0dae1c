"""What a run is asked to do: the one options object and the choices of each option.

``fivea.diagnose`` (``fivea/api.py``) takes an ``Options``; the CLI builds one from its flags
and calls it, so the CLI and the library run the same thing (docs/architecture.md, "One entry
point"). Each option with a fixed set of values is a ``str`` enum: typer turns it into the
flag's choices (a bad value exits 2 before anything is read), and ``Options`` turns a string
given from Python into it. That is the one validation of each (docs/errors.md).

This module sits with ``fivea.result`` at the bottom of the layers: plain data, no imports
beyond ``fivea.errors``, so every layer may read the options it is handed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from fivea.errors import UsageError


class Engine(StrEnum):
    """Where phase 1 runs (docs/spark.md): this process, or Spark partitioned by person."""

    POLARS = "polars"
    SPARK = "spark"


class Period(StrEnum):
    """The calendar bucket of ``--trend`` (docs/metrics.md#trend)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class InputFormat(StrEnum):
    """``--input-format``: read every input as this whatever its extension (docs/input.md)."""

    CSV = "csv"
    PARQUET = "parquet"
    NDJSON = "ndjson"


class DriversChoice(StrEnum):
    """``--drivers``: which transition's drivers to find (docs/metrics.md#drivers); the default,
    no value, is the bottleneck."""

    ATTRACTION = "attraction"
    CURIOSITY = "curiosity"
    COMMITMENT = "commitment"
    AFFINITY = "affinity"
    ALL = "all"
    NONE = "none"


class ReportFormat(StrEnum):
    """The formats of the report (``fivea diagnose -f``, ``fivea report -o``)."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    CSV = "csv"
    HTML = "html"


E = TypeVar("E", bound=StrEnum)


def choice(kind: type[E], value: str, name: str) -> E:
    """``value`` as a member of ``kind``; a usage error naming ``name`` and the choices."""
    try:
        return kind(value)
    except ValueError:
        names = [repr(member.value) for member in kind]
        choices = f"{', '.join(names[:-1])} or {names[-1]}"
        msg = f"{name}={value!r}: use {choices}"
        raise UsageError(msg) from None


@dataclass(frozen=True, kw_only=True)
class Options:
    """Everything a diagnosis run is asked, beyond the events and the config.

    ``segments``: property columns to break the funnel down by (none: the config's);
    ``trend``: per day, week or month; ``since``/``until``/``as_of``: the window
    (docs/metrics.md#stage-counts-per-analysis-window); ``compare="previous"``: the previous
    period of the same length, or ``baseline``: a JSON report written earlier
    (docs/metrics.md#baseline); ``input_format``: read every input as this; ``engine``: polars
    (this process) or spark — a pyspark DataFrame or a session also mean Spark; ``memory``: the
    local engine's working-set target, bytes or a size such as "2GB"; ``partitions``: the
    number of person partitions (either engine, docs/performance.md);
    ``spark_master``/``spark_remote``: where Spark runs (docs/spark.md); ``drivers``: the
    transition whose drivers to find, "all" or "none" (default: the bottleneck,
    docs/metrics.md#drivers).
    """

    segments: tuple[str, ...] = ()
    trend: Period | None = None
    since: str | None = None
    until: str | None = None
    as_of: str | None = None
    compare: str | None = None
    baseline: str | None = None
    input_format: InputFormat | None = None
    engine: Engine | None = None
    memory: int | str | None = None
    partitions: int | None = None
    spark_master: str | None = None
    spark_remote: str | None = None
    drivers: DriversChoice | None = None  # None: the bottleneck's

    def __post_init__(self) -> None:
        # strings from Python become the enums here; the CLI's are already (typer checked them)
        set_field = object.__setattr__  # frozen: the normal form is set once, here
        segments = self.segments  # any sequence (or one name) from Python: a tuple
        set_field(
            self, "segments", (segments,) if isinstance(segments, str) else tuple(segments or ())
        )
        for name, kind in (
            ("trend", Period),
            ("input_format", InputFormat),
            ("engine", Engine),
            ("drivers", DriversChoice),
        ):
            value = getattr(self, name)
            if value is not None:
                set_field(self, name, choice(kind, value, name))
