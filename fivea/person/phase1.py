"""The seam (docs/architecture.md#the-seam) as one function: the events of a set of whole persons -> phase-1 tables.

``run_phase1`` is the only code that reads events. The local engine calls it once on the whole
scan; the Spark engine calls the *same* function on every partition of a shuffle by person and
concatenates what it returns with ``combine``. Everything it returns is therefore either one
row per person (the person tables) or a *summable partial* (data-quality counts, trend counts):

- counts add up across partitions (rows, drop reasons, events per name, stage matches);
- time min / max combine with min / max;
- distinct-row counts add up because identical rows always share a user, so they always fall
  into the same partition (the partition key is a function of the user id);
- stitched-id counts add up because an alias id maps to one person;
- trend counts (distinct persons per bucket) add up because persons do not cross partitions.

What cannot be computed per partition is resolved before and passed in (``Phase1Plan`` and
the scan's config): the analysis window (as_of / since / until), the epoch unit of the time
column, and the clock used for "future" times.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import polars as pl

from fivea.errors import InputError
from fivea.io.column_types import kind_of
from fivea.io.epoch_units import OTHER_UNIT, first_other_unit
from fivea.io.events import EVENT, TIME, EventScan
from fivea.io.timeparse import epoch_unit_from_counts
from fivea.person.drivers import (
    DRIVER_EVENTS,
    DRIVER_PERSONS,
    DRIVER_TABLES,
    NAME,
    DriverPlan,
    driver_frames,
)
from fivea.person.drivers_deferred import DeferredDrivers
from fivea.person.drivers_values import COLUMN, DRIVER_VALUES, HEAD_ROWS, many_valued
from fivea.person.quality import ROW_HASH, quality_frames, row_hash
from fivea.person.table import ID_COLLISION, PathSpec, Window, in_window, person_table
from fivea.person.trend import trend_frame
from fivea.rules.expressions import RuleSet
from fivea.rules.where import numeric_casts

if TYPE_CHECKING:
    from fivea.aggregate.measures import PersonTable
    from fivea.person.compiled import Grouped

HISTORY = "history_"  # the anomaly checks' trends: history_day, history_week, history_month
# the data-quality partials and how each column combines across partitions
KERNEL_INPUT = "kernel_input"
UNIT_CHECK = "unit_check"  # facts of the epoch unit, when the scan's unit is a guess
QUALITY_TABLES = (
    "rows",
    "valid",
    "events",
    "stage_matches",
    "distinct",
    "stitched",
    OTHER_UNIT,
)


@dataclass(frozen=True)
class Phase1Plan:
    """What phase 1 computes, with every global parameter already resolved."""

    rules: RuleSet
    window: Window
    paths: tuple[PathSpec, ...]
    segments: tuple[str, ...] = ()
    last_touch: bool = False
    previous: Window | None = None  # --compare previous
    trend: str | None = None  # --trend day|week|month
    # anomaly checks: (period, window) of each whole-log trend they read (docs/checks.md)
    history: tuple[tuple[str, Window], ...] = ()
    timezone: str = "UTC"
    hash_ids: bool = True  # key persons by a 64-bit hash (rerun on ids after a collision)
    compiled: bool = False  # person tables through the compiled kernel (fivea.person.kernel)
    drivers: DriverPlan | None = None  # per-person driver features (fivea.person.drivers)
    # the compiled kernel's drivers tables left to phase 2's call, for the transitions it
    # analyses (one run of whole persons only: docs/metrics.md "Drivers", cost)
    defer_drivers: bool = False
    # polars' engine for phase 1's collect: "in-memory" on a small log, whose queries it
    # starts faster than the streaming engine (docs/performance.md "Start-up")
    engine: Literal["auto", "in-memory"] = "auto"


@dataclass(frozen=True)
class Phase1Tables:
    """The collected output of phase 1: person tables and summable data-quality partials."""

    persons: pl.DataFrame | PersonTable  # a PersonTable when it stays on the engine (Spark)
    quality: dict[str, pl.DataFrame]
    previous: pl.DataFrame | PersonTable | None = None
    trend: pl.DataFrame | None = None
    history: dict[str, pl.DataFrame] = dataclasses.field(default_factory=dict)
    drivers: dict[str, pl.DataFrame] = dataclasses.field(default_factory=dict)  # per person
    deferred_drivers: DeferredDrivers | None = None  # ``drivers`` on request (defer_drivers)

    def frames(self) -> dict[str, pl.DataFrame]:
        """Every table by name (the names ``build_quality`` reads)."""
        out = {"persons": self.persons, **self.quality, **self.history}
        if self.previous is not None:
            out["previous"] = self.previous
        if self.trend is not None:
            out["trend"] = self.trend
        return out | self.drivers


def phase1_frames(
    scan: EventScan, plan: Phase1Plan, partitions: int | None = None
) -> dict[str, pl.LazyFrame]:
    """The lazy phase-1 frames of one scan (collect them together with ``pl.collect_all``);
    with ``partitions`` the kernel rows carry their person partition (fivea.person.spilled)."""
    rules = plan.rules
    _check_segment_types(plan.segments, scan)
    # the kernel also counts duplicates, unless the valid rows are already deduplicated
    kernel_duplicates = plan.compiled and not scan.deduplicated
    marks = dict(rules.prelude)
    if kernel_duplicates:
        # hashed before the scan's cache, so the cache holds one column, not every property
        marks[ROW_HASH] = row_hash(scan.properties)
    scan = scan.marked(marks)  # computed once for every output
    casts = numeric_casts(rules.numeric_columns, scan.property_types)
    events = scan.frame.with_columns(casts) if casts else scan.frame
    paths = list(plan.paths)
    lazy: dict[str, pl.LazyFrame] = {}
    if plan.compiled:
        from fivea.person.compiled import kernel_input  # numpy and numba only when used

        # the kernel's columns, grouped and reduced after the collect (run_phase1)
        lazy[KERNEL_INPUT] = kernel_input(
            events,
            rules,
            list(plan.segments),
            plan.hash_ids,
            kernel_duplicates,
            _kernel_drivers(plan),
            partitions,
        )
    else:
        lazy["persons"] = person_table(
            events,
            rules,
            plan.window,
            paths,
            list(plan.segments),
            plan.last_touch,
            plan.hash_ids,
        )
        if plan.previous is not None:
            lazy["previous"] = person_table(
                events,
                rules,
                plan.previous,
                paths,
                list(plan.segments),
                plan.last_touch,
                plan.hash_ids,
            )
    if plan.drivers is not None and _kernel_drivers(plan) is None:
        lazy |= driver_frames(events, rules, plan.window, plan.drivers)
    if plan.trend:
        lazy["trend"] = trend_frame(events, rules, plan.window, plan.trend, plan.timezone)
    for period, window in plan.history:  # one more aggregation of the same cached scan
        lazy[HISTORY + period] = trend_frame(events, rules, window, period, plan.timezone)
    # a stage is measured by its hits before until (docs/metrics.md "Not measured")
    until = plan.window.until
    before_until = events if until is None else events.filter(pl.col(TIME) < until)
    quality = quality_frames(scan, rules, before_until, events.filter(in_window(plan.window)))
    if kernel_duplicates:
        del quality["distinct"]
    unit_check = scan.unit_check()
    if unit_check is not None:
        lazy[UNIT_CHECK] = unit_check
    return lazy | quality


def _kernel_drivers(plan: Phase1Plan) -> DriverPlan | None:
    """The drivers the compiled kernel computes (fivea.person.drivers_compiled): all of them,
    unless ids are not hashed (the per-partition dense codes would not join across parts)."""
    if not (plan.compiled and plan.hash_ids) or plan.drivers is None:
        return None
    return plan.drivers


def _check_segment_types(segments: tuple[str, ...], scan: EventScan) -> None:
    """A segment groups persons by a plain value: a list or a duration column cannot."""
    for column in segments:
        dtype = scan.property_types.get(column)
        kind = kind_of(dtype) if dtype is not None else None
        if kind is not None:
            msg = (
                f"segment column '{column}' holds {kind} ({dtype}), not plain values; "
                "segment by a column of text, numbers or dates"
            )
            raise InputError(msg)


def run_phase1(scan: EventScan, plan: Phase1Plan) -> Phase1Tables:
    """Phase 1 on the events of a set of whole persons, in one ``collect_all``."""
    plan, head = drivers_head(scan, plan)
    return _run_phase1(scan, plan, head)


def drivers_head(scan: EventScan, plan: Phase1Plan) -> tuple[Phase1Plan, pl.DataFrame | None]:
    """The plan without the drivers' candidate columns that show more than 50 values in the
    log's head (not read at all), and those values (None: no such test)."""
    head = None
    drivers = _kernel_drivers(plan)
    if drivers is not None and drivers.counted:
        # candidates with more than 50 values in the log's head are not read at all
        casts = numeric_casts(plan.rules.numeric_columns, scan.property_types)
        events = scan.head(HEAD_ROWS).frame
        events = events.with_columns(casts) if casts else events
        head = many_valued(events, drivers.counted, events.collect_schema(), plan.window.until)
        if head.height:
            many = set(head[COLUMN])
            fewer = dataclasses.replace(
                drivers,
                properties=tuple(c for c in drivers.properties if c not in many),
                counted=tuple(c for c in drivers.counted if c not in many),
            )
            plan = dataclasses.replace(plan, drivers=fewer)
    return plan, head


def _run_phase1(scan: EventScan, plan: Phase1Plan, head: pl.DataFrame | None) -> Phase1Tables:
    """``run_phase1`` after the head test (``head``: the values it found, kept to the end)."""
    lazy = phase1_frames(scan, plan)
    loading = load_kernel(lazy[KERNEL_INPUT].collect_schema(), plan) if plan.compiled else None
    try:
        frames = dict(
            zip(lazy, pl.collect_all(list(lazy.values()), engine=plan.engine), strict=True)
        )
    finally:
        if loading is not None:
            # also when the read fails: a first run may be writing numba's cache (the CLI
            # ends with os._exit, which would cut it off)
            wait([loading])
    if loading is not None:
        loading.result()
    if UNIT_CHECK in frames:
        unit = epoch_unit_from_counts(frames.pop(UNIT_CHECK).row(0, named=True))
        if unit is not None and unit != scan.build.unit:
            # the first rows' epoch unit is not the column's (rare): redo with the column's
            return _run_phase1(scan.with_unit(unit), plan, head)
    deferred = None
    if KERNEL_INPUT in frames:
        from fivea.person.compiled import Grouped

        # popped into the call: Grouped.of frees each column as it takes it
        grouped = Grouped.of(frames.pop(KERNEL_INPUT), duplicates=not scan.deduplicated)
        computed, deferred = compiled_persons(grouped, plan, head, frames.get("events"))
        frames |= computed
    if plan.hash_ids and collided(frames):
        # two ids shared a 64-bit hash (about 1 in 10^7 for a billion persons): redo on the ids
        return _run_phase1(scan, dataclasses.replace(plan, hash_ids=False), head)
    for name in ("persons", "previous"):
        if name in frames:
            frames[name] = frames[name].drop(ID_COLLISION, strict=False)
    if head is not None and DRIVER_VALUES in frames and _kernel_drivers(plan) is None:
        frames[DRIVER_VALUES] = pl.concat([head, frames[DRIVER_VALUES]])
    tables = tables_from_frames(frames)
    return dataclasses.replace(tables, deferred_drivers=deferred)


def load_kernel(schema: pl.Schema, plan: Phase1Plan) -> Future[object]:
    """Import and load the compiled kernel on a thread while polars reads the events.

    numba's import and the first call of each compiled function (loading it from the on-disk
    cache) take about 0.5 s; running the kernel once on a two-row frame of the input's schema
    loads exactly the variants the real run calls, while the scan holds the cores.
    """

    def load() -> object:
        from fivea.person.compiled import Grouped, tiny_input

        tables, deferred = compiled_persons(Grouped.of(tiny_input(schema), duplicates=True), plan)
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
    drivers, facts = _kernel_drivers(plan), []
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


def collided(frames: dict[str, pl.DataFrame]) -> bool:
    return any(
        ID_COLLISION in frames[name].columns and bool(frames[name][ID_COLLISION].any())
        for name in ("persons", "previous")
        if name in frames
    )


def tables_from_frames(frames: dict[str, pl.DataFrame]) -> Phase1Tables:
    """Group collected frames by name into ``Phase1Tables``."""
    return Phase1Tables(
        persons=frames["persons"],
        quality={k: frames[k] for k in QUALITY_TABLES if k in frames},
        previous=frames.get("previous"),
        trend=frames.get("trend"),
        history={k: v for k, v in frames.items() if k.startswith(HISTORY)},
        drivers={k: frames[k] for k in DRIVER_TABLES if k in frames},
    )


def _sum_all(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames, how="vertical_relaxed").select(pl.all().sum())


def _valid(frames: list[pl.DataFrame]) -> pl.DataFrame:
    combined = pl.concat(frames, how="vertical_relaxed")
    return combined.select(
        pl.col("rows_used").sum(),
        pl.col("time_min").min(),
        pl.col("time_max").max(),
        pl.exclude("rows_used", "time_min", "time_max").sum(),
    )


def _grouped_sum(
    frames: list[pl.DataFrame], key: str, firsts: tuple[str, ...] = ()
) -> pl.DataFrame:
    combined = pl.concat(frames, how="diagonal_relaxed")
    kept = [pl.col(c).first() for c in firsts if c in combined.columns]
    return combined.group_by(key).agg(*kept, pl.exclude(key, *firsts).sum()).sort(key)


def combine(parts: list[Phase1Tables]) -> Phase1Tables:
    """Concatenate the person tables and add up the partials of disjoint sets of persons."""
    if len(parts) == 1:
        return parts[0]
    by_name: dict[str, list[pl.DataFrame]] = {}
    for part in parts:
        for name, frame in part.frames().items():
            by_name.setdefault(name, []).append(frame)
    return combine_frames(by_name)


def combine_frames(by_name: dict[str, list[pl.DataFrame]]) -> Phase1Tables:
    """``combine`` over frames grouped by table name (each list: one frame per partition)."""
    out: dict[str, pl.DataFrame] = {}
    for name, frames in by_name.items():
        if not frames:
            continue
        if name in (DRIVER_PERSONS, DRIVER_EVENTS):
            # partitions may carry different candidate columns, or drivers_events in either
            # layout (fivea.person.drivers.before_landmark)
            out[name] = pl.concat(frames, how="diagonal_relaxed")
        elif name in ("persons", "previous", *DRIVER_TABLES):
            out[name] = pl.concat(frames, how="vertical_relaxed")
        elif name == "valid":
            out[name] = _valid(frames)
        elif name == "events":  # each name's hash (NAME) is the same in every partition
            out[name] = _grouped_sum(frames, EVENT, firsts=(NAME,))
        elif name == "trend" or name.startswith(HISTORY):
            out[name] = _grouped_sum(frames, "__bucket")
        elif name == OTHER_UNIT:
            out[name] = first_other_unit(frames)
        else:
            out[name] = _sum_all(frames)
    return tables_from_frames(out)
