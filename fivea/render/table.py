"""The terminal report: verdict first, then why, then the numbers (rich).

On a TTY: colour and box tables. Not a TTY: the same tables as plain text, no colour. A number is
never cropped: a table wider than the console falls back to one card per row (README.md#output-formats).
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from fivea.render import table_numbers as numbers
from fivea.render import table_summary as summary
from fivea.render.table_drivers import drivers_block
from fivea.render.table_parts import bullets
from fivea.render.text import sanitised
from fivea.result import Result


def fits(console: Console, table: Table) -> bool:
    """Whether the table's natural width fits the console."""
    # measure without the console's clamp: rich would otherwise shrink and crop cells silently
    measured = Measurement.get(console, console.options.update(max_width=100_000), table)
    return measured.maximum <= console.width


def cards(title: str, table: Table) -> RenderableType:
    """One small two-column table per row, for narrow consoles."""
    headers = [str(c.header) for c in table.columns]
    cells = [list(c.cells) for c in table.columns]
    parts: list[RenderableType] = [Text(title, style="bold")]
    for row in range(table.row_count):
        card = Table(box=box.SIMPLE, show_header=False, padding=(0, 1))
        card.add_column(style="dim")
        card.add_column(justify="right")
        for name, column in zip(headers, cells, strict=True):
            card.add_row(name, column[row])
        parts.append(card)
    return Group(*parts)


def fit(console: Console, table: Table, title: str | None = None) -> RenderableType:
    """The table, or its cards when it would not fit."""
    if fits(console, table):
        return table
    return cards(title or str(table.title or ""), table)


def render_table(result: Result, console: Console) -> None:
    """Print the whole report to ``console``."""
    result = sanitised(result)  # data shown as text: control characters escaped (render/text.py)
    console.print(summary.header(result))
    console.print()
    console.print(summary.verdict(result))
    console.print()
    console.print(summary.productivity(result), end="")
    console.print(summary.bottleneck(result))
    console.print(summary.archetype(result))
    console.print(fit(console, numbers.stage_table(result)))
    console.print(numbers.shape_bars(result))
    console.print()
    console.print(fit(console, numbers.grades_table(result)))
    console.print(fit(console, numbers.path_table(result)))
    console.print(fit(console, numbers.current_table(result)))
    console.print(fit(console, numbers.timing_table(result)))
    for title, table in numbers.subfunnel_tables(result):
        console.print(fit(console, table, title))
    for title, table, findings in numbers.segment_tables(result):
        console.print(fit(console, table, title))
        if findings:
            console.print(bullets(findings))
            console.print()
    comparison = numbers.compare_table(result)
    if comparison is not None:
        console.print(comparison)
        console.print()
    drivers = drivers_block(result)
    if drivers is not None:
        console.print(drivers)
        console.print()
    trend = numbers.trend_table(result)
    if trend is not None:
        console.print(fit(console, trend))
    console.print(fit(console, numbers.quality_table(result)))
