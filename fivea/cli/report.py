"""``fivea report``: the cron entry point — writes report files atomically, prints nothing."""

from __future__ import annotations

from typing import Annotated

import typer

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
    InputFormatOpt,
    MemoryOpt,
    PresetOpt,
    QuietOpt,
    SegmentOpt,
    SinceOpt,
    SparkMasterOpt,
    SparkPartitionsOpt,
    SparkRemoteOpt,
    TrendOpt,
    UntilOpt,
    stderr_console,
)
from fivea.cli.progress import progress
from fivea.cli.reporting import (
    REPORT_FORMATS,
    RunRequest,
    analyse,
    check_flags,
    load,
    prepare_outputs,
    render_report,
    write_outputs,
)


@app.command(
    epilog="Example (crontab): 0 6 * * * fivea report /data/events/ -q "
    "-o /reports/5a-{as_of}.html -o /reports/5a-{as_of}.json"
)
def report(
    events: Events,
    output: Annotated[
        list[str],
        typer.Option(
            "--output",
            "-o",
            help="Report file to write (repeatable): .md, .html, .json, .csv, .txt; "
            "{as_of} in the name becomes the analysis date.",
            show_default=False,
            metavar="FILE",
        ),
    ],
    config: ConfigOpt = None,
    preset: PresetOpt = None,
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
    """Write the 5A report to files for cron: no prompts, no colour, exit 0 even on a bad verdict."""
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
    outputs = prepare_outputs(list(output), events, None, REPORT_FORMATS)
    with progress("reading events…", quiet) as update:
        result = analyse(request, load(request), on_progress=update)
    written = write_outputs(outputs, result.window.as_of, lambda f: render_report(result, f))
    status = result.verdict.status.replace("_", " ") if result.verdict else "no verdict"
    stderr_console(quiet).print(
        f"wrote {', '.join(written)} (verdict: {status})", markup=False, highlight=False
    )
