"""``fivea stages``: the rule debugger (what each rule of the config catches in the data)."""

from __future__ import annotations

from enum import StrEnum
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
    at_least,
)
from fivea.cli.progress import progress
from fivea.cli.reporting import emit_rich, load, print_payload


class StagesFormat(StrEnum):
    """The formats of ``fivea stages`` (docs/authoring.md)."""

    TABLE = "table"
    JSON = "json"


@app.command(epilog="Example: fivea stages events.csv -c fivea.yaml --examples 5")
def stages(
    events: Events,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    fmt: Annotated[
        StagesFormat,
        typer.Option("--format", "-f", help="table or json.", metavar="FORMAT"),
    ] = StagesFormat.TABLE,
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
    at_least("--examples", examples, 0)
    from fivea.authoring.stages import inspect_stages

    with progress("reading events…", quiet):
        result = inspect_stages(events, load(config, preset), examples, input_format)
    if fmt == StagesFormat.JSON:
        from fivea.render.json import render_stages_json

        print_payload(render_stages_json(result))
        return
    from fivea.render.table_stages import render_stages

    emit_rich(lambda console: render_stages(result, console))
