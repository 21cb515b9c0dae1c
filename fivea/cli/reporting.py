"""What diagnose, report and check share: run the analysis, render, write files atomically."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fivea.errors import StdoutClosed, UsageError
from fivea.io.output import InputFiles
from fivea.result import Result

REPORT_FORMATS = ("table", "json", "markdown", "csv", "html")

if TYPE_CHECKING:
    from rich.console import Console


@dataclass(frozen=True)
class RunRequest:
    """The flags every analysing command accepts."""

    events: list[str]
    config: Path | None
    preset: str | None
    since: str | None
    until: str | None
    as_of: str | None
    compare: str | None
    trend: str | None
    segments: list[str]
    input_format: str | None
    engine: str = "polars"
    spark_master: str | None = None
    spark_remote: str | None = None
    spark_partitions: int | None = None
    memory: str | None = None
    baseline: str | None = None  # an earlier JSON report (docs/metrics.md#baseline)
    drivers: str | None = None  # --drivers (docs/metrics.md "Drivers")


ENGINES = ("polars", "spark")
DRIVERS_CHOICES = ("attraction", "curiosity", "commitment", "affinity", "all", "none")


def check_flags(request: RunRequest) -> None:
    """Usage errors that need no data."""
    if request.engine not in ENGINES:
        msg = f"--engine {request.engine}: use polars (local, default) or spark"
        raise UsageError(msg)
    if request.engine != "spark" and (
        request.spark_master or request.spark_remote or request.spark_partitions
    ):
        msg = "--spark-master, --spark-remote and --spark-partitions need --engine spark"
        raise UsageError(msg)
    if request.memory is not None:
        from fivea.engines.local import parse_budget

        parse_budget(request.memory)  # a bad size is a usage error before any reading
    if request.spark_master and request.spark_remote:
        msg = "--spark-master and --spark-remote exclude each other; give one"
        raise UsageError(msg)
    if request.spark_partitions is not None and request.spark_partitions < 1:
        msg = f"--spark-partitions {request.spark_partitions}: must be at least 1"
        raise UsageError(msg)
    if request.compare is not None and request.baseline is not None:
        msg = "--compare and --baseline exclude each other: compare with the previous period or with a report"
        raise UsageError(msg)
    if request.compare is not None and request.compare != "previous":
        msg = f"--compare {request.compare}: only 'previous' is supported"
        raise UsageError(msg)
    if request.trend is not None and request.trend not in ("day", "week", "month"):
        msg = f"--trend {request.trend}: use day, week or month"
        raise UsageError(msg)
    if request.drivers is not None and request.drivers not in DRIVERS_CHOICES:
        msg = (
            f"--drivers {request.drivers}: use attraction, curiosity, commitment, affinity, "
            "all or none"
        )
        raise UsageError(msg)
    if request.input_format is not None and request.input_format not in (
        "csv",
        "parquet",
        "ndjson",
    ):
        msg = f"--input-format {request.input_format}: use csv, parquet or ndjson"
        raise UsageError(msg)


def load(request: RunRequest):
    """The effective config (flag, discovery or preset)."""
    from fivea.config.loader import resolve_config

    return resolve_config(request.config, request.preset, Path.cwd(), os.environ)


def analyse(
    request: RunRequest,
    loaded,
    extra_segments: list[str] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Result:
    """Run the diagnosis for the request, compared with ``--baseline`` when given."""
    result = _analyse(request, loaded, extra_segments, on_progress)
    if request.baseline is None:
        return result
    from fivea.diagnosis.baseline import apply_baseline

    aware_is_any = any(r.is_any_event for r in loaded.config.stages.aware.rules)
    return apply_baseline(result, request.baseline, aware_is_any)


def _analyse(
    request: RunRequest,
    loaded,
    extra_segments: list[str] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Result:
    """Run the diagnosis for the request; ``on_progress`` gets a line on long local runs."""
    from fivea.pipeline import WindowRequest, diagnose

    segments = list(dict.fromkeys([*request.segments, *(extra_segments or [])]))
    window = WindowRequest(
        since=request.since, until=request.until, as_of=request.as_of, compare=request.compare
    )
    if request.engine == "spark":
        from fivea.engines.spark.runner import diagnose_spark

        return diagnose_spark(
            request.events,
            loaded,
            window,
            segments=segments or None,
            input_format=request.input_format,
            trend=request.trend,
            master=request.spark_master,
            remote=request.spark_remote,
            partitions=request.spark_partitions,
            drivers=request.drivers,
        )
    from fivea.engines.local import parse_budget

    return diagnose(
        request.events,
        loaded,
        window,
        segments=segments or None,
        input_format=request.input_format,
        trend=request.trend,
        memory=parse_budget(request.memory) if request.memory else None,
        on_progress=on_progress,
        drivers=request.drivers,
    )


def render_report(result: Result, fmt: str, width: int = 100) -> str:
    """The report in ``fmt`` as text (files and pipes); tables as plain text without colour."""
    if fmt == "json":
        from fivea.render.json import render_json

        return render_json(result)
    if fmt == "markdown":
        from fivea.render.markdown import render_markdown

        return render_markdown(result)
    if fmt == "csv":
        from fivea.render.csv import render_csv

        return render_csv(result)
    if fmt == "html":
        from fivea.render.html import render_html

        return render_html(result)
    if fmt == "table":
        from rich.console import Console

        from fivea.render.table import render_table

        buffer = io.StringIO()
        console = Console(
            file=buffer, width=width, no_color=True, highlight=False, emoji=False, color_system=None
        )
        render_table(result, console)
        # plain text: no padding to the console width at line ends
        return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
    msg = f"--format {fmt}: unknown; use one of {', '.join(REPORT_FORMATS)}"
    raise UsageError(msg)


@dataclass(frozen=True)
class Outputs:
    """The ``--output`` files of a run, checked before the scan, and the inputs they must spare."""

    pairs: list[tuple[str, str]]  # (name as given, format)
    inputs: InputFiles

    def __bool__(self) -> bool:
        return bool(self.pairs)


def prepare_outputs(
    outputs: list[str], events: list[str], fmt: str | None, allowed: tuple[str, ...]
) -> Outputs:
    """Validate ``--output`` paths before reading anything: formats, folders, never an input."""
    from fivea.io.output import check_writable, format_for, input_files, refuse_inputs

    inputs = input_files(events if outputs else [])  # no outputs: no folder walk
    refuse_inputs(outputs, inputs)
    pairs = []
    for out in outputs:
        check_writable(out)
        out_format = format_for(out, fmt)
        if out_format not in allowed:
            msg = f"--output {out}: format {out_format} is not available here; use {', '.join(allowed)}"
            raise UsageError(msg)
        pairs.append((out, out_format))
    return Outputs(pairs, inputs)


def write_outputs(outputs: Outputs, as_of: str, render) -> list[str]:
    """Write each output atomically; ``{as_of}`` in a name becomes the analysis date.

    Names are checked against the inputs again once ``{as_of}`` is known, all before the first
    file is written.
    """
    from fivea.io.output import expand_name, refuse_inputs, write_atomic

    refuse_inputs([path for path, _ in outputs.pairs], outputs.inputs, as_of[:10])
    targets = [(expand_name(path, as_of[:10]), out_format) for path, out_format in outputs.pairs]
    for target, out_format in targets:
        write_atomic(target, render(out_format))
    return [target for target, _ in targets]


def print_payload(text: str) -> None:
    """Write the payload to stdout (and nothing else goes there)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError as exc:
        # click would turn EPIPE into exit 1; SPEC §6 wants 141 and no traceback
        raise StdoutClosed from exc
    except OSError as exc:  # /dev/full, a full disk behind a redirect: a user error, exit 2
        from fivea.io.output import write_error

        where = "standard output"
        raise write_error(where, "", exc) from exc


def emit_rich(draw: Callable[[Console], None]) -> None:
    """Draw rich output: live on a terminal; as plain text without colour or padding otherwise."""
    from rich.console import Console

    from fivea.cli.options import stdout_console

    console = stdout_console()
    if console.is_terminal:
        draw(console)
        return
    buffer = io.StringIO()
    draw(
        Console(
            file=buffer,
            width=console.width,
            no_color=True,
            highlight=False,
            emoji=False,
            color_system=None,
            soft_wrap=False,
        )
    )
    print_payload("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))
