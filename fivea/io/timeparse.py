"""Turning a raw time column into integer microseconds since the epoch, UTC (docs/input.md).

A column may mix every form: ISO-8601 with ``T`` or a space, with an offset (``+02:00``,
``+0200``, ``+02``), ``Z`` or a trailing `` UTC``/`` GMT``, without a zone (read in
``time.timezone``), dates only (also ``20240501``), and epoch numbers (also as text) in
s/ms/µs/ns chosen from the column's median magnitude. Typed columns (Datetime, Date, integers,
floats) are converted directly.

Text is parsed by a cascade of strict formats. Each step sees only the texts the steps before
it rejected (null entries cost almost nothing), and the steps are ordered by how many values of
a small sample from the head of the column each one parses, so a column in one form costs one
parse whatever that form is (docs/architecture.md#the-seam: a strict fast path with a fallback). The order changes the
speed only, never the result: the forms do not overlap. Each step is a temp column of its own:
nested expressions would repeat the whole cascade at every reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

# (unit, factor to µs) by the median's magnitude: < 1e11 s, < 1e14 ms, < 1e17 µs, else ns
_EPOCH_LIMITS = ((1e11, 1_000_000.0), (1e14, 1_000.0), (1e17, 1.0))
_UNIT_FACTOR = {"s": 1_000_000.0, "ms": 1_000.0, "us": 1.0, "ns": 0.001}
# µs bounds of years 1000..9999: anything outside is an out-of-range epoch, not a time
_MIN_US = -30_610_224_000_000_000
_MAX_US = 253_402_300_799_000_000
_NUMERIC = r"^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$"
_INTEGRAL = r"^[-+]?\d+$"
_COMPACT_DATE = r"^(19|20)\d{6}$"  # ISO 8601 basic date (GA4 event_date), not 1970 seconds
_SAMPLE_ROWS = 1000
# temp columns of the parse steps (dropped again, except the naive times for the DST counts)
_P = "__tp_"
_REST, _NAIVE, _EPOCH = f"{_P}rest", f"{_P}naive", f"{_P}epoch"
_F, _I, _FACTOR = f"{_P}f", f"{_P}i", f"{_P}factor"
# why an epoch number is not a time (drop reasons, docs/input.md "Dropped rows")
IMPOSSIBLE_TIME = "impossible_time"
OTHER_EPOCH_UNIT = "other_epoch_unit"
UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def _class_factor(number: pl.Expr) -> pl.Expr:
    """µs per unit of the unit a magnitude belongs to: < 1e11 s, < 1e14 ms, < 1e17 µs, else ns."""
    factor = pl.when(number < _EPOCH_LIMITS[0][0]).then(pl.lit(_EPOCH_LIMITS[0][1]))
    for limit, scale in _EPOCH_LIMITS[1:]:
        factor = factor.when(number < limit).then(pl.lit(scale))
    return factor.otherwise(pl.lit(0.001))


def _epoch_factor(number: pl.Expr, unit: str | None) -> pl.Expr:
    """µs per unit of an epoch column: set, or from the median magnitude of its times > 0."""
    if unit is not None:
        return pl.lit(_UNIT_FACTOR[unit])
    return _class_factor(number.filter(number > 0).median())


def _with_epoch(
    frame: pl.LazyFrame,
    floats: pl.Expr,
    integers: pl.Expr,
    unit: str | None,
    out: str,
    magnitudes: str | None = None,
    reasons: str | None = None,
) -> pl.LazyFrame:
    """``out`` = epoch numbers -> µs (null when out of range, ≤ 0 or of another unit).

    ``floats`` holds every number (for the magnitude and the range), ``integers`` the integral
    ones: integer arithmetic keeps 19-digit ns epochs exact to the microsecond. ``magnitudes``
    names a column to keep the numbers' magnitudes in (to check a guessed ``unit``);
    ``reasons`` one for why a number is not a time (docs/input.md, "Epoch unit"):
    ``impossible_time`` (≤ 0) or ``other_epoch_unit`` (a magnitude of another unit than the
    column's, e.g. seconds among milliseconds, which would otherwise read as January 1970).
    """
    f, i, factor = pl.col(_F), pl.col(_I), pl.col(_FACTOR)
    frame = frame.with_columns(floats.cast(pl.Float64).alias(_F), integers.cast(pl.Int64).alias(_I))
    frame = frame.with_columns(_epoch_factor(f, unit).alias(_FACTOR))
    scaled = f * factor
    exact = (
        pl.when(factor >= 1)
        .then(i * factor.cast(pl.Int64))
        .otherwise(i.floordiv((1 / factor).cast(pl.Int64)))
    )
    value = pl.when(i.is_not_null()).then(exact).otherwise(scaled.round(0).cast(pl.Int64))
    reason = (
        pl.when(f.is_finite() & (f <= 0))
        .then(pl.lit(IMPOSSIBLE_TIME))
        .when(f.is_finite() & (_class_factor(f) != factor))
        .then(pl.lit(OTHER_EPOCH_UNIT))
    )
    micros = pl.when(scaled.is_between(_MIN_US, _MAX_US) & reason.is_null()).then(value)
    kept = [pl.when(f > 0).then(f).alias(magnitudes)] if magnitudes is not None else []
    if reasons is not None:
        kept.append(reason.alias(reasons))
    return frame.with_columns(micros.alias(out), *kept).drop(_F, _I, _FACTOR)


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


def _datetime(fmt: str) -> Callable[[pl.Expr], pl.Expr]:
    return lambda text: text.str.to_datetime(fmt, strict=False, time_unit="us")


def _date(fmt: str) -> Callable[[pl.Expr], pl.Expr]:
    return lambda text: text.str.to_date(fmt, strict=False).cast(pl.Datetime("us"))


def _normalized_aware(text: pl.Expr) -> pl.Expr:
    """Other zoned forms: ``T`` or space, ``Z``/``z``/``UTC``/``GMT``, ``+hh``, ``+hhmm``."""
    normal = (
        text.str.replace(r"(\d)[Tt](\d)", "${1} ${2}")
        .str.replace(r"\s*(UTC|GMT|Z|z)$", "+00:00")
        .str.replace(r"(:\d\d(?:\.\d+)?)\s*([+-]\d\d)$", "${1}${2}:00")
    )
    return normal.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%z", strict=False, time_unit="us")


def _compact(text: pl.Expr) -> pl.Expr:
    return _date("%Y%m%d")(pl.when(text.str.contains(_COMPACT_DATE)).then(text))


def _numeric(text: pl.Expr) -> pl.Expr:
    """Epoch numbers written as text (kept as text until the column's unit is known)."""
    return pl.when(text.str.contains(_NUMERIC) & ~text.str.contains(_COMPACT_DATE)).then(text)


# (name, kind, parser): "utc" parses to a naive datetime meaning UTC, "aware" to a zoned one,
# "naive" to a wall-clock time read in time.timezone, "epoch" keeps numbers as text. The steps
# accept disjoint texts, except that "other_zoned" also reads what "iso_z" and "iso_offset"
# read, with the same result.
PARSE_STEPS: tuple[tuple[str, str, Callable[[pl.Expr], pl.Expr]], ...] = (
    ("iso_z", "utc", _datetime("%Y-%m-%dT%H:%M:%S%.fZ")),
    ("space", "naive", _datetime("%Y-%m-%d %H:%M:%S%.f")),
    ("space_utc", "utc", _datetime("%Y-%m-%d %H:%M:%S%.f UTC")),
    ("iso_offset", "aware", _datetime("%Y-%m-%dT%H:%M:%S%.f%z")),
    ("iso_local", "naive", _datetime("%Y-%m-%dT%H:%M:%S%.f")),
    ("date", "naive", _date("%Y-%m-%d")),
    ("other_zoned", "aware", _normalized_aware),
    ("minutes", "naive", _datetime("%Y-%m-%d %H:%M")),
    ("iso_minutes", "naive", _datetime("%Y-%m-%dT%H:%M")),
    ("compact_date", "naive", _compact),
    ("epoch", "epoch", _numeric),
)


def _step_order(frame: pl.LazyFrame, text: pl.Expr) -> list[int]:
    """Steps by how many values of the column's head each parses (ties: the listed order)."""
    try:
        sample = frame.select(text.alias("t")).head(_SAMPLE_ROWS).collect()
    except pl.exceptions.PolarsError:
        return list(range(len(PARSE_STEPS)))  # the scan reports the problem itself
    hits = sample.select(
        [parse(pl.col("t")).is_not_null().sum().alias(name) for name, _, parse in PARSE_STEPS]
    ).row(0)
    return sorted(range(len(PARSE_STEPS)), key=lambda i: -hits[i])


def _with_text(
    frame: pl.LazyFrame,
    column: str,
    out: str,
    timezone: str,
    unit: str | None,
    time_format: str | None,
    magnitudes: str | None,
    reasons: str | None,
    orders: dict[str, list[int]] | None = None,
) -> tuple[pl.LazyFrame, str | None]:
    """``out`` = µs of a text column; also the temp column of its naive datetimes (or None)."""
    text = pl.col(column).cast(pl.String).str.strip_chars()
    if time_format is not None:
        parsed = text.str.to_datetime(time_format, strict=False, time_unit="us")
        if reasons is not None:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(reasons))
        if any(z in time_format for z in ("%z", "%:z", "%#z")):
            return frame.with_columns(parsed.dt.epoch("us").alias(out)), None
        frame = frame.with_columns(parsed.alias(_NAIVE))
        return frame.with_columns(_localize(pl.col(_NAIVE), timezone).alias(out)), _NAIVE
    rest = pl.col(_REST)
    frame = frame.with_columns(text.alias(_REST))
    done: dict[str, list[str]] = {"utc": [], "aware": [], "naive": [], "epoch": []}
    if orders is not None and column in orders:  # a rebuild of the same rows: the same head
        order = orders[column]
    else:
        order = _step_order(frame, rest)
        if orders is not None:
            orders[column] = order
    for index in order:
        name, kind, parse = PARSE_STEPS[index]
        column_name = f"{_P}{name}"
        frame = frame.with_columns(parse(rest).alias(column_name))
        frame = frame.with_columns(pl.when(pl.col(column_name).is_null()).then(rest).alias(_REST))
        done[kind].append(column_name)
    numeric = pl.col(done["epoch"][0])
    integral = pl.when(numeric.str.contains(_INTEGRAL)).then(numeric)
    frame = _with_epoch(
        frame,
        numeric.cast(pl.Float64, strict=False),
        integral.cast(pl.Int64, strict=False),
        unit,
        _EPOCH,
        magnitudes,
        reasons,
    )
    frame = frame.with_columns(pl.coalesce(done["naive"]).alias(_NAIVE))
    micros = pl.coalesce(
        *[pl.col(c).dt.epoch("us") for c in done["utc"] + done["aware"]],
        _localize(pl.col(_NAIVE), timezone),
        pl.col(_EPOCH),
    )
    temps = [_REST, _EPOCH, *(c for kind in done.values() for c in kind)]
    return frame.with_columns(micros.alias(out)).drop(temps), _NAIVE


def with_micros(
    frame: pl.LazyFrame,
    column: str,
    dtype: pl.DataType,
    out: str,
    timezone: str = "UTC",
    unit: str | None = None,
    time_format: str | None = None,
    magnitudes: str | None = None,
    reasons: str | None = None,
    orders: dict[str, list[int]] | None = None,
) -> tuple[pl.LazyFrame, pl.Expr | None]:
    """Add ``out``: the time column of ``dtype`` as Int64 µs UTC (null if unparsable).

    Also returns an expression of the naive datetimes read in ``timezone`` (for counting DST
    folds and gaps), or None when the column carries zones or epochs; ``drop_temps`` removes
    the temp column it may refer to. With ``magnitudes``, a column that can hold epochs also
    gets that column: the magnitude of each epoch number > 0 (``epoch_unit_partials`` reads
    it). With ``reasons``, that column says why a row's epoch number is not a time (null when it
    is one, or when the column holds no epochs). ``orders`` keeps the order of the text
    parsers (sampled from the column's head, a collect) by column, for rebuilds of the same rows.
    """
    raw = pl.col(column)
    no_reason = [pl.lit(None, pl.String).alias(reasons)] if reasons is not None else []
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        utc = raw.dt.convert_time_zone("UTC").dt.epoch("us")
        return frame.with_columns(utc.alias(out), *no_reason), None
    if isinstance(dtype, pl.Datetime | pl.Date):
        naive = raw.cast(pl.Datetime("us"))
        return frame.with_columns(_localize(naive, timezone).alias(out), *no_reason), naive
    if dtype.is_integer():
        return _with_epoch(frame, raw, raw, unit, out, magnitudes, reasons), None
    if dtype.is_numeric():
        whole = pl.when(raw == raw.floor()).then(raw).cast(pl.Int64, strict=False)
        return _with_epoch(frame, raw, whole, unit, out, magnitudes, reasons), None
    frame, naive = _with_text(
        frame, column, out, timezone, unit, time_format, magnitudes, reasons, orders
    )
    return frame, (pl.col(naive) if naive else None)


# the epoch unit by the median magnitude, for engines that compute the median themselves
EPOCH_UNIT_LIMITS: tuple[tuple[str, float], ...] = (("s", 1e11), ("ms", 1e14), ("us", 1e17))


def epoch_numbers(column: str, dtype: pl.DataType, time_format: str | None) -> pl.Expr | None:
    """The values > 0 of a time column read as epoch numbers, as Float64 (null for the others).

    Their median magnitude picks the unit (``_epoch_factor``). None when the column cannot hold
    epochs (datetimes, or an explicit ``time_format``). An engine that partitions the events
    computes the median over all partitions and passes the unit explicitly.
    """
    raw = pl.col(column)
    if isinstance(dtype, pl.Datetime | pl.Date) or (
        time_format is not None and not dtype.is_numeric()
    ):
        return None
    if dtype.is_numeric():
        numbers = raw.cast(pl.Float64)
    else:
        # the text forms do not overlap (see PARSE_STEPS): the epoch step reads exactly these texts
        text = raw.cast(pl.String).str.strip_chars()
        numbers = _numeric(text).cast(pl.Float64, strict=False)
    # times <= 0 are impossible_time, not evidence of the column's unit
    return pl.when(numbers > 0).then(numbers)


def epoch_unit_partials(x: pl.Expr) -> list[pl.Expr]:
    """Exact, summable facts about the median of the magnitudes ``x``: their count, the count
    below each unit limit and the values around it (``epoch_unit_from_counts`` reads them).

    Unlike the median itself they stream in bounded memory and add up across partitions.
    """
    limits = list(enumerate(EPOCH_UNIT_LIMITS))
    return [
        x.count().cast(pl.Int64).alias("n"),
        *[(x < limit).sum().cast(pl.Int64).alias(f"b{i}") for i, (_, limit) in limits],
        *[x.filter(x < limit).max().alias(f"lo{i}") for i, (_, limit) in limits],
        *[x.filter(x >= limit).min().alias(f"hi{i}") for i, (_, limit) in limits],
    ]


def epoch_unit_from_counts(total: dict[str, Any]) -> str | None:
    """The unit of the median magnitude from counts below each limit and the values around it.

    With n numbers sorted, the median is x[k] (n odd, k = (n-1)/2) or the mean of x[n/2-1] and
    x[n/2]; it lies below a limit L when more than k (resp. n/2) numbers do, above when at most
    n/2-1 do, and otherwise is (largest below + smallest at or above) / 2.
    """
    n = int(total["n"] or 0)
    if n == 0:
        return None
    for i, (unit, limit) in enumerate(EPOCH_UNIT_LIMITS):
        below = int(total[f"b{i}"] or 0)
        if n % 2:
            is_below = below > (n - 1) // 2
        elif below > n // 2:
            is_below = True
        elif below <= n // 2 - 1:
            is_below = False
        else:
            low, high = total[f"lo{i}"], total[f"hi{i}"]
            is_below = low + (high - low) * 0.5 < limit
        if is_below:
            return unit
    return "ns"


def drop_temps(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Remove the temp column ``with_micros`` may leave for the DST counts."""
    return frame.drop(_NAIVE, strict=False)


def micros(
    values: pl.Series,
    timezone: str = "UTC",
    unit: str | None = None,
    time_format: str | None = None,
) -> pl.Series:
    """A series of times -> Int64 µs UTC (null if unparsable): ``with_micros`` on one column."""
    frame = values.rename("t").to_frame().lazy()
    out, _ = with_micros(frame, "t", values.dtype, "us", timezone, unit, time_format)
    return drop_temps(out).collect()["us"]
