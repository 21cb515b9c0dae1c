"""The epoch unit of a time column is the whole column's, though the local engine guesses it
from the first rows (a median over the column would stop polars streaming): a wrong guess is
caught in the same pass and the pass redone with the column's unit."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fivea import api, phase1
from fivea.render.json import render_json

SECOND = 1_700_000_000  # 2023-11-14, as epoch seconds


def _log(path: Path, head_in_seconds: int, rest_in_ms: int) -> Path:
    """Epoch times as text: the first rows in seconds, the rest in milliseconds."""
    rows = []
    for i in range(head_in_seconds + rest_in_ms):
        seconds = SECOND + i * 60
        at = str(seconds) if i < head_in_seconds else str(seconds * 1000)
        # every stage has hits: no second phase-1 pass for a path that skips a stage
        event = ("page_view", "product_view", "search", "purchase", "share")[i % 5]
        rows.append({"user_id": f"u{i % 37}", "event_time": at, "event": event})
    pl.DataFrame(rows).write_csv(path)
    return path


def _report(path: Path, unit: str | None) -> dict:
    config = {"preset": "5a-default", "columns": {"time_unit": unit} if unit else {}}
    report = json.loads(render_json(api.diagnose(path, config, as_of="2024-01-01")))
    report.pop("run", None)
    report.pop("config", None)
    report.pop("generated_at", None)
    return report


def _runs(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    units: list[str | None] = []
    real = phase1.run_phase1

    def counting(scan, plan):  # type: ignore[no-untyped-def]
        units.append(scan.build.unit)
        return real(scan, plan)

    monkeypatch.setattr(phase1, "run_phase1", counting)
    monkeypatch.setattr("fivea.local.run_phase1", counting)
    return units


def test_a_right_guess_is_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _log(tmp_path / "events.csv", head_in_seconds=3000, rest_in_ms=0)
    expected = _report(log, "s")
    units = _runs(monkeypatch)
    assert _report(log, None) == expected
    assert units == ["s"]


def test_a_wrong_guess_is_redone_with_the_columns_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the first 1000 rows read as seconds, the column's median as milliseconds
    log = _log(tmp_path / "events.csv", head_in_seconds=1200, rest_in_ms=1800)
    expected = _report(log, "ms")
    units = _runs(monkeypatch)
    assert _report(log, None) == expected
    assert units == ["s", "ms"]
