"""One entry point (docs/architecture.md): the CLI builds one ``fivea.Options`` and calls
``fivea.api.diagnose``, the only engine dispatcher; each option's choices are checked once."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

import fivea
from fivea import api
from fivea.config.loader import load_config
from fivea.errors import FiveaError, UsageError
from fivea.options import Engine, InputFormat, Options, Period
from fivea.render.json import render_json
from tests.conftest import ROOT, SAMPLE_DATA, run_cli

SAMPLE = str(SAMPLE_DATA / "events.csv")
PARQUET = str(SAMPLE_DATA / "events.parquet")
EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}


def _library(source: str, **fields: Any) -> str:
    return render_json(fivea.diagnose(source, load_config(None, None), **fields))


@pytest.mark.parametrize(
    ("flags", "fields"),
    [
        ([], {}),
        (
            ["--since", "30d", "--segment", "channel", "--trend", "week"],
            {"since": "30d", "segments": ["channel"], "trend": "week"},
        ),
        (["--since", "28d", "--compare", "previous"], {"since": "28d", "compare": "previous"}),
        (
            ["--until", "2025-03-01", "--as-of", "2025-02-15", "--input-format", "csv"],
            {"until": "2025-03-01", "as_of": "2025-02-15", "input_format": "csv"},
        ),
        (["--memory", "2MB"], {"memory": "2MB"}),
    ],
    ids=["plain", "segments-trend", "compare", "window-format", "partitioned"],
)
def test_the_cli_json_is_the_library_call(
    monkeypatch: pytest.MonkeyPatch, flags: list[str], fields: dict[str, Any]
) -> None:
    """Byte for byte under SOURCE_DATE_EPOCH (no timings): nothing differs at all."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    cli = run_cli("diagnose", SAMPLE, *flags, "--format", "json", env=EPOCH).stdout
    assert cli == _library(SAMPLE, **fields)


def test_only_the_timings_differ_without_source_date_epoch() -> None:
    cli = json.loads(run_cli("diagnose", PARQUET, "--since", "30d", "-f", "json").stdout)
    library = json.loads(_library(PARQUET, since="30d"))
    for data in (cli, library):
        data.pop("generated_at")  # the clock
        data["run"].pop("seconds")
    assert cli == library
    assert library["run"]["fivea_version"] == fivea.__version__  # handed down by fivea.api


def test_a_baseline_is_applied_by_the_library_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = tmp_path / "base.json"
    run_cli("report", SAMPLE, "--since", "2025-02-01", "--until", "2025-02-28", "-o", str(base))
    window = {"since": "2025-03-01", "until": "2025-03-28"}
    cli = run_cli(
        "diagnose", SAMPLE, "--since", window["since"], "--until", window["until"],
        "--baseline", str(base), "-f", "json", env=EPOCH,
    ).stdout  # fmt: skip
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    library = _library(SAMPLE, baseline=str(base), **window)
    assert cli == library
    assert json.loads(library)["change"]["baseline"] == str(base)


def _options_given(monkeypatch: pytest.MonkeyPatch, *args: str) -> Options:
    """The ``Options`` a command hands to ``fivea.api.diagnose`` (the run itself is skipped)."""
    seen: list[Options] = []

    def record(source: object, config: object, *, options: Options, **more: object) -> None:
        seen.append(options)
        msg = "stop here"
        raise UsageError(msg)

    monkeypatch.setattr(api, "diagnose", record)
    run_cli(*args, code=2)
    (options,) = seen
    return options


def test_every_flag_reaches_the_one_options_object(monkeypatch: pytest.MonkeyPatch) -> None:
    options = _options_given(
        monkeypatch,
        "diagnose", SAMPLE, "--since", "28d", "--until", "2025-03-01", "--as-of", "2025-02-20",
        "--segment", "channel", "--segment", "device", "--compare", "previous",
        "--trend", "month", "--input-format", "csv", "--memory", "2GB",
    )  # fmt: skip
    assert options == Options(
        since="28d",
        until="2025-03-01",
        as_of="2025-02-20",
        segments=("channel", "device"),
        compare="previous",
        trend=Period.MONTH,
        input_format=InputFormat.CSV,
        engine=Engine.POLARS,
        memory="2GB",
    )
    assert _options_given(monkeypatch, "report", SAMPLE, "-o", "x.json") == Options(
        engine=Engine.POLARS
    )


def test_check_adds_the_segments_its_checks_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text(
        "version: 1\npreset: 5a-default\nchecks:\n"
        '  - {metric: par, segment: {device: mobile}, fail: "< 0.001"}\n'
    )
    options = _options_given(
        monkeypatch, "check", SAMPLE, "-c", str(config), "--segment", "channel"
    )
    assert options.segments == ("channel", "device")


@pytest.mark.parametrize(
    ("args", "option", "choices"),
    [
        (["diagnose", SAMPLE, "--trend", "hour"], "'--trend'", "'day', 'week', 'month'"),
        (["report", SAMPLE, "-o", "r.json", "--trend", "hour"], "'--trend'", "'day', 'week'"),
        (["diagnose", SAMPLE, "--input-format", "xls"], "'--input-format'", "'csv', 'parquet'"),
        (["check", SAMPLE, "--input-format", "xls"], "'--input-format'", "'csv', 'parquet'"),
        (["init", SAMPLE, "-o", "-", "--input-format", "xls"], "'--input-format'", "'csv'"),
        (["validate", "--input-format", "xls", SAMPLE], "'--input-format'", "'csv'"),
        (["diagnose", SAMPLE, "--engine", "duckdb"], "'--engine'", "'polars', 'spark'"),
        (["diagnose", SAMPLE, "-f", "yaml"], "'--format' / '-f'", "'table', 'json', 'markdown'"),
        (["check", SAMPLE, "-f", "yaml"], "'--format' / '-f'", "'junit', 'github'"),
    ],
)
def test_a_bad_choice_is_refused_before_reading(args: list[str], option: str, choices: str) -> None:
    """typer checks the enum: exit 2, one line naming the option, the value and the choices."""
    result = run_cli(*args, code=2)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"fivea: error: Invalid value for {option}: ")
    assert "is not one of" in line
    assert choices in line
    assert "Value error" not in line
    assert f"(see `fivea {args[0]} --help`)" in line


def test_the_library_checks_the_same_choices() -> None:
    with pytest.raises(UsageError, match=r"^trend='hour': use 'day', 'week' or 'month'$"):
        fivea.diagnose(SAMPLE, trend="hour")
    with pytest.raises(UsageError, match=r"^engine='duckdb': use 'polars' or 'spark'$"):
        fivea.Options(engine="duckdb")
    with pytest.raises(UsageError, match=r"^input_format='xls': use 'csv', 'parquet' or 'ndjson'"):
        fivea.diagnose(SAMPLE, input_format="xls")
    with pytest.raises(
        TypeError, match=r"diagnose\(\) got an unexpected keyword argument 'segmnts'"
    ):
        fivea.diagnose(SAMPLE, segmnts=["channel"])


def test_options_and_keywords_are_one_request() -> None:
    options = fivea.Options(since="30d", segments=["channel"], trend="week")
    assert options.segments == ("channel",)
    assert options.trend is Period.WEEK
    assert fivea.Options(segments="channel").segments == ("channel",)
    by_object = fivea.diagnose(PARQUET, options=options)
    by_keywords = fivea.diagnose(PARQUET, since="30d", segments=["channel"], trend="week")
    overridden = fivea.diagnose(PARQUET, options=fivea.Options(since="1d"), since="30d")
    assert by_object.persons == by_keywords.persons == overridden.persons
    assert by_object.segments == by_keywords.segments
    assert overridden.segments == ()  # keywords win over the object's fields, the rest stay


def test_spark_is_chosen_by_the_one_dispatcher(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pyspark frame, a session or engine="spark": the Spark engine, with the same Options."""
    from fivea.engines.spark import runner

    calls: list[tuple[object, Options, object, str]] = []

    def fake(source: object, loaded: object, options: Options, *, spark: object, version: str):
        calls.append((source, options, spark, version))
        return "spark result"

    monkeypatch.setattr(runner, "diagnose_spark", fake)
    frame = type("DataFrame", (), {"__module__": "pyspark.sql.dataframe"})()
    assert fivea.diagnose(frame, since="28d") == "spark result"
    assert fivea.diagnose(Path(SAMPLE), engine="spark", partitions=4) == "spark result"
    session = object()
    assert fivea.diagnose([SAMPLE], spark=session) == "spark result"
    assert calls == [
        (frame, Options(since="28d"), None, fivea.__version__),
        ([SAMPLE], Options(engine=Engine.SPARK, partitions=4), None, fivea.__version__),
        ([SAMPLE], Options(), session, fivea.__version__),
    ]


def test_spark_without_pyspark_is_a_user_error() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        with pytest.raises(FiveaError, match=r"pip install \"fivea\[spark\]\""):
            fivea.diagnose(SAMPLE, engine="spark")
    else:
        pytest.skip("pyspark is installed: tests/spark covers the engine")


def test_the_pipeline_imports_no_engine_and_not_the_package_root() -> None:
    """The engine is chosen above the pipeline (fivea.api); the version is handed down."""
    tree = ast.parse((ROOT / "fivea" / "pipeline.py").read_text())
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not [name for name in imported if name.startswith("fivea.engines")]
    assert "fivea" not in imported
