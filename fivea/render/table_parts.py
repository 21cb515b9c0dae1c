"""Rich building blocks shared by the terminal reports: a report table, an indented list, and
the styles of verdicts and grades.
"""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

VERDICT_STYLE = {
    "healthy": "bold green",
    "needs_attention": "bold yellow",
    "at_risk": "bold red",
    "not_judged": "bold",
}
GRADE_STYLE = {
    "ok": "green",
    "watch": "yellow",
    "critical": "red",
    "not_judged": "dim",
    "not_measured": "dim",
}


def new_table(title: str, *columns: tuple[str, str], header: bool = True) -> Table:
    """A report table: simple rules, left-aligned bold title, no outer padding."""
    table = Table(
        title=Text(title),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
        title_style="bold",
        show_header=header,
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    return table


def bullets(items: list[str] | tuple[str, ...], marker: str = "•", style: str = "") -> Table:
    """An indented list whose wrapped lines stay under their first line."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row(marker, Text(item, style=style))
    return grid


def numbers_table(title: str, label: str, *numbers: str) -> Table:
    """A report table of a left-aligned label column, then right-aligned number columns."""
    return new_table(title, (label, "left"), *((name, "right") for name in numbers))
