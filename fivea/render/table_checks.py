"""Check results as a rich table for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from fivea.check_result import CheckResult
from fivea.render.checks import shown_value, summary
from fivea.render.table_parts import new_table
from fivea.render.text import safe_text, sanitised

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}


def render_check_table(
    results: Sequence[CheckResult], verdict: str | None, console: Console
) -> None:
    """One row per check, failures first, then a summary line."""
    results = sanitised(results)  # data shown as text: control characters escaped (render/text.py)
    table = new_table(
        "fivea check",
        ("check", "left"),
        ("value", "left"),
        ("status", "left"),
        ("condition", "left"),
    )
    order = {"fail": 0, "warn": 1, "pass": 2}
    for r in sorted(results, key=lambda r: order[r.status]):
        table.add_row(
            Text(r.name),
            Text(shown_value(r)),
            Text(r.status, style=_STYLE[r.status]),
            Text(r.conditions),
        )
    console.print(table)
    line = Text(summary(results))
    if verdict:
        line.append(f" · verdict: {safe_text(verdict.replace('_', ' '))}")
    console.print(line)
