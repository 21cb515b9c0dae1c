"""The sections of the HTML report below its summary: charts, the numbers, sub-funnels,
segments, the report over time and data quality; each one ``<section>`` (or nothing).
"""

from __future__ import annotations

from html import escape

from fivea.funnel import STAGE_KEYS
from fivea.render import svg
from fivea.render import text as fmt
from fivea.render.html_blocks import Safe, badge, section, table
from fivea.render.text import path_note, path_step, settled
from fivea.result import Result, SegmentCell, Transition


def charts(result: Result) -> str:
    """The SVG charts (``fivea.render.svg``)."""
    return section("charts", "Charts", svg.figures(result))


def _target(t: Transition) -> str:
    if isinstance(t.target, tuple | list):
        return f"{t.target[0]:.2f}–{t.target[1]:.2f}"
    return fmt.ratio(t.target)


def numbers(result: Result) -> str:
    """The numbers: stages, targets and grades, the ordered path, where people live, timing."""
    into = {t.to_stage: t for t in result.transitions}
    stages = []
    for s in result.stages:
        t = into.get(s.key)
        cells = ["", "", ""]
        if t is not None:
            grade = f" {badge(t.grade)}" if t.grade else ""
            ratio = fmt.null(fmt.proportion(t.ratio, t.ratio_count, t.flow_base), t.ratio_reason)
            cells = [Safe(f"{escape(t.name)} {escape(ratio)}{grade}"),
                     fmt.share(t.flow, t.flow_count, t.flow_base),
                     fmt.duration(t.median_seconds)]  # fmt: skip
        share = fmt.share(s.share_of_aware, s.reached, result.stage("aware").reached)
        on_path = fmt.count(s.path) if s.measured else "— skipped"
        stages.append([s.label, fmt.count(s.reached), share, *cells[:2], on_path, cells[2]])
    cols = ["stage", "#reached", "#of aware", "ratio in", "#flow", "#on path", "#median time"]
    out = [table("5A stages", cols, stages, wide=True)]
    source = next((t.target_source for t in result.transitions if t.target_source), "")
    grades = []
    for t in result.transitions:
        ratio = fmt.null(fmt.proportion(t.ratio, t.ratio_count, t.flow_base), t.ratio_reason)
        uplift = fmt.uplift(t.uplift, t.grade, t.ratio)
        grade = badge(t.grade) if t.grade else "—"
        dropoff = fmt.share(t.dropoff, t.flow_base - t.flow_count, t.flow_base)
        grades.append([t.name, ratio, _target(t), grade, dropoff, uplift])
    notes = "; ".join(
        f"{t.name}: {fmt.reason(t.grade_reason)}" for t in result.transitions if t.grade_reason
    )
    cols = ["transition", "#ratio", "#target", "grade", "#drop-off", "#uplift"]
    out.append(
        table(f"Targets and grades ({source})" if source else "Targets", cols, grades, notes)
    )
    steps = [None, *result.transitions]
    path = [
        [s.label, fmt.count(s.path),
         "" if t is None else path_step(t),
         "" if t is None else settled(t),
         "" if s.in_window is None else fmt.count(s.in_window)]
        if s.measured else [s.label, "—", "skipped: not measured", "", ""]
        for s, t in zip(result.stages, steps, strict=False)
    ]  # fmt: skip
    title = f"Ordered path (window {fmt.duration(result.window.funnel_window_seconds)})"
    note = path_note(result)
    cols = ["stage", "#on path", "#step", "#settled", "#in window"]
    out.append(table(title, cols, path, note))
    total, labels = result.persons or 1, {s.key: s.label for s in result.stages}
    live = [
        ["no stage" if k == "none" else labels.get(k, k), fmt.count(n), fmt.percent(n / total)]
        if k == "none" or result.stage(k).measured
        else [labels.get(k, k), "—", "not measured"]
        for k, n in result.current.items()
        if not (k == "none" and n == 0)
    ]
    groups = {"prospects (aware … ask)": result.prospects}
    groups["customers (act, advocate)"] = result.customers
    live += [[k, fmt.count(n), fmt.percent(n / total)] for k, n in groups.items()]
    cols = ["furthest stage", "#persons", "#share"]
    out.append(table("Where people live now", cols, live, sum_from=len(live) - 2))
    timing = [
        [f"{t.from_stage} → {t.to_stage}", fmt.count(t.converted),
         *map(fmt.duration, (t.p25_seconds, t.median_seconds, t.p75_seconds, t.p90_seconds)),
         fmt.count(t.reversed)]
        for t in result.transitions
    ]  # fmt: skip
    cols = ["transition", "#persons", "#p25", "#median", "#p75", "#p90", "#reversed"]
    out.append(table("Time to convert", cols, timing))
    return section("numbers", "The numbers", out, grid=True)


def subfunnels(result: Result) -> str:
    """One table per sub-funnel."""
    out = []
    for sub in result.subfunnels:
        rows = [
            [s.name, fmt.count(s.reached), fmt.percent(s.conversion), fmt.percent(s.dropoff),
             fmt.duration(s.median_seconds)]
            for s in sub.steps
        ]  # fmt: skip
        title = f"{sub.name} (window {fmt.duration(sub.window_seconds)})"
        cols = ["step", "#persons", "#conversion", "#drop-off", "#median time"]
        note = f"Overall conversion {fmt.percent(sub.overall_conversion)}."
        out.append(table(title, cols, rows, note))
    return section("subfunnels", "Sub-funnels", out, grid=len(out) > 1) if out else ""


def segments(result: Result) -> str:
    """One table per segment column: each value's counts and where it lags or leads."""
    out = []
    for seg in result.segments:
        rows = []
        for row in seg.rows:
            flags = [
                f'<span class="{css}">{marker} {escape(_cell_text(cell))}</span>'
                for marker, css, cells in (("▼", "lag", row.lagging), ("▲", "lead", row.leading))
                for cell in cells
            ]
            flag = Safe(" ".join(flags)) if flags else "—"
            reached = [fmt.count(row.reached.get(k, 0)) for k in STAGE_KEYS]
            rows.append([row.value, fmt.count(row.persons), *reached[1:], fmt.ratio(row.par),
                         fmt.ratio(row.bar), flag])  # fmt: skip
        title = f"By {seg.column} ({fmt.words(seg.attribution)} touch)"
        note = (
            f"{fmt.plural(seg.tests_run, 'tests')} of each value against the rest; flagged "
            "after Benjamini–Hochberg at q = 0.05. " + " ".join(f"{f.text}." for f in seg.findings)
        )
        cols = ["value", "#persons", "#appeal", "#ask", "#act", "#advocate", "#PAR", "#BAR"]
        out.append(table(title, [*cols, "vs the rest"], rows, note))
    return section("segments", "Segments", out) if out else ""


def over_time(result: Result) -> str:
    """The comparison with the previous period and the trend by calendar bucket."""
    out, comparison = [], result.compare
    if comparison is not None:
        rows = []
        for d in comparison.deltas:
            now, before = fmt.delta_values(d)
            z = "" if d.z is None else f"{d.z:+.2f}" + (" significant" if d.significant else "")
            metric = {"par": "PAR", "bar": "BAR"}.get(d.metric, d.metric.replace(".", " "))
            change = fmt.null(fmt.signed_percent(d.change), d.reason)
            rows.append([metric, now, before, change, z])
        direction = comparison.direction
        grade = {"improving": "ok", "declining": "critical"}.get(direction, "none")
        out.append(
            f'<p class="direction">Direction: {badge(grade, fmt.words(direction))} '
            f"{escape('; '.join(comparison.reasons))}</p>"
        )
        title = (
            f"Compared with {fmt.moment(comparison.since)} → {fmt.moment(comparison.until)} "
            f"({fmt.plural(comparison.persons, 'persons')})"
        )
        out.append(table(title, ["metric", "#now", "#before", "#change", "#z"], rows))
    if result.trend is not None:
        rows = [
            [r.period + (" (small sample)" if r.small_sample else ""),
             *(fmt.count(r.reached.get(k, 0)) for k in STAGE_KEYS),
             fmt.proportion(r.par, r.reached.get("act"), r.reached.get("aware")),
             fmt.proportion(r.bar, r.reached.get("advocate"), r.reached.get("aware"))]
            for r in result.trend.rows
        ]  # fmt: skip
        cols = ["period", "#aware", "#appeal", "#ask", "#act", "#advocate", "#PAR", "#BAR"]
        note = (
            "(small sample): fewer aware persons than diagnosis.min_stage, drawn hollow in the charts; "
            "read with care."
            if any(r.small_sample for r in result.trend.rows)
            else None
        )
        out.append(table(f"Trend by {result.trend.period}", cols, rows, note))
    return section("over-time", "Over time", out) if out else ""


def quality(result: Result) -> str:
    """Data quality: rows read, used and dropped, duplicates, ids, events in no rule."""
    q = result.quality
    rows: list[list[object]] = [["rows read", fmt.count(q.rows_read)]]
    rows += [["rows used", fmt.count(q.rows_used)]]
    rows += [[f"dropped: {fmt.words(d.reason)}", fmt.count(d.rows)] for d in q.dropped]
    kept = " (removed)" if q.deduplicated else " (kept)"
    rows += [["duplicate rows", fmt.count(q.duplicates) + kept]]
    rows += [["time range", f"{q.time_min or '?'} → {q.time_max or '?'}"]]
    rows += [["persons", fmt.count(q.persons)], ["events in window", fmt.count(q.events_in_window)]]
    if q.stitched_ids:
        rows.append(["stitched ids", fmt.count(q.stitched_ids)])
    unmatched = f"{fmt.count(q.unmatched_events)} ({fmt.percent(q.unmatched_share)})"
    if q.unmatched_top:
        top = q.unmatched_top[:5]
        unmatched += ": " + ", ".join(f"{n.name} {fmt.count(n.events)}" for n in top)
    rows.append(["events in no rule", unmatched])
    for zero in q.zero_hit_stages:
        hint = f" did you mean {', '.join(zero.did_you_mean)}?" if zero.did_you_mean else ""
        rows.append([f"stage {zero.stage}", Safe(f"{badge('watch', 'no hit')}{escape(hint)}")])
    for column, n in sorted(q.non_numeric_values.items()):
        rows.append([f"non-numeric {column}", f"{fmt.count(n)} values read as null"])
    if q.dst_ambiguous or q.dst_gap:
        dst = f"{q.dst_ambiguous} ambiguous (earlier taken), {q.dst_gap} in a gap (moved forward)"
        rows.append(["DST", dst])
    return section("quality", "Data quality", [table("", ["check", "value"], rows)], grid=True)


def _cell_text(cell: SegmentCell) -> str:
    """ "commitment 57% vs 63%" or "PAR 0.078 vs 0.050": the value's figure, then the rest's."""
    if cell.transition == "par":
        return f"PAR {fmt.ratio(cell.flow)} vs {fmt.ratio(cell.rest_flow)}"
    return f"{cell.transition} {fmt.percent(cell.flow)} vs {fmt.percent(cell.rest_flow)}"
