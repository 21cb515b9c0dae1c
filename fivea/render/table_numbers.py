"""The number tables of the terminal report: stages, targets, shape, the ordered path, where
people live, timing, sub-funnels, segments, the comparison, the trend and data quality.

Data values (event names, segment values) are always wrapped in ``Text`` so that a campaign
called ``[summer]`` prints as ``[summer]`` and never as rich markup (README.md#output-formats).
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from fivea.render import text as fmt
from fivea.render.table_parts import GRADE_STYLE, new_table, numbers_table
from fivea.result import Result, SegmentRow, Transition

BAR_WIDTH = 30


def _grade_cell(t: Transition) -> Text:
    if t.ratio is None:
        return Text(f"{t.name} {fmt.null('—', t.ratio_reason)}", style="dim")
    cell = Text(f"{t.name} {fmt.proportion(t.ratio, t.ratio_count, t.flow_base)} ")
    if t.grade:
        cell.append(fmt.words(t.grade), style=GRADE_STYLE.get(t.grade, ""))
    return cell


def _aware(result: Result) -> int:
    return result.stage("aware").reached


def stage_table(result: Result) -> Table:
    """The 5A stage table: reached, share of Aware, ratio with name and grade, flow, path."""
    table = new_table(
        "5A stages",
        ("stage", "left"),
        ("reached", "right"),
        ("of aware", "right"),
        ("ratio in", "left"),
        ("flow", "right"),
        ("path", "right"),
        ("median", "right"),
    )
    incoming = {t.to_stage: t for t in result.transitions}
    for stage in result.stages:
        into = incoming.get(stage.key)
        table.add_row(
            Text(stage.label),
            fmt.count(stage.reached),
            fmt.share(stage.share_of_aware, stage.reached, _aware(result)),
            Text("") if into is None else _grade_cell(into),
            "" if into is None else fmt.share(into.flow, into.flow_count, into.flow_base),
            fmt.count(stage.path),
            "" if into is None else fmt.duration(into.median_seconds),
        )
    table.collapse_padding = True  # one space between columns keeps it within 80 columns
    return table


def grades_table(result: Result) -> Table:
    """Each transition against its target, and where the target comes from."""
    source = next((t.target_source for t in result.transitions if t.target_source), "")
    table = new_table(
        f"Targets ({source})",
        ("transition", "left"),
        ("ratio", "right"),
        ("target", "right"),
        ("grade", "left"),
        ("drop-off", "right"),
        ("uplift", "right"),
    )
    for t in result.transitions:
        target = (
            f"{t.target[0]:.2f}–{t.target[1]:.2f}"
            if isinstance(t.target, tuple)
            else fmt.ratio(t.target)
        )
        uplift = fmt.uplift(t.uplift, t.grade, t.ratio)
        grade = Text(fmt.words(t.grade or "—"), style=GRADE_STYLE.get(t.grade or "", ""))
        table.add_row(
            f"{t.name} ({t.from_stage}→{t.to_stage})",
            fmt.proportion(t.ratio, t.ratio_count, t.flow_base),
            target,
            grade,
            fmt.share(t.dropoff, t.flow_base - t.flow_count, t.flow_base),
            uplift,
        )
    return table


def shape_bars(result: Result) -> Table:
    """A bar chart of reached counts: the funnel's shape at a glance."""
    top = max((s.reached for s in result.stages), default=0) or 1
    table = Table(
        title="Shape of reached counts",
        box=None,
        show_header=False,
        title_justify="left",
        title_style="bold",
        padding=(0, 1),
        pad_edge=False,
    )
    for _ in range(3):
        table.add_column()
    table.columns[2].justify = "right"
    for stage in result.stages:
        width = round(BAR_WIDTH * stage.reached / top)
        bar = "█" * width if width or not stage.reached else "▏"
        table.add_row(
            Text(stage.label), Text(bar.ljust(BAR_WIDTH), style="cyan"), fmt.count(stage.reached)
        )
    return table


def path_table(result: Result) -> Table:
    """The ordered path (windowFunnel semantics) with settled conversion."""
    window = fmt.duration(result.window.funnel_window_seconds)
    table = numbers_table(
        f"Ordered path (window {window})",
        "stage",
        "on path",
        "step conv.",
        "settled conv.",
        "still in window",
    )
    for i, stage in enumerate(result.stages):
        into = result.transitions[i - 1] if i else None
        if not stage.measured:
            table.add_row(Text(stage.label), "—", "skipped: not measured", "", "")
            continue
        table.add_row(
            Text(stage.label),
            fmt.count(stage.path),
            "" if into is None else fmt.path_step(into),
            "" if into is None else fmt.settled(into),
            "" if stage.in_window is None else fmt.count(stage.in_window),
        )
    table.caption = Text(fmt.path_note(result) + "\n")
    table.caption_justify = "left"
    return table


def current_table(result: Result) -> Table:
    """Where people live now: their furthest stage."""
    table = numbers_table("Where people live now", "furthest stage", "persons", "share")
    total = result.persons or 1
    for key, n in result.current.items():
        if key == "none" and n == 0:
            continue
        label = "no stage" if key == "none" else result.stage(key).label
        if key != "none" and not result.stage(key).measured:
            # nobody can live in a stage no rule sees: say so rather than print a real-looking 0
            table.add_row(Text(label), "—", Text("not measured", style="dim"))
            continue
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


def timing_table(result: Result) -> Table:
    """Time to convert between stages (exact quantiles)."""
    table = numbers_table(
        "Time to convert", "transition", "persons", "p25", "median", "p75", "p90", "reversed"
    )
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


def subfunnel_tables(result: Result) -> list[tuple[str, Table]]:
    """One table per sub-funnel."""
    out = []
    for sub in result.subfunnels:
        title = f"Sub-funnel {sub.name} (window {fmt.duration(sub.window_seconds)})"
        table = numbers_table(title, "step", "persons", "conversion", "drop-off", "median time")
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


def _marks(row: SegmentRow) -> Text:
    """▼ lags / ▲ leads / ▼▲ both: where and by how much is said in the lines under the table
    (kept short so the table fits 80 columns)."""
    if row.lagging and row.leading:
        return Text("▼▲ both", style="yellow")
    if row.lagging:
        return Text("▼ lags", style="red")
    return Text("▲ leads", style="green") if row.leading else Text("")


def segment_tables(result: Result) -> list[tuple[str, Table, tuple[str, ...]]]:
    """Per segment column: each value's stage counts, PAR, where it lags or leads, and one line
    per such value with both flows (docs/metrics.md#segments)."""
    out = []
    for seg in result.segments:
        title = (
            f"Segments by {seg.column} ({seg.attribution} touch; "
            f"{fmt.plural(seg.tests_run, 'test')} against the rest, BH q=0.05)"
        )
        table = new_table(
            title,
            ("value", "left"),
            ("persons", "right"),
            ("appeal", "right"),
            ("ask", "right"),
            ("act", "right"),
            ("advocate", "right"),
            ("PAR", "right"),
            ("vs rest", "left"),
        )
        for row in seg.rows:
            table.add_row(
                Text(row.value),
                fmt.count(row.persons),
                fmt.count(row.reached["appeal"]),
                fmt.count(row.reached["ask"]),
                fmt.count(row.reached["act"]),
                fmt.count(row.reached["advocate"]),
                fmt.proportion(row.par, row.reached["act"], row.reached["aware"]),
                _marks(row),
            )
        out.append((title, table, tuple(f.text for f in seg.findings)))
    return out


def compare_table(result: Result) -> RenderableType | None:
    """Previous period deltas and the direction."""
    comparison = result.compare
    if comparison is None:
        return None
    title = (
        f"Compared with {fmt.moment(comparison.since)} → {fmt.moment(comparison.until)}: "
        f"{fmt.words(comparison.direction)}"
    )
    table = numbers_table(title, "metric", "now", "before", "change", "z")
    for delta in comparison.deltas:
        table.add_row(
            delta.metric,
            *fmt.delta_values(delta),
            fmt.null(fmt.signed_percent(delta.change), delta.reason),
            "" if delta.z is None else f"{delta.z:+.2f}" + (" *" if delta.significant else ""),
        )
    reasons = Text("\n".join(f"  • {r}" for r in comparison.reasons))
    return Group(table, reasons)


def trend_table(result: Result) -> Table | None:
    """Reached counts, PAR and BAR per calendar bucket."""
    if result.trend is None:
        return None
    table = new_table(
        f"Trend by {result.trend.period}",
        ("period", "left"),
        ("aware", "right"),
        ("appeal", "right"),
        ("ask", "right"),
        ("act", "right"),
        ("advocate", "right"),
        ("PAR", "right"),
        ("BAR", "right"),
        ("", "left"),
    )
    for row in result.trend.rows:
        table.add_row(
            Text(row.period),
            *[fmt.count(row.reached[k]) for k in ("aware", "appeal", "ask", "act", "advocate")],
            fmt.proportion(row.par, row.reached["act"], row.reached["aware"]),
            fmt.proportion(row.bar, row.reached["advocate"], row.reached["aware"]),
            Text("small sample", style="dim") if row.small_sample else "",
        )
    if any(row.small_sample for row in result.trend.rows):
        table.caption = "small sample: fewer aware persons than diagnosis.min_stage; read with care"
        table.caption_justify = "left"
    return table


def quality_table(result: Result) -> Table:
    """Data quality, always shown."""
    q = result.quality
    table = new_table("Data quality", ("", "left"), ("", "left"), header=False)
    table.add_row("rows read", fmt.count(q.rows_read))
    for dropped in q.dropped:
        table.add_row(f"dropped: {fmt.words(dropped.reason)}", fmt.count(dropped.rows))
    kept = " (removed)" if q.deduplicated else " (kept)"
    table.add_row("duplicate rows", fmt.count(q.duplicates) + kept)
    table.add_row("time range", f"{q.time_min} → {q.time_max}")
    table.add_row("persons", fmt.count(q.persons))
    if q.stitched_ids:
        table.add_row("stitched ids", fmt.count(q.stitched_ids))
    unmatched = f"{fmt.count(q.unmatched_events)} ({fmt.percent(q.unmatched_share)})"
    if q.unmatched_top:
        unmatched += ": " + ", ".join(
            f"{n.name} {fmt.count(n.events)}" for n in q.unmatched_top[:5]
        )
    table.add_row("events in no rule", Text(unmatched))
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
