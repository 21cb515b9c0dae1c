"""``fivea init``: write a commented starter config (from a preset, and from the data if given)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fivea.cli import app
from fivea.cli.options import DebugOpt, InputFormatOpt, QuietOpt, stderr_console
from fivea.cli.progress import progress
from fivea.cli.reporting import print_payload
from fivea.errors import UsageError


@app.command(
    epilog="Example: fivea init events.csv && fivea validate fivea.yaml events.csv",
)
def init(
    events: Annotated[
        list[str] | None,
        typer.Argument(
            help="Event files to read a sample of: columns, timestamps and event names are "
            "filled in (optional).",
            show_default=False,
            metavar="[EVENTS]...",
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="Preset to start from (default: 5a-default, or the preset of an export detected "
            "in EVENTS: ga4, segment, amplitude, mixpanel). See `fivea presets`.",
            show_default=False,
            metavar="NAME",
        ),
    ] = None,
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="Config file to write (- for stdout).", metavar="FILE"),
    ] = "fivea.yaml",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the file if it exists.")
    ] = False,
    input_format: InputFormatOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented starter config: the preset, and with EVENTS the columns and event names."""
    from fivea.authoring.starter import sample_data, starter_config, summary
    from fivea.config.loader import load_config
    from fivea.io.output import check_writable, refuse_inputs, write_atomic
    from fivea.render.text import safe_text

    to_stdout = output == "-"
    if not to_stdout:
        target = Path(output)
        if target.is_dir():
            msg = f"{output}: is a folder; name the config file, e.g. -o {target / 'fivea.yaml'}"
            raise UsageError(msg)
        if target.exists() and not force:
            msg = (
                f"{output}: already exists; pass --force to overwrite it, or -o to write elsewhere"
            )
            raise UsageError(msg)
        refuse_inputs([output], list(events or []))
        check_writable(output)
    if preset is not None:
        load_config(None, preset)  # an unknown preset fails before any data is read
    sample = None
    chosen = preset
    if events:
        with progress("reading a sample of the events…", quiet):
            chosen, sample = sample_data(list(events), preset, input_format)
    text = starter_config(chosen, "fivea.yaml" if to_stdout else output, sample, asked=preset)
    # names from the data in comments shown inert; inside a double-quoted YAML scalar the
    # escape (\x9b) reads back as the same character (docs/errors.md, Outputs)
    text = "\n".join(safe_text(line) for line in text.split("\n"))
    if to_stdout:
        print_payload(text)
        return
    write_atomic(output, text)
    used = chosen or "5a-default"
    stderr_console(quiet).print(
        f"wrote {output} (preset {used}; {summary(sample)}); next: fivea validate {output}"
        + (f" {' '.join(events)}" if events else " EVENTS"),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
