"""Reached counts per calendar bucket (``--trend day|week|month``, docs/config.md#segments-and-segment_attribution).

This reads events (stage hits), so it belongs to phase 1: buckets are calendar days, ISO weeks
(Monday first) or months in ``time.timezone``; a person counts in every bucket where they hit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from fivea.config.loader import STAGE_KEYS, TRANSITION_NAMES
from fivea.funnel import safe_ratio
from fivea.io.events import TIME, USER
from fivea.options import Period
from fivea.person.table import Window, in_window, stage_hits
from fivea.result import Trend, TrendRow
from fivea.rules.expressions import MASK, RuleSet

PERIODS = {Period.DAY: "1d", Period.WEEK: "1w", Period.MONTH: "1mo"}  # polars durations


def _bucket(period: str, timezone: str) -> pl.Expr:
    local = pl.from_epoch(pl.col(TIME), time_unit="us").dt.replace_time_zone("UTC")
    local = local.dt.convert_time_zone(timezone)
    return local.dt.truncate(PERIODS[period]).dt.date().alias("__bucket")


def trend_frame(
    events: pl.LazyFrame, rules: RuleSet, window: Window, period: str, timezone: str
) -> pl.LazyFrame:
    """Lazy (bucket, reached per stage) for the window's events."""
    hits = stage_hits(events, rules, window).with_columns(_bucket(period, timezone))
    counts = hits.group_by("__bucket").agg(
        pl.col(USER).filter((pl.col(MASK) & (1 << bit)) != 0).n_unique().alias(stage)
        for bit, stage in enumerate(STAGE_KEYS)
        if not (bit == 0 and rules.aware_is_any_event)
    )
    if rules.aware_is_any_event:
        aware = (
            events.filter(in_window(window))
            .with_columns(_bucket(period, timezone))
            .group_by("__bucket")
            .agg(pl.col(USER).n_unique().alias("aware"))
        )
        counts = aware.join(counts, on="__bucket", how="full", coalesce=True)
    # flow per bucket: persons with hits of both stages in it (additive over person partitions)
    mask = pl.col("__m")
    per_person = hits.group_by("__bucket", USER).agg(pl.col(MASK).bitwise_or().alias("__m"))
    if rules.aware_is_any_event:
        per_person = per_person.with_columns(mask | 1)  # a hit is an event: an aware one
    both = per_person.group_by("__bucket").agg(
        (((mask & (1 << i)) != 0) & ((mask & (1 << (i + 1))) != 0)).sum().alias(f"both_{name}")
        for i, name in enumerate(TRANSITION_NAMES)
    )
    counts = counts.join(both, on="__bucket", how="left")
    return counts.sort("__bucket")


def buckets(first: int, last: int, period: str, timezone: str) -> list[dt.date]:
    """Every calendar bucket from the one holding ``first`` to the one holding ``last`` (µs)."""
    ends = pl.DataFrame({TIME: [first, last]}).select(_bucket(period, timezone))["__bucket"]
    return pl.date_range(ends[0], ends[1], PERIODS[period], eager=True).to_list()


def build_trend(
    frame: pl.DataFrame,
    period: str,
    measured: Mapping[str, bool] | None = None,
    every: list[dt.date] | None = None,
    min_stage: int = 0,
) -> Trend:
    """Rows of the collected trend frame, with ratios, PAR and BAR per bucket.

    ``every``: all buckets between the first and the last valid event in the window; those
    without a hit get zero counts and null rates. A bucket with fewer aware persons than
    ``min_stage`` is flagged ``small_sample``. A rate touching a stage the run did not measure
    is null.
    """
    measured = measured or dict.fromkeys(STAGE_KEYS, True)
    par_seen = measured["aware"] and measured["act"]
    bar_seen = measured["aware"] and measured["advocate"]
    counted = {row["__bucket"]: row for row in frame.iter_rows(named=True)}
    rows = []
    for bucket in sorted(set(every or []) | set(counted)):
        row = counted.get(bucket, {})
        reached = {s: int(row.get(s) or 0) for s in STAGE_KEYS}
        label = bucket.isoformat()
        if period == "week":
            year, week, _ = bucket.isocalendar()
            label = f"{year}-W{week:02d}"
        elif period == "month":
            label = label[:7]
        ratios = {
            name: safe_ratio(reached[STAGE_KEYS[i + 1]], reached[STAGE_KEYS[i]])
            if measured[STAGE_KEYS[i]] and measured[STAGE_KEYS[i + 1]]
            else None
            for i, name in enumerate(TRANSITION_NAMES)
        }
        flows = {
            name: safe_ratio(int(row.get(f"both_{name}") or 0), reached[STAGE_KEYS[i]])
            if measured[STAGE_KEYS[i]] and measured[STAGE_KEYS[i + 1]]
            else None
            for i, name in enumerate(TRANSITION_NAMES)
        }
        rows.append(
            TrendRow(
                label,
                reached,
                safe_ratio(reached["act"], reached["aware"]) if par_seen else None,
                safe_ratio(reached["advocate"], reached["aware"]) if bar_seen else None,
                ratios,
                reached["aware"] < min_stage,
                flows,
            )
        )
    return Trend(period, tuple(rows))
