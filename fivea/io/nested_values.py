"""Role values that are records or lists (docs/input.md, "Nested values as ids").

A JSON field that holds text on some lines and an object or a list on others is read as text,
the nested values written as JSON text (``{"id": "u1"}``): as ids they would invent persons.
A user id, event name or time that is such a value is not one: the row is dropped and counted
as ``nested_user``, ``nested_event`` or ``nested_time``. Only NDJSON input is checked (a CSV
cell is text by definition, Parquet columns are typed), so other formats pay nothing.
"""

from __future__ import annotations

import polars as pl

NESTED_USER = "nested_user"
NESTED_EVENT = "nested_event"
NESTED_TIME = "nested_time"
# a JSON object ({} or {"key": ...}) or list ([] or [value, ...]) as the JSON reader writes it;
# "[summer]" or "{name}" (plain texts in brackets) are not JSON and stay values
_JSON_NESTED = r'^\s*(\{\s*(\}|")|\[\s*(\]|["{\[\-\d]|true|false|null)).*[\]\}]\s*$'


def nested_columns(schema: pl.Schema, names: list[str], json_input: bool) -> frozenset[str]:
    """The role columns whose values may be nested values written as text."""
    if not json_input:
        return frozenset()
    return frozenset(n for n in names if schema[n] == pl.String)


def is_nested(name: str) -> pl.Expr:
    """True where the text column ``name`` holds an object or a list (null stays null)."""
    return pl.col(name).str.contains(_JSON_NESTED)


def any_nested(names: tuple[str, ...] | list[str], nested: frozenset[str]) -> pl.Expr | None:
    """True where any of ``names`` holds a nested value (None: none of them can)."""
    checks = [is_nested(n).fill_null(False) for n in names if n in nested]
    if not checks:
        return None
    out = checks[0]
    for check in checks[1:]:
        out = out | check
    return out


def without_nested(expr: pl.Expr, name: str, nested: frozenset[str]) -> pl.Expr:
    """``expr`` of column ``name``, null where that column holds a nested value."""
    if name not in nested:
        return expr
    return pl.when(~is_nested(name).fill_null(False)).then(expr)
