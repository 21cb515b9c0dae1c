"""`fivea diagnose` end to end: golden text and JSON, JSON equals the library call, flags."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fivea.api import diagnose
from fivea.config.loader import load_config
from fivea.render.json import render_json
from tests.conftest import ROOT, run_cli

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01: reproducible JSON (no timings)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_table_golden(golden) -> None:
    out = run_cli("diagnose", "sample_data/events.csv", env=EPOCH)
    golden("diagnose_sample.txt", out.stdout)
    assert out.stderr == ""
    assert "\x1b[" not in out.stdout  # no colour codes when not a TTY


def test_full_diagnosis_golden(golden) -> None:
    out = run_cli(
        "diagnose",
        "sample_data/events.parquet",
        "--since",
        "60d",
        "--compare",
        "previous",
        "--segment",
        "channel",
        "--trend",
        "month",
        env=EPOCH,
    )
    golden("diagnose_sample_full.txt", out.stdout)


def test_json_golden_and_reproducible(golden) -> None:
    first = run_cli("diagnose", "sample_data/events.csv", "-f", "json", env=EPOCH).stdout
    second = run_cli("diagnose", "sample_data/events.csv", "-f", "json", env=EPOCH).stdout
    assert first == second  # byte-identical reruns with SOURCE_DATE_EPOCH
    data = json.loads(first)
    assert data["schema_version"] == 1
    assert "run" not in data
    assert data["generated_at"] == "2026-01-01T00:00:00Z"
    assert [s["key"] for s in data["stages"]] == ["aware", "appeal", "ask", "act", "advocate"]
    assert [t["name"] for t in data["transitions"]] == [
        "attraction",
        "curiosity",
        "commitment",
        "affinity",
    ]
    assert data["archetype"]["primary"] == "door_knob"
    assert data["verdict"]["status"] in {"healthy", "needs_attention", "at_risk"}
    golden("diagnose_sample.json", first)


def test_json_equals_library_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cli = run_cli(
        "diagnose", "sample_data/events.parquet", "-f", "json", "--since", "30d", env=EPOCH
    ).stdout
    library = render_json(
        diagnose(["sample_data/events.parquet"], load_config(None, None), since="30d")
    )
    assert cli == library


def test_csv_and_parquet_agree() -> None:
    csv = json.loads(run_cli("diagnose", "sample_data/events.csv", "-f", "json", env=EPOCH).stdout)
    parquet = json.loads(
        run_cli("diagnose", "sample_data/events.parquet", "-f", "json", env=EPOCH).stdout
    )
    for key in ("stages", "transitions", "subfunnels", "par", "bar", "archetype", "verdict"):
        assert csv[key] == parquet[key], key


def test_json_has_no_nan_and_null_reasons(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("user_id,event,timestamp\nu1,page_view,2025-01-01T00:00:00Z\n")
    data = json.loads(run_cli("diagnose", str(events), "-f", "json").stdout)
    attraction = data["transitions"][0]
    # one page view is no second view: no rule hits Appeal, so nothing is measured past Aware
    assert (attraction["ratio"], attraction["ratio_reason"]) == (None, "not_measured")
    assert (attraction["flow"], attraction["flow_reason"]) == (None, "not_measured")
    assert (data["bar"]["value"], data["bar"]["reason"]) == (None, "not_measured")
    assert data["stages"][1]["path"] is None
    assert data["stages"][1]["path_reason"] == "not_measured"
    assert data["verdict"]["status"] == "not_judged"


def test_measured_zero_is_a_zero_and_an_empty_base_is_not_observable(tmp_path: Path) -> None:
    # every stage has hits before --since, so each is measured; in the window only u2 (aware)
    config = tmp_path / "fivea.yaml"
    config.write_text(
        "version: 1\nstages:\n  aware: {rules: [{any_event: true}]}\n"
        "  appeal: {rules: [{event: a}]}\n  ask: {rules: [{event: b}]}\n"
        "  act: {rules: [{event: c}]}\n  advocate: {rules: [{event: d}]}\n"
    )
    events = tmp_path / "events.csv"
    rows = [f"u1,{e},2025-01-01T00:00:00Z" for e in "abcd"] + ["u2,x,2025-02-01T00:00:00Z"]
    events.write_text("user_id,event,timestamp\n" + "\n".join(rows) + "\n")
    args = ("diagnose", str(events), "-c", str(config), "--since", "2025-01-15", "-f", "json")
    data = json.loads(run_cli(*args).stdout)
    attraction, curiosity = data["transitions"][:2]
    assert (attraction["ratio"], attraction["ratio_reason"], attraction["grade"]) == (
        0,
        None,
        "critical",
    )
    assert (curiosity["ratio"], curiosity["ratio_reason"]) == (None, "not_observable")
    assert [s["path"] for s in data["stages"]] == [1, 0, 0, 0, 0]


def test_output_files_are_written_atomically(tmp_path: Path) -> None:
    out_json = tmp_path / "report-{as_of}.json"
    out_txt = tmp_path / "report.txt"
    result = run_cli("diagnose", "sample_data/events.csv", "-o", str(out_json), "-o", str(out_txt))
    assert result.stdout == ""
    written = tmp_path / "report-2025-06-30.json"
    assert json.loads(written.read_text())["schema_version"] == 1
    assert "5A stages" in out_txt.read_text()
    assert oct(written.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert not list(tmp_path.glob(".*.tmp"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_output_over_input_is_refused(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_bytes((ROOT / "sample_data" / "events.csv").read_bytes())
    before = events.read_bytes()
    result = run_cli("diagnose", str(events), "-o", str(events), code=2)
    assert "is one of the input files" in result.stderr
    assert events.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "yaml"], "'--format' / '-f': 'yaml' is not one of 'table', 'json'"),
        (["--since", "2025-07-01", "--until", "2025-06-01"], "is not before --until"),
        (["--since", "yesterday"], "--since 'yesterday': not a date or time"),
        (["--compare", "previous"], "--compare previous needs --since"),
        (["--compare", "last-year", "--since", "30d"], "only 'previous' is supported"),
        (["--trend", "hour"], "'--trend': 'hour' is not one of 'day', 'week', 'month'"),
        (["--segment", "chanel"], "did you mean 'channel'?"),
        (["--preset", "shopp"], "unknown preset 'shopp'"),
        (["-o", "/nonexistent-folder/x.json"], "does not exist"),
        (["-o", "report.weird"], "cannot tell the format"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = run_cli("diagnose", "sample_data/events.csv", *args, code=2)
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_markup_in_data_is_printed_literally(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,event,timestamp,campaign\n"
        "u1,page_view,2025-01-01T00:00:00Z,[summer]\n"
        "u2,[bold]x[/bold],2025-01-01T00:00:00Z,[summer]\n"
    )
    out = run_cli("diagnose", str(events), "--segment", "campaign").stdout
    assert "[summer]" in out
    assert "[bold]x[/bold]" in out


def test_json_matches_the_shipped_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test dependency")
    from fivea.schema import result_schema, shipped_schema

    assert shipped_schema() == result_schema(), (
        "fivea/data/result.schema.json is stale: regenerate it with "
        "python -c 'from fivea.schema import schema_text; print(schema_text(), end=\"\")'"
    )
    validator = jsonschema.Draft202012Validator(shipped_schema())
    for args in (
        ["sample_data/events.csv"],
        [
            "sample_data/events.parquet",
            "--since",
            "60d",
            "--compare",
            "previous",
            "--segment",
            "channel",
            "--trend",
            "week",
        ],
    ):
        document = json.loads(run_cli("diagnose", *args, "-f", "json").stdout)
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, errors[0]


def test_debug_shows_the_traceback_and_keeps_the_exit_code() -> None:
    quiet = run_cli("diagnose", "missing.csv", code=2)
    assert "Traceback" not in quiet.stderr
    loud = run_cli("diagnose", "missing.csv", "--debug", code=2)
    assert "Traceback (most recent call last)" in loud.stderr
    assert loud.stderr.rstrip().endswith(
        "file not found; check the path (a folder or a quoted glob works too)"
    )
