"""``fivea check`` with anomaly checks (docs/checks.md, "Anomaly checks"): exit codes, the
JUnit, GitHub and step-summary outputs, and the config errors (docs/errors.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_DATA, run_cli
from tests.limits import run_limited


def _log(tmp_path: Path, collapse: bool) -> Path:
    """Ten weeks from Monday 2025-01-06 (W02..W11): 100 persons a week view a page and about
    30 buy; with ``collapse`` only 5 buy in the last week (W11, ending Sunday 2025-03-16)."""
    lines = ["user_id,event,timestamp"]
    start = dt.datetime(2025, 1, 6, 0, 0)
    for w in range(10):
        buyers = 5 if collapse and w == 9 else 28 + (w % 3) * 2
        for i in range(100):
            at = start + dt.timedelta(weeks=w, days=i % 7, hours=9)
            lines.append(f"w{w}p{i},page_view,{at.isoformat()}")
            if i < buyers:
                lines.append(f"w{w}p{i},purchase,{(at + dt.timedelta(minutes=5)).isoformat()}")
    path = tmp_path / ("collapsed.csv" if collapse else "steady.csv")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _config(tmp_path: Path, check: str) -> Path:
    path = tmp_path / "fivea.yaml"
    path.write_text(f"version: 1\npreset: 5a-default\nchecks:\n{check}", encoding="utf-8")
    return path


PAR_CHECK = "  - id: par-drop\n    metric: par\n    anomaly: {over: week, direction: down}\n"


def _check(tmp_path: Path, collapse: bool, *args: str, code: int, check: str = PAR_CHECK):
    log = _log(tmp_path, collapse)
    config = _config(tmp_path, check)
    return run_cli("check", str(log), "-c", str(config), "--until", "2025-03-16", *args, code=code)


def test_a_collapsed_week_fails_the_build(tmp_path: Path) -> None:
    out = _check(tmp_path, True, code=1)
    assert "par-drop" in out.stdout
    assert "0.05 in 2025-W11: anomalous, below" in out.stdout
    assert "the low bound 0.1962" in out.stdout
    assert "0 passed, 1 failed" in out.stdout


def test_a_steady_week_passes(tmp_path: Path) -> None:
    out = _check(tmp_path, False, "--format", "json", code=0)
    check = json.loads(out.stdout)["checks"][0]
    assert check["status"] == "pass"
    anomaly = check["anomaly"]
    assert anomaly["status"] == "normal"
    assert anomaly["bucket"] == "2025-W11"
    assert anomaly["value"] == 0.28  # 28 of 100 (the 10th week: 28 + 2·(9 mod 3))
    assert anomaly["low"] <= anomaly["value"] <= anomaly["high"]
    assert [p["bucket"] for p in anomaly["history"]] == [f"2025-W{w:02d}" for w in range(3, 11)]
    assert anomaly["status_reason"] is None
    assert set(anomaly) == {
        "bucket",
        "value",
        "median",
        "low",
        "high",
        "history",
        "status",
        "status_reason",
    }


def test_junit_and_github_name_the_bucket_the_band_and_the_history(tmp_path: Path) -> None:
    xml = tmp_path / "checks.xml"
    out = _check(tmp_path, True, "--format", "github", "-o", str(xml), code=1)
    line = out.stdout.splitlines()[0]
    assert line.startswith("::error file=")
    assert ",line=4,title=par-drop::par 2025-W11 = 0.05: anomalous, below the low bound " in line
    assert "of 8 weeks: 2025-W03 0.3, 2025-W04 0.32, 2025-W05 0.28" in line
    assert out.stdout.splitlines()[-1] == "::notice title=fivea check::0 passed, 1 failed"
    text = xml.read_text(encoding="utf-8")
    assert '<testcase classname="fivea.diagnosis.checks" name="par-drop"' in text
    assert '<failure message="par 2025-W11 = 0.05: anomalous, below the low bound ' in text


def test_the_step_summary_has_the_row(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    log, config = _log(tmp_path, True), _config(tmp_path, PAR_CHECK)
    args = ("check", str(log), "-c", str(config), "--until", "2025-03-16", "--step-summary")
    run_cli(*args, "-q", "--format", "json", code=1, env=env)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### fivea check: 0 passed, 1 failed")
    assert "| par-drop | par | 0.05 in 2025-W11: anomalous, below the low bound " in text
    assert "| ❌ fail | fail if anomalous (down, k 3.5, 8 weeks) |" in text


def test_warn_anomalous_warns_and_strict_fails(tmp_path: Path) -> None:
    check = "  - {id: par-drop, metric: par, warn: anomalous, anomaly: {over: week}}\n"
    out = _check(tmp_path, True, "--format", "github", code=0, check=check)
    assert out.stdout.startswith("::warning ")
    _check(tmp_path, True, "--strict", code=1, check=check)


def test_not_judged_follows_on_missing(tmp_path: Path) -> None:
    # min_periods 8 of lookback 8, but only W03 and W04 are complete before W05: W02 starts
    # before the first event (Monday 09:00)
    check = (
        "  - {id: par-drop, metric: par, on_missing: %s,\n"
        "     anomaly: {over: week, lookback: 8, min_periods: 8}}\n"
    )
    log = _log(tmp_path, True)
    args = ("check", str(log), "--until", "2025-02-02", "--format", "json")
    config = _config(tmp_path, check % "pass")
    out = run_cli(*args, "-c", str(config), code=0)
    result = json.loads(out.stdout)["checks"][0]
    assert result["anomaly"]["status"] == "not_judged"
    assert result["anomaly"]["status_reason"] == (
        "2 weeks with a value among the 8 weeks before 2025-W05; min_periods is 8"
    )
    assert result["message"].startswith("par anomaly not judged: 2 weeks with a value")
    config = _config(tmp_path, check % "fail")
    run_cli(*args, "-c", str(config), code=1)


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            "  - id: par-drop\n    metric: par\n    anomaly: {over: week, lookbak: 4}\n",
            ":6: checks[0].anomaly.lookbak: unknown key; did you mean 'lookback'?",
        ),
        (
            "  - {id: par-drop, metric: share.act, anomaly: {over: week}}\n",
            ":4: checks[0]: anomaly: check 'par-drop': 'share.act' is not counted per week; "
            "did you mean 'reached.act'? anomaly checks take par, bar, reached.<stage>, "
            "ratio.<transition> or flow.<transition>",
        ),
        (
            "  - {metric: par, fail: '< 0.2', anomaly: {over: week}}\n",
            ":4: checks[0]: fail: with anomaly: the condition is \"anomalous\", got '< 0.2'",
        ),
        (
            "  - {metric: par, anomaly: {over: week, lookback: 3}}\n",
            ":4: checks[0].anomaly: min_periods (4) must be between 1 and lookback (3)",
        ),
        (
            "  - {metric: par, anomaly: {over: week, k: 0}}\n",
            ":4: checks[0].anomaly.k: must be > 0, got 0",
        ),
        (
            "  - {metric: par, fail: anomalous}\n",
            ':4: checks[0]: fail: "anomalous" needs an anomaly: block saying which buckets to '
            "compare, e.g. anomaly: {over: week}",
        ),
        (
            "  - {metric: par, anomaly: {over: week, lookback: 5000}}\n",
            ":4: checks[0].anomaly.lookback: must be ≤ 1,000, got 5000",
        ),
        (
            "  - {metric: par, segment: {channel: email}, anomaly: {over: week}}\n",
            ":4: checks[0]: anomaly: the check on par: not available per segment",
        ),
    ],
)
def test_config_errors_name_the_line(tmp_path: Path, check: str, message: str) -> None:
    config = _config(tmp_path, check)
    out = run_limited("check", str(_log(tmp_path, False)), "-c", str(config), code=2)
    assert out.stderr.startswith(f"fivea: error: {config}{message}")
    assert len(out.stderr.strip().splitlines()) == 1


def test_the_documented_session_is_real(tmp_path: Path) -> None:
    """docs/checks.md, "Anomaly checks": its config and GitHub output, run on the sample."""
    docs = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    section = docs[docs.index("\n## Anomaly checks\n") :]
    config = section[section.index("```yaml\n") + 8 :]
    (tmp_path / "fivea.yaml").write_text(config[: config.index("```")], encoding="utf-8")
    (tmp_path / "sample_data").symlink_to(SAMPLE_DATA)
    command = "fivea check sample_data/events.csv -c fivea.yaml --until 2025-04-06 --format github"
    shown = section[section.index(f"$ {command}\n") + len(command) + 3 :]
    shown = shown[: shown.index("```")]
    out = run_limited(*command.split()[1:], code=1, cwd=tmp_path)
    assert out.stdout == shown
