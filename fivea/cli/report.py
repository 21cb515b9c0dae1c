"""``fivea report``: the cron entry point — writes report files atomically, prints nothing."""

from __future__ import annotations

from typing import Annotated

from fivea.cli import app
from fivea.cli.options import (
    ConfigOpt,
    DebugOpt,
    Events,
    PresetOpt,
    QuietOpt,
    flag,
    stderr_console,
)
from fivea.cli.reporting import run_report
from fivea.cli.run_flags import run_flags
from fivea.options import Options


@app.command(
    epilog="Example (crontab): 0 6 * * * fivea report /data/events/ -q "
    "-o /reports/5a-{as_of}.html -o /reports/5a-{as_of}.json"
)
@run_flags()
def report(
    events: Events,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    *,
    output: Annotated[
        list[str],
        flag(
            "--output",
            "-o",
            help="Report file to write (repeatable): .md, .html, .json, .csv, .txt; "
            "{as_of} in the name becomes the analysis date.",
            metavar="FILE",
        ),
    ],
    options: Options,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write the 5A report to files for cron: no prompts, no colour, exit 0 even on a bad verdict."""
    result, written = run_report(events, (config, preset), options, list(output), None, quiet)
    status = result.verdict.status.replace("_", " ") if result.verdict else "no verdict"
    stderr_console(quiet).print(
        f"wrote {', '.join(written)} (verdict: {status})", markup=False, highlight=False
    )
