"""One local Spark (local[2]) for the whole test session; skipped without pyspark or Java."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return 'pyspark is not installed (pip install "fivea[spark]")'
    home = os.environ.get("JAVA_HOME")
    if not (home and (Path(home) / "bin" / "java").exists()) and not shutil.which("java"):
        return "no Java runtime (apt-get install openjdk-17-jre-headless)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    reason = _missing()
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.spark)
            # the error one-liners simulate a missing pyspark or Java: they need neither
            if reason and Path(item.fspath).name != "test_errors.py":
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def spark():
    """The shared local Spark session (2 cores, few shuffle partitions, no UI)."""
    from fivea.engines.spark.runner import spark_session

    session = spark_session("local[2]")
    session.conf.set("spark.sql.shuffle.partitions", "4")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
