"""The top of the terminal report: the header, the verdict, PAR and BAR, the bottleneck and
the funnel's shape; each a rich renderable built from the result.

Data values (event names, segment values) are always wrapped in ``Text`` so that a campaign
called ``[summer]`` prints as ``[summer]`` and never as rich markup.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from fivea.render import text as fmt
from fivea.render.table_parts import VERDICT_STYLE, bullets
from fivea.result import GRADED, Result, VerdictStatus


def header(result: Result) -> Text:
    """Who, what, when and with which config."""
    src = result.source
    files, config = fmt.source_labels(src)
    window = result.window
    start = fmt.moment(window.since or result.quality.time_min)
    line = Text()
    line.append("fivea 5A diagnosis", style="bold")
    line.append(f"  {files}\n")
    line.append(
        f"{fmt.plural(result.persons, 'persons')} · {start} → {fmt.moment(window.as_of)} "
        f"{window.timezone if window.timezone != 'UTC' else 'UTC'} · {config}",
        style="dim",
    )
    line.append(f"\n{fmt.columns_line(src)}", style="dim")
    return line


def verdict(result: Result) -> RenderableType:
    """The headline: status, then why."""
    if result.verdict is None:
        return Text("")
    status = result.verdict.status
    title = Text()
    title.append("Verdict: ", style="bold")
    title.append(fmt.words(status).upper(), style=VERDICT_STYLE.get(status, "bold"))
    if status == VerdictStatus.NOT_JUDGED:
        title.append(" — not enough evidence to judge")
    return Group(title, bullets(result.verdict.reasons))


def productivity(result: Result) -> RenderableType:
    """PAR and BAR with intervals and their reading."""
    out = Text()
    for ratio in (result.par, result.bar):
        if ratio is None:
            continue
        interval = (
            f" [{fmt.bound(ratio.low)}, {fmt.bound(ratio.high)}]"
            if ratio.low is not None and ratio.high is not None
            else ""
        )
        target = (
            f" · target {ratio.target:.4g}"
            if ratio.target is not None and ratio.value is not None
            else ""
        )
        out.append(f"{ratio.reading}{interval}{target}\n")
    return out


def bottleneck(result: Result) -> RenderableType:
    """The bottleneck, its expected gain and what to do."""
    neck = result.bottleneck
    if neck is None:
        if not any(t.grade in GRADED for t in result.transitions):
            return Text("No bottleneck: no transition could be graded.\n")
        return Text("No bottleneck: every graded transition meets its target.\n")
    line = Text()
    line.append("Bottleneck: ", style="bold")
    line.append(f"{neck.transition}", style="bold red")
    line.append(
        f" {fmt.bottleneck_ratio(result)} vs target {neck.target:.2f} — {neck.problem}; "
        f"{fmt.expected_gain(neck)}"
    )
    return Group(line, bullets(neck.actions, marker="→"), Text(""))


def archetype(result: Result) -> RenderableType:
    """The funnel's shape and what it implies."""
    shape = result.archetype
    if shape is None:
        return Text("")
    line = Text()
    line.append("Shape: ", style="bold")
    line.append(fmt.words(shape.primary))
    notes = [
        f"{fmt.words(i.archetype)}: ratio {i.ratio:.2f}, z {i.z:.1f} ({i.strength})"
        for i in shape.confidence
    ]
    if shape.secondary:
        notes.append(f"also: {', '.join(fmt.words(s) for s in shape.secondary)}")
    notes.append(shape.reason or shape.implication)
    parts: list[RenderableType] = [line, bullets(notes, marker="")]
    if result.findings:
        parts.append(bullets([f.message for f in result.findings], marker="!", style="yellow"))
    parts.append(Text(""))
    return Group(*parts)
