"""A polars error from fivea's own plan is a bug (exit 3, "please report"), not the user's file."""

from __future__ import annotations

import polars as pl
import pytest

from fivea import pipeline as analysis
from tests.conftest import SAMPLE_DATA, run_cli


def test_a_missing_column_inside_the_plan_is_reported_as_a_bug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise pl.exceptions.ColumnNotFoundError('unable to find column "seg_channel"')

    monkeypatch.setattr(analysis, "analyse_scan", broken)
    result = run_cli("diagnose", str(SAMPLE_DATA / "events.csv"), code=3)
    assert "please report" in result.stderr
    assert "check the file" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_read_error_is_still_the_users(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable(*args: object, **kwargs: object) -> None:
        raise pl.exceptions.ComputeError("could not parse `abc` as dtype i64 at column 'x'")

    monkeypatch.setattr(analysis, "analyse_scan", unreadable)
    result = run_cli("diagnose", str(SAMPLE_DATA / "events.csv"), code=2)
    assert "cannot read the events" in result.stderr
