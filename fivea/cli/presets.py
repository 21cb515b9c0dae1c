"""``fivea presets``: list the shipped presets, or print one."""

from __future__ import annotations

from typing import Annotated

import typer

from fivea.cli import app
from fivea.cli.options import DebugOpt
from fivea.cli.reporting import emit_rich, print_payload


@app.command(epilog="Example: fivea presets ecommerce > fivea.yaml")
def presets(
    name: Annotated[
        str | None,
        typer.Argument(help="Preset to print as YAML.", show_default=False, metavar="NAME"),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """List the shipped presets with a one-line description, or print one."""
    from fivea.config.loader import DEFAULT_PRESET, preset_description, preset_names, preset_text

    if name is not None:
        print_payload(preset_text(name))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, show_header=True, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("preset")
    table.add_column("description", overflow="fold")
    for preset in preset_names():
        label = preset + (" (default)" if preset == DEFAULT_PRESET else "")
        table.add_row(Text(label), Text(preset_description(preset)))
    hint = Text(
        "Print one with `fivea presets NAME`; start a config with `fivea init --preset NAME`.",
        style="dim",
    )

    def draw(console: Console) -> None:
        console.print(table)
        console.print(hint)

    emit_rich(draw)
