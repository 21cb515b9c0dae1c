"""`fivea check` and `fivea report` end to end: exit codes, CI formats, files, atomicity."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fivea.io import output
from tests.conftest import ROOT, run_cli

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}
SAMPLE = str(ROOT / "sample_data" / "events.csv")
CHECKS = """version: 1
preset: 5a-default
checks:
  - {id: par-floor, metric: par, fail: "< 0.02", warn: "< 0.5"}
  - {metric: ratio.commitment, fail: "< 0.2"}
  - {metric: archetype, warn: "in [goldfish]"}
  - {metric: reached.act, segment: {channel: email}, fail: "< 100"}
"""


def _config(tmp_path: Path, text: str = CHECKS) -> str:
    path = tmp_path / "fivea.yaml"
    path.write_text(text)
    return str(path)


def test_check_exit_codes(tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = run_cli("check", SAMPLE, "-c", config, code=1)
    assert "reached.act [channel=email]" in result.stdout
    assert "fail" in result.stdout
    run_cli("check", SAMPLE, "-c", config, "--exit-zero", code=0)
    passing = _config(tmp_path, CHECKS.replace('fail: "< 100"', 'fail: "< 10"'))
    run_cli("check", SAMPLE, "-c", passing, code=0)  # a warning alone passes
    run_cli("check", SAMPLE, "-c", passing, "--strict", code=1)
    run_cli("check", SAMPLE, "-c", passing, "--only", "par-floor", code=0)


def test_check_json_and_github(tmp_path: Path) -> None:
    config = _config(tmp_path)
    data = json.loads(run_cli("check", SAMPLE, "-c", config, "-f", "json", code=1).stdout)
    assert data["exit_code"] == 1
    assert data["summary"] == {"fail": 1, "pass": 2, "warn": 1}
    github = run_cli("check", SAMPLE, "-c", config, "-f", "github", code=1).stdout.splitlines()
    assert github[0] == (
        f"::error file={config.replace(':', '%3A').replace(',', '%2C')},line=7,"
        "title=reached.act [channel=email]::reached.act = 66 (< 100)"
    )
    assert github[1].startswith("::warning ")
    assert github[-1] == "::notice title=fivea check::2 passed, 1 failed, 1 warning"


def test_check_junit_file_and_error_case(tmp_path: Path) -> None:
    config = _config(tmp_path)
    report = tmp_path / "checks.xml"
    run_cli("check", SAMPLE, "-c", config, "-o", str(report), code=1)
    root = ET.parse(report).getroot()
    assert len(list(root.iter("testcase"))) == 4
    # the run itself fails (exit 2): the JUnit file still says why
    run_cli("check", str(tmp_path / "missing.csv"), "-c", config, "-o", str(report), code=2)
    cases = list(ET.parse(report).getroot().iter("testcase"))
    assert len(cases) == 1
    assert "file not found" in cases[0].find("error").get("message")


def test_check_without_checks_is_a_config_error(tmp_path: Path) -> None:
    config = _config(tmp_path, "version: 1\npreset: 5a-default\n")
    result = run_cli("check", SAMPLE, "-c", config, code=2)
    assert "no checks to run" in result.stderr
    only = run_cli("check", SAMPLE, "-c", _config(tmp_path), "--only", "nope", code=2)
    assert "--only nope: no check has this id" in only.stderr


def test_check_unknown_metric(tmp_path: Path) -> None:
    config = _config(tmp_path, CHECKS + '  - {metric: ratio.comitment, fail: "< 0.2"}\n')
    result = run_cli("check", SAMPLE, "-c", config, code=2)
    assert (
        ":8: checks[4].metric: unknown metric 'ratio.comitment'; did you mean "
        "'ratio.commitment'?" in result.stderr
    )


def test_change_checks_need_compare(tmp_path: Path) -> None:
    config = _config(tmp_path, CHECKS + '  - {metric: change.bar, fail: "< -10%"}\n')
    result = run_cli("check", SAMPLE, "-c", config, code=2)
    assert "--compare previous" in result.stderr
    data = json.loads(
        run_cli(
            "check",
            SAMPLE,
            "-c",
            config,
            "--since",
            "60d",
            "--compare",
            "previous",
            "-f",
            "json",
            code=None,
        ).stdout
    )
    change = next(c for c in data["checks"] if c["metric"] == "change.bar")
    assert change["value"] is not None


def test_step_summary_appends(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    run_cli(
        "check",
        SAMPLE,
        "-c",
        _config(tmp_path),
        "--step-summary",
        code=1,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    assert "fivea check: 2 passed, 1 failed, 1 warning" in text


def test_report_writes_files_and_never_exits_1(tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = run_cli(
        "report",
        SAMPLE,
        "-c",
        config,
        "-o",
        str(tmp_path / "r-{as_of}.md"),
        "-o",
        str(tmp_path / "r.csv"),
        "-o",
        str(tmp_path / "r.json"),
        env=EPOCH,
    )
    assert result.stdout == ""
    assert "wrote" in result.stderr
    markdown = (tmp_path / "r-2025-06-30.md").read_text()
    assert markdown.startswith("# fivea 5A diagnosis: needs attention")  # affinity is watch
    csv_text = (tmp_path / "r.csv").read_text()
    assert csv_text.splitlines()[0].startswith("stage,label,reached")
    assert json.loads((tmp_path / "r.json").read_text())["schema_version"] == 1
    quiet = run_cli("report", SAMPLE, "-q", "-o", str(tmp_path / "q.json"))
    assert quiet.stderr == ""


def test_markdown_and_csv_golden(golden, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    golden(
        "diagnose_sample.md",
        run_cli("diagnose", "sample_data/events.csv", "-f", "markdown", env=EPOCH).stdout,
    )
    golden(
        "diagnose_sample.csv",
        run_cli("diagnose", "sample_data/events.csv", "-f", "csv", env=EPOCH).stdout,
    )


def test_failed_run_leaves_no_partial_output(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    run_cli("diagnose", str(tmp_path / "missing.csv"), "-o", str(target), code=2)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_keeps_old_file_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.md"
    target.write_text("old report\n")

    def boom(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        output.write_atomic(str(target), "new report\n")
    assert target.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
