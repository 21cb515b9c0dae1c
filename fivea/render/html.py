"""The HTML report: one self-contained file, verdict first, inline CSS and SVG (SPEC §5).

No JavaScript and no external reference of any kind (fonts, images, stylesheets), so it opens
without network access; a print stylesheet lays it out on A4. Every value that came from the data
is escaped; the output depends only on the result, so the same result gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from fivea.render import svg
from fivea.render import text as fmt
from fivea.render.drivers import html_section as drivers_html
from fivea.render.text import path_note, path_step, sanitised, settled
from fivea.result import Ratio, Result, SegmentCell, Transition

STAGE_KEYS = ("aware", "appeal", "ask", "act", "advocate")
GRADE_ORDER = ("critical", "watch", "ok", "not_judged", "not_measured", "ungraded")
CSS = """
:root{--ink:#1f2933;--muted:#5f6b7a;--line:#e3e7ec;--soft:#f6f8fa;--accent:#1f5f99;--ok:#2e7d32;
--ok-bg:#e8f5e9;--watch:#a86b00;--watch-bg:#fff4dc;--critical:#c62828;--critical-bg:#fdecea;
--grey:#5f6b7a;--grey-bg:#eef1f4}
*{box-sizing:border-box}html{background:#fff}
body{margin:0 auto;max-width:1080px;padding:36px 40px 56px;color:var(--ink);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:28px;margin:2px 0 14px;letter-spacing:-.015em}
h2{font-size:19px;margin:40px 0 16px;padding-bottom:6px;border-bottom:2px solid var(--ink)}
h3{font-size:12px;margin:0 0 8px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted)}
.eyebrow{font-size:12px;font-weight:600;letter-spacing:.12em;text-transform:uppercase;
color:var(--accent)}
.meta{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:4px 18px;margin:0;
font-size:13px}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.verdict{margin:26px 0 18px;padding:18px 24px 16px;border-radius:10px;border-left:8px solid}
.verdict .label{font-size:12px;font-weight:700;letter-spacing:.12em;text-transform:uppercase}
.verdict .status{font-size:30px;font-weight:750;line-height:1.15;margin:2px 0 2px}
.verdict .lead{margin:0 0 10px;color:var(--ink)}.verdict ul{margin:0;padding-left:20px}
.verdict li{margin:2px 0}.v-healthy{background:var(--ok-bg);border-color:var(--ok);color:var(--ok)}
.v-needs_attention{background:var(--watch-bg);border-color:var(--watch);color:var(--watch)}
.v-at_risk{background:var(--critical-bg);border-color:var(--critical);color:var(--critical)}
.v-not_judged{background:var(--grey-bg);border-color:var(--grey);color:var(--grey)}
.verdict ul,.verdict .lead{color:var(--ink)}
.cards{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:10px;padding:16px 18px;break-inside:avoid}
.big{font-size:30px;font-weight:700;line-height:1.15;font-variant-numeric:tabular-nums}
.big small{font-size:13px;font-weight:500;color:var(--muted);margin-left:8px}
.reading{margin:6px 0 0}.card ul,.card ol{margin:8px 0 0;padding-left:20px}.card li{margin:3px 0}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600;
line-height:19px;white-space:nowrap;background:var(--grey-bg);color:var(--grey);vertical-align:1px}
.g-ok{background:var(--ok-bg);color:var(--ok)}
.g-watch{background:var(--watch-bg);color:var(--watch)}
.g-critical{background:var(--critical-bg);color:var(--critical)}
.finding{margin:10px 0 0;padding:8px 12px;border-left:4px solid var(--watch);
background:var(--soft)}
figure{margin:0 0 30px;break-inside:avoid}
figcaption{font-size:12.5px;color:var(--muted);margin-top:6px;max-width:820px}
svg.chart{width:100%;height:auto;display:block;font-family:inherit}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:4px 36px}
.wide{grid-column:1/-1}.block{margin:0 0 26px;break-inside:avoid}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:700;font-size:14px;padding:0 0 6px}
th,td{padding:5px 12px 5px 0;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
th:last-child,td:last-child{padding-right:0}
thead th{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
font-weight:600;border-bottom:1.5px solid var(--ink);white-space:nowrap}
tbody th{font-weight:600;overflow-wrap:anywhere}.num{text-align:right;white-space:nowrap}
tr.sum th,tr.sum td{border-top:1.5px solid var(--ink)}.lag{color:var(--critical);font-weight:600}.lead{color:var(--ok);font-weight:600}
.note{font-size:12.5px;color:var(--muted);margin:6px 0 0}.direction{margin:0 0 16px}
footer{margin-top:40px;font-size:12px;color:var(--muted);border-top:1px solid var(--line);
padding-top:10px}
@page{size:A4;margin:14mm 12mm}
@media print{body{max-width:none;padding:0;font-size:10.5px}section.page{break-before:page}
h1{font-size:22px}h2{margin-top:0;font-size:16px}.meta{font-size:10.5px}.grid{display:block}
.verdict .status{font-size:24px}.big{font-size:22px}.big small{font-size:10.5px}.cards{gap:10px}
table{font-size:10px}caption{font-size:11.5px}th,td{padding:3px 8px 3px 0}thead th{font-size:9px}
figcaption,.note,footer{font-size:9.5px}.badge{font-size:9.5px;line-height:15px}
.verdict,.card,.block,figure{break-inside:avoid}}
"""


class Safe(str):
    """HTML built here from escaped parts: inserted as is."""


def _h(value: object) -> str:
    return value if isinstance(value, Safe) else escape(str(value))


def _badge(grade: str | None, label: str | None = None) -> Safe:
    text = label or fmt.words(grade or "ungraded")
    return Safe(f'<span class="badge g-{escape(grade or "none")}">{escape(text)}</span>')


def _list(items: Iterable[object], tag: str = "ul") -> str:
    inner = "".join(f"<li>{_h(i)}</li>" for i in items)
    return f"<{tag}>{inner}</{tag}>" if inner else ""


def _table(
    caption: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    note: str = "",
    *,
    wide: bool = False,
    sum_from: int | None = None,
) -> str:
    """A table: a column named '#...' is numeric, the first cell of a row is its header.

    ``wide`` spans both grid columns; ``sum_from`` draws a rule above that row (totals).
    """
    num = [c.startswith("#") for c in columns]
    head = "".join(
        f'<th scope="col"{" class=num" if n else ""}>{escape(c.lstrip("#"))}</th>'
        for c, n in zip(columns, num, strict=True)
    )
    body = []
    for r, row in enumerate(rows):
        cells = "".join(
            f"<{'th scope=row' if c == 0 else 'td'}{' class=num' if num[c] else ''}>{_h(v)}"
            f"</{'th' if c == 0 else 'td'}>"
            for c, v in enumerate(row)
        )
        body.append(f"<tr{' class=sum' if sum_from == r else ''}>{cells}</tr>")
    cap = f"<caption>{_h(caption)}</caption>" if caption else ""
    extra = f'<p class="note">{_h(note)}</p>' if note else ""
    return (
        f'<div class="block{" wide" if wide else ""}"><table>{cap}<thead><tr>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>{extra}</div>"
    )


def _section(key: str, title: str, parts: Iterable[str], grid: bool = False) -> str:
    body = "".join(parts)
    if grid:
        body = f'<div class="grid">{body}</div>'
    return f'<section class="page" id="{key}"><h2>{escape(title)}</h2>{body}</section>'


def _target(t: Transition) -> str:
    if isinstance(t.target, tuple | list):
        return f"{t.target[0]:.2f}–{t.target[1]:.2f}"
    return fmt.ratio(t.target)


def _header(result: Result) -> str:
    src, window = result.source, result.window
    config = fmt.config_label(src, prefix=False)
    start = fmt.moment(window.since or result.quality.time_min)
    rows = [
        ("Files", ", ".join(src.files) + (f" ({src.export} export)" if src.export else "")),
        ("Window", f"{start} → {fmt.moment(window.until)} {window.timezone}"),
        ("Persons", fmt.count(result.persons)),
        ("Funnel window", fmt.duration(window.funnel_window_seconds)),
        ("Config", config),
        ("Generated", f"{fmt.moment(result.generated_at)} UTC"),
    ]
    meta = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (
        '<header><div class="eyebrow">fivea · 5A customer-path diagnosis</div>'
        f'<h1>Funnel report</h1><dl class="meta">{meta}</dl></header>'
    )


def _grade_summary(result: Result) -> str:
    """'Transitions: 1 critical · 1 watch · 2 ok' in order of severity."""
    grades = [t.grade or "ungraded" for t in result.transitions]
    counts = [f"{grades.count(g)} {fmt.words(g)}" for g in GRADE_ORDER if g in grades]
    return "Transitions: " + " · ".join(counts) if counts else ""


def _verdict(result: Result) -> str:
    if result.verdict is None:
        return ""
    status = result.verdict.status
    lead = _grade_summary(result)
    if status == "not_judged":
        lead = "Not enough evidence to judge. " + lead
    return (
        f'<div class="verdict v-{escape(status)}" aria-label="Verdict">'
        '<div class="label">Verdict</div>'
        f'<p class="status">{escape(fmt.words(status).capitalize())}</p>'
        f'<p class="lead">{escape(lead)}</p>'
        f"{_list(result.verdict.reasons)}</div>"
    )


def _ratio_card(name: str, ratio: Ratio | None, meaning: str) -> str:
    if ratio is None:
        return ""
    if ratio.low is not None and ratio.high is not None:
        interval = f"95% CI {fmt.bound(ratio.low)}–{fmt.bound(ratio.high)}"
    else:
        interval = fmt.reason(ratio.reason) or "no interval"
    target = f" · target {ratio.target:.4g}" if ratio.target is not None else ""
    grade = f" {_badge(ratio.grade)}" if ratio.grade else ""
    value = ratio.shown or fmt.ratio(ratio.value)
    return (
        f'<div class="card"><h3>{escape(name)} · {escape(meaning)}</h3><div class="big">'
        f"{escape(value)}<small>{escape(interval + target)}</small>{grade}</div>"
        f'<p class="reading">{escape(ratio.reading)}</p></div>'
    )


def _bottleneck(result: Result) -> str:
    neck = result.bottleneck
    if neck is None:
        graded = any(t.grade in ("ok", "watch", "critical") for t in result.transitions)
        none = (
            "None: every graded transition meets its target."
            if graded
            else "None: no transition could be graded."
        )
        return f'<div class="card"><h3>Bottleneck</h3><p>{none}</p></div>'
    gain = neck.expected_gain
    if gain.value is None:
        gain_text, uplift = "gain unknown: nobody is at that stage yet", "∞"
    else:
        gain_text = (
            "≈ " + fmt.plural(int(gain.value), gain.unit, "more ") + " at target, all else equal"
        )
        uplift = "—" if neck.uplift is None else f"×{neck.uplift:.2f}"
    return (
        f'<div class="card"><h3>Bottleneck</h3><div class="big">{escape(neck.transition)}'
        f"<small>{escape(fmt.bottleneck_ratio(result))} vs target {neck.target:.2f} · uplift "
        f'{escape(uplift)}</small></div><p class="reading">{escape(neck.problem)}: '
        f"<strong>{escape(gain_text)}</strong>.</p>{_list(neck.actions, 'ol')}</div>"
    )


def _archetype(result: Result) -> str:
    shape = result.archetype
    if shape is None:
        return ""
    notes = [
        f"{fmt.words(i.archetype)}: ratio {i.ratio:.2f}, z {i.z:.1f} ({i.strength})"
        for i in shape.confidence
    ]
    if shape.secondary:
        notes.append("also: " + ", ".join(fmt.words(s) for s in shape.secondary))
    if shape.reason:
        notes.append(shape.reason)
    if shape.expected and shape.expected != shape.primary:
        notes.append(f"expected: {fmt.words(shape.expected)}")
    findings = "".join(
        f'<div class="finding"><strong>{escape(fmt.words(f.kind))}:</strong> {escape(f.message)}'
        f"{_list(f.actions)}</div>"
        for f in result.findings
    )
    return (
        f'<div class="card"><h3>Shape (archetype)</h3><div class="big">'
        f'{escape(fmt.words(shape.primary))}</div><p class="reading">{escape(shape.implication)}'
        f"</p>{_list(notes)}{findings}</div>"
    )


def _stage_tables(result: Result) -> str:
    into = {t.to_stage: t for t in result.transitions}
    stages = []
    for s in result.stages:
        t = into.get(s.key)
        cells = ["", "", ""]
        if t is not None:
            grade = f" {_badge(t.grade)}" if t.grade else ""
            ratio = fmt.null(fmt.proportion(t.ratio, t.ratio_count, t.flow_base), t.ratio_reason)
            cells = [Safe(f"{escape(t.name)} {escape(ratio)}{grade}"),
                     fmt.share(t.flow, t.flow_count, t.flow_base),
                     fmt.duration(t.median_seconds)]  # fmt: skip
        share = fmt.share(s.share_of_aware, s.reached, result.stage("aware").reached)
        on_path = fmt.count(s.path) if s.measured else "— skipped"
        stages.append([s.label, fmt.count(s.reached), share, *cells[:2], on_path, cells[2]])
    cols = ["stage", "#reached", "#of aware", "ratio in", "#flow", "#on path", "#median time"]
    out = [_table("5A stages", cols, stages, wide=True)]
    source = next((t.target_source for t in result.transitions if t.target_source), "")
    grades = []
    for t in result.transitions:
        ratio = fmt.null(fmt.proportion(t.ratio, t.ratio_count, t.flow_base), t.ratio_reason)
        uplift = fmt.uplift(t.uplift, t.grade, t.ratio)
        grade = _badge(t.grade) if t.grade else "—"
        dropoff = fmt.share(t.dropoff, t.flow_base - t.flow_count, t.flow_base)
        grades.append([t.name, ratio, _target(t), grade, dropoff, uplift])
    notes = "; ".join(
        f"{t.name}: {fmt.reason(t.grade_reason)}" for t in result.transitions if t.grade_reason
    )
    cols = ["transition", "#ratio", "#target", "grade", "#drop-off", "#uplift"]
    out.append(
        _table(f"Targets and grades ({source})" if source else "Targets", cols, grades, notes)
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
    out.append(_table(title, cols, path, note))
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
    out.append(_table("Where people live now", cols, live, sum_from=len(live) - 2))
    timing = [
        [f"{t.from_stage} → {t.to_stage}", fmt.count(t.converted),
         *map(fmt.duration, (t.p25_seconds, t.median_seconds, t.p75_seconds, t.p90_seconds)),
         fmt.count(t.reversed)]
        for t in result.transitions
    ]  # fmt: skip
    cols = ["transition", "#persons", "#p25", "#median", "#p75", "#p90", "#reversed"]
    out.append(_table("Time to convert", cols, timing))
    return _section("numbers", "The numbers", out, grid=True)


def _subfunnels(result: Result) -> str:
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
        out.append(_table(title, cols, rows, note))
    return _section("subfunnels", "Sub-funnels", out, grid=len(out) > 1) if out else ""


def _segments(result: Result) -> str:
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
        out.append(_table(title, [*cols, "vs the rest"], rows, note))
    return _section("segments", "Segments", out) if out else ""


def _over_time(result: Result) -> str:
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
            f'<p class="direction">Direction: {_badge(grade, fmt.words(direction))} '
            f"{escape('; '.join(comparison.reasons))}</p>"
        )
        title = (
            f"Compared with {fmt.moment(comparison.since)} → {fmt.moment(comparison.until)} "
            f"({fmt.plural(comparison.persons, 'persons')})"
        )
        out.append(_table(title, ["metric", "#now", "#before", "#change", "#z"], rows))
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
        out.append(_table(f"Trend by {result.trend.period}", cols, rows, note))
    return _section("over-time", "Over time", out) if out else ""


def _quality(result: Result) -> str:
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
        rows.append([f"stage {zero.stage}", Safe(f"{_badge('watch', 'no hit')}{escape(hint)}")])
    for column, n in sorted(q.non_numeric_values.items()):
        rows.append([f"non-numeric {column}", f"{fmt.count(n)} values read as null"])
    if q.dst_ambiguous or q.dst_gap:
        dst = f"{q.dst_ambiguous} ambiguous (earlier taken), {q.dst_gap} in a gap (moved forward)"
        rows.append(["DST", dst])
    return _section("quality", "Data quality", [_table("", ["check", "value"], rows)], grid=True)


def render_html(result: Result) -> str:
    """The whole report as one self-contained HTML5 document."""
    result = sanitised(result)  # data shown as text: control characters escaped (render/text.py)
    status = fmt.words(result.verdict.status) if result.verdict else "no verdict"
    cards = (
        _ratio_card("PAR", result.par, "purchase action ratio")
        + _ratio_card("BAR", result.bar, "brand advocacy ratio")
        + _bottleneck(result)
        + _archetype(result)
    )
    body = (
        _header(result)
        + f'<main><section id="summary">{_verdict(result)}<div class="cards">{cards}</div>'
        + "</section>"
        + _section("charts", "Charts", svg.figures(result))
        + _stage_tables(result)
        + _subfunnels(result)
        + _segments(result)
        + drivers_html(result.drivers)
        + _over_time(result)
        + _quality(result)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>fivea: {escape(status)} · {escape(', '.join(result.source.files))}</title>"
        f"<style>{CSS}</style></head><body>{body}</main>"
        f"<footer>fivea · schema {result.schema_version}"
        f" · generated {escape(result.generated_at)} · a self-contained report: no scripts, no "
        "network access needed.</footer></body></html>\n"
    )


def _cell_text(cell: SegmentCell) -> str:
    """ "commitment 57% vs 63%" or "PAR 0.078 vs 0.050": the value's figure, then the rest's."""
    if cell.transition == "par":
        return f"PAR {fmt.ratio(cell.flow)} vs {fmt.ratio(cell.rest_flow)}"
    return f"{cell.transition} {fmt.percent(cell.flow)} vs {fmt.percent(cell.rest_flow)}"
