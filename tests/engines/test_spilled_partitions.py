"""Person partitions from one read of the log (fivea.person.spilled): the compiled kernel's rows
are written per partition in one pass, and the result is the one-pass result."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest

import fivea
from fivea.engines.local import SPILL_ROW_BYTES, SPILL_SHARE, LocalRunner
from fivea.io.events import EventScan
from fivea.person import spilled
from tests.conftest import REAL_DATA, ROOT
from tests.engines.test_partitions import _json
from tests.io.test_epoch_unit import _log

SAMPLE = ROOT / "sample_data" / "events.csv"
REES46 = REAL_DATA / "rees46-oct2019-head"


@pytest.fixture
def one_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, list]:
    """The compiled kernel on any log; records the spilled runs, fails a partition's re-read
    or a Parquet copy of the sources, and keeps the run's temp files in ``tmp_path/tmp``."""
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen: dict[str, list] = {"spilled": [], "scratch": [scratch]}
    real = spilled._spilled

    def spy(scan, plan, head, count, folder, on_progress):  # type: ignore[no-untyped-def]
        seen["spilled"].append((count, folder))
        return real(scan, plan, head, count, folder, on_progress)

    def no_reread(*args: object) -> EventScan:
        raise AssertionError("a partition read the log again")

    monkeypatch.setattr(spilled, "_spilled", spy)
    monkeypatch.setattr(EventScan, "partition", no_reread)
    monkeypatch.setattr(EventScan, "spooled", no_reread)
    return seen


@pytest.mark.parametrize("partitions", [2, 5, 16])
def test_the_sample_in_spilled_partitions_is_the_one_pass_report(
    partitions: int, one_read: dict[str, list]
) -> None:
    args = {
        "since": "60d",
        "segments": ["channel"],
        "compare": "previous",
        "trend": "week",
        "drivers": "all",
    }
    whole, run = _json(fivea.diagnose(SAMPLE, **args))
    assert one_read["spilled"] == []  # one partition: nothing written
    parted, parted_run = _json(fivea.diagnose(SAMPLE, **args, partitions=partitions))
    assert (run["partitions"], parted_run["partitions"]) == (1, partitions)
    assert [count for count, _ in one_read["spilled"]] == [partitions]
    assert parted == whole
    assert parted["drivers"]  # the drivers of every transition, from the partitions' rows
    # the partitions' files are gone with the run's temp folder
    assert list(one_read["scratch"][0].iterdir()) == []


def test_duplicates_and_quality_of_a_real_log_in_spilled_partitions(
    one_read: dict[str, list],
) -> None:
    config = ROOT / "tests" / "fixtures" / "configs" / "rees46.yaml"
    whole, _ = _json(fivea.diagnose(REES46 / "events.csv", config))
    parted, _ = _json(fivea.diagnose(REES46 / "events.csv", config, partitions=7))
    assert parted["quality"]["duplicates"] == whole["quality"]["duplicates"] == 5
    assert parted == whole
    # the config leaves a stage unmeasured: phase 1 runs twice (docs/performance.md), each
    # time one pass over the log
    assert [count for count, _ in one_read["spilled"]] == [7, 7]


def test_partitions_without_persons_are_empty_not_missing(
    tmp_path: Path, one_read: dict[str, list]
) -> None:
    """Three persons in 40 partitions: most partitions get no row (no file is written)."""
    rows = [
        {"user_id": f"p{p}", "event_time": f"2024-01-0{d + 1}T10:00:00Z", "event": e}
        for p in range(3)
        for d, e in enumerate(["page_view", "product_view", "add_to_cart", "purchase"][: p + 2])
    ]
    path = tmp_path / "three.csv"
    pl.DataFrame(rows).write_csv(path)
    whole, _ = _json(fivea.diagnose(path, as_of="2024-02-01"))
    parted, _ = _json(fivea.diagnose(path, as_of="2024-02-01", partitions=40))
    assert {count for count, _ in one_read["spilled"]} == {40}
    assert parted == whole
    assert whole["persons"] == 3


def test_a_wrong_epoch_unit_guess_writes_the_partitions_again(
    tmp_path: Path, one_read: dict[str, list]
) -> None:
    """The unit is guessed from the first rows and checked in the pass that writes the rows:
    a wrong guess (no epoch among the first rows) is a second pass with the column's unit."""
    log = _log(tmp_path / "events.csv", head_in_seconds=1200, rest_in_ms=1800, head_iso=True)
    config = {"preset": "5a-default"}
    stated = {"preset": "5a-default", "columns": {"time_unit": "ms"}}
    whole, _ = _json(fivea.diagnose(log, stated, as_of="2024-01-01"))
    parted, _ = _json(fivea.diagnose(log, config, as_of="2024-01-01", partitions=3))
    assert len(one_read["spilled"]) == 2  # the guess (seconds), then milliseconds
    for report in (whole, parted):
        for key in ("config_fingerprint", "config_resolved"):
            report.pop(key)
    assert parted == whole


def test_more_partitions_when_the_kernel_rows_need_them(tmp_path: Path) -> None:
    """Writing the rows makes a partition cheap: the count keeps one partition's rows in memory
    (their bytes and ``SPILL_ROW_BYTES``) within ``SPILL_SHARE`` of the budget, never below
    the count the log's reads need, and a given count is kept."""
    from fivea.engines.local import _row_count

    path = tmp_path / "log.csv"
    frame = pl.DataFrame(
        {"user_id": ["a"] * 999, "event_time": ["2024-01-01"] * 999, "event": ["x"] * 999}
    )
    frame.write_csv(path)
    scan = _scan(path)
    try:
        budget = 10_000_000
        runner = LocalRunner(scan, budget=budget)
        reads = runner.partitions()
        rows = _row_count(scan.sources)
        assert rows == 1000  # the lines of the file, header included
        share = budget * SPILL_SHARE
        assert runner._spilled_count(int(share / rows) - SPILL_ROW_BYTES) == reads == 1
        wide = int(share / rows) * 5  # five times what one partition may hold
        assert runner._spilled_count(wide - SPILL_ROW_BYTES) == 5
        assert runner._spilled_count(wide - SPILL_ROW_BYTES + 1) == 6
        assert LocalRunner(scan, budget=budget, count=3)._spilled_count(wide) == 3
    finally:
        scan.cleanup()


def _scan(path: Path) -> EventScan:
    from fivea.io.events import scan_events
    from fivea.io.sources import resolve_sources

    loaded = fivea.load_config(None)
    return scan_events(resolve_sources([str(path)]), loaded.config)
