"""The kernel input grouped as it streams (fivea.person.row_stream) against a plain grouping.

Every person's packed rows must be its input rows ordered by (time, input order), in exactly
one part; the collision flags, per-person keys, the other columns by input row and the
duplicate count must be what the rows say, however the rows arrive in batches and chunks.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from concurrent.futures import Future

import polars as pl
import pytest

import fivea
from fivea.io.events import TIME as TIME_COLUMN
from fivea.io.sources import ORDER
from fivea.person import row_stream
from fivea.person.compiled import Grouped
from fivea.person.drivers import NAME
from fivea.person.kernel_grouping import COUNTED, LOW32, MASK, ROW_AND_HASH, TIME
from fivea.person.quality import ROW_HASH
from fivea.person.row_stream import CHECK, KEY, SIMPLE, OutOfOrder, RowStream
from fivea.person.row_stream import COUNTED as COUNTED_COLUMN
from fivea.render.json import render_json
from tests.conftest import ROOT


def _input(seed: int, rows: int, persons: int) -> pl.DataFrame:
    """A kernel input: keys with a few collided ids, tied times, repeated row hashes."""
    rng = random.Random(seed)
    person = [rng.randrange(persons) for _ in range(rows)]
    keys = [(p * 0x9E3779B97F4A7C15 + 17) % 2**64 for p in person]
    # person 0's rows carry two different checks: two ids sharing a key
    check = [(p * 31 + (rng.randrange(2) if p == 0 else 0)) % 2**64 for p in person]
    return pl.DataFrame(
        {
            KEY: pl.Series(values=keys, dtype=pl.UInt64),
            CHECK: pl.Series(values=check, dtype=pl.UInt64),
            TIME_COLUMN: [rng.randrange(6) * 1000 for _ in range(rows)],
            ORDER: [3 * i + 1 for i in range(rows)],
            SIMPLE: pl.Series(values=[rng.randrange(32) for _ in range(rows)], dtype=pl.UInt32),
            COUNTED_COLUMN: pl.Series(
                values=[rng.randrange(4) for _ in range(rows)], dtype=pl.UInt32
            ),
            ROW_HASH: pl.Series(
                values=[rng.choice([5, 2**63 + 7, 2**40 + 3]) for _ in range(rows)], dtype=pl.UInt64
            ),
            "seg_channel": [f"c{rng.randrange(3)}" for _ in range(rows)],
            NAME: pl.Series(values=[rng.randrange(2**64) for _ in range(rows)], dtype=pl.UInt64),
        }
    )


def _batches(frame: pl.DataFrame, seed: int) -> list[pl.DataFrame]:
    rng = random.Random(seed)
    cuts = sorted({0, frame.height, *(rng.randrange(frame.height + 1) for _ in range(6))})
    return [frame.slice(a, b - a) for a, b in itertools.pairwise(cuts)]


def _check(frame: pl.DataFrame, grouped: Grouped) -> None:
    """``grouped`` is ``frame`` grouped by person, each person's rows by (time, input row)."""
    expected: dict[int, list[tuple[int, ...]]] = {}
    checks: dict[int, set[int]] = {}
    for i, row in enumerate(frame.iter_rows(named=True)):
        key = row[KEY]
        word = (i | (row[ROW_HASH] << 32)) & (2**64 - 1)
        word = word - 2**64 if word >= 2**63 else word
        expected.setdefault(key, []).append(
            (row[TIME_COLUMN], row[SIMPLE], row[COUNTED_COLUMN], word)
        )
        checks.setdefault(key, set()).add(row[CHECK])
    seen: dict[int, list[tuple[int, ...]]] = {}
    for (starts, packed, collided), keys in zip(grouped.parts, grouped.keys, strict=True):
        assert len(keys) == len(collided) == len(starts) - 1
        for p, key in enumerate(keys.tolist()):
            rows = packed[starts[p] : starts[p + 1]]
            assert key not in seen  # one part, one person code
            seen[key] = [tuple(r) for r in rows[:, [TIME, MASK, COUNTED, ROW_AND_HASH]].tolist()]
            assert bool(collided[p]) == (len(checks[key]) > 1)
    assert seen == {k: sorted(v, key=lambda r: (r[0], r[3] & LOW32)) for k, v in expected.items()}
    assert grouped.rows == frame.height
    assert grouped.segments["seg_channel"].to_list() == frame["seg_channel"].to_list()
    assert grouped.names.tolist() == frame[NAME].cast(pl.Int64, wrap_numerical=True).to_list()
    distinct = frame.select(KEY, TIME_COLUMN, ROW_HASH).n_unique()
    assert grouped.distinct["distinct"].item() == distinct


@pytest.mark.parametrize("seed", range(6))
def test_streamed_rows_are_grouped_by_person_in_time_then_input_order(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(row_stream, "CHUNK_ROWS", 1 + seed * 37)  # rows cross chunk ends
    monkeypatch.setattr(row_stream, "ROWS_PER_PART", 50)  # several parts
    frame = _input(seed, rows=400 + 100 * seed, persons=20 + 15 * seed)
    stream = RowStream(duplicates=True)
    for batch in _batches(frame, seed):
        stream.take(batch)
    _check(frame, Grouped.streamed(stream))


def test_the_person_table_grows_past_its_first_size() -> None:
    """70,000 persons: more than the first table (65,536 slots at most half full) holds."""
    frame = _input(1, rows=150_000, persons=70_000)
    stream = RowStream(duplicates=True)
    for batch in _batches(frame, 1):
        stream.take(batch)
    grouped = Grouped.streamed(stream)
    assert sum(len(k) for k in grouped.keys) == frame[KEY].n_unique()
    _check(frame, grouped)


def test_batches_wait_until_the_kernel_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches wait while the compiled functions load, up to ``WAIT_ROWS`` rows; then the
    stream waits for the loading instead (polars is held up, memory is not)."""
    monkeypatch.setattr(row_stream, "WAIT_ROWS", 120)
    frame = _input(2, rows=300, persons=40)
    loading: Future[object] = Future()
    stream = RowStream(duplicates=True, loading=loading)
    batches = [frame.slice(i, 50) for i in range(0, 300, 50)]
    for batch in batches[:2]:
        stream.take(batch)
    assert stream.rows == 0  # nothing coded yet: the batches wait as they came

    def load() -> None:
        time.sleep(0.2)
        loading.set_result(None)

    threading.Thread(target=load).start()
    started = time.perf_counter()
    stream.take(batches[2])  # 150 rows would wait: this waits for the loading instead
    assert time.perf_counter() - started >= 0.15
    assert stream.rows == 150
    for batch in batches[3:]:
        stream.take(batch)
    _check(frame, Grouped.streamed(stream))


def test_rows_out_of_input_order_are_refused() -> None:
    frame = _input(3, rows=50, persons=5)
    stream = RowStream(duplicates=True)
    stream.take(frame.slice(25))
    stream.take(frame.slice(0, 25))
    with pytest.raises(OutOfOrder):
        Grouped.streamed(stream)


def test_a_stream_without_batches_keeps_its_columns() -> None:
    """A person partition may hold no event: its empty grouping keeps the input's columns."""
    frame = _input(4, rows=10, persons=3)
    stream = RowStream(duplicates=False)
    pl.collect_all([stream.sink(frame.lazy().filter(pl.lit(value=False)))])
    grouped = Grouped.streamed(stream)
    assert grouped.rows == 0
    assert grouped.segments.columns == ["seg_channel"]
    assert grouped.names is not None
    assert grouped.names.shape == (0,)
    assert [len(k) for k in grouped.keys] == [0]


def _json(result: fivea.Result) -> dict:
    data = json.loads(render_json(result))
    data.pop("generated_at")
    data["run"].pop("seconds")
    return data


def test_a_run_whose_rows_arrive_out_of_order_groups_them_again_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Phase 1 answers ``OutOfOrder`` by running again with the kernel input ordered."""
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    sample = ROOT / "sample_data" / "events.parquet"
    expected = _json(fivea.diagnose(sample, segments=["channel"], drivers="all"))
    finish = RowStream.finish
    refused: list[int] = []

    def once(self: RowStream, threads: int) -> object:
        if self._gate._loading is not None and not refused:  # not the run that loads the kernel
            refused.append(1)
            raise OutOfOrder
        return finish(self, threads)

    monkeypatch.setattr(RowStream, "finish", once)
    assert _json(fivea.diagnose(sample, segments=["channel"], drivers="all")) == expected
    assert refused


def test_the_parts_are_views_of_one_packed_array(monkeypatch: pytest.MonkeyPatch) -> None:
    """The packed rows are one array per run, its parts views of it (no copy per part)."""
    monkeypatch.setattr(row_stream, "ROWS_PER_PART", 100)
    frame = _input(5, rows=2000, persons=300)
    stream = RowStream(duplicates=False)
    stream.take(frame)
    parts = stream.finish(threads=2).parts
    assert len(parts) == 2
    assert parts[0][1].base is parts[1][1].base
    assert sum(packed.shape[0] for _, packed, _ in parts) == frame.height
