"""A rule in words: durations as the config writes them, ordinals, the sentence ``fivea stages`` shows."""

from __future__ import annotations

import polars as pl

from fivea.config.models import Rule
from fivea.durations import duration_text


def ordinal(n: int) -> str:
    """1 -> 1st, 2 -> 2nd, 11 -> 11th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rule_words(rule: Rule) -> str:
    """A rule as a sentence: ``event is purchase and revenue > 0; hits: 2nd and later ...``."""
    parts = []
    if rule.event:
        names = list(rule.event)
        parts.append(
            f"event is {names[0]}" if len(names) == 1 else f"event is one of {', '.join(names)}"
        )
    if rule.event_matches:
        parts.append(f"event matches /{rule.event_matches}/ (whole name)")
    if rule.where:
        parts.append(f"where {rule.where}")
    text = " and ".join(parts) if parts else "every event"
    if rule.any_event and parts:
        text = f"every event with {text}"
    if rule.is_counted:
        n = rule.min_count or 1
        window = f" within {duration_text(rule.within)}" if rule.within else ""
        if rule.gap is None:
            text += f"; hits: the {ordinal(n)} and later matching events{window}"
        else:
            # occasions (docs/metrics.md "Occasions"): sessions of matches split by the gap
            cut = f"a match {duration_text(rule.gap)} or more after the previous starts one"
            hits = (
                "each occasion's first event"
                if n == 1
                else (f"the first events of the {ordinal(n)} and later occasions{window}")
            )
            text += f"; hits: {hits} ({cut})"
    return text


def rule_columns(rule: Rule) -> tuple[str, ...]:
    """The property columns a rule's ``where:`` reads."""
    if not rule.where:
        return ()
    return tuple(sorted(set(pl.sql_expr(rule.where).meta.root_names())))
