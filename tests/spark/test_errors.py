"""Without pyspark or Java, --engine spark is a user error with one line saying what to install."""

from __future__ import annotations

import builtins
import importlib.util

import pytest

from fivea.engines.spark import session as engine
from fivea.errors import FiveaError
from tests.conftest import SAMPLE_DATA, run_cli

# These simulate a missing Java or an unreachable master on top of an installed pyspark.
needs_pyspark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None,
    reason='pyspark is not installed (pip install "fivea[spark]")',
)


def test_missing_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(FiveaError) as info:
        engine.spark_session("local[1]")
    message = str(info.value)
    assert message == (
        '--engine spark needs pyspark with pyarrow and pandas: pip install "fivea[spark]"'
    )
    assert "\n" not in message


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(engine.shutil, "which", lambda name: None)
    monkeypatch.setattr(engine, "require_pyspark", lambda: None)
    with pytest.raises(FiveaError) as info:
        engine.require_java()
    message = str(info.value)
    assert "Java runtime" in message
    assert "openjdk-17-jre-headless" in message
    assert "\n" not in message


def test_java_home_without_java_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(FiveaError) as info:
        engine.require_java()
    assert str(info.value) == (
        f"--engine spark: JAVA_HOME={tmp_path} holds no bin/java; point it at a Java 17+ "
        "runtime or unset it"
    )


@pytest.mark.parametrize(
    ("flag", "url", "what"),
    [
        ("--spark-master", "spark://127.0.0.1:9", "Spark master"),
        ("--spark-remote", "sc://127.0.0.1:9", "Spark Connect server"),
    ],
)
@needs_pyspark
def test_unreachable_master_is_one_line(flag: str, url: str, what: str) -> None:
    """Checked before any JVM starts: one TCP connection instead of a minute of retries."""
    result = run_cli(
        "diagnose", str(SAMPLE_DATA / "events.csv"), "--engine", "spark", flag, url, code=2
    )
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"fivea: error: {flag} {url}: cannot reach 127.0.0.1:9 (")
    assert f"check that the {what} is running" in result.stderr


@needs_pyspark
def test_spark_that_does_not_start_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyspark.sql import SparkSession

    def fail(self):
        raise RuntimeError(
            "[JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number."
        )

    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", fail)
    monkeypatch.setattr(engine, "SPARK_LOG", engine.SPARK_LOG.with_name("fivea-spark-test.log"))
    with pytest.raises(FiveaError) as info:
        engine.spark_session("local[1]")
    message = str(info.value)
    assert message.startswith("--engine spark: Spark did not start (")
    assert "JAVA_GATEWAY_EXITED" in message
    assert "\n" not in message


class PythonException(Exception):
    """Stands for pyspark's PythonException (a Python worker's traceback as its message)."""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            PythonException(
                "An exception was thrown from the Python worker.\nTraceback (most recent call last):\n"
                '  File "fivea/io/events.py", line 9\nfivea.errors.InputError: events.csv: every time is unparsable; set columns.time_format\n'
            ),
            "events.csv: every time is unparsable; set columns.time_format",
        ),
        (
            RuntimeError("[PATH_NOT_FOUND] Path does not exist: file:/data/x.csv. SQLSTATE: 42K03"),
            "file:/data/x.csv: not found; check the path (globs and folders work too)",
        ),
        (
            RuntimeError("java.lang.IllegalArgumentException: java.net.UnknownHostException: nn1"),
            "hdfs://nn1/logs: unknown host nn1; check the URI",
        ),
        (
            RuntimeError(
                "java.nio.file.AccessDeniedException: s3a://b/k: getFileStatus on s3a://b/k: 403 Forbidden"
            ),
            "hdfs://nn1/logs: access denied; check the permissions or credentials for this path",
        ),
        (
            RuntimeError(
                'org.apache.hadoop.fs.UnsupportedFileSystemException: No FileSystem for scheme "wasbs"'
            ),
            None,  # checked below: names the Azure connector
        ),
    ],
)
def test_spark_input_errors_become_one_line(error: Exception, expected: str | None) -> None:
    from fivea.engines.spark.errors import explain

    explained = explain(error, ["hdfs://nn1/logs"], spark=None)
    assert explained is not None
    message = str(explained)
    assert "\n" not in message
    if expected is None:
        assert "org.apache.hadoop:hadoop-azure" in message
        assert "spark.jars.packages" in message
    else:
        assert message == expected


def test_other_spark_errors_stay_internal() -> None:
    from fivea.engines.spark.errors import explain

    assert explain(RuntimeError("java.lang.OutOfMemoryError: Java heap space"), ["x"], None) is None
