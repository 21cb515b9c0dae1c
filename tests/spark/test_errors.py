"""Without pyspark or Java, --engine spark is a user error with one line saying what to install."""

from __future__ import annotations

import builtins

import pytest

from fivea.engines import spark as engine
from fivea.errors import FiveaError


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
    monkeypatch.setattr(engine, "_require_pyspark", lambda: None)
    with pytest.raises(FiveaError) as info:
        engine._require_java()
    message = str(info.value)
    assert "Java runtime" in message
    assert "openjdk-17-jre-headless" in message
    assert "\n" not in message
