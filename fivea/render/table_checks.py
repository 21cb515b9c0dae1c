"""Check results as a rich table for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from fivea.checks import CheckResult
from fivea.render import text as fmt
from fivea.render.checks import summary
from fivea.render.table_sections import new_table

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}


def render_check_table(
    results: Sequence[CheckResult], verdict: str | None, console: Console
) -> None:
    """One row per check, failures first, then a summary line."""
    table = new_table(
        "fivea check",
        ("check", "left"),
        ("value", "right"),
        ("status", "left"),
        ("condition", "left"),
    )
    order = {"fail": 0, "warn": 1, "pass": 2}
    for r in sorted(results, key=lambda r: order[r.status]):
        value = (
            fmt.null("—", r.not_observable or "not_observable")
            if r.value is None
            else (f"{r.value:.4g}" if isinstance(r.value, float) else str(r.value))
        )
        table.add_row(
            Text(r.name),
            Text(value),
            Text(r.status, style=_STYLE[r.status]),
            Text(r.condition or ""),
        )
    console.print(table)
    line = Text(summary(results))
    if verdict:
        line.append(f" · verdict: {verdict.replace('_', ' ')}")
    console.print(line)
