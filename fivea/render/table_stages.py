"""``fivea stages`` for the terminal: each stage's rules with their matches, hits and examples.

Data values (event names, ids, property values, rule text) are always ``Text``, never markup.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from fivea.durations import duration_text
from fivea.render import text as fmt
from fivea.render.table import fit
from fivea.render.table_parts import new_table
from fivea.render.text import sanitised
from fivea.stage_report import Example, RuleMatch, StageInspection

_NUMBERS = ("events", "persons", "hits", "persons hit")
_MIN_RULE_WIDTH = 36  # narrower than this, each rule becomes a card with its numbers below


def _plural(n: int, word: str) -> str:
    return f"{fmt.count(n)} {word}{'' if n == 1 else 's'}"


def _numbers(rule: RuleMatch) -> tuple[str, str, str, str]:
    return (
        fmt.count(rule.matched_events),
        fmt.count(rule.matched_persons),
        fmt.count(rule.hit_events),
        fmt.count(rule.hit_persons),
    )


def _all_rules(result: StageInspection) -> list[RuleMatch]:
    return [r for s in result.stages for r in s.rules] + [
        r for sub in result.subfunnels for r in sub.steps
    ]


def number_widths(result: StageInspection) -> tuple[int, ...]:
    """One width per number column for every rules table, so that all of them line up."""
    rows = [_numbers(r) for r in _all_rules(result)]
    return tuple(
        max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(_NUMBERS)
    )


def _example_line(example: Example) -> Text:
    # whole seconds on screen; the JSON keeps the microseconds
    moment = example.time.replace("T", " ")[:19]
    line = Text(f"{example.user}  {moment}  {example.event}", style="dim")
    for name, value in example.properties.items():
        line.append(f"  {name}={'null' if value is None else value}")
    return line


def _rule_cell(rule: RuleMatch, label: str, numbers: bool = False) -> Table:
    """The label, then the rule in words, where it is defined and examples, wrapped under it."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold", ratio=1)
    lines: list[RenderableType] = [Text(rule.words)]
    if numbers:  # card layout: the numbers under the rule
        lines.append(
            # no-break spaces keep each name with its number when the line wraps
            Text(
                " · ".join(
                    f"{n} {v}".replace(" ", "\u00a0")
                    for n, v in zip(_NUMBERS, _numbers(rule), strict=True)
                )
            )
        )
    if rule.occasions is not None and rule.matched_events:  # a gap rule: matches as occasions
        lines.append(
            Text(f"{_plural(rule.occasions, 'occasion')} among the matching events", style="dim")
        )
    where = Text(rule.defined_at, style="dim")
    if rule.matched_events == 0:
        where.append(" · matches no event", style="yellow")
    lines.append(where)
    lines += [_example_line(e) for e in rule.examples]
    grid.add_row(Text(label, style="bold"), Group(*lines))
    return grid


def _rules_table(
    title: str,
    rules: tuple[RuleMatch, ...],
    labels: list[str],
    widths: tuple[int, ...],
    console: Console,
) -> RenderableType:
    cards = console.width - sum(w + 3 for w in widths) < _MIN_RULE_WIDTH
    if cards:
        parts: list[RenderableType] = [Text(title, style="bold")]
        parts += [
            _rule_cell(rule, label, numbers=True) for label, rule in zip(labels, rules, strict=True)
        ]
        return Group(*parts, Text(""))
    table = new_table(title, ("rule", "left"), *((n, "right") for n in _NUMBERS))
    table.expand = True
    table.columns[0].ratio = 1  # the rule takes the room the numbers leave
    for column, width in zip(table.columns[1:], widths, strict=True):
        column.no_wrap = True  # a number is never wrapped or cropped
        column.width = width
    for label, rule in zip(labels, rules, strict=True):
        table.add_row(_rule_cell(rule, label), *_numbers(rule))
    return table


def header(result: StageInspection) -> Text:
    """What was read, with which config, and how the tables read."""
    src = result.source
    files, config = fmt.source_labels(src)
    line = Text()
    line.append("fivea stages", style="bold")
    line.append(f"  {files}\n")
    line.append(
        f"{_plural(result.events, 'event')} · {_plural(result.persons, 'person')} · {config}",
        style="dim",
    )
    line.append(f"\n{fmt.columns_line(src)}", style="dim")
    line.append(
        "\nevents/persons: matched by the rule · hits/persons hit: what counts for the stage "
        "(they differ only for min_count rules) · examples: the earliest hits of the first "
        "persons hit",
        style="dim",
    )
    return line


def overlap_table(result: StageInspection) -> Table:
    """Persons with hits of both stages; the diagonal is each stage's persons."""
    labels = [s.label for s in result.stages]
    table = new_table(
        "Stage overlap (persons with hits of both stages)",
        ("", "left"),
        *((label, "right") for label in labels),
    )
    for label, row in zip(labels, result.overlap, strict=True):
        table.add_row(Text(label), *(fmt.count(n) for n in row))
    return table


def unmatched_table(result: StageInspection) -> RenderableType:
    """The event names no rule matches (an unconditioned any_event aside)."""
    if not result.unmatched_names:
        return Text("Every event name is matched by a rule (an unconditioned any_event aside).")
    share = fmt.percent(result.unmatched_events / result.events) if result.events else "—"
    shown = len(result.unmatched_top)
    title = Text(
        f"Events matched by no rule: {fmt.count(result.unmatched_events)} ({share}) in "
        f"{fmt.count(result.unmatched_names)} names"
        + (f", top {shown}" if shown < result.unmatched_names else ""),
        style="bold",
    )
    table = new_table("", ("event", "left"), ("events", "right"))
    table.title = None
    for item in result.unmatched_top:
        table.add_row(Text(item.name), fmt.count(item.events))
    return Group(title, table)


def render_stages(result: StageInspection, console: Console) -> None:
    """Print the whole rule-debugging report to ``console``."""
    result = sanitised(result)  # data shown as text: control characters escaped (render/text.py)
    console.print(header(result))
    console.print()
    widths = number_widths(result)
    for stage in result.stages:
        title = (
            f"{stage.label} · {_plural(stage.persons, 'person')} · "
            f"{_plural(stage.hit_events, 'event')} hit"
        )
        if not stage.hit_events:
            # as diagnose decides it (docs/metrics.md "Not measured"): no event hits its rules
            title += " · not measured: no event hits its rules"
        labels = [f"{i + 1}." for i in range(len(stage.rules))]
        console.print(_rules_table(title, stage.rules, labels, widths, console))
    console.print(fit(console, overlap_table(result)))
    for sub in result.subfunnels:
        title = (
            f"Sub-funnel {sub.name} · window {duration_text(round(sub.window_seconds * 1e6))} "
            "· each step matched on its own"
        )
        labels = [f"step {i + 1}." for i in range(len(sub.steps))]
        console.print(_rules_table(title, sub.steps, labels, widths, console))
    console.print(unmatched_table(result))
