"""`--engine spark` through the CLI equals the local engine."""

from __future__ import annotations

import json

from tests.conftest import ROOT, run_cli

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}


def _json(*args: str) -> dict:
    data = json.loads(run_cli("diagnose", *args, "-f", "json", env=EPOCH).stdout)
    data.pop("run", None)
    return data


def test_cli_engine_spark_equals_local(spark) -> None:
    sample = str(ROOT / "sample_data" / "events.parquet")
    local = _json(sample, "--segment", "channel")
    on_spark = _json(
        sample,
        "--segment",
        "channel",
        "--engine",
        "spark",
        "--spark-master",
        "local[2]",
        "--spark-partitions",
        "3",
    )
    assert on_spark == local


def test_spark_flags_need_the_spark_engine() -> None:
    result = run_cli(
        "diagnose", str(ROOT / "sample_data" / "events.csv"), "--spark-partitions", "3", code=2
    )
    assert "need --engine spark" in result.stderr


def test_quiet_spark_run_prints_nothing_on_stderr(tmp_path) -> None:
    """A new local Spark (its own JVM): start-up chatter and log lines stay off stderr."""
    import os
    import subprocess
    import sys

    env = {**os.environ, **EPOCH, "FIVEA_CONFIG": "", "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "fivea", "diagnose", str(ROOT / "sample_data" / "events.csv")]
    args += ["--engine", "spark", "--spark-master", "local[1]", "--quiet", "-f", "json"]
    result = subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)["persons"] > 0
