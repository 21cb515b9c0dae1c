"""Anomaly checks (docs/checks.md, "Anomaly checks"): the latest complete calendar bucket against
the median ± k·1.4826·MAD of the buckets before it, from the log's own past.

The history comes from phase 1 as one more trend aggregation over the window's scan
(``history_windows``): the buckets before ``until`` whatever ``--since`` says, limited to the
``lookback + 1`` buckets it needs when ``until`` is known. No second read of the events.
Everything else here is pure functions over the trend rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import polars as pl

from fivea.check_result import AnomalyResult, CheckResult, HistoryPoint, Status, position, show
from fivea.config.loader import Check, Config
from fivea.person.phase1 import HISTORY
from fivea.person.table import Window
from fivea.person.trend import build_trend
from fivea.result import Result, Trend, TrendRow

MAD_SCALE = 1.4826  # MAD -> standard deviation of a normal distribution
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# --- calendar buckets (as fivea.person.trend draws them: days, ISO weeks, months) ---


def bucket_of(micros: int, period: str, timezone: str) -> dt.date:
    """The first day of the bucket holding an instant (µs UTC), in ``timezone``."""
    day = (_EPOCH + dt.timedelta(microseconds=micros)).astimezone(ZoneInfo(timezone)).date()
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def shift(bucket: dt.date, period: str, n: int) -> dt.date:
    """The bucket ``n`` buckets after (n < 0: before) this one."""
    if period == "month":
        months = bucket.year * 12 + bucket.month - 1 + n
        return dt.date(months // 12, months % 12 + 1, 1)
    return bucket + dt.timedelta(days=n * (7 if period == "week" else 1))


def start_of(bucket: dt.date, timezone: str) -> int:
    """The bucket's first instant (local midnight) in µs UTC."""
    local = dt.datetime(bucket.year, bucket.month, bucket.day, tzinfo=ZoneInfo(timezone))
    delta = local - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def latest_complete(until: int, period: str, timezone: str) -> dt.date:
    """The last bucket that ends at or before ``until`` (its first day)."""
    last = bucket_of(until - 1, period, timezone)
    try:
        ends = start_of(shift(last, period, 1), timezone)
    except (OverflowError, ValueError):  # the bucket of year 9999's last day never ends
        return shift(last, period, -1)
    return last if ends <= until else shift(last, period, -1)


def complete_buckets(
    first: int, until: int, period: str, timezone: str, count: int
) -> list[dt.date]:
    """Up to ``count`` buckets entirely inside [first, until), oldest first, ending with the latest."""
    out: list[dt.date] = []
    try:
        bucket = latest_complete(until, period, timezone)
        while len(out) < count and start_of(bucket, timezone) >= first:
            out.append(bucket)
            bucket = shift(bucket, period, -1)
    except (OverflowError, ValueError):  # before year 1: the log's start came first anyway
        pass
    return out[::-1]


def _lookbacks(config: Config) -> dict[str, int]:
    """The longest lookback of the anomaly checks per period."""
    out: dict[str, int] = {}
    for check in config.checks:
        if check.anomaly is not None:
            over = check.anomaly.over
            out[over] = max(out.get(over, 0), check.anomaly.lookback)
    return out


def history_windows(config: Config, window: Window) -> tuple[tuple[str, Window], ...]:
    """The trend windows phase 1 counts for the anomaly checks: one per period.

    They start at the first bucket a check may read when ``until`` is known (a flag set it),
    else at the log's start (the default until follows the last event, known only after the
    pass); ``--since`` never limits them.
    """
    out = []
    for period, lookback in sorted(_lookbacks(config).items()):
        since = None
        if window.until is not None:
            timezone = config.time.timezone
            try:
                first = shift(latest_complete(window.until, period, timezone), period, -lookback)
                since = start_of(first, timezone)
            except (OverflowError, ValueError):
                since = None
        out.append((period, Window(since, window.until, window.as_of)))
    return tuple(out)


def history_trends(
    frames: Mapping[str, pl.DataFrame], config: Config, window: Window, measured: dict[str, bool]
) -> dict[str, Trend]:
    """The complete buckets of each anomaly period, oldest first (empty buckets included)."""
    first = frames["valid"]["time_min"].item()
    until = window.until if window.until is not None else window.as_of + 1
    out = {}
    for period, lookback in _lookbacks(config).items():
        every = complete_buckets(first, until, period, config.time.timezone, lookback + 1)
        counted = frames[HISTORY + period].filter(pl.col("__bucket").is_in(every))
        out[period] = build_trend(counted, period, measured, every, config.diagnosis.min_stage)
    return out


# --- the judgement ---


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def band(values: Sequence[float], k: float) -> tuple[float, float, float]:
    """(median, low, high): median ± k·1.4826·MAD; with MAD = 0 the smallest non-zero deviation.

    All values equal: low = high = the median, so any other value is outside.
    """
    median = _median(values)
    deviations = [abs(v - median) for v in values]
    mad = _median(deviations)
    if mad == 0:
        mad = min((d for d in deviations if d > 0), default=0.0)
    spread = k * MAD_SCALE * mad
    return median, median - spread, median + spread


def is_anomalous(value: float, low: float, high: float, direction: str) -> bool:
    """Outside the band on the watched side; a value on a bound is normal."""
    below = value < low and direction in ("down", "both")
    return below or (value > high and direction in ("up", "both"))


def bucket_value(row: TrendRow, metric: str) -> float | int | None:
    """The check's metric in one trend bucket."""
    head, _, tail = metric.partition(".")
    if head in ("par", "bar"):
        return getattr(row, head)
    return {"reached": row.reached, "ratio": row.ratios, "flow": row.flows}[head].get(tail)


def _plural(period: str, n: int) -> str:
    return f"{n} {period}{'' if n == 1 else 's'}"


def judge(rows: Sequence[TrendRow], check: Check) -> AnomalyResult:
    """The latest of ``rows`` (complete buckets, oldest first) against the ones before it."""
    spec = check.anomaly
    assert spec is not None
    if not rows:
        reason = f"no complete {spec.over} in the log before the analysis end (until)"
        return AnomalyResult(None, None, None, None, None, (), "not_judged", reason)
    latest = rows[-1]
    value = bucket_value(latest, check.metric)
    history = tuple(
        HistoryPoint(row.period, v)
        for row in rows[-1 - spec.lookback : -1]
        if not row.small_sample and (v := bucket_value(row, check.metric)) is not None
    )
    reason = None
    if latest.small_sample:
        reason = (
            f"{spec.over} {latest.period} is a small sample (fewer aware persons than "
            "diagnosis.min_stage)"
        )
    elif value is None:
        reason = f"{check.metric} has no value in {spec.over} {latest.period}"
    elif len(history) < spec.min_periods:
        reason = (
            f"{_plural(spec.over, len(history))} with a value among the "
            f"{_plural(spec.over, spec.lookback)} before {latest.period}; min_periods is "
            f"{spec.min_periods}"
        )
    if reason is not None or value is None:
        return AnomalyResult(latest.period, value, None, None, None, history, "not_judged", reason)
    median, low, high = band([p.value for p in history], spec.k)
    status: Status = "anomalous" if is_anomalous(value, low, high, spec.direction) else "normal"
    return AnomalyResult(
        latest.period, value, median, low, high, history, status, direction=spec.direction
    )


def describe(check: Check, judged: AnomalyResult) -> str:
    """The check's message: the bucket, its value, the band and the history."""
    spec = check.anomaly
    assert spec is not None
    if judged.status == "not_judged":
        reason = judged.status_reason
        return f"{check.metric} anomaly not judged: {reason}; on_missing: {check.on_missing}"
    past = ", ".join(f"{p.bucket} {show(p.value)}" for p in judged.history)
    return (
        f"{check.metric} {judged.bucket} = {show(judged.value)}: {judged.status}, "
        f"{position(judged)} (median {show(judged.median)} ± {spec.k:g}·1.4826·MAD of "
        f"{_plural(spec.over, len(judged.history))}: {past})"
    )


def anomaly_conditions(check: Check) -> str:
    """The check's condition in words: 'fail if anomalous (down, k 3.5, 8 weeks)'."""
    spec = check.anomaly
    assert spec is not None
    level = "warn" if check.warn is not None and check.fail is None else "fail"
    return f"{level} if anomalous ({spec.direction}, k {spec.k:g}, {_plural(spec.over, spec.lookback)})"


def evaluate_anomaly(check: Check, result: Result, line: int | None, name: str) -> CheckResult:
    """One anomaly check -> its result; ``not_judged`` is decided by ``on_missing``."""
    spec = check.anomaly
    assert spec is not None
    trend = result.history.get(spec.over)
    rows = trend.rows if trend is not None else ()
    judged = judge(rows, check)
    conditions = anomaly_conditions(check)
    level = conditions.split(" ", 1)[0]  # fail, or warn with warn: anomalous
    if judged.status == "not_judged":
        status, condition = check.on_missing, None
    elif judged.status == "anomalous":
        status, condition = level, "anomalous"
    else:
        status, condition = "pass", None
    return CheckResult(
        name,
        check.metric,
        None,
        judged.value,
        status,
        condition,
        describe(check, judged),
        line,
        judged.status_reason,
        conditions,
        anomaly=judged,
    )
