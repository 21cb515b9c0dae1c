"""``fivea validate``: check a config (and, with data, its columns and rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fivea.cli import app
from fivea.cli.options import DebugOpt, InputFormatOpt, QuietOpt, stderr_console
from fivea.cli.reporting import emit_rich
from fivea.render.text import safe_text


@app.command(epilog="Example: fivea validate fivea.yaml events.parquet")
def validate(
    config: Annotated[
        Path, typer.Argument(help="The YAML config to check.", show_default=False, metavar="CONFIG")
    ],
    events: Annotated[
        list[str] | None,
        typer.Argument(
            help="Event files to check the config against (columns exist, every rule matches).",
            show_default=False,
            metavar="[EVENTS]...",
        ),
    ] = None,
    input_format: InputFormatOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Validate a config: keys, rules, where expressions, checks; with data, columns and matches."""
    from rich.text import Text

    from fivea.authoring.validate import check_against_data
    from fivea.config.loader import load_config
    from fivea.diagnosis.checks import validate_checks

    loaded = load_config(config)
    validate_checks(loaded.config, loaded.check_lines, str(config))
    cfg = loaded.config
    summary = (
        f"{config}: valid"
        + (f" (preset {loaded.source.preset})" if loaded.source.preset else "")
        + f"; {sum(len(s.rules) for _, s in cfg.stages.items())} rules in 5 stages, "
        f"{len(cfg.subfunnels)} sub-funnel(s), {len(cfg.checks)} check(s)"
    )
    warnings: list[str] = []
    if events:
        report = check_against_data(events, loaded, input_format)
        summary += f"; checked against {report.rows:,} events of {report.persons:,} persons"
        warnings = list(report.warnings)
    emit_rich(lambda console: console.print(Text(safe_text(summary)), soft_wrap=True))
    err = stderr_console(quiet)
    for warning in warnings:  # they quote event names from the data: shown inert
        err.print(Text(f"warning: {safe_text(warning)}", style="yellow"))
