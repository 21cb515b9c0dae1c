"""Person partitions of the compiled kernel in one pass over the events
(docs/performance.md, "Person partitions in one pass"): the one-pass result, the log read once,
no Parquet copy of a text log, and nothing left in the temp folder."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import fivea
from fivea.io.events import EventScan
from fivea.person import row_stream
from fivea.person.kernel_grouping import split_rows
from fivea.render.json import render_json
from tests.conftest import REAL_DATA, ROOT

SAMPLE = ROOT / "sample_data"
REES46 = REAL_DATA / "rees46-oct2019-head"


def _json(result: fivea.Result) -> tuple[dict, dict]:
    data = json.loads(render_json(result))
    run = data.pop("run")
    data.pop("generated_at")
    return data, run


@pytest.fixture(autouse=True)
def _compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")


@pytest.mark.parametrize("name", ["events.csv", "events.parquet"])
@pytest.mark.parametrize(("partitions", "chunk"), [(2, None), (5, 1000), (16, 97)])
def test_partitions_in_one_pass_change_no_number(
    name: str,
    partitions: int,
    chunk: int | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``chunk``: smaller staging chunks, so every partition writes rows, segments and the
    drivers' columns to disk and reads them back."""
    args = {
        "since": "60d",
        "segments": ["channel", "campaign"],
        "compare": "previous",
        "trend": "week",
        "drivers": "all",
    }
    whole, run = _json(fivea.diagnose(SAMPLE / name, **args))
    if chunk is not None:
        monkeypatch.setattr(row_stream, "CHUNK_ROWS", chunk)
    written: list[Path] = []
    write = row_stream.RowStream._write
    monkeypatch.setattr(
        row_stream.RowStream,
        "_write",
        lambda self, a: written.append(write(self, a)) or written[-1],
    )
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spooled: list[Path] = []
    monkeypatch.setattr(EventScan, "spooled", lambda _, path: spooled.append(path))
    collects: list[int] = []
    collect_all = pl.collect_all

    def counted(frames: list[pl.LazyFrame], **kwargs: object) -> list[pl.DataFrame]:
        collects.append(len(frames))
        return collect_all(frames, **kwargs)

    monkeypatch.setattr(pl, "collect_all", counted)
    parted, parted_run = _json(fivea.diagnose(SAMPLE / name, **args, partitions=partitions))
    assert (run["partitions"], parted_run["partitions"]) == (1, partitions)
    assert parted == whole
    assert len(collects) == 1  # one pass over the events, not one a partition
    assert spooled == []  # a text log is parsed once: no Parquet copy
    assert list(tmp_path.iterdir()) == []  # the partitions' rows are gone from disk
    assert bool(written) == (chunk is not None)


def test_partitions_in_one_pass_keep_the_duplicates_of_a_real_log() -> None:
    config = ROOT / "tests" / "fixtures" / "configs" / "rees46.yaml"
    whole, _ = _json(fivea.diagnose(REES46 / "events.csv", config))
    parted, _ = _json(fivea.diagnose(REES46 / "events.csv", config, partitions=7))
    assert parted["quality"]["duplicates"] == whole["quality"]["duplicates"] == 5
    assert parted == whole


def test_the_epoch_unit_of_one_pass_is_the_whole_column_s(tmp_path: Path) -> None:
    """As in tests/engines/test_partitions.py: a person whose numbers alone would read as
    seconds is read in the column's unit (milliseconds) in every partitioning."""
    rows = []
    for person in range(130):
        base = 1_700_000_000 if person == 0 else 1_700_000_000_000
        for step, event in enumerate(["page_view", "product_view", "add_to_cart", "purchase"]):
            rows.append({"user_id": f"p{person}", "ts": base + step * 60_000, "event": event})
    path = tmp_path / "epochs.csv"
    pl.DataFrame(rows).write_csv(path)
    whole, _ = _json(fivea.diagnose(path))
    assert {d["reason"]: d["rows"] for d in whole["quality"]["dropped"]} == {"other_epoch_unit": 4}
    for partitions in (3, 40):
        parted, _ = _json(fivea.diagnose(path, partitions=partitions))
        assert parted == whole


def test_rows_split_by_partition_keep_input_order() -> None:
    parts = np.array([2, 0, 1, 2, 2, 0, 1, 0], np.int64)
    order, bounds = split_rows(parts, 4)
    assert bounds.tolist() == [0, 3, 5, 8, 8]
    assert order.tolist() == [1, 5, 7, 2, 6, 0, 3, 4]
