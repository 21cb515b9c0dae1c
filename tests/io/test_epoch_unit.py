"""The epoch unit of a time column is the whole column's, though the local engine guesses it
from the first rows (a median over the column would stop polars streaming): a wrong guess is
caught in the same pass and the pass redone with the column's unit."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fivea import api
from fivea.errors import InputError
from fivea.person import phase1
from fivea.render.json import render_json

SECOND = 1_700_000_000  # 2023-11-14, as epoch seconds


def _log(path: Path, head_in_seconds: int, rest_in_ms: int, head_iso: bool = False) -> Path:
    """Epoch times as text: the first rows in seconds (or ISO text), the rest in milliseconds."""
    rows = []
    for i in range(head_in_seconds + rest_in_ms):
        seconds = SECOND + i * 60
        if i < head_in_seconds:
            at = pl.Series([seconds * 1000]).cast(pl.Datetime("ms")).dt.to_string()[0]
            at = at if head_iso else str(seconds)
        else:
            at = str(seconds * 1000)
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
    # the config differs by the explicit time_unit, and so does its fingerprint
    report.pop("config_fingerprint", None)
    report.pop("config_resolved", None)
    return report


def _runs(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    units: list[str | None] = []
    real = phase1._run_phase1  # each pass over the events, the redone one too

    def counting(scan, plan, head):  # type: ignore[no-untyped-def]
        units.append(scan.build.unit)
        return real(scan, plan, head)

    monkeypatch.setattr(phase1, "_run_phase1", counting)
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
    # the first 1000 rows hold no epoch (the guess is any unit), the column's are milliseconds
    log = _log(tmp_path / "events.csv", head_in_seconds=1200, rest_in_ms=1800, head_iso=True)
    expected = _report(log, "ms")
    units = _runs(monkeypatch)
    assert _report(log, None) == expected
    assert units == ["s", "ms"]


def test_a_column_mixing_units_is_an_error_without_the_unit(tmp_path: Path) -> None:
    # 1200 seconds among 1800 milliseconds: the first rows' guess is redone, then 40% of the
    # column is of another unit (docs/input.md, "Epoch unit")
    log = _log(tmp_path / "events.csv", head_in_seconds=1200, rest_in_ms=1800)
    with pytest.raises(InputError, match=r"1200 of 3000 times .* epoch seconds among epoch milli"):
        _report(log, None)
    report = _report(log, "ms")  # with the unit set: dropped and counted
    assert {d["reason"]: d["rows"] for d in report["quality"]["dropped"]} == {
        "other_epoch_unit": 1200
    }


def test_the_first_row_of_another_unit_is_the_first_in_input_order() -> None:
    from fivea.io.epoch_units import first_other_unit

    parts = [
        pl.DataFrame(
            {"order": [None], "value": [None], "unit": ["ms"]},
            schema_overrides={"order": pl.Int64, "value": pl.String},
        ),
        pl.DataFrame({"order": [7], "value": ["1700000000"], "unit": ["ms"]}),
        pl.DataFrame({"order": [3], "value": ["1700000001"], "unit": ["ms"]}),
    ]
    assert first_other_unit(parts).row(0) == (3, "1700000001", "ms")


def test_without_known_rows_the_warning_names_the_value_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from fivea.engines import local
    from fivea.io.epoch_units import check_other_units

    tables: list = []
    real = local.check_other_units
    log = _log(tmp_path / "events.csv", head_in_seconds=0, rest_in_ms=300)
    with open(log, "a") as handle:
        handle.write(f"u1,{SECOND},page_view\n")

    def keep(found, scan, rows_known=True):  # type: ignore[no-untyped-def]
        tables.append((found, scan))
        return real(found, scan, rows_known)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local, "check_other_units", keep)
        _report(log, None)
    assert "(first: row 301, 1700000000)" in caplog.text
    caplog.clear()
    check_other_units(*tables[0], rows_known=False)
    assert "(first: 1700000000)" in caplog.text
