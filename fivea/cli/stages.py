"""``fivea stages``: the rule debugger (what each rule of the config catches in the data)."""

from __future__ import annotations

from typing import Annotated

import typer

from fivea.cli import app
from fivea.cli.options import (
    ConfigOpt,
    DebugOpt,
    Events,
    InputFormatOpt,
    PresetOpt,
    QuietOpt,
)
from fivea.cli.progress import progress
from fivea.cli.reporting import emit_rich, load, print_payload
from fivea.errors import UsageError

STAGES_FORMATS = ("table", "json")


def render_stages_json(result) -> str:
    """The inspection as JSON: sorted keys, no NaN (what ``--format json`` prints)."""
    import json

    return json.dumps(result.to_dict(), sort_keys=True, indent=2, allow_nan=False) + "\n"


@app.command(epilog="Example: fivea stages events.csv -c fivea.yaml --examples 5")
def stages(
    events: Events,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="table or json.", metavar="FORMAT"),
    ] = "table",
    examples: Annotated[
        int,
        typer.Option(
            "--examples",
            "-n",
            help="Example events per rule (the earliest hits of the first persons hit; 0: none).",
            metavar="N",
        ),
    ] = 3,
    input_format: InputFormatOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show what each rule catches: matches, hits, persons, examples, stage overlap, unmatched names."""
    if fmt not in STAGES_FORMATS:
        msg = f"--format {fmt}: unknown; use one of {', '.join(STAGES_FORMATS)}"
        raise UsageError(msg)
    if examples < 0:
        msg = f"--examples {examples}: must be 0 or more"
        raise UsageError(msg)
    from fivea.authoring.stages import inspect_stages

    with progress("reading events…", quiet):
        result = inspect_stages(events, load(config, preset), examples, input_format)
    if fmt == "json":
        print_payload(render_stages_json(result))
        return
    from fivea.render.table_stages import render_stages

    emit_rich(lambda console: render_stages(result, console))
