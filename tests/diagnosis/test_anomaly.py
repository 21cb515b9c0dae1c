"""Anomaly checks (docs/checks.md, "Anomaly checks"): the band against a slow reference, known
answers, complete buckets, and the whole-log history whatever --since says."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fivea
from fivea.api import _loaded
from fivea.config.loader import Check
from fivea.diagnosis.anomaly import (
    AnomalyResult,
    band,
    complete_buckets,
    describe,
    is_anomalous,
    judge,
    latest_complete,
    start_of,
)
from fivea.diagnosis.checks import CheckResult, evaluate
from fivea.result import TrendRow

STAGES = ("aware", "appeal", "ask", "act", "advocate")


# --- the slow, obviously-correct reference (statistics.median, loops) ---


def reference_band(values: list[float], k: float) -> tuple[float, float, float]:
    median = statistics.median(values)
    deviations = [abs(v - median) for v in values]
    mad = statistics.median(deviations)
    if mad == 0:
        non_zero = [d for d in deviations if d != 0]
        mad = min(non_zero) if non_zero else 0
    return median, median - k * 1.4826 * mad, median + k * 1.4826 * mad


def reference_judge(
    series: list[tuple[float | None, bool]], lookback: int, k: float, direction: str, min_p: int
) -> tuple[str, list[float]]:
    """(status, history values) for a series of (value, small_sample), oldest first."""
    if not series:
        return "not_judged", []
    value, small = series[-1]
    history = []
    i = len(series) - 2
    while i >= 0 and i >= len(series) - 1 - lookback:
        past, past_small = series[i]
        if past is not None and not past_small:
            history.insert(0, past)
        i -= 1
    if small or value is None or len(history) < min_p:
        return "not_judged", history
    _, low, high = reference_band(history, k)
    out = False
    if direction in ("down", "both") and value < low:
        out = True
    if direction in ("up", "both") and value > high:
        out = True
    return ("anomalous" if out else "normal"), history


def _rows(series: list[tuple[float | None, bool]]) -> list[TrendRow]:
    return [
        TrendRow(f"b{i:03d}", dict.fromkeys(STAGES, 0), value, None, {}, small)
        for i, (value, small) in enumerate(series)
    ]


def _check(**anomaly: object) -> Check:
    return Check.model_validate({"metric": "par", "anomaly": {"over": "week", **anomaly}})


values = st.one_of(
    st.integers(-5, 5).map(float),  # many ties: MAD = 0 often
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@given(st.lists(values, min_size=1, max_size=30), st.floats(0.01, 10))
def test_band_equals_the_reference(history: list[float], k: float) -> None:
    assert band(history, k) == reference_band(history, k)


@given(
    st.lists(st.tuples(st.one_of(st.none(), values), st.booleans()), max_size=25),
    st.integers(1, 12),
    st.floats(0.1, 6),
    st.sampled_from(["down", "up", "both"]),
    st.data(),
)
def test_judgement_equals_the_reference(
    series: list[tuple[float | None, bool]],
    lookback: int,
    k: float,
    direction: str,
    data: st.DataObject,
) -> None:
    min_periods = data.draw(st.integers(1, lookback))
    check = _check(lookback=lookback, k=k, direction=direction, min_periods=min_periods)
    judged = judge(_rows(series), check)
    status, history = reference_judge(series, lookback, k, direction, min_periods)
    assert judged.status == status
    assert [p.value for p in judged.history] == history
    if status != "not_judged":
        assert (judged.median, judged.low, judged.high) == reference_band(history, k)
        assert judged.status_reason is None
    else:
        assert judged.status_reason


# --- known answers ---


def _judge(history: list[float], value: float, **anomaly: object) -> str:
    series = [(v, False) for v in [*history, value]]
    spec = {"lookback": len(history), "min_periods": len(history), **anomaly}
    return judge(_rows(series), _check(**spec)).status


def test_mad_zero_takes_the_smallest_non_zero_deviation() -> None:
    # median 10, deviations 0,0,0,2,0: MAD 0 -> scale 2, band 10 ± 1 * 1.4826 * 2
    history = [10.0, 10.0, 10.0, 12.0, 10.0]
    assert band(history, 1.0) == (10.0, 10.0 - 1.4826 * 2, 10.0 + 1.4826 * 2)
    assert _judge(history, 12.9, k=1) == "normal"
    assert _judge(history, 13.0, k=1) == "anomalous"
    assert _judge(history, 7.0, k=1) == "anomalous"


def test_all_equal_values_flag_exactly_a_different_one() -> None:
    history = [0.25] * 6
    assert band(history, 3.5) == (0.25, 0.25, 0.25)
    assert _judge(history, 0.25) == "normal"
    assert _judge(history, 0.2500001) == "anomalous"
    assert _judge(history, 0.2499999) == "anomalous"
    # the direction still picks the side
    assert _judge(history, 0.3, direction="down") == "normal"
    assert _judge(history, 0.2, direction="up") == "normal"


def test_a_value_on_a_bound_is_normal() -> None:
    history = [0.20, 0.22, 0.25, 0.21, 0.30, 0.24]
    _, low, high = band(history, 3.5)
    assert _judge(history, low) == "normal"
    assert _judge(history, high) == "normal"
    assert _judge(history, math.nextafter(low, -math.inf)) == "anomalous"
    assert _judge(history, math.nextafter(high, math.inf)) == "anomalous"


def test_direction_picks_the_side() -> None:
    history = [0.20, 0.22, 0.25, 0.21, 0.23, 0.24]
    assert _judge(history, 0.01, direction="down") == "anomalous"
    assert _judge(history, 0.01, direction="up") == "normal"
    assert _judge(history, 0.90, direction="down") == "normal"
    assert _judge(history, 0.90, direction="up") == "anomalous"
    assert is_anomalous(0.01, 0.1, 0.3, "both")
    assert is_anomalous(0.9, 0.1, 0.3, "both")


def test_min_periods_and_small_samples() -> None:
    check = _check(lookback=5, min_periods=4)
    # two of the five buckets before are small samples, one has no value: 2 count, not 4
    series = [(0.2, False), (0.3, True), (None, False), (0.25, True), (0.22, False), (0.01, False)]
    judged = judge(_rows(series), check)
    assert judged.status == "not_judged"
    assert [p.value for p in judged.history] == [0.2, 0.22]
    assert judged.status_reason == (
        "2 weeks with a value among the 5 weeks before b005; min_periods is 4"
    )
    enough = [(0.2, False), (0.21, False), (0.3, True), (0.22, False), (0.23, False)]
    judged = judge(_rows([*enough, (0.01, False)]), _check(lookback=5, min_periods=4))
    assert judged.status == "anomalous"
    assert [p.bucket for p in judged.history] == ["b000", "b001", "b003", "b004"]
    # only the lookback counts: the oldest bucket is out of it
    assert judge(_rows([*enough, (0.01, False)]), _check(lookback=4)).status == "not_judged"


def test_a_small_latest_bucket_is_not_judged() -> None:
    series = [(0.2, False)] * 8 + [(0.9, True)]
    judged = judge(_rows(series), _check())
    assert judged.status == "not_judged"
    assert judged.bucket == "b008"
    assert judged.value == 0.9
    assert "small sample" in (judged.status_reason or "")


def test_no_complete_bucket_is_not_judged() -> None:
    judged = judge([], _check())
    assert judged.status == "not_judged"
    assert judged.bucket is None
    assert judged.status_reason == "no complete week in the log before the analysis end (until)"


# --- complete buckets ---


def _us(text: str, timezone: str = "UTC") -> int:
    return start_of(dt.date.fromisoformat(text[:10]), timezone) + (
        int(dt.time.fromisoformat(text[11:]).hour) * 3_600_000_000 if len(text) > 10 else 0
    )


def test_an_incomplete_latest_bucket_is_left_out() -> None:
    # until on a Wednesday: the week holding it is not over, the week before is the latest
    until = _us("2025-03-12T10")
    assert latest_complete(until, "week", "UTC") == dt.date(2025, 3, 3)
    # until exactly at Monday 00:00: the week just ended is complete
    assert latest_complete(_us("2025-03-10"), "week", "UTC") == dt.date(2025, 3, 3)
    assert latest_complete(_us("2025-03-10") + 1, "week", "UTC") == dt.date(2025, 3, 3)
    assert latest_complete(_us("2025-03-01"), "month", "UTC") == dt.date(2025, 2, 1)
    assert latest_complete(_us("2025-03-01") - 1, "month", "UTC") == dt.date(2025, 1, 1)
    assert latest_complete(_us("2025-03-01T05"), "day", "UTC") == dt.date(2025, 2, 28)


def test_the_bucket_of_the_first_event_counts_only_when_it_starts_there() -> None:
    until = _us("2025-03-31")
    # first event on a Tuesday: its week is not complete
    weeks = complete_buckets(_us("2025-03-04T09"), until, "week", "UTC", 10)
    assert weeks == [dt.date(2025, 3, 10), dt.date(2025, 3, 17), dt.date(2025, 3, 24)]
    # first event at Monday 00:00 exactly: it is
    weeks = complete_buckets(_us("2025-03-03"), until, "week", "UTC", 10)
    assert weeks[0] == dt.date(2025, 3, 3)
    assert complete_buckets(_us("2025-03-03"), until, "week", "UTC", 2) == weeks[-2:]
    assert complete_buckets(_us("2025-03-25"), until, "week", "UTC", 10) == []


def test_buckets_are_local_days_of_the_timezone() -> None:
    # 2025-03-10 00:00 in New York is 04:00 UTC (EDT started on 2025-03-09)
    assert start_of(dt.date(2025, 3, 10), "America/New_York") == _us("2025-03-10T04")
    until = start_of(dt.date(2025, 3, 10), "America/New_York")
    assert latest_complete(until, "day", "America/New_York") == dt.date(2025, 3, 9)
    assert latest_complete(until - 1, "day", "America/New_York") == dt.date(2025, 3, 8)


# --- end to end through the library ---


def _weekly_log(weeks: int = 10, collapse: bool = True) -> pl.DataFrame:
    """Mondays from 2025-01-06: 100 persons a week view a page, 30 buy (5 in the last week)."""
    rows = []
    start = dt.datetime(2025, 1, 6, 0, 0)
    for w in range(weeks):
        buyers = 5 if collapse and w == weeks - 1 else 28 + (w % 3) * 2
        for i in range(100):
            user = f"w{w}p{i}"
            at = start + dt.timedelta(weeks=w, days=i % 7, hours=9)
            rows.append((user, "page_view", at))
            if i < buyers:
                rows.append((user, "purchase", at + dt.timedelta(minutes=5)))
    return pl.DataFrame(rows, schema=["user_id", "event", "timestamp"], orient="row")


CONFIG = {
    "preset": "5a-default",
    "diagnosis": {"min_stage": 10},  # a day has 14 or 15 persons
    "checks": [
        {"id": "par-week", "metric": "par", "anomaly": {"over": "week", "direction": "down"}},
        {"id": "aware-day", "metric": "reached.aware", "anomaly": {"over": "day"}},
    ],
}


def _anomaly(**window: str) -> dict[str, CheckResult]:
    loaded = _loaded(CONFIG, None)
    result = fivea.diagnose(_weekly_log(), loaded, **window)
    return {c.name: c for c in evaluate(loaded.config, result)}


def test_a_collapsed_last_week_is_anomalous_whatever_since_says() -> None:
    # until the end of Sunday 2025-03-16: W11 (the 10th week) is the latest complete one
    whole = _anomaly(until="2025-03-16")
    par = whole["par-week"]
    assert par.status == "fail"
    assert par.condition == "anomalous"
    assert par.anomaly is not None
    assert par.anomaly.bucket == "2025-W11"
    assert par.anomaly.value == 0.05
    assert [p.bucket for p in par.anomaly.history] == [f"2025-W{w:02d}" for w in range(3, 11)]
    assert par.message.startswith("par 2025-W11 = 0.05: anomalous, below the low bound ")
    # --since 7d limits the report's window, never the history
    narrow = _anomaly(until="2025-03-16", since="7d")["par-week"]
    assert narrow.anomaly == par.anomaly
    # the default until follows the last event (Sunday 09:05): W11 is not over, W10 is normal
    default = _anomaly()["par-week"]
    assert default.anomaly is not None
    assert default.anomaly.bucket == "2025-W10"
    assert default.status == "pass"


def test_daily_buckets_use_the_whole_log() -> None:
    aware = _anomaly(until="2025-03-16", since="1d")["aware-day"]
    assert aware.anomaly is not None
    assert aware.anomaly.bucket == "2025-03-16"
    assert len(aware.anomaly.history) == 8
    assert aware.status == "pass"


def test_history_buckets_equal_the_trend_in_a_timezone() -> None:
    config = {**CONFIG, "time": {"timezone": "America/New_York"}}
    result = fivea.diagnose(_weekly_log(), config, until="2025-03-16", trend="day")
    trend = {row.period: row for row in result.trend.rows} if result.trend else {}
    history = result.history["day"].rows
    assert len(history) == 9  # the day check's lookback (8) and the latest day
    for row in history:
        assert row.reached == trend[row.period].reached
    assert result.to_dict().get("history") is None  # not written to the JSON


@pytest.mark.parametrize("metric", ["share.act", "quality.persons", "archetype"])
def test_metrics_the_trend_does_not_count_are_config_errors(metric: str) -> None:
    with pytest.raises(ValueError, match="is not counted per week"):
        Check.model_validate({"metric": metric, "anomaly": {"over": "week"}})


def test_person_partitions_give_the_same_history(tmp_path) -> None:
    path = tmp_path / "events.parquet"
    _weekly_log().write_parquet(path)
    loaded = _loaded(CONFIG, None)
    whole = fivea.diagnose(str(path), loaded, until="2025-03-16")
    parts = fivea.diagnose(str(path), loaded, until="2025-03-16", partitions=3)
    assert parts.run is not None
    assert parts.run["partitions"] == 3
    assert parts.history == whole.history
    assert [r.reached["act"] for r in whole.history["week"].rows][-1] == 5


@pytest.mark.parametrize(
    ("direction", "value", "words"),
    [
        ("both", 0.01, "anomalous, below [0.1, 0.3]"),
        ("both", 0.2, "normal, inside [0.1, 0.3]"),
        ("both", 0.4, "anomalous, above [0.1, 0.3]"),
        ("down", 0.4, "normal, not below the low bound 0.1"),
        ("down", 0.01, "anomalous, below the low bound 0.1"),
        ("up", 0.01, "normal, not above the high bound 0.3"),
        ("up", 0.4, "anomalous, above the high bound 0.3"),
    ],
)
def test_the_message_words_the_watched_side(direction: str, value: float, words: str) -> None:
    status = "anomalous" if is_anomalous(value, 0.1, 0.3, direction) else "normal"
    judged = AnomalyResult("2025-W11", value, 0.2, 0.1, 0.3, (), status, direction=direction)  # type: ignore[arg-type]
    check = _check(direction=direction)
    assert describe(check, judged).startswith(f"par 2025-W11 = {value}: {words} (median 0.2 ± ")


def test_the_end_of_time_does_not_overflow() -> None:
    from fivea.person.window import MAX_US, MIN_US

    # the bucket of 9999-12-31 never ends (its next day is past year 9999): the day before is
    # the latest complete one
    days = complete_buckets(MIN_US, MAX_US, "day", "UTC", 3)
    assert days == [dt.date(9999, 12, 28), dt.date(9999, 12, 29), dt.date(9999, 12, 30)]
    assert complete_buckets(MIN_US, MAX_US, "month", "Pacific/Kiritimati", 2) == []
    assert complete_buckets(MIN_US, MIN_US + 10, "week", "UTC", 2) == []
