"""The Spark engine's JSON equals the local engine's, for 1, 3 and 17 person partitions."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from fivea.api import diagnose
from fivea.config.loader import resolve_config
from fivea.render.json import render_json
from tests.conftest import REAL_DATA, ROOT, SAMPLE_DATA

CONFIGS = ROOT / "tests" / "fixtures" / "configs"
REES46 = REAL_DATA / "rees46-oct2019-head"
OTTO = REAL_DATA / "otto-20-sessions"
PARTITIONS = (1, 3, 17)


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    # no timings or engine fields: the JSON must then be byte-identical (README.md#output-formats)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _loaded(config: Path | None):
    return resolve_config(config, None, Path.cwd(), {**os.environ, "FIVEA_CONFIG": ""})


def _assert_parity(spark, paths, config: Path | None = None, partitions=PARTITIONS, **kwargs):
    loaded = _loaded(config)
    expected = render_json(diagnose(paths, loaded, **kwargs))
    for n in partitions:
        on_spark = diagnose(paths, loaded, engine="spark", partitions=n, spark=spark, **kwargs)
        got = render_json(on_spark)
        assert got == expected, f"{n} partitions"


@pytest.mark.parametrize("name", ["events.csv", "events.parquet"])
def test_sample_data(spark, name: str) -> None:
    _assert_parity(spark, [str(SAMPLE_DATA / name)], segments=["channel"], trend="week")


def test_sample_data_window_and_compare(spark) -> None:
    path = str(SAMPLE_DATA / "events.csv")
    _assert_parity(spark, [path], since="28d", compare="previous", partitions=(3,))


@pytest.mark.parametrize(
    ("path", "config"),
    [
        (REES46 / "events.csv", "rees46.yaml"),
        (REES46 / "events.parquet", "rees46.yaml"),
        (REES46 / "events.csv", "rees46-cart-in-ask.yaml"),
        (OTTO / "events.csv", "otto.yaml"),
    ],
    ids=["rees46-csv", "rees46-parquet", "rees46-cart-in-ask", "otto"],
)
def test_real_data(spark, path: Path, config: str) -> None:
    _assert_parity(spark, [str(path)], CONFIGS / config)


HAND_CONFIG = """\
version: 1
columns: {user: user_id, time: ts, event: event}
stages:
  aware: {rules: [{event: [v, p, s, b]}]}
  appeal: {rules: [{event: p, min_count: 2, within: 1h}]}
  ask: {rules: [{event: s}]}
  act: {rules: [{event: b, where: "amt > 0"}]}
  advocate: {rules: [{event: b, where: "amt > 0", min_count: 2}]}
subfunnels:
  steps: [p, p, b]
funnel: {window: 2h}
segments: [channel]
diagnosis: {min_aware: 1, min_stage: 1}
"""
HOUR = 3_600_000_000
BASE = 1_700_000_000_000_000


def _hand_rows(seed: int, users: int, per_user: int) -> pl.DataFrame:
    """Many ties in time, events exactly one window apart, duplicates, first-touch ties."""
    import random

    rng = random.Random(seed)
    rows = []
    for u in range(users):
        for _ in range(per_user):
            rows.append(
                {
                    "user_id": f" u{u:03d} " if rng.random() < 0.1 else f"u{u:03d}",
                    "ts": str(BASE + rng.choice([0, 0, 1, 2]) * HOUR + rng.choice([0, 0, 1])),
                    "event": rng.choice(["v", "p", "p", "s", "b", "x"]),
                    "amt": rng.choice(["", "0", "5", "abc"]),
                    "channel": rng.choice(["", "ads", "email", "seo"]),
                }
            )
    rows += rows[:5]  # exact duplicates
    return pl.DataFrame(rows)


@pytest.mark.parametrize("dedupe", [False, True])
def test_hand_cases_ties_and_window_edges(spark, tmp_path: Path, dedupe: bool) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG + f"dedupe: {str(dedupe).lower()}\n")
    path = tmp_path / "events.csv"
    _hand_rows(7, 60, 12).write_csv(path)
    _assert_parity(spark, [str(path)], config)


def test_input_order_across_files(spark, tmp_path: Path) -> None:
    """Ties broken by (path in byte order, row): B.csv before a.csv, whatever their sizes."""
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    folder = tmp_path / "logs"
    folder.mkdir()
    rows = _hand_rows(11, 40, 10)
    rows.head(30).write_csv(folder / "B.csv")  # small file first in byte order
    rows.slice(30).write_csv(folder / "a.csv")
    rows.head(30).with_columns(pl.lit("seo").alias("channel")).write_csv(folder / "c.csv")
    _assert_parity(spark, [str(folder)], config)


def test_input_order_within_a_file_of_many_splits(spark, tmp_path: Path) -> None:
    """A Parquet file read as several splits keeps the order of its rows."""
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    path = tmp_path / "events.parquet"
    _hand_rows(3, 300, 20).write_parquet(path, row_group_size=500)
    previous = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")
    try:
        assert spark.read.parquet(str(path)).rdd.getNumPartitions() > 1
        _assert_parity(spark, [str(path)], config, partitions=(1, 5))
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", previous)


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_epoch_unit_from_the_whole_column(spark, tmp_path: Path, unit: str) -> None:
    factor = {"s": 1_000_000, "ms": 1_000, "us": 1}[unit]
    rows = _hand_rows(5, 30, 8).with_columns(
        (pl.col("ts").cast(pl.Int64) // factor).cast(pl.String).alias("ts")
    )
    path = tmp_path / "events.csv"
    rows.write_csv(path)
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    _assert_parity(spark, [str(path)], config, partitions=(3,))


def test_window_flags_need_the_latest_time(spark, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    _hand_rows(9, 50, 10).write_csv(path)
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    _assert_parity(spark, [str(path)], config, partitions=(3,), since="90m", until="2023-11-15")


def test_pyspark_dataframe_source(spark, tmp_path: Path) -> None:
    """A pyspark DataFrame is a source too: its row order is the input order."""
    rows = _hand_rows(13, 40, 10)
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    loaded = _loaded(config)
    expected = render_json(diagnose(rows, loaded))
    frame = spark.createDataFrame(
        rows.to_dicts(), schema=", ".join(f"{c} string" for c in rows.columns)
    )
    got = render_json(diagnose(frame.coalesce(1), loaded, partitions=3, spark=spark))
    assert got == expected


@pytest.mark.parametrize("archetype", ["funnel", "door_knob", "goldfish", "trumpet", "bow_tie"])
def test_generated_archetypes(spark, tmp_path: Path, archetype: str) -> None:
    """Every shape of ``fivea sample``, with segments, --compare and --trend, 1 and 7 partitions."""
    from fivea.authoring.sample import generate_sample, write_sample

    path = tmp_path / "events.parquet"
    write_sample(generate_sample(people=1500, archetype=archetype, seed=3), path)
    _assert_parity(
        spark,
        [str(path)],
        partitions=(1, 7),
        since="60d",
        compare="previous",
        segments=["channel"],
        trend="month",
    )


def test_segment_top_twenty_and_other(spark, tmp_path: Path) -> None:
    """More than 20 values (ties in size, blanks, a value spelled "(other)"): top 20 + "(other)"."""
    import random

    rng = random.Random(17)
    values = [f"v{i:02d}" for i in range(30)] + ["(other)", "", " ", "(none)"]
    rows = _hand_rows(21, 200, 6)
    channel = {u: rng.choice(values) for u in rows["user_id"].unique().to_list()}
    rows = rows.with_columns(pl.col("user_id").replace_strict(channel).alias("channel"))
    path = tmp_path / "events.csv"
    rows.write_csv(path)
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    _assert_parity(spark, [str(path)], config, partitions=(1, 3))
    result = diagnose([str(path)], _loaded(config))
    labels = [row.value for row in result.segments[0].rows]
    # a value spelled "(other)" among the top 20 joins the rest: one "(other)", listed last
    assert labels.count("(other)") == 1
    assert labels[-1] == "(other)"
    assert len(labels) in (20, 21)


def test_the_python_api_on_spark(spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``fivea.diagnose`` takes a pyspark DataFrame, or a path with engine="spark"."""
    import json

    monkeypatch.delenv(
        "SOURCE_DATE_EPOCH", raising=False
    )  # keep the run block: it names the engine

    import fivea

    def without_run(result: fivea.Result) -> dict:
        data = json.loads(render_json(result))
        data.pop("run")
        data.pop("generated_at")
        return data

    rows = _hand_rows(13, 40, 10)
    path = tmp_path / "events.csv"
    rows.write_csv(path)
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    local = without_run(fivea.diagnose(path, config, since="90m"))
    frame = spark.createDataFrame(
        rows.to_dicts(), schema=", ".join(f"{c} string" for c in rows.columns)
    ).coalesce(1)
    on_frame = fivea.diagnose(frame, config, since="90m", spark=spark, partitions=3)
    assert on_frame.run is not None
    assert on_frame.run["engine"] == "spark"
    frame_data = without_run(on_frame)
    assert frame_data.pop("source")["files"] != local["source"]["files"]  # a frame, not the file
    assert frame_data == {k: v for k, v in local.items() if k != "source"}
    on_path = fivea.diagnose(path, config, since="90m", engine="spark", spark=spark)
    assert without_run(on_path) == local
    from fivea.errors import UsageError

    with pytest.raises(UsageError, match="use 'polars'"):
        fivea.diagnose(path, config, engine="duckdb")


def test_drivers_of_every_transition(spark) -> None:
    # the per-person drivers tables travel as partials and concatenate (docs/metrics.md "Drivers")
    _assert_parity(spark, [str(SAMPLE_DATA / "events.csv")], partitions=(3,), drivers="all")
