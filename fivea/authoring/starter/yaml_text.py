"""YAML text for the starter config: scalars, rules in flow style, commented blocks, wrapping."""

from __future__ import annotations

import json
import re

import yaml

from fivea.authoring.rule_words import duration_text
from fivea.config.models import Rule

WIDTH = 100

_PLAIN_SCALAR = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


def scalar(value: str) -> str:
    """A YAML scalar: plain when YAML reads it back as the same text, else JSON-quoted.

    JSON strings are valid YAML double-quoted scalars; ``010``, ``true``, ``2024-05-01`` and
    names with spaces or YAML indicators get quotes.
    """
    if _PLAIN_SCALAR.match(value):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def shown(name: str) -> str:
    """An event name inside a comment: as is, unless it could break the line or hide spaces."""
    if name != name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return json.dumps(name, ensure_ascii=False)
    return name


def _wrap_items(head: str, items: list[str], tail: str, width: int) -> list[str]:
    """``head`` + comma-separated ``items`` + ``tail``, wrapped under the first item."""
    lines: list[str] = []
    line = head
    indent = " " * len(head)
    for index, item in enumerate(items):
        piece = item + (", " if index < len(items) - 1 else tail)
        if len(line) + len(piece.rstrip()) > width and line.strip() != head.strip():
            lines.append(line.rstrip())
            line = indent
        line += piece
    lines.append(line.rstrip())
    return lines


def rule_lines(rule: Rule, indent: str, width: int = WIDTH - 2) -> list[str]:
    """One rule as a YAML list item in flow style, wrapped to ``width``."""
    parts: list[tuple[str, list[str] | str]] = []
    if rule.any_event:
        parts.append(("any_event", "true"))
    if rule.event:
        names = [scalar(n) for n in rule.event]
        parts.append(("event", names if len(names) > 1 else names[0]))
    if rule.event_matches:
        parts.append(("event_matches", json.dumps(rule.event_matches, ensure_ascii=False)))
    if rule.where:
        parts.append(("where", json.dumps(rule.where, ensure_ascii=False)))
    if rule.min_count is not None:
        parts.append(("min_count", str(rule.min_count)))
    if rule.within is not None:
        parts.append(("within", duration_text(rule.within)))
    if rule.gap is not None:
        parts.append(("gap", duration_text(rule.gap)))
    simple = ", ".join(
        f"{k}: [{', '.join(v)}]" if isinstance(v, list) else f"{k}: {v}" for k, v in parts
    )
    line = f"{indent}- {{{simple}}}"
    if len(line) <= width:
        return [line]
    # long name lists: one key per line, the list wrapped under its first name
    out = []
    for number, (key, value) in enumerate(parts):
        lead = f"{indent}- " if number == 0 else f"{indent}  "
        if isinstance(value, list):
            out += _wrap_items(f"{lead}{key}: [", value, "]", width)
        else:
            out.append(f"{lead}{key}: {value}")
    return out


def commented(lines: list[str]) -> list[str]:
    """YAML lines as a commented block: removing the leading ``# `` restores them."""
    return [f"# {line}" if line else "#" for line in lines]


def rule_heading(text: str) -> str:
    return f"# --- {text} " + "-" * max(3, WIDTH - len(text) - 7)


def number_text(value: float) -> str:
    return f"{value:g}"


def fit_comment(line: str) -> str:
    """Wrap a long prose comment at spaces, continuation lines indented under the first."""
    if len(line) <= WIDTH or not line.startswith("# "):
        return line
    body = line[2:]
    indent = len(body) - len(body.lstrip(" "))
    out, current = [], "#" + " " * (indent + 1)
    prefix = "#" + " " * (indent + 3)
    for word in body.lstrip(" ").split(" "):
        if len(current) + len(word) > WIDTH and current.strip() != "#":
            out.append(current.rstrip())
            current = prefix
        current += word + " "
    out.append(current.rstrip())
    return "\n".join(out)
