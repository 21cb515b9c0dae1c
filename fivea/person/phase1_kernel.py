"""Phase 1 through the compiled kernel: the kernel input streamed into the person grouping, in
one person partition or many (docs/performance.md, "The kernel input, streamed" and "Person
partitions in one pass"), then the person and drivers tables of each grouping.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import polars as pl

from fivea.person.drivers import DRIVER_EVENTS, DRIVER_PERSONS, DriverPlan
from fivea.person.drivers_deferred import DeferredDrivers

if TYPE_CHECKING:
    from fivea.person.compiled import Grouped
    from fivea.person.phase1 import Phase1Plan
    from fivea.person.row_partitions import PartitionedStream
    from fivea.person.row_stream import RowStream


def kernel_drivers(plan: Phase1Plan, coded_text: bool = False) -> DriverPlan | None:
    """The drivers the compiled kernel computes (fivea.person.drivers_compiled): all of them,
    unless ids are not hashed (the per-partition dense codes would not join across parts).
    ``coded_text``: its text properties read as codes (``DriverPlan.coded_text``)."""
    if not (plan.compiled and plan.hash_ids) or plan.drivers is None:
        return None
    return dataclasses.replace(plan.drivers, coded_text=coded_text) if coded_text else plan.drivers


def kernel_stream(
    plan: Phase1Plan, duplicates: bool, loading: Future[object]
) -> RowStream | PartitionedStream:
    """What takes the kernel input as polars streams it: one grouping, or one per person
    partition (``plan.partitions``) with the partitions' rows on disk until grouped."""
    if plan.partitions > 1:
        from fivea.person.row_partitions import PartitionedStream

        return PartitionedStream(plan.partitions, duplicates, loading)
    from fivea.person.row_stream import RowStream

    return RowStream(duplicates, loading)


def streamed_persons(
    stream: RowStream | PartitionedStream,
    plan: Phase1Plan,
    head: pl.DataFrame | None,
    events: pl.DataFrame | None = None,
) -> tuple[dict[str, pl.DataFrame], DeferredDrivers | None]:
    """The person and drivers tables of what ``stream`` took (raises ``OutOfOrder``);
    ``events``: the event counts (``compiled_persons``).

    With many partitions each is grouped, reduced and freed in turn, and the tables are
    concatenated (every one is per person, the duplicate count adds up: docs/architecture.md#the-seam).
    """
    from fivea.person.compiled import Grouped
    from fivea.person.row_partitions import PartitionedStream

    threads = pl.thread_pool_size()
    if not isinstance(stream, PartitionedStream):
        return compiled_persons(Grouped.streamed(stream, threads), plan, head, events)
    eager = dataclasses.replace(plan, defer_drivers=False)  # each partition's rows are freed
    by_name: dict[str, list[pl.DataFrame]] = {}
    for k in range(stream.count):
        grouped = Grouped.streamed(stream.part(k), threads)
        computed, _ = compiled_persons(grouped, eager, head, events)
        del grouped
        for name, frame in computed.items():
            by_name.setdefault(name, []).append(frame)
    out = {}
    for name, frames in by_name.items():
        if name == "distinct":
            out[name] = pl.concat(frames).select(pl.all().sum())
        else:  # partitions may carry different candidate columns (DRIVER_PERSONS)
            how = (
                "diagonal_relaxed"
                if name in (DRIVER_PERSONS, DRIVER_EVENTS)
                else "vertical_relaxed"
            )
            out[name] = pl.concat(frames, how=how)
    return out, None


def load_kernel(schema: pl.Schema, plan: Phase1Plan) -> Future[object]:
    """Import and load the compiled kernel on a thread while polars reads the events.

    numba's import and the first call of each compiled function (loading it from the on-disk
    cache) take about 0.5 s; running the kernel once on a two-row frame of the input's schema
    loads exactly the variants the real run calls, while the scan holds the cores.
    """

    def load() -> object:
        from fivea.person.compiled import Grouped, tiny_input

        tiny = tiny_input(schema)
        tables, deferred = compiled_persons(Grouped.of(tiny, duplicates=True), plan)
        if deferred is not None:  # loads the drivers' compiled functions too
            tables |= deferred.tables(deferred.plan.transitions)
        return tables

    pool = ThreadPoolExecutor(1, thread_name_prefix="fivea-kernel")
    try:
        return pool.submit(load)
    finally:
        pool.shutdown(wait=False)


def compiled_persons(
    grouped: Grouped,
    plan: Phase1Plan,
    head: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
) -> tuple[dict[str, pl.DataFrame], DeferredDrivers | None]:
    """The person tables (current and previous window) of the grouped kernel input, and the
    drivers tables (or, with ``defer_drivers``, what computes them on request; ``events``:
    the event counts, whose names the rules list get no offsets)."""
    from fivea.person.compiled import person_table_compiled

    paths = list(plan.paths)
    out = {"distinct": grouped.distinct} if grouped.distinct is not None else {}
    drivers, facts = kernel_drivers(plan), []
    out["persons"] = person_table_compiled(
        grouped, plan.rules, plan.window, paths, list(plan.segments), plan.last_touch, facts
    )
    if plan.previous is not None:
        out["previous"] = person_table_compiled(
            grouped, plan.rules, plan.previous, paths, list(plan.segments), plan.last_touch
        )
    if drivers is None:
        return out, None
    deferred = DeferredDrivers(
        grouped, drivers, plan.window, tuple(facts), plan.segments, head, events
    )
    if plan.defer_drivers:
        return out, deferred
    return out | deferred.tables(drivers.transitions), None
