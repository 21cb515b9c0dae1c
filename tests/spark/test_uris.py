"""URIs go straight to Spark's reader: file:// URIs and globs equal the local engine's answer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest

from fivea.api import diagnose
from fivea.config.loader import resolve_config
from fivea.errors import InputError
from fivea.render.json import render_json
from tests.conftest import SAMPLE_DATA, run_cli
from tests.spark.test_parity import HAND_CONFIG, _hand_rows


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _loaded(config: Path | None = None):
    return resolve_config(config, None, Path.cwd(), {**os.environ, "FIVEA_CONFIG": ""})


def _without_files(text: str) -> dict:
    data = json.loads(text)
    data["source"].pop("files")  # the URIs as given vs the files the local engine listed
    return data


def _assert_same(spark, uris: list[str], paths: list[str], config: Path | None = None, **kw):
    loaded = _loaded(config)
    expected = _without_files(render_json(diagnose(paths, loaded, **kw)))
    for partitions in (1, 3):
        result = diagnose(uris, loaded, engine="spark", partitions=partitions, spark=spark, **kw)
        assert _without_files(render_json(result)) == expected
        assert result.source.files == tuple(uris)


@pytest.mark.parametrize("name", ["events.csv", "events.parquet"])
def test_file_uri_equals_the_local_path(spark, name: str) -> None:
    path = SAMPLE_DATA / name
    _assert_same(spark, [path.as_uri()], [str(path)], segments=["channel"])


def test_glob_uri_keeps_the_input_order_of_files(spark, tmp_path: Path) -> None:
    """Ties broken by file (byte order of the path), then row: B.csv before a.csv."""
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    folder = tmp_path / "logs"
    folder.mkdir()
    rows = _hand_rows(11, 40, 10)
    rows.head(30).write_csv(folder / "B.csv")
    rows.slice(30).write_csv(folder / "a.csv")
    rows.head(30).with_columns(pl.lit("seo").alias("channel")).write_csv(folder / "c.csv")
    _assert_same(spark, [f"{folder.as_uri()}/*.csv"], [str(folder)], config)


def test_tab_separated_uri_is_sniffed(spark, tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text(HAND_CONFIG)
    path = tmp_path / "events.txt"
    _hand_rows(5, 30, 8).write_csv(path, separator="\t")
    _assert_same(spark, [path.as_uri()], [str(path)], config)


def test_folder_uri_needs_a_format(spark, tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text("user_id,event_time,event\nu1,2024-01-01,page_view\n")
    with pytest.raises(InputError, match=r"no known extension; pass --input-format"):
        diagnose([tmp_path.as_uri()], _loaded(), spark=spark)
    result = diagnose([tmp_path.as_uri()], _loaded(), input_format="csv", spark=spark)
    assert result.persons == 1


def _one_line_error(*args: str) -> str:
    result = run_cli("diagnose", *args, "--engine", "spark", code=2)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_missing_uri_is_one_line(spark, tmp_path: Path) -> None:
    line = _one_line_error((tmp_path / "nothing.csv").as_uri())
    assert "nothing.csv: not found" in line


def test_s3a_without_hadoop_aws_says_what_to_add(spark) -> None:
    line = _one_line_error("s3a://fivea-test-bucket/events/*.parquet")
    assert line.startswith("fivea: error: s3a://fivea-test-bucket/events/*.parquet: ")
    assert "--packages org.apache.hadoop:hadoop-aws:" in line
    assert "spark.jars.packages" in line


def test_gs_without_the_connector_says_what_to_add(spark) -> None:
    line = _one_line_error("gs://fivea-test-bucket/events.csv")
    assert "gcs-connector" in line


def test_missing_local_path_is_the_local_engines_line(spark, tmp_path: Path) -> None:
    missing = str(tmp_path / "nothing.csv")
    local = run_cli("diagnose", missing, code=2).stderr
    assert _one_line_error(missing) == local.strip()
