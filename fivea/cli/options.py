"""Options shared by the commands (typer ``Annotated`` aliases) and output plumbing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fivea.errors import UsageError
from fivea.options import InputFormat, ReportFormat

if TYPE_CHECKING:
    from rich.console import Console


def flag(*names: str, help: str, metavar: str, **more: Any) -> Any:
    """A ``typer.Option`` for an ``Annotated`` alias: no default shown unless ``more`` says so."""
    return typer.Option(*names, help=help, metavar=metavar, **{"show_default": False, **more})


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
    flag(
        "--config",
        "-c",
        help="YAML config (default: $FIVEA_CONFIG, ./fivea.yaml up to the git root, else the "
        "preset of the detected export, else 5a-default).",
        metavar="CONFIG",
    ),
]
PresetOpt = Annotated[
    str | None,
    flag(
        "--preset",
        help="Shipped preset to use (or to put under -c's config). See `fivea presets`.",
        metavar="NAME",
    ),
]
FormatOpt = Annotated[
    ReportFormat | None,
    flag("--format", "-f", help="table (default), json, markdown, csv or html.", metavar="FORMAT"),
]
OutputOpt = Annotated[
    list[str] | None,
    flag(
        "--output",
        "-o",
        help="Write the report to FILE atomically (format from the extension; "
        "repeatable; {as_of} is replaced by the analysis date).",
        metavar="FILE",
    ),
]
InputFormatOpt = Annotated[
    InputFormat | None,
    flag(
        "--input-format",
        help="Read the input as csv, parquet or ndjson whatever its extension.",
        metavar="FORMAT",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No messages on stderr except errors.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks (for bug reports).")]


def at_least(option: str, value: int, minimum: int) -> None:
    """A count flag below its minimum is a usage error naming the flag and the value."""
    if value < minimum:
        bound = "0 or more" if minimum == 0 else f"at least {minimum}"
        msg = f"{option} {value}: must be {bound}"
        raise UsageError(msg)


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
