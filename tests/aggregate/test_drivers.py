"""Drivers of a transition (docs/metrics.md "Drivers"): planted effects and the landmark edges."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fivea
from fivea.result import Drivers

START = datetime(2025, 1, 1, tzinfo=UTC)
MINUTE, HOUR, DAY = 60, 3600, 86400
CONFIG = {
    "stages": {
        "aware": {"rules": [{"event": "visit"}]},
        "appeal": {"rules": [{"event": "view"}]},
        "ask": {"rules": [{"event": "question"}]},
        "act": {"rules": [{"event": "purchase"}]},
        "advocate": {"rules": [{"event": "review"}]},
    },
    "drivers": {"landmark": "1h", "horizon": "10d"},
    "diagnosis": {"min_stage": 20},
}


def _frame(rows: list[tuple[str, float, str, str]]) -> pl.DataFrame:
    """(user, seconds after START, event, channel) -> an event log."""
    return pl.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event_time": [START + timedelta(seconds=r[1]) for r in rows],
            "event": [r[2] for r in rows],
            "channel": [r[3] for r in rows],
        }
    )


def planted_log(seed: int, persons: int = 1500) -> pl.DataFrame:
    """read_reviews (before the landmark) triples the chance to view; noise does nothing."""
    rng = random.Random(seed)
    rows = []
    for i in range(persons):
        user, t0 = f"u{i}", rng.uniform(0, 20 * DAY)
        channel = rng.choice(["email", "social", "search"])
        rows.append((user, t0, "visit", channel))
        reads = rng.random() < 0.3
        if reads:
            rows.append((user, t0 + rng.uniform(1, 50 * MINUTE), "read_reviews", channel))
        if rng.random() < 0.5:
            rows.append((user, t0 + rng.uniform(1, 50 * MINUTE), "noise", channel))
        if rng.random() < (0.3 if reads else 0.1):
            rows.append((user, t0 + rng.uniform(2 * HOUR, 5 * DAY), "view", channel))
    rows.append(("last", 40 * DAY, "visit", "email"))  # as_of: every person watched for H
    return _frame(rows)


def _drivers(log: pl.DataFrame, transition: str = "attraction", **config: object) -> Drivers:
    result = fivea.diagnose(log, {**CONFIG, **config}, drivers=transition)
    (drivers,) = result.drivers
    return drivers


def test_an_event_that_triples_conversion_comes_out_on_top() -> None:
    d = _drivers(planted_log(0))
    assert d.status == "ok"
    top = d.features[0]
    assert (top.kind, top.name, top.direction) == ("event", "read_reviews", "positive")
    assert top.q_value < 0.05
    assert top.odds_ratio > 2
    assert top.converted_with == pytest.approx(0.3, abs=0.06)
    assert top.converted_without == pytest.approx(0.1, abs=0.03)
    assert "noise" not in {f.name for f in d.features}
    # every persons watched (visit, read_reviews, noise are the candidate events; channel
    # values the properties), one landmark population
    assert d.population == 1500
    assert d.tested == 2 + 3


def test_a_random_event_is_rarely_shown_across_20_seeds() -> None:
    false_positives = 0
    for seed in range(20):
        d = _drivers(planted_log(seed, persons=800))
        false_positives += any(f.name == "noise" for f in d.features)
    assert false_positives <= 1


def test_no_bottleneck_or_none_gives_an_empty_list() -> None:
    log = planted_log(1, persons=300)
    assert fivea.diagnose(log, CONFIG, drivers="none").drivers == ()


def test_rule_events_are_not_features() -> None:
    d = _drivers(planted_log(2, persons=600))
    names = {f.name for f in d.features if f.kind == "event"}
    assert not names & {"visit", "view"}


def test_too_small_a_population_is_not_judged() -> None:
    d = _drivers(planted_log(3, persons=100), diagnosis={"min_stage": 500})
    assert d.status == "not_judged"
    assert "min_stage" in (d.status_reason or "")
    assert d.features == ()


# --- the landmark population against a slow reference -----------------------------------

L, H = HOUR, 10 * DAY


def reference(rows: list[tuple[str, float, str, str]]) -> tuple[int, int, int]:
    """(population, converted, reversed) of visit -> view, straight from docs/metrics.md."""
    as_of = max(r[1] for r in rows)
    first: dict[str, dict[str, float]] = {}
    for user, t, event, _ in rows:
        seen = first.setdefault(user, {})
        seen[event] = min(seen.get(event, t), t)
    population = converted = reversed_ = 0
    for seen in first.values():
        rs, rt = seen.get("visit"), seen.get("view")
        if rs is None or rs + H > as_of:
            continue
        if rt is not None and rt < rs:
            reversed_ += 1
            continue
        if rt is not None and rt < rs + L:
            continue
        population += 1
        converted += rt is not None and rt <= rs + H
    return population, converted, reversed_


times = st.sampled_from([0, 30, 59 * MINUTE, HOUR, HOUR + 1, 3 * DAY, H - 1, H, H + 1, 12 * DAY])
event_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        times,
        st.sampled_from(["visit", "view", "other"]),
        st.just("x"),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_rows)
def test_landmark_edges_match_the_reference(rows: list[tuple[str, float, str, str]]) -> None:
    rows = [*rows, ("z", 20 * DAY, "other", "x")]  # as_of well after every start
    log = _frame(rows)
    d = _drivers(log, diagnosis={"min_stage": 0})
    population, converted, reversed_ = reference(rows)
    assert (d.population, d.converted, d.reversed) == (population, converted, reversed_)


def test_default_landmark_and_horizon_are_quantiles_of_time_to_convert() -> None:
    log = planted_log(4, persons=600)
    config = {k: v for k, v in CONFIG.items() if k != "drivers"}
    result = fivea.diagnose(log, config, drivers="attraction")
    (d,) = result.drivers
    attraction = next(t for t in result.transitions if t.name == "attraction")
    assert d.landmark_seconds == pytest.approx(max(attraction.p25_seconds, 60), abs=1e-6)
    assert d.horizon_seconds == pytest.approx(min(attraction.p90_seconds, 30 * DAY), abs=1e-6)


def test_person_partitions_give_the_same_drivers(tmp_path) -> None:
    path = tmp_path / "log.parquet"
    planted_log(5, persons=900).write_parquet(path)
    one = fivea.diagnose(path, CONFIG, drivers="attraction", partitions=1)
    four = fivea.diagnose(path, CONFIG, drivers="attraction", partitions=4)
    assert four.run is not None
    assert four.run["partitions"] == 4
    assert four.drivers == one.drivers
    assert one.drivers[0].features


def test_property_features_use_the_first_non_empty_value() -> None:
    rows = []
    for i in range(60):
        user, t0, value = f"p{i}", i * 10.0, "A" if i % 2 == 0 else "B"
        rows += [
            (user, t0, "visit", "  "),  # blank: not a value
            (user, t0, "other", value),  # same instant, later in the file: the first touch
            (user, t0, "other", "C"),  # same instant again, after it in the file
            (user, t0 + 60, "other", "C"),
        ]
        if value == "A":
            rows.append((user, t0 + 2 * HOUR, "view", "C"))
    rows.append(("last", 40 * DAY, "other", "C"))
    d = _drivers(
        _frame(rows), drivers={"landmark": "1h", "horizon": "10d", "properties": ["channel"]}
    )
    by_value = {f.value: f for f in d.features if f.kind == "property"}
    assert set(by_value) == {"A", "B"}
    assert (by_value["A"].persons, by_value["A"].converted_with) == (30, 1.0)
    assert (by_value["B"].persons, by_value["B"].converted_with) == (30, 0.0)


def test_last_touch_attribution_is_shared_by_the_drivers() -> None:
    rows = []
    for i in range(60):
        user, t0, value = f"p{i}", i * 10.0, "A" if i % 2 == 0 else "B"
        rows += [(user, t0, "visit", "C"), (user, t0 + 60, "other", value)]
        if value == "A":
            rows.append((user, t0 + 2 * HOUR, "view", "  "))  # blank: not a value
    rows.append(("last", 40 * DAY, "other", "  "))
    d = _drivers(
        _frame(rows),
        drivers={"landmark": "1h", "horizon": "10d", "properties": ["channel"]},
        segment_attribution="last",
    )
    by_value = {f.value: f for f in d.features if f.kind == "property"}
    assert set(by_value) == {"A", "B"}
    assert (by_value["A"].persons, by_value["A"].converted_with) == (30, 1.0)


def test_the_library_rejects_an_unknown_transition() -> None:
    from fivea.errors import UsageError

    with pytest.raises(UsageError, match=r"drivers='checkout': use 'attraction'"):
        fivea.diagnose(planted_log(6, persons=50), CONFIG, drivers="checkout")
