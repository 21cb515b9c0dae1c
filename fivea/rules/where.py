"""``where:`` filters: parsed by polars' SQL expression parser, checked against the data's columns.

Which columns a filter uses as numbers decides their casts (text compared with a number becomes
Float64, docs/input.md) and the data-quality count of values that did not parse.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator

import polars as pl

from fivea.errors import ConfigError
from fivea.io.column_types import as_number_fix, kind_of

_COMPARE_OPS = {"Eq", "NotEq", "Lt", "LtEq", "Gt", "GtEq", "EqValidity", "NotEqValidity"}
_ARITH_OPS = {"Plus", "Minus", "Multiply", "Divide", "TrueDivide", "FloorDivide", "Modulus"}
_NUMERIC_FUNCS = {"Abs", "Round", "Floor", "Ceil", "Sqrt", "Log", "Exp", "Negate", "Sign"}


def _literal_is_numeric(node: dict) -> bool:
    literal = node.get("Literal")
    if literal is None:
        return False
    if "Dyn" in literal:
        return any(k in literal["Dyn"] for k in ("Int", "Float"))
    # an ``IN (...)`` list: a Series literal, or (polars >= 2.2) a List scalar
    if "Series" in literal or ("Scalar" in literal and "List" in literal["Scalar"]):
        try:
            dtype = pl.select(pl.Expr.deserialize(json.dumps(node).encode(), format="json")).dtypes[
                0
            ]
        except Exception:
            return False
        if isinstance(dtype, (pl.List, pl.Array)):
            dtype = dtype.inner
        return dtype.is_numeric()
    if "Scalar" in literal:
        # an interval (``interval '30 seconds'``) is a duration, compared with durations
        kinds = ("String", "Null", "Boolean", "Duration")
        return not any(k in literal["Scalar"] for k in kinds)
    return False


def _numeric_operands(node: object) -> set[str]:
    """Columns reached from ``node`` through arithmetic only (what a number compares against)."""
    if not isinstance(node, dict):
        return set()
    if "Column" in node:
        return {node["Column"]}
    if "BinaryExpr" in node and node["BinaryExpr"]["op"] in _ARITH_OPS:
        return _numeric_operands(node["BinaryExpr"]["left"]) | _numeric_operands(
            node["BinaryExpr"]["right"]
        )
    if "Function" in node:
        function = node["Function"]["function"]
        name = function if isinstance(function, str) else json.dumps(function)
        if any(f in name for f in _NUMERIC_FUNCS) or '"Sql"' in name:
            return set().union(*(_numeric_operands(i) for i in node["Function"]["input"]))
    if "Cast" in node:
        return set()  # an explicit CAST decides the type itself
    return set()


def _nodes(tree: object) -> Iterator[dict]:
    """Every mapping of a serialized expression tree, each before the mappings inside it."""
    if isinstance(tree, list):
        for item in tree:
            yield from _nodes(item)
    elif isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _nodes(value)


def _compared_columns(tree: object) -> set[str]:
    """Columns that are a direct operand of a comparison (``tags = 'a'``)."""
    found: set[str] = set()
    for node in _nodes(tree):
        binary = node.get("BinaryExpr")
        if binary is not None and binary["op"] in _COMPARE_OPS:
            found |= {o["Column"] for o in (binary["left"], binary["right"]) if "Column" in o}
    return found


def _check_operand_types(
    tree: object, text: str, key: str, numeric: set[str], types: dict[str, pl.DataType]
) -> None:
    """Durations and lists compared as numbers or values fail mid-scan: name them here."""
    for name in sorted(numeric | _compared_columns(tree)):
        dtype = types.get(name)
        kind = kind_of(dtype) if dtype is not None else None
        if kind is None or (name not in numeric and kind == "durations"):
            continue  # a duration compared with an interval works
        how = "with a number" if name in numeric else "as a value"
        msg = (
            f"{key}: where {text!r} compares column '{name}' {how}, but it holds {kind} "
            f"({dtype}); {as_number_fix(name, dtype)}"  # type: ignore[arg-type]
        )
        raise ConfigError(msg)


def _numeric_columns(tree: object) -> set[str]:
    """Columns compared with, or computed with, numbers anywhere in the tree."""
    found: set[str] = set()
    for node in _nodes(tree):
        operands: list = []
        if "BinaryExpr" in node:
            binary = node["BinaryExpr"]
            operands = [binary["left"], binary["right"]]
            if binary["op"] in _ARITH_OPS:
                found |= _numeric_operands(node)
                continue
            if binary["op"] not in _COMPARE_OPS:
                continue
        elif "Function" in node:
            operands = node["Function"]["input"]
        if any(_literal_is_numeric(o) for o in operands):
            for operand in operands:
                found |= _numeric_operands(operand)
    return found


def parse_where(
    text: str, key: str, columns: list[str], types: dict[str, pl.DataType] | None = None
) -> tuple[pl.Expr, set[str]]:
    """Parse a ``where:`` filter with polars' SQL expression parser (never ``eval``).

    Returns the boolean expression (null counts as false) and the columns it uses as numbers.
    """
    try:
        expr = pl.sql_expr(text)
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0]
        if "relation" in detail.lower() or re.search(r"\(\s*select\b", text, re.IGNORECASE):
            msg = (
                f"{key}: where must be a plain expression over columns; subqueries are not allowed"
            )
            raise ConfigError(msg) from exc
        msg = f'{key}: invalid where expression {text!r}: {detail}; write a SQL condition such as "revenue > 0"'
        raise ConfigError(msg) from exc
    tree = json.loads(expr.meta.serialize(format="json"))
    serialized = json.dumps(tree)
    names = set(expr.meta.root_names())
    if (
        "_POLARS_TMP" in serialized
        or "SubPlan" in serialized
        or any(n.startswith("_POLARS") for n in names)
    ):
        msg = f"{key}: where must be a plain expression over columns; subqueries are not allowed"
        raise ConfigError(msg)
    for name in sorted(names):
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
            msg = f"{key}: where uses unknown column '{name}'; {hint}columns: {shown}"
            raise ConfigError(msg)
    numeric = _numeric_columns(tree)
    _check_operand_types(tree, text, key, numeric, types or {})
    _require_boolean(expr, text, key, names, numeric, types or {})
    return expr.fill_null(False).cast(pl.Boolean), numeric


def _require_boolean(
    expr: pl.Expr,
    text: str,
    key: str,
    names: set[str],
    numeric: set[str],
    types: dict[str, pl.DataType],
) -> None:
    """A where must be a condition: reject ``where: "revenue"`` (a number, not true/false)."""
    schema = {n: (pl.Float64 if n in numeric else types.get(n, pl.String)) for n in names}
    try:
        dtype = pl.LazyFrame(schema=schema).select(expr.alias("w")).collect_schema()["w"]
    except pl.exceptions.PolarsError as exc:
        detail = str(exc).strip().splitlines()[0]
        msg = f"{key}: where {text!r} cannot be evaluated: {detail}"
        raise ConfigError(msg) from exc
    if dtype not in (pl.Boolean, pl.Null):
        msg = (
            f"{key}: where {text!r} is a {dtype} value, not a condition; "
            'compare it, e.g. "revenue > 0"'
        )
        raise ConfigError(msg)


def numeric_casts(numeric: frozenset[str], types: dict[str, pl.DataType]) -> list[pl.Expr]:
    """Text columns compared with numbers become Float64 (docs/input.md); unparsable -> null."""
    out = []
    for name in sorted(numeric):
        dtype = types.get(name)
        if dtype is not None and not dtype.is_numeric():
            out.append(
                pl.col(name)
                .cast(pl.String)
                .str.strip_chars()
                .cast(pl.Float64, strict=False)
                .alias(name)
            )
    return out


def coercion_failures(numeric: frozenset[str], types: dict[str, pl.DataType]) -> dict[str, pl.Expr]:
    """Per text column used as a number: count of non-empty values that did not parse."""
    out = {}
    for name in sorted(numeric):
        dtype = types.get(name)
        if dtype is not None and not dtype.is_numeric():
            text = pl.col(name).cast(pl.String).str.strip_chars()
            bad = (text != "") & text.cast(pl.Float64, strict=False).is_null()
            out[name] = bad.fill_null(False).sum()
    return out
