"""Phase 1 (docs/architecture.md#the-seam): the events of whole persons -> one row per person.

This is the only phase that reads events. It needs all events of a person together and nothing
else, so it can run on any partition of persons (by a hash of the id) and the person tables
concatenate. Output columns (times are Int64 µs UTC, null when not reached):

- ``__user``; ``first_time`` / ``last_time``: first and last event in the analysis window
- ``reach_<stage>``: earliest hit of each 5A stage in the window (docs/metrics.md#stage-counts-per-analysis-window)
- ``path_level`` 0..5 and ``path_start``: ordered-path level and the latest start reaching it
- ``sub_<name>_level`` and ``sub_<name>_t<k>``: sub-funnel level and step times (docs/metrics.md#sub-funnels)
- ``seg_<column>``: first-touch (or last-touch) segment values (docs/config.md#segments-and-segment_attribution)
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fivea.config.loader import STAGE_KEYS
from fivea.io.events import TIME, USER
from fivea.io.sources import ORDER
from fivea.rules.counted import Series, counted_hits, match_rows, occasion_starts, rules_table
from fivea.rules.expressions import MASK, RuleSet

_I = "__i"
_END = "__end"
_ID_CHECK = "__id_check"
ID_COLLISION = "__id_collision"
KEY_SEED, CHECK_SEED = 0x5A5A, 0xF1FEA


@dataclass(frozen=True)
class Window:
    """The analysis window in µs UTC: hits in [since, until) count (docs/config.md#segments-and-segment_attribution)."""

    since: int | None
    until: int | None  # None: no upper bound (the default until is after the last event)
    as_of: int


@dataclass(frozen=True)
class PathSpec:
    """An ordered path to evaluate: its step bits, window and tie semantics."""

    name: str
    bits: tuple[int, ...]
    window_us: int
    distinct_rows: bool  # sub-funnels: each step its own event, strictly after the previous


def _in_window(window: Window) -> pl.Expr:
    cond = pl.lit(True) if window.until is None else pl.col(TIME) < window.until
    return cond if window.since is None else cond & (pl.col(TIME) >= window.since)


def _counted_hits(events: pl.LazyFrame, rules: RuleSet, keep: pl.Expr) -> pl.LazyFrame:
    """Hits (person, time, input order, stage/step mask) of the counted rules of a rule set."""
    series: dict[tuple[str, int | None], int] = {}
    masks: dict[tuple[int, int, int | None], int] = {}
    for rule in rules.counted:
        at = series.setdefault((rule.column, rule.gap_us), len(series))
        key = (at, rule.min_count, rule.within_us)
        masks[key] = masks.get(key, 0) | (1 << rule.bit)  # rules alike in all but the stage
    specs = [
        Series(rules.counted_matches[column], rules.counted_names.get(column), gap)
        for column, gap in series
    ]
    table = rules_table(list(masks), {MASK: pl.Series(list(masks.values()), dtype=pl.UInt64)})
    rows = match_rows(events, specs, rules.event_col)
    return counted_hits(occasion_starts(rows, [s.gap_us for s in specs]), table, keep)


def _chain(frame: pl.LazyFrame, spec: PathSpec, with_times: bool) -> pl.LazyFrame:
    """Greedy ordered path from every start row, vectorised with gathers.

    ``frame`` is sorted by person then time (then input order) with a row index. For a fixed
    start the earliest next hit at each step is optimal, so the person's level is the maximum
    over starts (ClickHouse ``windowFunnel`` semantics; "a later entry restarts the path").
    """
    first_bit = spec.bits[0]
    is_last = (pl.col(USER) != pl.col(USER).shift(-1)).fill_null(True)
    frame = frame.with_columns(pl.when(is_last).then(pl.col(_I)).backward_fill().alias(_END))
    nexts = []
    for k, bit in enumerate(spec.bits[1:], start=1):
        idx = pl.when((pl.col(MASK) & (1 << bit)) != 0).then(pl.col(_I)).backward_fill()
        if spec.distinct_rows:
            idx = idx.shift(-1)  # strictly after this row
        nexts.append(idx.alias(f"__next{k}"))
    frame = frame.with_columns(nexts)
    start = pl.when((pl.col(MASK) & (1 << first_bit)) != 0).then(pl.col(_I))
    frame = frame.with_columns(start.alias("__n0"))
    ok = start.is_not_null()
    level = ok.cast(pl.Int32)
    for k in range(1, len(spec.bits)):
        candidate = pl.col(f"__next{k}").gather(pl.col(f"__n{k - 1}"))
        # a next hit beyond the person's last row belongs to the next person
        frame = frame.with_columns(
            pl.when(candidate <= pl.col(_END)).then(candidate).alias(f"__n{k}")
        )
    time_at = [pl.col(TIME).gather(pl.col(f"__n{k}")) for k in range(len(spec.bits))]
    for k in range(1, len(spec.bits)):
        ok = ok & pl.col(f"__n{k}").is_not_null() & ((time_at[k] - pl.col(TIME)) <= spec.window_us)
        level = level + ok.cast(pl.Int32)
    columns = [USER, TIME, level.alias("__level")]
    if with_times:
        columns += [t.alias(f"__t{k}") for k, t in enumerate(time_at)]
    return frame.select(columns).filter(pl.col("__level") > 0)


def _path_table(hits: pl.LazyFrame, spec: PathSpec, aware_is_any: bool) -> pl.LazyFrame:
    """Per person: stage path level and the latest start time reaching that level."""
    bits = 0
    for bit in spec.bits:
        bits |= 1 << bit
    rows = hits.filter((pl.col(MASK) & bits) != 0)
    if aware_is_any:
        # every hit event is also an aware hit (docs/architecture.md#the-seam)
        rows = rows.with_columns(pl.col(MASK) | (1 << spec.bits[0]))
    # stages compare times only: merge each person's hits at one instant into one row
    rows = (
        rows.group_by(USER, TIME)
        .agg(pl.col(MASK).bitwise_or())
        .sort(USER, TIME)
        .with_row_index(_I)
        .with_columns(pl.col(_I).cast(pl.Int64))
    )
    chained = _chain(rows, spec, with_times=False)
    return chained.group_by(USER).agg(
        pl.col("__level").max().alias("path_level"),
        pl.col(TIME).filter(pl.col("__level") == pl.col("__level").max()).max().alias("path_start"),
    )


def _subfunnel_table(hits: pl.LazyFrame, spec: PathSpec) -> pl.LazyFrame:
    """Per person: sub-funnel level and step times of the earliest start reaching it."""
    bits = 0
    for bit in spec.bits:
        bits |= 1 << bit
    rows = (
        hits.filter((pl.col(MASK) & bits) != 0)
        .group_by(USER, TIME, ORDER)
        .agg(pl.col(MASK).bitwise_or())
        .sort(USER, TIME, ORDER)
        .with_row_index(_I)
        .with_columns(pl.col(_I).cast(pl.Int64))
    )
    chained = _chain(rows, spec, with_times=True)
    best = pl.col("__level") == pl.col("__level").max()
    prefix = f"sub_{spec.name}"
    return chained.group_by(USER).agg(
        pl.col("__level").max().alias(f"{prefix}_level"),
        *[
            pl.col(f"__t{k}").filter(best).first().alias(f"{prefix}_t{k}")
            for k in range(len(spec.bits))
        ],
    )


def segment_value(column: str, dtype: pl.DataType) -> pl.Expr:
    """A property as a segment value: text, null when empty (null, NaN or blank after trimming).

    A person's value is their first non-empty one (docs/metrics.md#segments): a lead log whose
    first row is the bare contact must not put everyone in "(none)".
    """
    value = pl.col(column)
    if dtype.is_float():
        value = value.fill_nan(None)
    text = value.cast(pl.String).str.strip_chars()
    return pl.when(text != "").then(text)


def _segment_values(events: pl.LazyFrame, segments: list[str], last: bool) -> list[pl.Expr]:
    order = [pl.col(TIME), pl.col(ORDER)]
    schema = events.collect_schema() if segments else {}
    exprs = []
    for column in segments:
        value = segment_value(column, schema[column]).sort_by(order).drop_nulls()
        exprs.append((value.last() if last else value.first()).alias(f"seg_{column}"))
    return exprs


def stage_hits(events: pl.LazyFrame, rules: RuleSet, window: Window) -> pl.LazyFrame:
    """Every hit in the window as (person, time, input order, mask of stages and steps).

    Plain rules mark rows directly; counted rules (``min_count``, ``gap``) count over all
    events before ``until`` (a first product view before ``since`` can make the second one a
    hit). An unconditioned any_event Aware is left out: every event is an aware hit.
    """
    simple = events.filter(_in_window(window) & (rules.simple_mask != 0)).select(
        USER, TIME, ORDER, rules.simple_mask.alias(MASK)
    )
    if not rules.counted:
        return simple
    return pl.concat([simple, _counted_hits(events, rules, _in_window(window))])


def in_window(window: Window) -> pl.Expr:
    """Whether an event's time lies in [since, until)."""
    return _in_window(window)


def person_table(
    events: pl.LazyFrame,
    rules: RuleSet,
    window: Window,
    paths: list[PathSpec],
    segments: list[str],
    last_touch: bool = False,
    hash_ids: bool = True,
) -> pl.LazyFrame:
    """Build the lazy person table from canonical events (phase 1).

    With ``hash_ids`` the person key is a 64-bit hash of the id: every group-by, sort and join
    is then on integers, much faster than on text ids. A second, independent hash proves there
    was no collision: ``ID_COLLISION`` is true for a person whose ids did not all hash alike,
    and phase 2 reruns with the ids themselves if any is (docs/architecture.md#the-seam).
    """
    if window.until is not None:
        events = events.filter(pl.col(TIME) < window.until)
    if hash_ids:
        events = events.with_columns(
            pl.col(USER).hash(CHECK_SEED).alias(_ID_CHECK), pl.col(USER).hash(KEY_SEED)
        )
    in_range = _in_window(window)
    # one pass over the events: window bounds, first touch over the full history before
    # `until` (docs/config.md#segments-and-segment_attribution), and the collision proof
    basics = (
        events.group_by(USER)
        .agg(
            pl.col(TIME).filter(in_range).min().alias("first_time"),
            pl.col(TIME).filter(in_range).max().alias("last_time"),
            *_segment_values(events, segments, last_touch),
            *(
                [(pl.col(_ID_CHECK).min() != pl.col(_ID_CHECK).max()).alias(ID_COLLISION)]
                if hash_ids
                else []
            ),
        )
        .filter(pl.col("first_time").is_not_null())
    )
    hits = stage_hits(events, rules, window)
    reach = hits.group_by(USER).agg(
        pl.col(TIME).filter((pl.col(MASK) & (1 << bit)) != 0).min().alias(f"reach_{stage}")
        for bit, stage in enumerate(STAGE_KEYS)
        if not (bit == 0 and rules.aware_is_any_event)
    )
    table = basics.join(reach, on=USER, how="left")
    if rules.aware_is_any_event:
        table = table.with_columns(pl.col("first_time").alias("reach_aware"))
    for spec in paths:
        if spec.distinct_rows:
            table = table.join(_subfunnel_table(hits, spec), on=USER, how="left")
        else:
            table = table.join(
                _path_table(hits, spec, rules.aware_is_any_event), on=USER, how="left"
            )
    fills = [pl.col(f"sub_{s.name}_level").fill_null(0) for s in paths if s.distinct_rows]
    level = pl.col("path_level").fill_null(0)
    if rules.aware_is_any_event:
        # persons whose only events are aware-only still stand at level 1, latest start = last
        level = pl.max_horizontal(level, pl.lit(1))
        start = pl.when(level == 1).then(pl.col("last_time")).otherwise(pl.col("path_start"))
        fills.append(start.alias("path_start"))
    # the person key served its purpose: phase 2 reads only the per-person facts
    table = table.with_columns(level.cast(pl.Int32).alias("path_level"), *fills)
    return table.select(person_columns(paths, segments, hash_ids))


def person_columns(paths: list[PathSpec], segments: list[str], hash_ids: bool) -> list[str]:
    """The person table's columns, in order (both implementations give this layout)."""
    columns = ["first_time", "last_time", *[f"reach_{s}" for s in STAGE_KEYS]]
    for spec in paths:
        if spec.distinct_rows:
            prefix = f"sub_{spec.name}"
            columns += [f"{prefix}_level", *[f"{prefix}_t{k}" for k in range(len(spec.bits))]]
        else:
            columns += ["path_level", "path_start"]
    columns += [f"seg_{c}" for c in segments]
    return [*columns, ID_COLLISION] if hash_ids else columns
