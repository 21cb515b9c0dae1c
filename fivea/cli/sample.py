"""``fivea sample``: realistic synthetic 5A event logs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fivea.cli import app
from fivea.cli.options import DebugOpt, QuietOpt, stderr_console
from fivea.errors import UsageError


@app.command(epilog="Example: fivea sample -o events.parquet --people 5000 --archetype door_knob")
def sample(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write: .csv, .csv.gz, .parquet or .ndjson.",
            show_default=False,
        ),
    ],
    people: Annotated[int, typer.Option("--people", "-n", help="Number of persons.")] = 5000,
    archetype: Annotated[
        str,
        typer.Option("--archetype", "-a", help="funnel, door_knob, goldfish, trumpet or bow_tie."),
    ] = "funnel",
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 0,
    days: Annotated[int, typer.Option("--days", help="Days the log spans.")] = 90,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a realistic synthetic event log with a known 5A shape."""
    from fivea.sample import generate_sample, write_sample

    if people < 1:
        msg = f"--people {people}: must be at least 1"
        raise UsageError(msg)
    if not output.resolve().parent.is_dir():
        msg = f"--output {output}: folder {output.resolve().parent} does not exist"
        raise UsageError(msg)
    try:
        frame = generate_sample(people=people, archetype=archetype, seed=seed, days=days)
    except ValueError as exc:
        msg_0 = f"--archetype {archetype}: {exc}"
        raise UsageError(msg_0) from exc
    try:
        write_sample(frame, output)
    except ValueError as exc:
        msg_0 = f"--output {output}: {exc}"
        raise UsageError(msg_0) from exc
    stderr_console(quiet).print(
        f"wrote {frame.height:,} events of {people:,} persons to {output}", markup=False
    )
