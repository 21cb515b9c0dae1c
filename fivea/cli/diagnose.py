"""``fivea diagnose``: the full 5A report."""

from __future__ import annotations

from fivea.cli import app
from fivea.cli.options import (
    ConfigOpt,
    DebugOpt,
    Events,
    FormatOpt,
    OutputOpt,
    PresetOpt,
    QuietOpt,
)
from fivea.cli.reporting import emit_rich, print_payload, render_report, run_report
from fivea.cli.run_flags import run_flags
from fivea.options import Options


@app.command(epilog="Example: fivea diagnose events.csv --since 28d -o 'report-{as_of}.json'")
@run_flags()
def diagnose(
    events: Events,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    *,
    options: Options,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Diagnose the 5A funnel of event logs: verdict, stage table, path, timings, data quality."""
    result, written = run_report(events, (config, preset), options, list(output or []), fmt, quiet)
    if written and fmt is None:
        return  # files only, unless a stdout format was asked for too
    if (fmt or "table") == "table":
        from fivea.render.table import render_table

        emit_rich(lambda console: render_table(result, console))
    else:
        print_payload(render_report(result, fmt or "table"))
