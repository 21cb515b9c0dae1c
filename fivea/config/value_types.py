"""The values a config's models are built from: durations, name lists, and their limits."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from fivea.durations import MICROS

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
# upper bounds of numeric values (docs/config.md, "Limits"): far above any real use, and low
# enough that no time arithmetic on microseconds overflows 64 bits (a day count of 14 digits did)
MAX_DURATION_DAYS = 36_500  # 100 years
MAX_MIN_COUNT = 1_000_000
MAX_COUNT_SETTING = 1_000_000_000_000  # diagnosis.min_aware / min_stage: persons
# `where:` operators (AND, OR, NOT, WHEN, comparisons, arithmetic): polars parses a long chain
# of them into a tree as deep as the chain, and crashes (segfault) from ~6,000; fivea's own
# checks of the tree recurse and stop near 450 (docs/config.md, "where:")
MAX_WHERE_OPERATORS = 250
_WHERE_STRINGS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_WHERE_OPERATORS = re.compile(r"\b(?:and|or|not|when)\b|[-+*/%<>=!|&^]+", re.IGNORECASE)


def parse_duration(value: object) -> int:
    """Parse ``30d`` / ``12h`` / ``90m`` / ``45s`` / ``2w`` into whole microseconds."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        msg = f"expected a duration like 30d, 12h, 90m, 45s or 2w, got {value!r}"
        raise ValueError(msg)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None:
        msg = f"expected a duration like 30d, 12h, 90m, 45s or 2w, got {value!r}"
        raise ValueError(msg)
    return int(match.group(1)) * MICROS[match.group(2)]


def _positive(value: int) -> int:
    if value <= 0:
        msg = "must be longer than zero, e.g. 30d, 12h, 90m, 45s or 2w"
        raise ValueError(msg)
    if value > MAX_DURATION_DAYS * MICROS["d"]:
        msg = f"must be at most {MAX_DURATION_DAYS}d (100 years)"
        raise ValueError(msg)
    return value


def count_size(value: object) -> object:
    # YAML reads 1.0e+29 as a float, which pydantic cannot even turn into an int: say the bound
    if isinstance(value, float) and not 1 <= value <= MAX_MIN_COUNT:
        msg = f"must be ≤ {MAX_MIN_COUNT:,}" if value > 1 else "must be ≥ 1"
        raise ValueError(msg)
    return value


def where_operators(text: str) -> int:
    """How many operators a ``where:`` chains (quoted text and names do not count)."""
    return len(_WHERE_OPERATORS.findall(_WHERE_STRINGS.sub(" ", text)))


_QUOTE_HINT = "; quote names that YAML reads as numbers or booleans"


def _names(value: object) -> object:
    """Accept one name or a list of names; numbers must be quoted (YAML reads 010 as 8)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        hint = "" if isinstance(value, dict) else _QUOTE_HINT
        msg = f"expected a name or a list of names, got {value!r}{hint}"
        raise ValueError(msg)
    if not items:
        msg = "an empty list matches nothing; give at least one name"
        raise ValueError(msg)
    for item in items:
        if not isinstance(item, str):
            msg = f"expected a name or a list of names, got {item!r}{_QUOTE_HINT}"
            raise ValueError(msg)
    return tuple(items)


Duration = Annotated[int, BeforeValidator(parse_duration), AfterValidator(_positive)]
Names = Annotated[tuple[str, ...], BeforeValidator(_names)]
