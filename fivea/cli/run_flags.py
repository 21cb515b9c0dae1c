"""The flags of every analysing command (diagnose, report, check), added by one decorator.

``@run_flags()`` puts the flags below into a command's signature and hands the command one
``fivea.Options`` built from them: the object ``fivea.diagnose`` takes, so the CLI and the
library run the same thing (docs/architecture.md, "One entry point"). Flags with fixed values
are the ``str`` enums of ``fivea/options.py``: typer rejects anything else (exit 2).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from fivea.cli.options import InputFormatOpt, flag
from fivea.errors import UsageError
from fivea.options import DriversChoice, Engine, Options, Period


def _memory_size(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Check the size where it was given: a bad FIVEA_MEMORY names the variable, not the flag."""
    if value is None or ctx.resilient_parsing:
        return value
    from fivea.engines.local import parse_budget

    source = ctx.get_parameter_source(param.name or "memory")
    parse_budget(value, "FIVEA_MEMORY" if source and source.name == "ENVIRONMENT" else "--memory")
    return value


# name (an ``Options`` field), annotation, default; in the order of --help
FLAGS: tuple[tuple[str, Any, Any], ...] = (
    (
        "since",
        Annotated[
            str | None,
            flag(
                "--since",
                help="Start of the analysis window: a date, an ISO time, or a duration before "
                "--as-of such as 28d.",
                metavar="WHEN",
            ),
        ],
        None,
    ),
    (
        "until",
        Annotated[
            str | None,
            flag(
                "--until",
                help="End of the window (exclusive; a date includes that whole date).",
                metavar="WHEN",
            ),
        ],
        None,
    ),
    (
        "as_of",
        Annotated[
            str | None,
            flag(
                "--as-of",
                help="The analysis instant (default: the latest valid event time).",
                metavar="WHEN",
            ),
        ],
        None,
    ),
    (
        "segments",
        Annotated[
            list[str] | None,
            flag(
                "--segment",
                help="Property column to break the funnel down by (repeatable).",
                metavar="COLUMN",
            ),
        ],
        None,
    ),
    (
        "compare",
        Annotated[
            str | None,
            flag(
                "--compare",
                help="Compare with the previous period of the same length: 'previous' "
                "(needs --since).",
                metavar="previous",
            ),
        ],
        None,
    ),
    (
        "baseline",
        Annotated[
            str | None,
            flag(
                "--baseline",
                help="Compare with a JSON report written earlier (e.g. by cron with "
                "-o 'report-{as_of}.json') instead of the previous period; same config and "
                "window length.",
                metavar="REPORT.json",
            ),
        ],
        None,
    ),
    (
        "trend",
        Annotated[
            Period | None,
            flag(
                "--trend",
                help="Reached counts, PAR and BAR per calendar day, week or month.",
                metavar="PERIOD",
            ),
        ],
        None,
    ),
    (
        "drivers",
        Annotated[
            DriversChoice | None,
            flag(
                "--drivers",
                help="What separates converters from the others on a transition: attraction, "
                "curiosity, commitment, affinity, all, or none (default: the bottleneck).",
                metavar="TRANSITION",
            ),
        ],
        None,
    ),
    ("input_format", InputFormatOpt, None),
    (
        "engine",
        Annotated[
            Engine,
            flag(
                "--engine",
                help="polars (local, default) or spark (install fivea[spark]; see docs/spark.md).",
                metavar="ENGINE",
                show_default=True,
            ),
        ],
        Engine.POLARS,
    ),
    (
        "memory",
        Annotated[
            str | None,
            flag(
                "--memory",
                envvar="FIVEA_MEMORY",
                callback=_memory_size,
                help="Working-set target of the local engine, e.g. 2GB or 512MiB (default: 3GiB, "
                "or 40% of the machine's memory if less; at least 1MB); a larger log is "
                "processed in person partitions.",
                metavar="SIZE",
            ),
        ],
        None,
    ),
    (
        "spark_master",
        Annotated[
            str | None,
            flag(
                "--spark-master",
                help="Spark master URL, e.g. local[4], yarn, spark://host:7077.",
                metavar="URL",
            ),
        ],
        None,
    ),
    (
        "spark_remote",
        Annotated[
            str | None,
            flag(
                "--spark-remote", help="Spark Connect server, e.g. sc://host:15002.", metavar="URL"
            ),
        ],
        None,
    ),
    (
        "partitions",
        Annotated[
            int | None,
            flag(
                "--spark-partitions",
                help="Partitions of the shuffle by person (default: Spark's).",
                metavar="N",
            ),
        ],
        None,
    ),
)

Command = TypeVar("Command", bound=Callable[..., Any])


def run_flags(*, without: tuple[str, ...] = ()) -> Callable[[Command], Command]:
    """Add ``FLAGS`` (less ``without``) to a command in place of its ``options`` parameter.

    The command receives ``options: Options`` (and calls ``check_flags`` on it where its own
    errors should come first); typer sees the flags as ordinary parameters (the wrapper's
    ``__signature__``).
    """
    flags = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind, default=default)
        for name, kind, default in FLAGS
        if name not in without
    ]

    def decorate(command: Command) -> Command:
        own = list(inspect.signature(command, eval_str=True).parameters.values())
        at = [p.name for p in own].index("options")
        rest = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

        @functools.wraps(command)
        def with_options(**values: Any) -> Any:
            options = Options(**{p.name: values.pop(p.name) for p in flags})
            return command(options=options, **values)

        with_options.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [*rest[:at], *flags, *rest[at + 1 :]]
        )
        return with_options  # type: ignore[return-value]

    return decorate


def check_flags(options: Options) -> None:
    """The usage errors between flags (each flag's own values are checked by typer)."""
    spark = options.engine is Engine.SPARK
    if not spark and (options.spark_master or options.spark_remote or options.partitions):
        msg = "--spark-master, --spark-remote and --spark-partitions need --engine spark"
        raise UsageError(msg)
    if options.spark_master and options.spark_remote:
        msg = "--spark-master and --spark-remote exclude each other; give one"
        raise UsageError(msg)
    if options.partitions is not None and options.partitions < 1:
        msg = f"--spark-partitions {options.partitions}: must be at least 1"
        raise UsageError(msg)
    if options.compare is not None and options.baseline is not None:
        msg = (
            "--compare and --baseline exclude each other: compare with the previous period or "
            "with a report"
        )
        raise UsageError(msg)
    if options.compare is not None and options.compare != "previous":
        msg = f"--compare {options.compare}: only 'previous' is supported"
        raise UsageError(msg)
