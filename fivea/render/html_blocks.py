"""Escaped HTML building blocks of the report: values, badges, lists, tables, cards, sections.

Every value that came from the data passes through ``h`` (escaped) unless it is ``Safe``: HTML
built here from escaped parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from fivea.render import text as fmt


class Safe(str):
    """HTML built here from escaped parts: inserted as is."""


def h(value: object) -> str:
    """A value as HTML text: escaped, unless it is ``Safe`` already."""
    return value if isinstance(value, Safe) else escape(str(value))


def badge(grade: str | None, label: str | None = None) -> Safe:
    """A grade as a coloured pill; ``label`` replaces the grade's words."""
    text = label or fmt.words(grade or "ungraded")
    return Safe(f'<span class="badge g-{escape(grade or "none")}">{escape(text)}</span>')


def html_list(items: Iterable[object], tag: str = "ul") -> str:
    """A ``ul`` (or ``ol``) of the items; nothing when there are none."""
    inner = "".join(f"<li>{h(i)}</li>" for i in items)
    return f"<{tag}>{inner}</{tag}>" if inner else ""


def table(
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
            f"<{'th scope=row' if c == 0 else 'td'}{' class=num' if num[c] else ''}>{h(v)}"
            f"</{'th' if c == 0 else 'td'}>"
            for c, v in enumerate(row)
        )
        body.append(f"<tr{' class=sum' if sum_from == r else ''}>{cells}</tr>")
    cap = f"<caption>{h(caption)}</caption>" if caption else ""
    extra = f'<p class="note">{h(note)}</p>' if note else ""
    return (
        f'<div class="block{" wide" if wide else ""}"><table>{cap}<thead><tr>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>{extra}</div>"
    )


def section(key: str, title: str, parts: Iterable[str], grid: bool = False) -> str:
    """A titled page section (a new page in print); ``grid`` lays its parts in two columns."""
    body = "".join(parts)
    if grid:
        body = f'<div class="grid">{body}</div>'
    return f'<section class="page" id="{key}"><h2>{escape(title)}</h2>{body}</section>'


def card(title: str, big: str, reading: str, rest: str = "") -> str:
    """A summary card: its title, a big figure, what it means, then more (all of it HTML)."""
    return (
        f'<div class="card"><h3>{title}</h3><div class="big">{big}</div>'
        f'<p class="reading">{reading}</p>{rest}</div>'
    )
