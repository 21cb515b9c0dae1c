"""Pydantic validation errors -> one precise line: file, YAML line, key path, fix."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from fivea.config.models import STAGE_KEYS, Config, Subfunnel

KeyPath = tuple[str | int, ...]


def format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``path`` (for "did you mean")."""
    model: type[BaseModel] | None = Config
    hops = list(path)
    while hops and model is not None:
        hop = hops.pop(0)
        if model is Config and hop == "subfunnels":
            if not hops:
                return None  # the subfunnels mapping itself: any name is allowed
            hops.pop(0)  # the sub-funnel's name
            model = Subfunnel
            continue
        if isinstance(hop, int):
            continue
        field_info = model.model_fields.get(str(hop))
        if field_info is None:
            return None
        model = _first_model(field_info.annotation)
    return model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _clean_loc(loc: tuple) -> KeyPath:
    # pydantic inserts type tags (e.g. 'function-before[...]') into locations of unions
    return tuple(p for p in loc if isinstance(p, int) or not re.match(r"^[\w-]+\[", str(p)))


_TYPE_MESSAGES = {
    "list_type": "expected a list: [a, b] or one '- item' per line",
    "tuple_type": "expected a list: [a, b] or one '- item' per line",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "int_parsing_size": "too large a number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "string_type": "expected text; quote values that YAML reads as numbers or booleans",
}


def _describe(error: dict, path: KeyPath) -> str:
    """One pydantic error as a plain sentence (without the location)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    bounds = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt")}
    bounds |= {"less_than_equal": ("≤", "le"), "less_than": ("<", "lt")}
    if kind in bounds:
        sign, name = bounds[kind]
        bound = ctx[name]
        shown = f"{bound:,}" if isinstance(bound, int) else f"{bound:g}"
        return f"must be {sign} {shown}"
    if kind == "literal_error":
        return f"must be {ctx['expected']}"
    if kind == "too_short":
        if path and path[-1] == "rules":
            return "needs at least one rule"
        if path and path[-1] == "steps":
            return f"a sub-funnel needs at least {ctx['min_length']} steps"
        return f"needs at least {ctx['min_length']} items"
    if kind == "too_long":
        if path and path[-1] == "curiosity":
            return "curiosity is a band [low, high] of two numbers"
        return f"takes at most {ctx['max_length']} items"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long" and ctx.get("max_length") == 1:
        return "must be one character"
    return error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")


def explain(error: dict, origin: str, located: Mapping[KeyPath, tuple[str, int]]) -> str:
    path = _clean_loc(error["loc"])
    found = None
    for depth in range(len(path), -1, -1):
        found = located.get(path[:depth])
        if found is not None:
            break
    where = f"{found[0]}:{found[1]}" if found else origin
    key = format_path(path) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
        if path[:-1] == ("stages",):
            hint = f"the stages are exactly {', '.join(STAGE_KEYS)}" + (
                f"; did you mean '{close[0]}'?" if close else ""
            )
        return f"{where}: {key}: unknown key; {hint}"
    if kind == "missing":
        hint = ""
        if path == ("stages",):
            hint = "; give the five 5A stages, or start from a preset (`preset: 5a-default`)"
        elif path[:1] == ("stages",) and len(path) == 2:
            hint = (
                f"; without `preset:` all five stages ({', '.join(STAGE_KEYS)}) must be given, "
                "or add `preset: 5a-default` to inherit the others"
            )
        elif path[-1:] == ("steps",):
            hint = "; list the steps in order: steps: [add_to_cart, begin_checkout, purchase]"
        return f"{where}: {key}: required key is missing{hint}"
    message = _describe(error, path)
    got = error.get("input")
    shown = ""
    if not isinstance(got, dict | list | tuple) and "got" not in message:
        if got is None:
            text = "null"
        elif isinstance(got, int | float) and not isinstance(got, bool):
            text = str(got)
        else:
            text = repr(got)
        # a message that already quotes the value (e.g. "unknown time zone 'X'") needs no echo
        shown = "" if isinstance(got, str) and text in message else f", got {text}"
    return f"{where}: {key}: {message}{shown}"
