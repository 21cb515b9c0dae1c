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
from fivea.cli.progress import progress
from fivea.cli.reporting import (
    REPORT_FORMATS,
    emit_rich,
    load,
    prepare_outputs,
    print_payload,
    render_report,
    write_outputs,
)
from fivea.cli.run_flags import check_flags, run_flags
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
    from fivea.api import diagnose as run

    check_flags(options)
    outputs = prepare_outputs(list(output or []), events, fmt, REPORT_FORMATS)
    with progress("reading events…", quiet) as update:
        result = run(events, load(config, preset), options=options, on_progress=update)
    write_outputs(outputs, result.window.as_of, lambda f: render_report(result, f))
    if outputs and fmt is None:
        return  # files only, unless a stdout format was asked for too
    if (fmt or "table") == "table":
        from fivea.render.table import render_table

        emit_rich(lambda console: render_table(result, console))
    else:
        print_payload(render_report(result, fmt or "table"))
