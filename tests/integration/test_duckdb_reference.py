"""The hand-written DuckDB references of benchmarks/ (the queries benchmarks/duckdb_5a.py
assembles from benchmarks/sql/: the stage rules of the default preset or of
benchmarks/config_rules.yaml, then the parts both share) agree with ``fivea diagnose`` number for
number, as benchmarks/run.py asserts: on a log built to sit on every edge the SQL must get right
(``within`` and the funnel window exactly reached or missed by 1 µs, purchases exactly ``gap``
apart, ties in time broken by input order, revenue 0 or null, blank and missing channels, more
than 20 channels) plus random persons, through both phase-1 implementations and both formats.

Skipped without duckdb (the ``bench`` extra).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from tests.conftest import ROOT, run_cli

pytest.importorskip("duckdb")


def _load(name: str) -> ModuleType:
    """A module of benchmarks/ (not a package), under a name of its own."""
    spec = importlib.util.spec_from_file_location(
        f"benchmarks_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load("run")
reference = _load("duckdb_5a")

US = 1_000_000
HOUR, DAY = 3600 * US, 86400 * US
T0 = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp()) * US
VOCABULARY = [
    "page_view", "product_view", "wishlist_add", "search", "review_read", "faq_view",
    "purchase", "in_app_purchase", "Order Completed", "Checkout Completed", "review_post",
    "share", "add_to_cart", "begin_checkout", "session_start",
]  # fmt: skip
CHANNELS = [f"c{i:02d}" for i in range(24)] + ["", "  ", None]


def _edges() -> list[tuple[str, int, str, str | None, float | None]]:
    """Persons on the edges of the rules (user, µs, event, channel, revenue)."""
    rows = []

    def person(user: str, events: list[tuple[int, str, float | None]], channel: str | None) -> None:
        rows.extend((user, T0 + t, e, channel, r) for t, e, r in events)

    # second product_view exactly `within` (30d) after the first: a hit; 1 µs later: none
    person("view-30d", [(0, "product_view", None), (30 * DAY, "product_view", None)], "c01")
    person("view-30d+1", [(0, "product_view", None), (30 * DAY + 1, "product_view", None)], "c01")
    person("view-tie", [(5, "product_view", None), (5, "product_view", None)], "c02")
    # paid purchases: < 1 h apart is one order; exactly 1 h apart a second one (a repeat)
    person("gap-short", [(0, "purchase", 9.0), (HOUR - 1, "purchase", 9.0)], "c03")
    person("gap-exact", [(0, "purchase", 9.0), (HOUR, "purchase", 9.0)], "c03")
    # a trickle of rows < 1 h apart is one order however long it lasts
    person("gap-trickle", [(k * 50 * 60 * US, "purchase", 5.0) for k in range(4)], "c04")
    # revenue 0 or null is not paid: neither act nor a repeat in the rules config
    person("unpaid", [(0, "purchase", 0.0), (2 * HOUR, "purchase", None)], "c04")
    person("paid-after-unpaid", [(0, "purchase", 0.0), (2 * HOUR, "purchase", 3.0)], "c05")
    # one order logged under two names (preset: two rules) is no repeat; a second order is
    person("two-names", [(0, "purchase", 1.0), (2 * HOUR, "in_app_purchase", 1.0)], "c05")
    # the ordered path: the last stage exactly at the window, then 1 µs beyond it
    for user, late in (("path-30d", 30 * DAY), ("path-30d+1", 30 * DAY + 1)):
        events = [
            (0, "wishlist_add", None),
            (DAY, "search", None),
            (2 * DAY, "purchase", 4.0),
            (late, "review_post", None),
        ]
        person(user, events, "c06")
    # a later entry restarts the path
    events = [
        (0, "wishlist_add", None),
        (40 * DAY, "wishlist_add", None),
        (41 * DAY, "search", None),
        (42 * DAY, "purchase", 2.0),
    ]
    person("restart", events, "c07")
    # stages at one instant: the path takes them (non-strict); reversed transitions
    person("same-instant", [(0, "search", None), (0, "wishlist_add", None)], "c07")
    person("reversed", [(0, "purchase", 2.0), (DAY, "search", None)], "c08")
    # sub-funnel: the next step must be a later row (input order breaks a tie in time)
    tie_before = [(7, "begin_checkout", None), (7, "add_to_cart", None), (9, "purchase", 1.0)]
    person("step-tie-before", tie_before, "c08")
    tie_after = [(7, "add_to_cart", None), (7, "begin_checkout", None), (7, "purchase", 1.0)]
    person("step-tie-after", tie_after, "c09")
    # the sub-funnel's last step exactly at the window, then 1 µs beyond it
    for user, late in (("step-30d", 30 * DAY), ("step-30d+1", 30 * DAY + 1)):
        events = [(0, "add_to_cart", None), (HOUR, "begin_checkout", None)]
        person(user, [*events, (late, "purchase", 1.0)], "c10")
    # step times come from the earliest start reaching the person's level
    events = [
        (0, "add_to_cart", None),
        (HOUR, "add_to_cart", None),
        (2 * HOUR, "begin_checkout", None),
        (31 * DAY, "purchase", 1.0),
        (31 * DAY + HOUR, "add_to_cart", None),
        (31 * DAY + 2 * HOUR, "begin_checkout", None),
        (31 * DAY + 5 * HOUR, "purchase", 1.0),
    ]
    person("step-earliest", events, "c09")
    # first touch: the first non-empty channel
    rows.append(("blank-first", T0, "page_view", "  ", None))
    rows.append(("blank-first", T0 + 1, "page_view", "c10", None))
    rows.append(("no-channel", T0, "page_view", None, None))
    rows.append(("empty-channel", T0, "page_view", "", None))
    return rows


def _random_rows(persons: int, seed: int) -> list[tuple[str, int, str, str | None, float | None]]:
    """Random persons with gaps from seconds to weeks (whole seconds half the time: ties)."""
    rng = random.Random(seed)
    scales = [60 * US, HOUR, DAY, 20 * DAY]
    rows = []
    for p in range(persons):
        t = T0 + rng.randrange(60 * DAY)
        for _ in range(rng.randrange(1, 30)):
            t += int(rng.expovariate(1.0) * rng.choice(scales))
            if rng.random() < 0.5:
                t -= t % US
            event = rng.choice(VOCABULARY)
            revenue = rng.choice([None, 0.0, 12.5]) if "urchase" in event else None
            rows.append((f"r{p:05d}", t, event, rng.choice(CHANNELS), revenue))
    rows.append((None, T0, "page_view", "c00", None))  # dropped: no user
    rows.append(("x", T0, "", "c00", None))  # dropped: no event
    rng.shuffle(rows)  # input order is not time order
    return rows


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The log as Parquet and as CSV (the times as run.py writes them)."""
    rows = _edges() + _random_rows(1500, seed=7)
    frame = pl.DataFrame(
        rows,
        schema={
            "user_id": pl.String,
            "event_time": pl.Int64,
            "event": pl.String,
            "channel": pl.String,
            "revenue": pl.Float64,
        },
        orient="row",
    ).with_columns(pl.col("event_time").cast(pl.Datetime("us", "UTC")))
    folder = tmp_path_factory.mktemp("duckdb_reference")
    frame.write_parquet(folder / "events.parquet")
    frame.write_csv(folder / "events.csv", datetime_format="%Y-%m-%dT%H:%M:%S%.6fZ")
    return {"parquet": folder / "events.parquet", "csv": folder / "events.csv"}


@pytest.mark.parametrize("kernel", ["compiled", "polars"])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("config", ["preset", "rules"])
def test_the_sql_agrees_with_fivea(
    logs: dict[str, Path], config: str, fmt: str, kernel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = logs[fmt]
    args = ["diagnose", str(path), "--format", "json", "--segment", "channel", "--quiet"]
    if config == "rules":
        args += ["--config", str(bench.CONFIGS["rules"])]
    report = json.loads(run_cli(*args, env={"FIVEA_KERNEL": kernel}).stdout)
    result = json.loads(reference.run(path, fmt, 1, config))
    fivea, duck = bench.compared(report, result)
    assert bench.diff(fivea, duck) == []
    # the log reaches every stage and step, and drops the two invalid rows
    assert report["quality"]["rows_used"] == report["quality"]["rows_read"] - 2
    assert all(s["reached"] > 0 and s["path"] > 0 for s in report["stages"])
    assert [s["reached"] > 0 for s in report["subfunnels"][0]["steps"]] == [True] * 3
    assert "subfunnels" in duck


def test_the_sql_was_written_for_the_current_rules() -> None:
    """Each SQL file's digest matches its config: a changed preset or config_rules.yaml needs
    its SQL updated (then the digest in benchmarks/run.py)."""
    assert bench.rules_drift() == []


@pytest.mark.parametrize("config", ["preset", "rules"])
def test_the_guarded_sql_is_the_first_part_of_the_query_run(config: str) -> None:
    """The file the digest guard names is the config's own part of the query duckdb_5a.py runs
    (the rest is shared), and the printed query is that query, part after part."""
    ref = bench.SQL[config]
    assert ref is not None
    parts = reference.parts(config)
    assert parts[0] == ref.sql
    assert parts[1:] == list(reference.SHARED)
    assert all(p.parent == ROOT / "benchmarks" / "sql" for p in parts)
    assert [p for p in reference.STAGES.values() if p in reference.SHARED] == []
    query = reference.query(config)
    at = [query.index(p.read_text()) for p in parts]
    assert at == sorted(at)
    script = ROOT / "benchmarks" / "duckdb_5a.py"
    printed = subprocess.run(
        [sys.executable, str(script), "--print", config], capture_output=True, text=True, check=True
    )
    assert printed.stdout == query


def test_a_changed_config_is_noticed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = bench.SQL["rules"]
    changed = tmp_path / "config_rules.yaml"
    changed.write_text(ref.config.read_text().replace("within: 30d", "within: 7d"))
    monkeypatch.setitem(bench.SQL, "rules", dataclasses.replace(ref, config=changed))
    [warning] = bench.rules_drift(["preset", "rules"])
    assert "config_rules.yaml changed since benchmarks/sql/stages_rules.sql was written" in warning
    assert f"SQL written for {ref.digest}" in warning
    # labels are not rules: relabelling a stage needs no new SQL
    changed.write_text(
        ref.config.read_text().replace("aware:    {rules", "aware: {label: Seen, rules")
    )
    assert bench.rules_drift(["rules"]) == []
