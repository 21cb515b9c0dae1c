"""``fivea diagnose``: the full 5A report."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from fivea.cli import app
from fivea.cli.options import (
    AsOfOpt,
    CompareOpt,
    ConfigOpt,
    DebugOpt,
    Events,
    FormatOpt,
    InputFormatOpt,
    OutputOpt,
    PresetOpt,
    QuietOpt,
    SegmentOpt,
    SinceOpt,
    TrendOpt,
    UntilOpt,
    stdout_console,
)
from fivea.errors import UsageError

DIAGNOSE_FORMATS = ("table", "json")


def render(result: object, fmt: str, width: int | None = None) -> str:
    """The report in ``fmt`` as text (for files and pipes)."""
    from fivea.render.json import render_json

    if fmt == "json":
        return render_json(result)  # type: ignore[arg-type]
    if fmt == "table":
        from rich.console import Console

        from fivea.render.table import render_table

        buffer = io.StringIO()
        render_table(
            result,
            Console(
                file=buffer,
                width=width or 100,
                no_color=True,  # type: ignore[arg-type]
                highlight=False,
                emoji=False,
                color_system=None,
            ),
        )
        return buffer.getvalue()
    msg = f"--format {fmt}: not available for diagnose yet; use {', '.join(DIAGNOSE_FORMATS)}"
    raise UsageError(msg)


@app.command(epilog="Example: fivea diagnose events.csv --since 28d -o 'report-{as_of}.json'")
def diagnose(
    events: Events,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    segment: SegmentOpt = None,
    compare: CompareOpt = None,
    trend: TrendOpt = None,
    input_format: InputFormatOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Diagnose the 5A funnel of event logs: stage table, path, timings, data quality."""
    from fivea.analysis import WindowRequest
    from fivea.analysis import diagnose as run
    from fivea.config import resolve_config
    from fivea.output import check_writable, expand_name, format_for, refuse_inputs, write_atomic

    if fmt is not None and fmt not in DIAGNOSE_FORMATS:
        msg = f"--format {fmt}: unknown; use one of {', '.join(DIAGNOSE_FORMATS)}"
        raise UsageError(msg)
    if input_format is not None and input_format not in ("csv", "parquet", "ndjson"):
        msg = f"--input-format {input_format}: use csv, parquet or ndjson"
        raise UsageError(msg)
    outputs = list(output or [])
    refuse_inputs(outputs, events)
    for out in outputs:
        format_for(out, fmt)
        check_writable(out)
    loaded = resolve_config(config, preset, Path.cwd(), os.environ)
    if compare is not None and compare != "previous":
        msg = f"--compare {compare}: only 'previous' is supported"
        raise UsageError(msg)
    if trend is not None and trend not in ("day", "week", "month"):
        msg = f"--trend {trend}: use day, week or month"
        raise UsageError(msg)
    request = WindowRequest(since=since, until=until, as_of=as_of, compare=compare)
    result = run(
        events,
        loaded,
        request,
        segments=list(segment or []) or None,
        input_format=input_format,
        trend=trend,
    )
    date = result.window.as_of[:10]
    for out in outputs:
        write_atomic(expand_name(out, date), render(result, format_for(out, fmt)))
    if outputs and fmt is None:
        return
    if (fmt or "table") == "table":
        from fivea.render.table import render_table

        render_table(result, stdout_console())
    else:
        sys.stdout.write(render(result, fmt or "table"))
        sys.stdout.flush()
