"""The "Drivers" block of the terminal report (docs/metrics.md "Drivers")."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from fivea.render import drivers as words
from fivea.render.table_parts import bullets
from fivea.result import Result


def drivers_block(result: Result) -> RenderableType | None:
    """Each analysed transition: its design, then the shown features in words."""
    if not result.drivers:
        return None
    parts: list[RenderableType] = [Text("Drivers", style="bold")]
    for d in result.drivers:
        parts.append(Text(words.design(d)))
        items = [*words.summary(d)]
        items += [
            f"{'+' if f.direction == 'positive' else '−'} {words.sentence(f)}" for f in d.features
        ]
        parts.append(bullets(items))
    if any(d.features for d in result.drivers):
        parts.append(Text(words.CAVEAT, style="dim"))
    return Group(*parts)
