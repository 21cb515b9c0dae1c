"""``fivea diagnose``: the full 5A report."""

from __future__ import annotations

from fivea.cli import app
from fivea.cli.options import (
    AsOfOpt,
    BaselineOpt,
    CompareOpt,
    ConfigOpt,
    DebugOpt,
    DriversOpt,
    EngineOpt,
    Events,
    FormatOpt,
    InputFormatOpt,
    MemoryOpt,
    OutputOpt,
    PresetOpt,
    QuietOpt,
    SegmentOpt,
    SinceOpt,
    SparkMasterOpt,
    SparkPartitionsOpt,
    SparkRemoteOpt,
    TrendOpt,
    UntilOpt,
)
from fivea.cli.progress import progress
from fivea.cli.reporting import (
    REPORT_FORMATS,
    RunRequest,
    analyse,
    check_flags,
    emit_rich,
    load,
    prepare_outputs,
    print_payload,
    render_report,
    write_outputs,
)
from fivea.errors import UsageError


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
    baseline: BaselineOpt = None,
    trend: TrendOpt = None,
    drivers: DriversOpt = None,
    input_format: InputFormatOpt = None,
    engine: EngineOpt = "polars",
    memory: MemoryOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_remote: SparkRemoteOpt = None,
    spark_partitions: SparkPartitionsOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Diagnose the 5A funnel of event logs: verdict, stage table, path, timings, data quality."""
    if fmt is not None and fmt not in REPORT_FORMATS:
        msg = f"--format {fmt}: unknown; use one of {', '.join(REPORT_FORMATS)}"
        raise UsageError(msg)
    request = RunRequest(
        events,
        config,
        preset,
        since,
        until,
        as_of,
        compare,
        trend,
        list(segment or []),
        input_format,
        engine=engine,
        spark_master=spark_master,
        spark_remote=spark_remote,
        spark_partitions=spark_partitions,
        memory=memory,
        baseline=baseline,
        drivers=drivers,
    )
    check_flags(request)
    outputs = prepare_outputs(list(output or []), events, fmt, REPORT_FORMATS)
    with progress("reading events…", quiet) as update:
        result = analyse(request, load(request), on_progress=update)
    write_outputs(outputs, result.window.as_of, lambda f: render_report(result, f))
    if outputs and fmt is None:
        return  # files only, unless a stdout format was asked for too
    if (fmt or "table") == "table":
        from fivea.render.table import render_table

        emit_rich(lambda console: render_table(result, console))
    else:
        print_payload(render_report(result, fmt or "table"))
