"""Markdown for email, chat and ``$GITHUB_STEP_SUMMARY``: the verdict first (README.md#output-formats)."""

from __future__ import annotations

import re

from fivea.render import text as fmt
from fivea.render.drivers import markdown_lines
from fivea.render.text import safe_text, sanitised
from fivea.result import Result, VerdictStatus

# markdown punctuation gets a backslash; < and > become entities (inert in HTML blocks too);
# pipes are escaped in table cells (``_table``)
_ESCAPE = str.maketrans({**{c: f"\\{c}" for c in "\\`*_[]~"}, "<": "&lt;", ">": "&gt;"})
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")  # only an & that would start an entity: Q&A stays


def md(value: object) -> str:
    """Escape a data value so that markdown shows it literally, on one line."""
    return _ENTITY.sub("&amp;", safe_text(value)).translate(_ESCAPE)


def md_cell(value: object) -> str:
    """``md`` for a table cell: a pipe would end the cell."""
    return md(value).replace("|", "\\|")


def _table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    right = right or set()
    align = ["---:" if i in right else "---" for i in range(len(headers))]
    out = [f"| {' | '.join(headers)} |", f"| {' | '.join(align)} |"]
    for row in rows:
        cells = [cell.replace("|", "\\|") for cell in row]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def _headline(result: Result) -> list[str]:
    src = result.source
    files = ", ".join(md(f) for f in src.files[:3]) + (" …" if len(src.files) > 3 else "")
    config = md(fmt.config_label(src, prefix=False, show_preset=False, mark_default=False))
    lines = [
        f"# fivea 5A diagnosis: {fmt.words(result.verdict.status) if result.verdict else ''}",
        "",
        f"{files} · {fmt.plural(result.persons, 'persons')} · "
        f"{fmt.moment(result.window.since or result.quality.time_min)} → "
        f"{fmt.moment(result.window.as_of)} {result.window.timezone} · {config}",
        "",
    ]
    if result.verdict:
        judged = result.verdict.status != VerdictStatus.NOT_JUDGED
        note = "" if judged else " — not enough evidence to judge"
        lines += [f"**Verdict: {fmt.words(result.verdict.status)}**{note}", ""]
        lines += [f"- {md(r)}" for r in result.verdict.reasons] + [""]
    for ratio in (result.par, result.bar):
        if ratio is not None:
            interval = (
                f" (95% CI {fmt.bound(ratio.low)}–{fmt.bound(ratio.high)})"
                if ratio.low is not None and ratio.high is not None
                else ""
            )
            lines.append(f"- {md(ratio.reading)}{interval}")
    neck = result.bottleneck
    if neck is not None:
        gain = fmt.expected_gain(neck)
        lines += [
            "",
            f"**Bottleneck: {neck.transition}** {fmt.bottleneck_ratio(result)} vs target "
            f"{neck.target:.2f} — {md(neck.problem)} ({gain})",
            "",
        ]
        lines += [f"1. {md(a)}" for a in neck.actions]
    if result.archetype is not None:
        shape = result.archetype
        lines += [
            "",
            f"**Shape: {fmt.words(shape.primary)}** — {md(shape.reason or shape.implication)}",
        ]
    lines += [f"- ⚠ {md(f.message)}" for f in result.findings]
    return [*lines, ""]


def render_markdown(result: Result) -> str:
    """The whole report as GitHub-flavoured markdown."""
    result = sanitised(result)  # data shown as text: control characters escaped (render/text.py)
    lines = _headline(result)
    incoming = {t.to_stage: t for t in result.transitions}
    rows = []
    for stage in result.stages:
        into = incoming.get(stage.key)
        aware = result.stage("aware").reached
        ratio = (
            ""
            if into is None
            else f"{into.name} "
            + fmt.null(
                fmt.proportion(into.ratio, into.ratio_count, into.flow_base), into.ratio_reason
            )
        )
        rows.append(
            [
                md(stage.label),
                fmt.count(stage.reached),
                fmt.share(stage.share_of_aware, stage.reached, aware),
                ratio,
                "" if into is None or not into.grade else fmt.words(into.grade),
                "" if into is None else fmt.share(into.flow, into.flow_count, into.flow_base),
                fmt.count(stage.path) if stage.measured else "— (skipped)",
                "" if into is None else fmt.duration(into.median_seconds),
            ]
        )
    lines += ["## 5A stages", ""]
    lines += _table(
        ["stage", "reached", "of aware", "ratio in", "grade", "flow", "path", "median time"],
        rows,
        right={1, 2, 5, 6, 7},
    )
    lines += ["## Where people live now", ""]
    lines += _table(
        ["furthest stage", "persons"],
        [
            [
                ("no stage" if k == "none" else k),
                fmt.count(n) if k == "none" or result.stage(k).measured else "— not measured",
            ]
            for k, n in result.current.items()
            if k != "none" or n
        ]
        + [
            ["prospects (aware..ask)", fmt.count(result.prospects)],
            ["customers (act, advocate)", fmt.count(result.customers)],
        ],
        right={1},
    )
    for sub in result.subfunnels:
        lines += [f"## Sub-funnel {md(sub.name)}", ""]
        lines += _table(
            ["step", "persons", "conversion", "median time"],
            [
                [
                    md(s.name),
                    fmt.count(s.reached),
                    fmt.percent(s.conversion),
                    fmt.duration(s.median_seconds),
                ]
                for s in sub.steps
            ],
            right={1, 2, 3},
        )
    for seg in result.segments:
        lines += [f"## Segments by {md(seg.column)}", ""]
        lines += _table(
            ["value", "persons", "act", "advocate", "PAR", "lags at", "leads at"],
            [
                [
                    md(r.value),
                    fmt.count(r.persons),
                    fmt.count(r.reached["act"]),
                    fmt.count(r.reached["advocate"]),
                    fmt.proportion(r.par, r.reached["act"], r.reached["aware"]),
                    ", ".join(_cell_name(c.transition) for c in r.lagging),
                    ", ".join(_cell_name(c.transition) for c in r.leading),
                ]
                for r in seg.rows
            ],
            right={1, 2, 3, 4},
        )
        lines += [f"- {md(f.text)}" for f in seg.findings]
        lines += [""] if seg.findings else []
    if result.compare is not None:
        c = result.compare
        lines += [f"## Compared with the previous period: {fmt.words(c.direction)}", ""]
        lines += _table(
            ["metric", "now", "before", "change", "z"],
            [
                [
                    d.metric,
                    *fmt.delta_values(d),
                    fmt.null(fmt.signed_percent(d.change), d.reason),
                    "" if d.z is None else f"{d.z:+.2f}" + (" *" if d.significant else ""),
                ]
                for d in c.deltas
            ],
            right={1, 2, 3, 4},
        )
        lines += [f"- {md(reason)}" for reason in c.reasons] + [""]
    lines += markdown_lines(result.drivers, md)
    if result.trend is not None:
        lines += [f"## Trend by {result.trend.period}", ""]
        lines += _table(
            ["period", "aware", "act", "advocate", "PAR", "BAR"],
            [
                [
                    r.period + (" (small sample)" if r.small_sample else ""),
                    fmt.count(r.reached["aware"]),
                    fmt.count(r.reached["act"]),
                    fmt.count(r.reached["advocate"]),
                    fmt.proportion(r.par, r.reached["act"], r.reached["aware"]),
                    fmt.proportion(r.bar, r.reached["advocate"], r.reached["aware"]),
                ]
                for r in result.trend.rows
            ],
            right={1, 2, 3, 4, 5},
        )
        if any(r.small_sample for r in result.trend.rows):
            lines += [
                "(small sample): fewer aware persons than `diagnosis.min_stage`; read with care",
                "",
            ]
    q = result.quality
    lines += ["## Data quality", ""]
    quality_rows = [["rows read", fmt.count(q.rows_read)]]
    quality_rows += [[f"dropped: {fmt.words(d.reason)}", fmt.count(d.rows)] for d in q.dropped]
    quality_rows += [
        ["duplicate rows", fmt.count(q.duplicates)],
        ["time range", f"{q.time_min} → {q.time_max}"],
        [
            "events in no rule",
            f"{fmt.count(q.unmatched_events)} ({fmt.percent(q.unmatched_share)})",
        ],
    ]
    quality_rows += [[f"stage {z.stage}", "no hit"] for z in q.zero_hit_stages]
    lines += _table(["", ""], quality_rows)
    return "\n".join(lines).rstrip() + "\n"


def _cell_name(transition: str) -> str:
    return "PAR" if transition == "par" else transition
