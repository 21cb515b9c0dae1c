"""The polars engine must equal the slow pure-Python oracle (tests/reference.py) exactly.

Generated logs are small but adversarial: many ties in time, unsorted rows, duplicates, events
exactly one window apart, min_count pairs straddling --since, reversed stage order.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fivea.api import diagnose
from fivea.config.loader import ConfigSource, validate_config
from fivea.person.window import iso
from tests import reference as ref

HOUR = 3_600_000_000
BASE = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z in µs
NAMES = ["v", "p", "s", "b", "r", "x"]


def _event_rule(names: list[str], **extra: object) -> tuple[dict, ref.RefRule]:
    yaml_rule: dict = {"event": names, **extra}
    where = None
    if "where" in extra:

        def where(e: dict) -> bool:
            return e.get("amt") is not None and e["amt"] > 0

    within, gap = extra.get("within"), extra.get("gap")
    ref_rule = ref.RefRule(
        event=names,
        where=where,
        min_count=extra.get("min_count"),  # type: ignore[arg-type]
        within_us=int(str(within).rstrip("h")) * HOUR if within else None,
        gap_us=int(str(gap).rstrip("h")) * HOUR if gap else None,
    )
    return yaml_rule, ref_rule


@st.composite
def scenario(draw: st.DrawFn) -> dict:
    n_users = draw(st.integers(1, 6))
    n_events = draw(st.integers(1, 60))
    rows = []
    for _ in range(n_events):
        rows.append(
            {
                "user_id": f"u{draw(st.integers(0, n_users - 1))}",
                "time": BASE
                + draw(st.integers(0, 12)) * HOUR
                + draw(st.sampled_from([0, 0, 0, 1])),
                "event": draw(st.sampled_from(NAMES)),
                "amt": draw(st.sampled_from([None, 0, 5, 20])),
            }
        )
    if rows and draw(st.booleans()):
        rows.append(dict(rows[draw(st.integers(0, len(rows) - 1))]))  # an exact duplicate
    aware_any = draw(st.booleans())
    # (min_count, within, gap); times are whole hours (+ 0 or 1 µs), so a 1h gap sees events
    # exactly one gap apart (a new occasion) and ties (one occasion)
    appeal_counted = draw(
        st.sampled_from(
            [
                None,
                (2, None, None),
                (2, "2h", None),
                (3, "4h", None),
                (None, None, "1h"),
                (2, None, "1h"),
                (2, "3h", "2h"),
                (1, "2h", "1h"),
                (3, "5h", "1h"),
            ]
        )
    )
    repeat_gap = draw(st.sampled_from([None, "1h", "2h"]))
    window_h = draw(st.sampled_from([1, 3, 6]))
    since = draw(st.sampled_from([None, 2, 5]))
    until = draw(st.sampled_from([None, 9, 12]))
    partitions = draw(st.sampled_from([None, 1, 2, 3, 7]))
    return {
        "partitions": partitions,
        "rows": rows,
        "aware_any": aware_any,
        "appeal": appeal_counted,
        "repeat_gap": repeat_gap,
        "window_h": window_h,
        "since": since,
        "until": until,
    }


def _configs(s: dict) -> tuple[dict, ref.RefConfig]:
    stages_yaml: dict = {}
    stages_ref: dict = {}
    if s["aware_any"]:
        stages_yaml["aware"] = {"rules": [{"any_event": True}]}
        stages_ref["aware"] = [ref.RefRule(any_event=True)]
    else:
        y, r = _event_rule(["v", "p"])
        stages_yaml["aware"], stages_ref["aware"] = {"rules": [y]}, [r]
    if s["appeal"] is None:
        y, r = _event_rule(["p"])
    else:
        n, within, gap = s["appeal"]
        extra = {"min_count": n} if n else {}
        extra |= ({"within": within} if within else {}) | ({"gap": gap} if gap else {})
        y, r = _event_rule(["p"], **extra)
    stages_yaml["appeal"], stages_ref["appeal"] = {"rules": [y]}, [r]
    y, r = _event_rule(["s"])
    stages_yaml["ask"], stages_ref["ask"] = {"rules": [y]}, [r]
    y, r = _event_rule(["b"], where="amt > 0")
    stages_yaml["act"], stages_ref["act"] = {"rules": [y]}, [r]
    y1, r1 = _event_rule(["r"])
    gap = s.get("repeat_gap")
    y2, r2 = _event_rule(["b"], where="amt > 0", min_count=2, **({"gap": gap} if gap else {}))
    stages_yaml["advocate"], stages_ref["advocate"] = {"rules": [y1, y2]}, [r1, r2]
    window = s["window_h"] * HOUR
    sub_steps = [["v"], ["p"], ["b"]]
    repeat = [["b"], ["b"], ["b"]]
    config_yaml = {
        "version": 1,
        "stages": stages_yaml,
        "funnel": {"window": f"{s['window_h']}h"},
        "subfunnels": {
            "browse": [n[0] for n in sub_steps],
            "repeat": {"steps": [n[0] for n in repeat], "window": "8h"},
            # a counted step: its hits are second rows of events the other steps see too
            "counted": [{"event": "p", "min_count": 2}, "p", "b"],
        },
    }
    config_ref = ref.RefConfig(
        stages=stages_ref,
        window_us=window,
        subfunnels={
            "browse": ([ref.RefRule(event=n) for n in sub_steps], window),
            "repeat": ([ref.RefRule(event=n) for n in repeat], 8 * HOUR),
            "counted": (
                [
                    ref.RefRule(event=["p"], min_count=2),
                    ref.RefRule(event=["p"]),
                    ref.RefRule(event=["b"]),
                ],
                window,
            ),
        },
    )
    return config_yaml, config_ref


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def check_scenario(s: dict) -> None:
    config_yaml, config_ref = _configs(s)
    loaded = validate_config(config_yaml, "test.yaml", {}, ConfigSource(None, None, "test"))
    frame = pl.DataFrame(
        {
            "user_id": [r["user_id"] for r in s["rows"]],
            "time": [
                dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=r["time"])
                for r in s["rows"]
            ],
            "event": [r["event"] for r in s["rows"]],
            "amt": [r["amt"] for r in s["rows"]],
        },
        schema={
            "user_id": pl.String,
            "time": pl.Datetime("us", "UTC"),
            "event": pl.String,
            "amt": pl.Int64,
        },
    )
    since = BASE + s["since"] * HOUR if s["since"] is not None else None
    until = BASE + s["until"] * HOUR if s["until"] is not None else None
    in_range = [r["time"] for r in s["rows"] if until is None or r["time"] < until]
    if not in_range or (since is not None and not any(t >= since for t in in_range)):
        return  # nothing to analyse: covered by the error tests
    as_of = until - 1 if until is not None else None
    # the local engine in person partitions must not change a number (docs/architecture.md#the-seam)
    result = diagnose(
        frame,
        loaded,
        since=iso(since),
        until=iso(until),
        as_of=iso(as_of),
        partitions=s.get("partitions"),
    )
    events = [
        {"user": r["user_id"], "time": r["time"], "event": r["event"], "amt": r["amt"]}
        for r in s["rows"]
    ]
    expected = ref.compute(events, config_ref, since_us=since, until_us=until, as_of_us=as_of)

    assert result.persons == expected.persons
    assert {st.key: st.reached for st in result.stages} == expected.reached
    assert {t.name: t.flow_count for t in result.transitions} == expected.flow
    assert result.current == expected.current
    assert {st.key: st.measured for st in result.stages} == expected.measured
    assert [st.path for st in result.stages] == expected.path
    assert [st.in_window for st in result.stages[:4]] == expected.in_window
    for t in result.transitions:
        want = expected.ttc[t.name]
        assert (t.converted, t.reversed) == (want["n"], want["reversed"]), t.name
        for q in ("p25", "median", "p75", "p90"):
            assert _close(getattr(t, f"{q}_seconds"), want[q]), (t.name, q)
    assert [sub.name for sub in result.subfunnels] == list(expected.subfunnels)
    for sub in result.subfunnels:
        want = expected.subfunnels[sub.name]
        assert [step.reached for step in sub.steps] == want["counts"], sub.name
        medians = [step.median_seconds for step in sub.steps]
        assert all(_close(a, b) for a, b in zip(medians, want["median_step_seconds"], strict=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_engine_equals_reference(s: dict) -> None:
    check_scenario(s)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_engine_equals_reference_many(s: dict) -> None:
    check_scenario(s)


def test_mixpanel_example_counts_three_steps() -> None:
    """docs/metrics.md#ordered-path: A 13:00, A 13:30, B 13:45, C 14:15 with W = 1h reaches 3 steps here."""
    minute = 60_000_000
    rows = [("a", 0, "v"), ("a", 30, "v"), ("a", 45, "p"), ("a", 75, "s")]
    s = {
        "rows": [
            {"user_id": u, "time": BASE + m * minute, "event": e, "amt": None} for u, m, e in rows
        ],
        "aware_any": False,
        "appeal": None,
        "window_h": 1,
        "since": None,
        "until": None,
    }
    check_scenario(s)
    config_yaml, _ = _configs(s)
    loaded = validate_config(config_yaml, "t", {}, ConfigSource(None, None, "test"))
    frame = pl.DataFrame(
        {
            "user_id": [r["user_id"] for r in s["rows"]],
            "time": [r["time"] for r in s["rows"]],
            "event": [r["event"] for r in s["rows"]],
            "amt": [None] * len(s["rows"]),
        },
        schema_overrides={"amt": pl.Int64},
    )
    result = diagnose(frame, loaded)
    assert [st.path for st in result.stages][:3] == [1, 1, 1]


def test_a_hash_collision_falls_back_to_the_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every id hashing alike, the collision proof must send phase 1 back to the ids."""
    from fivea.person import table as person

    real_hash = pl.Expr.hash

    def colliding(self: pl.Expr, seed: int = 0, *args: object) -> pl.Expr:
        if seed == person.KEY_SEED:
            return pl.lit(7, pl.UInt64).repeat_by(1).list.first().alias(self.meta.output_name())
        return real_hash(self, seed, *args)

    rows = [("a", 0, "v"), ("a", 1, "p"), ("b", 2, "v"), ("b", 3, "s"), ("c", 4, "b")]
    s = {
        "rows": [{"user_id": u, "time": BASE + h * HOUR, "event": e, "amt": 5} for u, h, e in rows],
        "aware_any": True,
        "appeal": None,
        "window_h": 3,
        "since": None,
        "until": None,
    }
    monkeypatch.setattr(pl.Expr, "hash", colliding)
    check_scenario(s)
