"""The local engine in person partitions (bounded memory) gives exactly the one-pass result."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import polars as pl
import pytest

import fivea
from fivea.engines.local import parse_size
from fivea.io.events import EventScan
from fivea.render.json import render_json
from tests.conftest import REAL_DATA, ROOT, run_cli

SAMPLE = ROOT / "sample_data" / "events.csv"
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
REES46 = REAL_DATA / "rees46-oct2019-head"


def _json(result: fivea.Result) -> tuple[dict, dict]:
    data = json.loads(render_json(result))
    run = data.pop("run")
    data.pop("generated_at")
    return data, run


@pytest.mark.parametrize("partitions", [2, 5, 16])
def test_partitions_change_no_number_on_the_sample(partitions: int) -> None:
    args = {"since": "60d", "segments": ["channel"], "compare": "previous", "trend": "week"}
    whole, run = _json(fivea.diagnose(SAMPLE, **args))
    parted, parted_run = _json(fivea.diagnose(SAMPLE, **args, partitions=partitions))
    assert (run["partitions"], parted_run["partitions"]) == (1, partitions)
    assert parted == whole


def test_partitions_keep_the_duplicates_and_quality_of_a_real_log() -> None:
    config = ROOT / "tests" / "fixtures" / "configs" / "rees46.yaml"
    whole, _ = _json(fivea.diagnose(REES46 / "events.csv", config))
    parted, _ = _json(fivea.diagnose(REES46 / "events.csv", config, partitions=7))
    assert parted["quality"]["duplicates"] == whole["quality"]["duplicates"] == 5
    assert parted == whole


def test_the_epoch_unit_is_the_whole_column_s_not_a_partition_s(tmp_path: Path) -> None:
    """Most ids log epoch milliseconds; a few log small numbers that alone would read as seconds.

    Each partition must still read every value in the column's unit (docs/input.md: the median of the
    whole column picks it), so partitioning cannot change a count or a time. The small numbers
    are another unit than the column's: dropped as ``other_epoch_unit`` (under 1% of the column,
    so a warning, not an error) in every partitioning alike.
    """
    rows = []
    for person in range(130):
        small = person == 0  # this person's numbers are below 1e11: "seconds" on their own
        base = 1_700_000_000 if small else 1_700_000_000_000
        for step, event in enumerate(["page_view", "product_view", "add_to_cart", "purchase"]):
            rows.append({"user_id": f"p{person}", "ts": base + step * 60_000, "event": event})
    path = tmp_path / "epochs.csv"
    pl.DataFrame(rows).write_csv(path)
    whole, _ = _json(fivea.diagnose(path))
    assert {d["reason"]: d["rows"] for d in whole["quality"]["dropped"]} == {"other_epoch_unit": 4}
    for partitions in (3, 40):  # with 40, a partition may hold only the "seconds" person
        parted, _ = _json(fivea.diagnose(path, partitions=partitions))
        assert parted == whole


@pytest.mark.parametrize("name", ["events.csv", "events.ndjson"])
def test_text_sources_are_spooled_to_parquet_once_and_the_copy_removed(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "in" / name
    source.parent.mkdir()
    frame = pl.read_csv(SAMPLE)
    if name.endswith(".csv"):
        frame.write_csv(source)
    else:
        frame.write_ndjson(source)
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool_dir))
    written: list[Path] = []
    real_spooled = EventScan.spooled

    def spy(self: EventScan, path: Path) -> EventScan:
        written.append(path)
        return real_spooled(self, path)

    monkeypatch.setattr(EventScan, "spooled", spy)
    whole, _ = _json(fivea.diagnose(source, segments=["channel"]))
    assert written == []  # one partition: no copy
    parted, _ = _json(fivea.diagnose(source, segments=["channel"], partitions=4))
    assert len(written) == 1
    assert written[0].parent.parent == spool_dir  # in the run's fivea-XXXX folder
    assert parted == whole
    assert list(spool_dir.iterdir()) == []  # the copy is gone


def test_a_partition_of_a_stitched_scan_is_refused() -> None:
    """Stitching maps alias ids across the whole log: the engine never partitions it."""
    loaded = fivea.load_config(None)
    from fivea.io.events import scan_events
    from fivea.io.sources import resolve_sources

    scan: EventScan = scan_events(resolve_sources([str(EXPORTS / "segment.ndjson")]), loaded.config)
    try:
        assert scan.stitching
        with pytest.raises(ValueError, match="unstitched"):
            scan.partition(0, 2, None)
    finally:
        scan.cleanup()
    whole, _ = _json(fivea.diagnose(EXPORTS / "segment.ndjson"))
    asked, _ = _json(fivea.diagnose(EXPORTS / "segment.ndjson", partitions=4))
    assert asked == whole
    assert asked["quality"]["stitched_ids"] == 2


def test_memory_flag_partitions_the_run_and_changes_nothing_else() -> None:
    whole = json.loads(run_cli("diagnose", str(SAMPLE), "-f", "json").stdout)
    small = json.loads(run_cli("diagnose", str(SAMPLE), "-f", "json", "--memory", "2MB").stdout)
    assert whole["run"]["partitions"] == 1
    assert small["run"]["partitions"] > 1
    for data in (whole, small):
        data.pop("run")
        data.pop("generated_at")
    assert small == whole


def test_memory_from_the_environment() -> None:
    out = run_cli("diagnose", str(SAMPLE), "-f", "json", env={"FIVEA_MEMORY": "2MB"})
    assert json.loads(out.stdout)["run"]["partitions"] > 1


@pytest.mark.parametrize("text", ["3x", "0", "-1GB", "GB", "1.5.2G"])
def test_a_bad_memory_size_is_a_usage_error(text: str) -> None:
    out = run_cli("diagnose", str(SAMPLE), "--memory", text, code=2)
    assert out.stderr.strip() == (
        f"fivea: error: --memory {text!r}: give a size such as 2GB, 3GiB or 512MB"
    )


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("2GB", 2 * 10**9),
        ("3GiB", 3 * 2**30),
        ("512m", 512 * 10**6),
        ("1.5g", 1_500_000_000),
        ("512MiB", 512 * 2**20),
        ("1000000", 1_000_000),
        (" 64 kb ", 64_000),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("name", "budgets", "expected"),
    [
        ("events.parquet", 0.5, 1),
        ("events.parquet", 1.2, 2),  # a second Parquet pass reads only its rows: cheap
        ("events.csv", 1.2, 1),  # a second CSV pass parses the text again: one pass instead
        ("events.csv", 1.6, 3),  # well over budget: copied to Parquet once, then 3 passes
        ("events.csv", 7.5, 8),
        ("events.parquet", 10_000, 1024),  # capped
    ],
)
def test_partition_count_policy(
    name: str, budgets: float, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fivea.engines import local
    from fivea.io.events import scan_events
    from fivea.io.sources import resolve_sources

    budget = 1_000_000
    monkeypatch.setattr(local, "working_set", lambda scan: budgets * budget)
    scan = scan_events(
        resolve_sources([str(ROOT / "sample_data" / name)]), fivea.load_config(None).config
    )
    assert local.partition_count(scan, budget) == expected


def test_rows_of_a_text_file_are_estimated_from_its_size(tmp_path: Path) -> None:
    """No newline count over the whole file (it would map a huge CSV into memory)."""
    import gzip

    from fivea.engines.local import _row_count
    from fivea.io.sources import resolve_sources

    big = tmp_path / "events.csv"
    frame = pl.concat([pl.read_csv(SAMPLE)] * 20)  # several MiB: more than the sampled head
    frame.write_csv(big)
    estimate = _row_count(resolve_sources([str(big)]))
    assert estimate is not None
    assert abs(estimate - frame.height) / frame.height < 0.05
    small = tmp_path / "small.csv"
    frame.head(10).write_csv(small)
    assert _row_count(resolve_sources([str(small)])) == 11  # read whole: header + 10 rows
    packed = tmp_path / "events.csv.gz"
    packed.write_bytes(gzip.compress(small.read_bytes()))
    assert _row_count(resolve_sources([str(packed)])) is None  # counted by reading instead
    parquet = ROOT / "sample_data" / "events.parquet"
    assert _row_count(resolve_sources([str(parquet)])) == pl.read_parquet(parquet).height


def test_a_narrow_log_still_counts_the_kernels_bytes_per_row(tmp_path: Path) -> None:
    """Phase 1 holds about the same columns per row whatever the log's width (measured 168 B
    per row for 3 columns, 185 B for 10): a narrow log must not look almost free."""
    from fivea.engines import local
    from fivea.io.events import scan_events
    from fivea.io.sources import resolve_sources

    narrow = tmp_path / "narrow.parquet"
    frame = pl.read_csv(SAMPLE).select("user_id", "event_time", "event")
    frame.write_parquet(narrow)
    config = fivea.load_config(None).config
    scan = scan_events(resolve_sources([str(narrow)]), config)
    wide = scan_events(resolve_sources([str(SAMPLE)]), config)
    per_row = local.working_set(scan) / frame.height
    assert local.ROW_BYTES <= per_row < local.working_set(wide) / frame.height
