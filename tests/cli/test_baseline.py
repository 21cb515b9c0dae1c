"""--baseline report.json (docs/metrics.md#baseline): the same comparison as --compare previous,
from an earlier JSON report instead of the old log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DATA, run_cli

SAMPLE = str(SAMPLE_DATA / "events.csv")
PREVIOUS = ("--since", "2025-02-01", "--until", "2025-02-28")  # 28 days
CURRENT = ("--since", "2025-03-01", "--until", "2025-03-28")


def _baseline(tmp_path: Path, *extra: str) -> Path:
    path = tmp_path / "base.json"
    run_cli("report", SAMPLE, *PREVIOUS, *extra, "-o", str(path))
    return path


def test_same_deltas_and_splits_as_compare_previous(tmp_path: Path) -> None:
    base = _baseline(tmp_path, "--segment", "channel")
    common = ("diagnose", SAMPLE, *CURRENT, "--segment", "channel", "-f", "json")
    from_log = json.loads(run_cli(*common, "--compare", "previous").stdout)
    from_report = json.loads(run_cli(*common, "--baseline", str(base)).stdout)
    assert from_report["compare"]["deltas"] == from_log["compare"]["deltas"]
    assert from_report["compare"]["direction"] == from_log["compare"]["direction"]
    assert from_report["change"]["par"] == from_log["change"]["par"]
    assert from_report["change"]["bar"] == from_log["change"]["bar"]
    assert from_report["change"]["mix_rate"]["mix"] == pytest.approx(
        from_log["change"]["mix_rate"]["mix"], abs=1e-12
    )
    assert from_report["change"]["baseline"] == str(base)
    assert from_log["change"]["baseline"] == "previous"


def test_a_baseline_from_other_rules_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text("version: 1\npreset: 5a-default\nfunnel: {window: 7d}\n", encoding="utf-8")
    base = _baseline(tmp_path, "-c", str(config))
    result = run_cli("diagnose", SAMPLE, *CURRENT, "--baseline", str(base), code=2)
    assert result.stderr.count("\n") == 1
    assert f"--baseline {base}: counted with other rules (funnel differ)" in result.stderr


def test_targets_may_differ(tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text(
        "version: 1\npreset: 5a-default\ntargets: {affinity: 0.9}\n", encoding="utf-8"
    )
    base = _baseline(tmp_path, "-c", str(config))
    run_cli("diagnose", SAMPLE, *CURRENT, "--baseline", str(base))


def test_a_window_of_another_length_is_refused(tmp_path: Path) -> None:
    base = _baseline(tmp_path)
    result = run_cli(
        "diagnose",
        SAMPLE,
        "--since",
        "2025-03-01",
        "--until",
        "2025-03-14",
        "--baseline",
        str(base),
        code=2,
    )
    assert (
        "the analysis windows differ in length (now, baseline: 14 days, 28 days)" in result.stderr
    )


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "file not found"),
        ("{not json", "line 1: not JSON"),
        ('{"a": 1}', "not a fivea JSON report"),
    ],
)
def test_bad_baselines_are_one_line(tmp_path: Path, content: str | None, fragment: str) -> None:
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli("diagnose", SAMPLE, *CURRENT, "--baseline", str(path), code=2)
    assert result.stderr.count("\n") == 1
    assert fragment in result.stderr


def test_baseline_and_compare_exclude_each_other(tmp_path: Path) -> None:
    base = _baseline(tmp_path)
    result = run_cli(
        "diagnose", SAMPLE, *CURRENT, "--compare", "previous", "--baseline", str(base), code=2
    )
    assert "--compare and --baseline exclude each other" in result.stderr


def test_change_checks_run_against_a_baseline(tmp_path: Path) -> None:
    base = _baseline(tmp_path)
    checks = tmp_path / "checks.yaml"
    checks.write_text(
        "version: 1\npreset: 5a-default\nchecks:\n  - {id: par, metric: change.par, fail: '< -90%'}\n",
        encoding="utf-8",
    )
    out = run_cli(
        "check", SAMPLE, *CURRENT, "-c", str(checks), "--baseline", str(base), "-f", "json"
    )
    (entry,) = json.loads(out.stdout)["checks"]
    assert entry["status"] == "pass"
    assert entry["value"] is not None
