"""Nested records become flat property columns (docs/input.md), named predictably:

- an event's own properties (Mixpanel and Segment ``properties``, Amplitude
  ``event_properties``, GA4 ``event_params``) keep their bare names: ``revenue``, ``time``,
  ``page_location``; a bare name already taken gets its path (``properties.time``);
- user properties (GA4 and Amplitude ``user_properties``) keep their bare names too, and get
  ``user.`` in front when the name is taken (``user.plan``);
- every other record keeps its path: ``context.page.url``, ``geo.country``, ``device.category``.

GA4 stores parameters as a list of ``{key, value: {string_value, int_value, float_value,
double_value}}``: each key becomes one text column (the first typed value that is set); numbers
are cast when a rule compares them, like every text property. Finding the keys reads that one
column once (a projection for Parquet).
"""

from __future__ import annotations

import polars as pl

from fivea.errors import InputError

_EVENT_GROUPS = ("properties", "event_properties", "event_params")
_USER_GROUPS = ("user_properties",)
_VALUE_FIELDS = ("string_value", "int_value", "double_value", "float_value")
# records and lists nested deeper than this are refused before any row is read: polars
# overflows its stack reading a few hundred levels (a crash, not an error), and no event
# export nests anywhere near this deep
MAX_DEPTH = 64


def _depth(dtype: pl.DataType) -> int:
    """Levels of records and lists in ``dtype`` (0 for a plain value), without recursion."""
    depth, level = 0, [dtype]
    while True:
        inner: list[pl.DataType] = []
        for d in level:
            if isinstance(d, pl.Struct):
                inner.extend(f.dtype for f in d.fields)
            elif isinstance(d, pl.List | pl.Array):
                inner.append(d.inner)  # type: ignore[arg-type]
        if not inner:
            return depth
        depth, level = depth + 1, inner


def check_depth(schema: pl.Schema, origin: str) -> None:
    """A column nested deeper than ``MAX_DEPTH`` levels is an input error naming it."""
    for name, dtype in schema.items():
        if isinstance(dtype, pl.Struct | pl.List | pl.Array) and _depth(dtype) > MAX_DEPTH:
            msg = (
                f"{origin}: field '{name}' is nested {_depth(dtype)} levels deep (fivea reads "
                f"up to {MAX_DEPTH}); drop or flatten it before reading, e.g. "
                f"jq -c 'del(.{name})' or select the columns you need"
            )
            raise InputError(msg)


def _is_key_value_list(dtype: pl.DataType) -> bool:
    if not isinstance(dtype, pl.List) or not isinstance(dtype.inner, pl.Struct):
        return False
    return {"key", "value"} <= {f.name for f in dtype.inner.fields}


def _value_text(value: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Struct):
        names = [f.name for f in dtype.fields]
        typed = [n for n in _VALUE_FIELDS if n in names] or names
        parts = [value.struct.field(n).cast(pl.String) for n in typed]
        return pl.coalesce(parts) if parts else pl.lit(None, pl.String)
    return value.cast(pl.String)


class _Names:
    """Hands out unique column names: the preferred one if free, else the fallbacks in order."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken

    def claim(self, *candidates: str) -> str:
        for name in candidates:
            if name not in self.taken:
                self.taken.add(name)
                return name
        base, n = candidates[-1], 2
        while f"{base}_{n}" in self.taken:
            n += 1
        self.taken.add(f"{base}_{n}")
        return f"{base}_{n}"


def _leaves(expr: pl.Expr, dtype: pl.DataType, path: tuple[str, ...]):
    """(path, expr) of every non-record field under a record, depth first, in field order."""
    stack = [(expr, dtype, path)]
    while stack:  # a stack, not recursion: depth is bounded by ``MAX_DEPTH`` anyway
        expr, dtype, path = stack.pop()
        if isinstance(dtype, pl.Struct):
            stack.extend(
                (expr.struct.field(f.name), f.dtype, (*path, f.name))
                for f in reversed(dtype.fields)
            )
        else:
            yield path, expr


def _keys(frame: pl.LazyFrame, columns: list[str], origin: str) -> dict[str, list[str]]:
    if not columns:
        return {}
    queries = [
        frame.select(pl.col(c).list.eval(pl.element().struct.field("key")).explode().alias("k"))
        .drop_nulls()
        .unique()
        for c in columns
    ]
    try:
        found = pl.collect_all(queries)
    except pl.exceptions.PolarsError as exc:
        msg = f"{origin}: cannot read the nested parameters ({str(exc).splitlines()[0][:160]})"
        raise InputError(msg) from exc
    return {c: sorted(str(k) for k in f["k"]) for c, f in zip(columns, found, strict=True)}


RESERVED = "__"  # the prefix of fivea's internal columns (__order, __user, __time, ...)
RENAMED = "data."  # what a data column named with it gets in front (docs/input.md)


def rename_reserved(frame: pl.LazyFrame, keep: tuple[str, ...] = ()) -> pl.LazyFrame:
    """Data columns named like internal ones (``__order``) become ``data.__order``.

    Internal columns all start with ``__``; a data column that does too would be overwritten or
    break the scan, so it is renamed on read and stays usable as a property.
    """
    names = frame.collect_schema().names()
    reserved = [n for n in names if n.startswith(RESERVED) and n not in keep]
    if not reserved:
        return frame
    taken = _Names(set(names))
    return frame.rename({n: taken.claim(f"{RENAMED}{n}") for n in reserved})


def flatten(frame: pl.LazyFrame, origin: str) -> pl.LazyFrame:
    """Replace record and GA4 key/value columns by flat columns (no-op for flat data)."""
    schema = frame.collect_schema()
    check_depth(schema, origin)
    lists = [n for n, d in schema.items() if _is_key_value_list(d)]
    structs = [n for n, d in schema.items() if isinstance(d, pl.Struct)]
    if not lists and not structs:
        return frame
    names = _Names({n for n in schema.names() if n not in lists and n not in structs})
    keys = _keys(frame, lists, origin)
    exprs: list[pl.Expr] = []

    def add_list(column: str, user: bool, bare: bool) -> None:
        value_dtype = next(f.dtype for f in schema[column].inner.fields if f.name == "value")  # type: ignore[attr-defined]
        for key in keys[column]:
            if bare:
                name = (
                    names.claim(key, f"user.{key}", f"{column}.{key}")
                    if user
                    else names.claim(key, f"{column}.{key}")
                )
            else:
                name = names.claim(f"{column}.{key}")
            entry = (
                pl.col(column)
                .list.eval(pl.element().filter(pl.element().struct.field("key") == key))
                .list.first()
                .struct.field("value")
            )
            exprs.append(_value_text(entry, value_dtype).alias(name))

    def add_struct(column: str, user: bool, bare: bool) -> None:
        for path, expr in _leaves(pl.col(column), schema[column], ()):
            inner, full = ".".join(path), ".".join((column, *path))
            if bare:
                name = (
                    names.claim(inner, f"user.{inner}", full) if user else names.claim(inner, full)
                )
            else:
                name = names.claim(full)
            exprs.append(expr.alias(name))

    # event properties first (the names rules use most), then user properties, then the rest
    for group, user in ((_EVENT_GROUPS, False), (_USER_GROUPS, True)):
        for column in schema.names():
            if column in group and column in lists:
                add_list(column, user, bare=True)
            elif column in group and column in structs:
                add_struct(column, user, bare=True)
    grouped = set(_EVENT_GROUPS) | set(_USER_GROUPS)
    for column in schema.names():
        if column in grouped:
            continue
        if column in lists:
            add_list(column, user=False, bare=False)
        elif column in structs:
            add_struct(column, user=False, bare=False)
    return frame.with_columns(exprs).drop(lists + structs)
