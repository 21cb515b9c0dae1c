"""``fivea sample``: realistic synthetic 5A event logs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fivea.cli import app
from fivea.cli.options import DebugOpt, QuietOpt, at_least, stderr_console
from fivea.errors import UsageError

# About 10.5 events and 2.2 KB of peak memory per person (measured at 400,000 persons), so the
# bound is about 105 million events in about 20 GB; benchmarks/run.py needs 4.8 million for 50M.
MAX_PEOPLE = 10_000_000
MAX_DAYS = 36_500


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
    from fivea.authoring.sample import generate_sample, write_sample
    from fivea.io.output import check_writable

    at_least("--people", people, 1)
    if people > MAX_PEOPLE:
        msg = (
            f"--people {people:,}: at most {MAX_PEOPLE:,}; the log is built in memory (about "
            f"2 KB per person, {MAX_PEOPLE // 500_000:,} GB at the limit): write several files "
            "with different --seed values and pass them together"
        )
        raise UsageError(msg)
    if not 1 <= days <= MAX_DAYS:
        msg = f"--days {days}: must be from 1 to {MAX_DAYS:,} (100 years)"
        raise UsageError(msg)
    at_least("--seed", seed, 0)
    check_writable(str(output), example="events.parquet")
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
