"""What diagnose, report and check share: load the config, render, write files atomically."""

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
from fivea.options import Options, ReportFormat
from fivea.result import Result

REPORT_FORMATS = tuple(ReportFormat)

if TYPE_CHECKING:
    from rich.console import Console

    from fivea.config.loader import LoadedConfig


def load(config: Path | None, preset: str | None) -> LoadedConfig:
    """The effective config (flag, discovery or preset)."""
    from fivea.config.loader import resolve_config

    return resolve_config(config, preset, Path.cwd(), os.environ)


def run_report(
    events: list[str],
    config: tuple[Path | None, str | None],
    options: Options,
    output: list[str],
    fmt: str | None,
    quiet: bool,
) -> tuple[Result, list[str]]:
    """What diagnose and report do: check the flags and outputs, run ``fivea.api.diagnose``,
    write the ``--output`` files; the result and the files written."""
    from fivea.api import diagnose
    from fivea.cli.progress import progress
    from fivea.cli.run_flags import check_flags

    check_flags(options)
    outputs = prepare_outputs(output, events, fmt, REPORT_FORMATS)
    with progress("reading events…", quiet) as update:
        result = diagnose(events, load(*config), options=options, on_progress=update)
    written = write_outputs(outputs, result.window.as_of, lambda f: render_report(result, f))
    return result, written


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
        from fivea.render.table import render_table

        return plain_text(lambda console: render_table(result, console), width)
    msg = f"render_report: {fmt!r} is not a report format"  # formats are checked by typer
    raise ValueError(msg)


def plain_text(draw: Callable[[Console], None], width: int) -> str:
    """What ``draw`` prints, as plain text: no colour, no padding to the width at line ends."""
    from rich.console import Console

    buffer = io.StringIO()
    draw(
        Console(
            file=buffer,
            width=width,
            no_color=True,
            highlight=False,
            emoji=False,
            color_system=None,
            soft_wrap=False,
        )
    )
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


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
        # click would turn EPIPE into exit 1; README.md#exit-codes wants 141 and no traceback
        raise StdoutClosed from exc
    except OSError as exc:  # /dev/full, a full disk behind a redirect: a user error, exit 2
        from fivea.io.output import write_error

        where = "standard output"
        raise write_error(where, "", exc) from exc


def emit_rich(draw: Callable[[Console], None]) -> None:
    """Draw rich output: live on a terminal; as plain text without colour or padding otherwise."""
    from fivea.cli.options import stdout_console

    console = stdout_console()
    if console.is_terminal:
        draw(console)
        return
    print_payload(plain_text(draw, console.width))
