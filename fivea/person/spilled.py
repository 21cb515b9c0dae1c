"""Phase 1 in person partitions from one read of the events (docs/performance.md, "Bounded
memory: person partitions").

A log above the memory budget is split into person partitions. Reading the log once per
partition parsed a text log again each time (or copied it to Parquet first) and hashed the id
column of the whole log per partition. Here one streaming pass over the events computes every
summable partial (data quality, trend counts) and writes the kernel's compact rows — person
keys, time, input order, rule masks, row hash and the drivers' codes, 68 bytes an event on
the benchmark export instead of its raw columns — to one folder of Arrow IPC files per partition; then each
partition reads only its own rows and runs the compiled kernel, as ``run_phase1`` does on the
whole log. The outputs combine with ``combine_frames``, the same function as the Spark engine's
(docs/architecture.md#the-seam), so the result is the one-pass result.

The partition of a row is ``person_partition`` of its id, the filter of a partition's own read:
a partition whose person hashes collide is rerun from the events with the ids (the polars
plan), as in the partitioned reads.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
from collections.abc import Callable
from concurrent.futures import wait
from pathlib import Path

import polars as pl

from fivea.io.events import EventScan
from fivea.io.timeparse import epoch_unit_from_counts
from fivea.person.phase1 import (
    KERNEL_INPUT,
    UNIT_CHECK,
    Phase1Plan,
    Phase1Tables,
    collided,
    combine_frames,
    compiled_persons,
    drivers_head,
    load_kernel,
    phase1_frames,
    run_phase1,
)
from fivea.person.table import ID_COLLISION

# bytes of a column's value in a kernel row; 8 for the others (64-bit numbers)
_WIDTHS = (
    (pl.Categorical, 4),
    (pl.UInt32, 4),
    (pl.Int32, 4),
    (pl.UInt16, 2),
    (pl.Int16, 2),
    (pl.UInt8, 1),
    (pl.Int8, 1),
    (pl.Boolean, 1),
)


def can_spill(plan: Phase1Plan) -> bool:
    """Whether the plan's person tables come from the compiled kernel on hashed ids (the rows
    it reads can be written; the polars plan reads the events themselves)."""
    return plan.compiled and plan.hash_ids


def row_bytes(schema: pl.Schema) -> int:
    """Bytes of one kernel row of ``schema`` in memory (and in the files written)."""
    return sum(next((w for t, w in _WIDTHS if dtype == t), 8) for dtype in schema.dtypes())


def run_phase1_spilled(
    scan: EventScan,
    plan: Phase1Plan,
    partitions: Callable[[int], int],
    folder: Path,
    on_progress: Callable[[str], None] | None = None,
) -> tuple[Phase1Tables, int]:
    """Phase 1 in person partitions: one pass writing the kernel rows to ``folder`` per
    partition, then the kernel on each partition's rows; and the number of partitions,
    ``partitions(bytes of a kernel row)``. ``scan`` has its epoch unit guessed: the pass
    checks the guess and runs again with the column's unit if it was wrong."""
    plan, head = drivers_head(scan, plan)
    plan = dataclasses.replace(plan, defer_drivers=False)  # each partition's rows are freed
    count = partitions(row_bytes(phase1_frames(scan, plan)[KERNEL_INPUT].collect_schema()))
    return _spilled(scan, plan, head, count, folder, on_progress), count


def _spilled(
    scan: EventScan,
    plan: Phase1Plan,
    head: pl.DataFrame | None,
    count: int,
    folder: Path,
    on_progress: Callable[[str], None] | None,
) -> Phase1Tables:
    from fivea.person.compiled import PART, Grouped

    lazy = phase1_frames(scan, plan, partitions=count)
    rows = lazy.pop(KERNEL_INPUT)
    schema = rows.collect_schema()
    schema.pop(PART)
    shutil.rmtree(folder, ignore_errors=True)
    sink = rows.sink_ipc(pl.PartitionBy(folder, key=PART, include_key=False), lazy=True)
    loading = load_kernel(schema, plan)
    try:
        collected = pl.collect_all([sink, *lazy.values()], engine=plan.engine)
    finally:
        wait([loading])  # a first run may be writing numba's cache (phase1.load_kernel)
    loading.result()
    frames = dict(zip(lazy, collected[1:], strict=True))
    if UNIT_CHECK in frames:
        unit = epoch_unit_from_counts(frames.pop(UNIT_CHECK).row(0, named=True))
        if unit is not None and unit != scan.build.unit:
            # the first rows' epoch unit is not the column's (rare): again with the column's
            return _spilled(scan.with_unit(unit), plan, head, count, folder, on_progress)
    by_name = {name: [frame] for name, frame in frames.items()}
    for k in range(count):
        if on_progress is not None:
            on_progress(f"computing persons… part {k + 1}/{count}")
        # read into the call, the only reference: Grouped.of frees each column as it takes it
        grouped = Grouped.of(_read_part(folder / f"{PART}={k}", schema), not scan.deduplicated)
        computed, _ = compiled_persons(
            grouped, plan, head if k == 0 else None, frames.get("events")
        )
        del grouped
        # numpy's arrays come from glibc's malloc, which keeps freed pages for reuse: given
        # back, they do not add to every later partition's peak (50M events in 14 partitions:
        # peak 2.25 -> 1.92 GB, docs/performance.md)
        _give_back()
        if collided(computed):
            # two ids of this partition share a 64-bit hash: its events again, on the ids
            ids = dataclasses.replace(plan, hash_ids=False)
            again = run_phase1(scan.partition(k, count, scan.build.unit), ids)
            computed = again.frames()
            computed = {n: f for n, f in computed.items() if n not in frames}
        for name in ("persons", "previous"):
            if name in computed:
                computed[name] = computed[name].drop(ID_COLLISION, strict=False)
        for name, frame in computed.items():
            by_name.setdefault(name, []).append(frame)
    return combine_frames(by_name)


def _read_part(path: Path, schema: pl.Schema) -> pl.DataFrame:
    """A partition's kernel rows (none written: no person hashed there)."""
    files = sorted(path.glob("*.ipc"))
    if not files:
        return pl.DataFrame(schema=schema)
    frame = pl.scan_ipc(files).collect()
    for file in files:  # the disk space back as soon as the rows are in memory
        file.unlink()
    return frame


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere: macOS, musl, Windows)."""
    import ctypes  # only for a log in partitions: not at every command's start
    import ctypes.util

    name = ctypes.util.find_library("c")
    return None if name is None else getattr(ctypes.CDLL(name), "malloc_trim", None)


def _give_back() -> None:
    """Return the C heap's free pages to the system, where the C library can."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
