"""Rich tables for the terminal (the only renderer that imports rich, besides the CLI).

On a TTY: colour and box tables. Not a TTY: the same tables as plain text, no colour. A number is
never cropped: a table wider than the console falls back to one card per row (SPEC §5).
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from fivea.render import text as fmt
from fivea.result import Result

_BAR_WIDTH = 30


def _fits(console: Console, table: Table) -> bool:
    # measure without the console's clamp: rich would otherwise shrink and crop cells silently
    measured = Measurement.get(console, console.options.update(max_width=100_000), table)
    return measured.maximum <= console.width


def _cards(title: str, table: Table) -> RenderableType:
    """One small two-column table per row, for narrow consoles."""
    headers = [str(c.header) for c in table.columns]
    cells = [list(c.cells) for c in table.columns]
    parts: list[RenderableType] = [Text(title, style="bold")]
    for row in range(table.row_count):
        card = Table(box=box.SIMPLE, show_header=False, padding=(0, 1))
        card.add_column(style="dim")
        card.add_column(justify="right")
        for header, column in zip(headers, cells, strict=True):
            card.add_row(header, column[row])
        parts.append(card)
    return Group(*parts)


def _fit(console: Console, title: str, table: Table) -> RenderableType:
    return table if _fits(console, table) else _cards(title, table)


def _header(result: Result) -> Text:
    src = result.source
    files = src.files[0] if len(src.files) == 1 else f"{src.files[0]} (+{len(src.files) - 1} files)"
    config = (
        f"config {src.config}" + (f" (preset {src.preset})" if src.preset else "")
        if src.config
        else f"preset {src.preset}"
    )
    window = result.window
    start = window.since or result.quality.time_min or "?"
    line = Text()
    line.append("fivea 5A diagnosis", style="bold")
    line.append(f"  {files}\n")
    line.append(
        f"{fmt.count(result.persons)} persons · {start} → {window.as_of} · {config}", style="dim"
    )
    columns = ", ".join(
        f"{k}={'+'.join(v) if isinstance(v, list) else v}" for k, v in src.columns.items()
    )
    export = f" · {src.export} export" if src.export else ""
    line.append(f"\ncolumns: {columns}{export}", style="dim")
    return line


def _stage_table(result: Result) -> Table:
    table = Table(
        title="5A stages",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
        title_style="bold",
    )
    table.add_column("stage")
    table.add_column("reached", justify="right")
    table.add_column("of aware", justify="right")
    table.add_column("transition")
    table.add_column("ratio", justify="right")
    table.add_column("flow", justify="right")
    table.add_column("path", justify="right")
    table.add_column("median", justify="right")
    incoming = {t.to_stage: t for t in result.transitions}
    for stage in result.stages:
        into = incoming.get(stage.key)
        table.add_row(
            Text(stage.label),
            fmt.count(stage.reached),
            fmt.percent(stage.share_of_aware),
            "" if into is None else into.name,
            "" if into is None else fmt.ratio(into.ratio),
            "" if into is None else fmt.percent(into.flow),
            fmt.count(stage.path),
            "" if into is None else fmt.duration(into.median_seconds),
        )
    return table


def _shape(result: Result) -> Table:
    """A bar chart of reached counts: the funnel's shape at a glance."""
    top = max((s.reached for s in result.stages), default=0) or 1
    table = Table(
        title="Shape",
        box=None,
        show_header=False,
        title_justify="left",
        title_style="bold",
        padding=(0, 1),
    )
    table.add_column()
    table.add_column()
    table.add_column(justify="right")
    for stage in result.stages:
        width = round(_BAR_WIDTH * stage.reached / top)
        bar = "█" * width if width or not stage.reached else "▏"
        table.add_row(
            Text(stage.label), Text(bar.ljust(_BAR_WIDTH), style="cyan"), fmt.count(stage.reached)
        )
    return table


def _timing_table(result: Result) -> Table:
    table = Table(
        title="Time to convert",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
        title_style="bold",
    )
    for name, justify in (
        ("transition", "left"),
        ("persons", "right"),
        ("p25", "right"),
        ("median", "right"),
        ("p75", "right"),
        ("p90", "right"),
        ("reversed", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for t in result.transitions:
        table.add_row(
            f"{t.from_stage} → {t.to_stage}",
            fmt.count(t.converted),
            fmt.duration(t.p25_seconds),
            fmt.duration(t.median_seconds),
            fmt.duration(t.p75_seconds),
            fmt.duration(t.p90_seconds),
            fmt.count(t.reversed),
        )
    return table


def _current_table(result: Result) -> Table:
    table = Table(
        title="Where people live now",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
        title_style="bold",
    )
    table.add_column("furthest stage")
    table.add_column("persons", justify="right")
    table.add_column("share", justify="right")
    total = result.persons or 1
    for key, n in result.current.items():
        if key == "none" and n == 0:
            continue
        label = "no stage" if key == "none" else result.stage(key).label
        table.add_row(Text(label), fmt.count(n), fmt.percent(n / total))
    table.add_section()
    table.add_row(
        "prospects (aware..ask)", fmt.count(result.prospects), fmt.percent(result.prospects / total)
    )
    table.add_row(
        "customers (act, advocate)",
        fmt.count(result.customers),
        fmt.percent(result.customers / total),
    )
    return table


def _subfunnel_tables(result: Result) -> list[tuple[str, Table]]:
    out = []
    for sub in result.subfunnels:
        title = f"Sub-funnel {sub.name} (window {fmt.duration(sub.window_seconds)})"
        table = Table(
            title=Text(title),
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            title_justify="left",
            title_style="bold",
        )
        table.add_column("step")
        table.add_column("persons", justify="right")
        table.add_column("conversion", justify="right")
        table.add_column("drop-off", justify="right")
        table.add_column("median time", justify="right")
        for step in sub.steps:
            table.add_row(
                Text(step.name),
                fmt.count(step.reached),
                fmt.percent(step.conversion),
                fmt.percent(step.dropoff),
                fmt.duration(step.median_seconds),
            )
        out.append((title, table))
    return out


def _quality_table(result: Result) -> Table:
    q = result.quality
    table = Table(
        title="Data quality",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
        title_style="bold",
        show_header=False,
    )
    table.add_column()
    table.add_column()
    table.add_row("rows read", fmt.count(q.rows_read))
    for dropped in q.dropped:
        table.add_row(f"dropped: {fmt.words(dropped.reason)}", fmt.count(dropped.rows))
    table.add_row(
        "duplicate rows", fmt.count(q.duplicates) + (" (removed)" if q.deduplicated else " (kept)")
    )
    table.add_row("time range", f"{q.time_min} → {q.time_max}")
    table.add_row("persons", fmt.count(q.persons))
    if q.stitched_ids:
        table.add_row("stitched ids", fmt.count(q.stitched_ids))
    unmatched = f"{fmt.count(q.unmatched_events)} ({fmt.percent(q.unmatched_share)})"
    if q.unmatched_top:
        unmatched += ": " + ", ".join(
            f"{n.name} {fmt.count(n.events)}" for n in q.unmatched_top[:5]
        )
    table.add_row("events in no stage", Text(unmatched))
    for zero in q.zero_hit_stages:
        hint = f"; did you mean {', '.join(zero.did_you_mean)}?" if zero.did_you_mean else ""
        table.add_row(Text(f"stage {zero.stage}", style="yellow"), Text(f"no hit{hint}"))
    for column, n in q.non_numeric_values.items():
        table.add_row(Text(f"non-numeric {column}"), f"{fmt.count(n)} values read as null")
    if q.dst_ambiguous or q.dst_gap:
        table.add_row(
            "DST",
            f"{q.dst_ambiguous} ambiguous (earlier taken), {q.dst_gap} in a gap (moved forward)",
        )
    return table


def render_table(result: Result, console: Console) -> None:
    """Print the whole report to ``console``."""
    console.print(_header(result))
    console.print()
    console.print(_fit(console, "5A stages", _stage_table(result)))
    console.print(_shape(result))
    console.print()
    console.print(_fit(console, "Where people live now", _current_table(result)))
    console.print(_fit(console, "Time to convert", _timing_table(result)))
    for title, table in _subfunnel_tables(result):
        console.print(_fit(console, title, table))
    console.print(_fit(console, "Data quality", _quality_table(result)))
