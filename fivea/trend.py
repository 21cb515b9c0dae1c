"""Reached counts per calendar bucket (``--trend day|week|month``, SPEC §3.6).

This reads events (stage hits), so it belongs to phase 1: buckets are calendar days, ISO weeks
(Monday first) or months in ``time.timezone``; a person counts in every bucket where they hit.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fivea.aggregate import safe_ratio
from fivea.config import STAGE_KEYS, TRANSITION_NAMES
from fivea.errors import InputError
from fivea.events import TIME, USER
from fivea.person import Window, in_window, stage_hits
from fivea.result import Trend, TrendRow
from fivea.rules import MASK, RuleSet

PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}


def check_period(trend: str | None) -> None:
    """``--trend`` must name a period (before any event is read, on every engine)."""
    if trend is not None and trend not in PERIODS:
        msg = f"--trend {trend}: use day, week or month"
        raise InputError(msg)


def _bucket(period: str, timezone: str) -> pl.Expr:
    local = pl.from_epoch(pl.col(TIME), time_unit="us").dt.replace_time_zone("UTC")
    local = local.dt.convert_time_zone(timezone)
    return local.dt.truncate(PERIODS[period]).dt.date().alias("__bucket")


def trend_frame(
    events: pl.LazyFrame, rules: RuleSet, window: Window, period: str, timezone: str
) -> pl.LazyFrame:
    """Lazy (bucket, persons per stage, persons with both stages of each transition).

    A person counts in a bucket's stage when they have a hit of it in that bucket (calendar
    counts, not cohorts: docs/metrics.md#trend). The counts add up over person partitions.
    """
    hits = stage_hits(events, rules, window).select(
        _bucket(period, timezone), USER, pl.col(MASK).cast(pl.Int64)
    )
    if rules.aware_is_any_event:  # every event in the window is an aware hit
        aware = events.filter(in_window(window)).select(
            _bucket(period, timezone), USER, pl.lit(1, pl.Int64).alias(MASK)
        )
        hits = pl.concat([hits, aware])
    persons = hits.group_by("__bucket", USER).agg(pl.col(MASK).bitwise_or())
    has = [(pl.col(MASK) & (1 << bit)) != 0 for bit in range(len(STAGE_KEYS))]
    return (
        persons.group_by("__bucket")
        .agg(
            *[has[bit].sum().alias(stage) for bit, stage in enumerate(STAGE_KEYS)],
            *[
                (has[i] & has[i + 1]).sum().alias(f"both_{name}")
                for i, name in enumerate(TRANSITION_NAMES)
            ],
        )
        .sort("__bucket")
    )


def _label(bucket: dt.date, period: str) -> str:
    if period == "week":
        year, week, _ = bucket.isocalendar()
        return f"{year}-W{week:02d}"
    return bucket.isoformat()[:7] if period == "month" else bucket.isoformat()


def _buckets(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    """Every calendar bucket from the first to the last, empty ones included."""
    interval = {"day": "1d", "week": "1w", "month": "1mo"}[period]
    return pl.date_range(first, last, interval, eager=True).to_list()


def bucket_of(micros: int, period: str, timezone: str) -> dt.date:
    """The calendar bucket (its first day) of an instant."""
    frame = pl.DataFrame({TIME: [micros]}, schema={TIME: pl.Int64})
    return frame.select(_bucket(period, timezone)).item()


def build_trend(
    frame: pl.DataFrame,
    period: str,
    span: tuple[dt.date, dt.date] | None = None,
    min_stage: int = 0,
    measured: dict[str, bool] | None = None,
) -> Trend:
    """Rows of the collected trend frame: every bucket of ``span`` (first and last bucket of
    the window's valid events), with ratios, flows, PAR and BAR; a bucket with fewer than
    ``min_stage`` aware persons is flagged ``small_sample`` (docs/metrics.md#trend)."""
    seen = measured or dict.fromkeys(STAGE_KEYS, True)
    counts = {row["__bucket"]: row for row in frame.iter_rows(named=True)}
    buckets = sorted(counts) if span is None else _buckets(*span, period)
    rows = []
    for bucket in buckets:
        row = counts.get(bucket, {})
        reached = {s: int(row.get(s) or 0) for s in STAGE_KEYS}
        both = {n: int(row.get(f"both_{n}") or 0) for n in TRANSITION_NAMES}
        ratios, flows = {}, {}
        for i, name in enumerate(TRANSITION_NAMES):
            source, target = STAGE_KEYS[i], STAGE_KEYS[i + 1]
            known = seen[source] and seen[target]
            ratios[name] = safe_ratio(reached[target], reached[source]) if known else None
            flows[name] = safe_ratio(both[name], reached[source]) if known else None
        par = safe_ratio(reached["act"], reached["aware"]) if seen["act"] else None
        bar = safe_ratio(reached["advocate"], reached["aware"]) if seen["advocate"] else None
        small = reached["aware"] < min_stage
        rows.append(TrendRow(_label(bucket, period), reached, par, bar, ratios, flows, small))
    return Trend(period, tuple(rows))
