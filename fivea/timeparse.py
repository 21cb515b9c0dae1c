"""Turning a raw time column into integer microseconds since the epoch, UTC (SPEC §2).

Every form in one expression, so a column may mix them: ISO-8601 with ``T`` or a space, with an
offset, ``Z`` or a trailing `` UTC``, without a zone (read in ``time.timezone``), dates only, and
epoch numbers (also as text) in s/ms/µs/ns chosen from the column's median magnitude.
"""

from __future__ import annotations

import polars as pl

# (unit, factor to µs) by the median's magnitude: < 1e11 s, < 1e14 ms, < 1e17 µs, else ns
_EPOCH_LIMITS = ((1e11, 1_000_000.0), (1e14, 1_000.0), (1e17, 1.0))
_UNIT_FACTOR = {"s": 1_000_000.0, "ms": 1_000.0, "us": 1.0, "ns": 0.001}
# µs bounds of years 1000..9999: anything outside is an out-of-range epoch, not a time
_MIN_US = -30_610_224_000_000_000
_MAX_US = 253_402_300_799_000_000
_NUMERIC = r"^\s*[-+]?\d+(\.\d+)?([eE][-+]?\d+)?\s*$"


def _epoch_factor(number: pl.Expr, unit: str | None) -> pl.Expr:
    """µs per unit of an epoch column: set, or from the column's median magnitude."""
    if unit is not None:
        return pl.lit(_UNIT_FACTOR[unit])
    magnitude = number.abs().median()
    factor = pl.when(magnitude < _EPOCH_LIMITS[0][0]).then(pl.lit(_EPOCH_LIMITS[0][1]))
    for limit, scale in _EPOCH_LIMITS[1:]:
        factor = factor.when(magnitude < limit).then(pl.lit(scale))
    return factor.otherwise(pl.lit(0.001))


def _epoch_to_us(number: pl.Expr, unit: str | None) -> pl.Expr:
    """Epoch number -> µs (null when out of range); integers stay exact to the microsecond."""
    factor = _epoch_factor(number, unit)
    if_float = (number.cast(pl.Float64) * factor).round(0)
    as_int = number.cast(pl.Int64, strict=False)
    # integer arithmetic keeps 19-digit ns epochs exact; the range test prevents overflow
    in_range = (number.cast(pl.Float64) * factor).is_between(_MIN_US, _MAX_US)
    exact = (
        pl.when(factor >= 1)
        .then(as_int * factor.cast(pl.Int64))
        .otherwise(as_int.floordiv((1 / factor).cast(pl.Int64)))
    )
    is_integral = number.cast(pl.Float64) == number.cast(pl.Float64).floor()
    value = (
        pl.when(is_integral & as_int.is_not_null()).then(exact).otherwise(if_float.cast(pl.Int64))
    )
    return pl.when(in_range).then(value)


def _localize(naive: pl.Expr, timezone: str) -> pl.Expr:
    """Naive datetime (µs) read in ``timezone`` -> µs UTC.

    At a DST fold the earlier instant is taken; a time inside a DST gap is read with the offset in
    force before the gap, which moves it forward by the gap's length (like ``zoneinfo`` fold=0).
    """
    if timezone == "UTC":
        return naive.dt.epoch("us")
    exact = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    before = (naive - pl.duration(hours=6)).dt.replace_time_zone(
        timezone, ambiguous="earliest", non_existent="null"
    )
    offset = before.dt.base_utc_offset() + before.dt.dst_offset()
    gap = (naive - offset).dt.epoch("us")
    return pl.coalesce(exact.dt.epoch("us"), gap)


def dst_flags(naive: pl.Expr, timezone: str) -> tuple[pl.Expr, pl.Expr]:
    """(in a DST fold, in a DST gap) for naive datetimes read in ``timezone``, for data quality."""
    earliest = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    latest = naive.dt.replace_time_zone(timezone, ambiguous="latest", non_existent="null")
    fold = earliest.is_not_null() & (earliest != latest)
    gap = naive.is_not_null() & earliest.is_null()
    return fold, gap


def _parse_text(raw: pl.Expr, timezone: str, unit: str | None, time_format: str | None) -> pl.Expr:
    text = raw.str.strip_chars()
    if time_format is not None:
        parsed = text.str.to_datetime(time_format, strict=False, time_unit="us")
        return _localize(parsed, timezone)
    normal = text.str.replace(r"(\d)[Tt](\d)", "${1} ${2}").str.replace(
        r"\s*(UTC|GMT|Z|z)$", "+00:00"
    )
    aware = normal.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%z", strict=False, time_unit="us")
    naive = pl.coalesce(
        normal.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"),
        normal.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
        normal.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
    )
    integral = pl.when(text.str.contains(r"^[-+]?\d+$")).then(text).cast(pl.Int64, strict=False)
    number = pl.when(text.str.contains(_NUMERIC)).then(text).cast(pl.Float64, strict=False)
    epoch = pl.coalesce(_epoch_to_us(integral, unit), _epoch_to_us(number, unit))
    return pl.coalesce(aware.dt.epoch("us"), _localize(naive, timezone), epoch)


def time_to_micros(
    raw: pl.Expr,
    dtype: pl.DataType,
    timezone: str = "UTC",
    unit: str | None = None,
    time_format: str | None = None,
) -> pl.Expr:
    """Expression turning a raw time column of ``dtype`` into Int64 µs UTC (null if unparsable)."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            return raw.dt.convert_time_zone("UTC").dt.epoch("us")
        return _localize(raw.cast(pl.Datetime("us")), timezone)
    if isinstance(dtype, pl.Date):
        return _localize(raw.cast(pl.Datetime("us")), timezone)
    if dtype.is_integer():
        return _epoch_to_us(raw.cast(pl.Int64), unit)
    if dtype.is_numeric():
        return _epoch_to_us(raw.cast(pl.Float64), unit)
    if dtype == pl.String:
        return _parse_text(raw, timezone, unit, time_format)
    return _parse_text(raw.cast(pl.String), timezone, unit, time_format)


def naive_for_flags(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """The naive datetimes of a column (for DST counting), or None when it carries zones."""
    if isinstance(dtype, pl.Datetime):
        return raw.cast(pl.Datetime("us")) if dtype.time_zone is None else None
    if dtype == pl.String:
        normal = raw.str.strip_chars().str.replace(r"(\d)[Tt](\d)", "${1} ${2}")
        return pl.coalesce(
            normal.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"),
            normal.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
        )
    return None
