"""``fivea stages`` for the terminal: each stage's rules with their matches, hits and examples.

Data values (event names, ids, property values, rule text) are always ``Text``, never markup.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from fivea.inspect import Example, RuleMatch, StageInspection, duration_text
from fivea.render import text as fmt
from fivea.render.table import fit
from fivea.render.table_sections import new_table

_NUMBERS = (
    ("events", "right"),
    ("persons", "right"),
    ("hits", "right"),
    ("persons hit", "right"),
)


def _example_line(example: Example) -> Text:
    # whole seconds on screen; the JSON keeps the microseconds
    moment = example.time.replace("T", " ")[:19]
    line = Text(f"{example.user}  {moment}  {example.event}", style="dim")
    for name, value in example.properties.items():
        line.append(f"  {name}={'null' if value is None else value}")
    return line


def _rule_cell(rule: RuleMatch, label: str) -> Table:
    """The label, then the rule in words, where it is defined and examples, wrapped under it."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    lines: list[RenderableType] = [Text(rule.words)]
    where = Text(rule.defined_at, style="dim")
    if rule.matched_events == 0:
        where.append(" · matches no event", style="yellow")
    lines.append(where)
    lines += [_example_line(e) for e in rule.examples]
    grid.add_row(Text(label, style="bold"), Group(*lines))
    return grid


def _rules_table(title: str, rules: tuple[RuleMatch, ...], labels: list[str]) -> Table:
    table = new_table(title, ("rule", "left"), *_NUMBERS)
    for column in table.columns[1:]:
        column.no_wrap = True  # a number is never wrapped or cropped
    for label, rule in zip(labels, rules, strict=True):
        table.add_row(
            _rule_cell(rule, label),
            fmt.count(rule.matched_events),
            fmt.count(rule.matched_persons),
            fmt.count(rule.hit_events),
            fmt.count(rule.hit_persons),
        )
    return table


def header(result: StageInspection) -> Text:
    """What was read, with which config, and how the tables read."""
    src = result.source
    files = src.files[0] if len(src.files) == 1 else f"{src.files[0]} (+{len(src.files) - 1} files)"
    if src.config:
        config = f"config {src.config}" + (f" (preset {src.preset})" if src.preset else "")
    else:
        config = f"preset {src.preset}" + (" (default)" if src.config_from == "default" else "")
    line = Text()
    line.append("fivea stages", style="bold")
    line.append(f"  {files}\n")
    line.append(
        f"{fmt.count(result.events)} events · {fmt.count(result.persons)} persons · {config}",
        style="dim",
    )
    columns = ", ".join(
        f"{k}={'+'.join(v) if isinstance(v, list) else v}" for k, v in src.columns.items()
    )
    export = f" · {src.export} export" if src.export else ""
    line.append(f"\ncolumns: {columns}{export}", style="dim")
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
    table = new_table(
        f"Events matched by no rule: {fmt.count(result.unmatched_events)} ({share}) in "
        f"{fmt.count(result.unmatched_names)} names"
        + (f", top {shown}" if shown < result.unmatched_names else ""),
        ("event", "left"),
        ("events", "right"),
    )
    for item in result.unmatched_top:
        table.add_row(Text(item.name), fmt.count(item.events))
    return table


def render_stages(result: StageInspection, console: Console) -> None:
    """Print the whole rule-debugging report to ``console``."""
    console.print(header(result))
    console.print()
    for stage in result.stages:
        title = (
            f"{stage.label} · {fmt.count(stage.persons)} persons · "
            f"{fmt.count(stage.hit_events)} events hit"
        )
        labels = [f"{i + 1}." for i in range(len(stage.rules))]
        console.print(_rules_table(title, stage.rules, labels))
    console.print(fit(console, overlap_table(result)))
    for sub in result.subfunnels:
        title = (
            f"Sub-funnel {sub.name} · window {duration_text(round(sub.window_seconds * 1e6))} "
            "· each step matched on its own"
        )
        labels = [f"step {i + 1}." for i in range(len(sub.steps))]
        console.print(_rules_table(title, sub.steps, labels))
    console.print(Group(unmatched_table(result)))
