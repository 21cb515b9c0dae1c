"""Options shared by the commands (typer ``Annotated`` aliases) and output plumbing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

Events = Annotated[
    list[str],
    typer.Argument(
        help="Event files (CSV, TSV, Parquet, NDJSON; .gz/.zst), folders, globs, or - for stdin.",
        show_default=False,
        metavar="EVENTS...",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help=(
            "YAML config (default: $FIVEA_CONFIG, ./fivea.yaml up to the git root, else the "
            "preset of the detected export, else 5a-default)."
        ),
        show_default=False,
        metavar="CONFIG",
    ),
]
PresetOpt = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help="Shipped preset to use (or to put under -c's config). See `fivea presets`.",
        show_default=False,
        metavar="NAME",
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="table (default), json, markdown, csv or html.",
        show_default=False,
        metavar="FORMAT",
    ),
]
CheckFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="table (default), json, junit, github, markdown or csv.",
        show_default=False,
        metavar="FORMAT",
    ),
]
OutputOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the report to FILE atomically (format from the extension; "
        "repeatable; {as_of} is replaced by the analysis date).",
        show_default=False,
        metavar="FILE",
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Start of the analysis window: a date, an ISO time, or a duration before "
        "--as-of such as 28d.",
        show_default=False,
        metavar="WHEN",
    ),
]
UntilOpt = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="End of the window (exclusive; a date includes that whole date).",
        show_default=False,
        metavar="WHEN",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The analysis instant (default: the latest valid event time).",
        show_default=False,
        metavar="WHEN",
    ),
]
SegmentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--segment",
        help="Property column to break the funnel down by (repeatable).",
        show_default=False,
        metavar="COLUMN",
    ),
]
CompareOpt = Annotated[
    str | None,
    typer.Option(
        "--compare",
        help="Compare with the previous period of the same length: 'previous' (needs --since).",
        show_default=False,
        metavar="previous",
    ),
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        help=(
            "Compare with a JSON report written earlier (e.g. by cron with "
            "-o 'report-{as_of}.json') instead of the previous period; same config and window "
            "length."
        ),
        show_default=False,
        metavar="REPORT.json",
    ),
]
DriversOpt = Annotated[
    str | None,
    typer.Option(
        "--drivers",
        help=(
            "What separates converters from the others on a transition: attraction, "
            "curiosity, commitment, affinity, all, or none (default: the bottleneck)."
        ),
        show_default=False,
        metavar="TRANSITION",
    ),
]
TrendOpt = Annotated[
    str | None,
    typer.Option(
        "--trend",
        help="Reached counts, PAR and BAR per calendar day, week or month.",
        show_default=False,
        metavar="PERIOD",
    ),
]
InputFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        help="Read the input as csv, parquet or ndjson whatever its extension.",
        show_default=False,
        metavar="FORMAT",
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="polars (local, default) or spark (install fivea[spark]; see docs/spark.md).",
        metavar="ENGINE",
    ),
]


def _memory_size(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Check the size where it was given: a bad FIVEA_MEMORY names the variable, not the flag."""
    if value is None or ctx.resilient_parsing:
        return value
    from fivea.engines.local import parse_budget

    source = ctx.get_parameter_source(param.name or "memory")
    parse_budget(value, "FIVEA_MEMORY" if source and source.name == "ENVIRONMENT" else "--memory")
    return value


MemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--memory",
        envvar="FIVEA_MEMORY",
        callback=_memory_size,
        help=(
            "Working-set target of the local engine, e.g. 2GB or 512MiB (default: 3GiB, or 40% "
            "of the machine's memory if less; at least 1MB); a larger log is processed in person "
            "partitions."
        ),
        show_default=False,
        metavar="SIZE",
    ),
]
SparkMasterOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL, e.g. local[4], yarn, spark://host:7077.",
        show_default=False,
        metavar="URL",
    ),
]
SparkRemoteOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-remote",
        help="Spark Connect server, e.g. sc://host:15002.",
        show_default=False,
        metavar="URL",
    ),
]
SparkPartitionsOpt = Annotated[
    int | None,
    typer.Option(
        "--spark-partitions",
        help="Partitions of the shuffle by person (default: Spark's).",
        show_default=False,
        metavar="N",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No messages on stderr except errors.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks (for bug reports).")]


def stdout_console() -> Console:
    """The payload console: colour only on a TTY (NO_COLOR / FORCE_COLOR honoured by rich)."""
    from rich.console import Console  # imported on use: JSON and file output never need rich

    width = None
    if not sys.stdout.isatty() and "COLUMNS" not in os.environ:
        width = 80
    return Console(file=sys.stdout, width=width, highlight=False, emoji=False, soft_wrap=False)


def stderr_console(quiet: bool) -> Console:
    """Messages and progress go to stderr; --quiet keeps only errors."""
    from rich.console import Console

    return Console(file=sys.stderr, quiet=quiet, highlight=False, emoji=False, soft_wrap=True)
