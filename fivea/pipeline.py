"""One diagnosis run: sources -> canonical scan -> phase 1 (person) -> phase 2 (aggregate)
-> diagnosis -> Result.

The seam (docs/architecture.md#the-seam) is visible here: ``person_table`` (and the trend, an event-level count) is
the only step that reads events; every number after ``collect_all`` comes from the person table.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import time as wallclock
from collections.abc import Callable
from typing import Protocol

import polars as pl

from fivea.aggregate.drivers import drivers_of
from fivea.aggregate.measured import measured_stages
from fivea.aggregate.measures import (
    PERSONS,
    SPAN,
    PersonTable,
    path_stages,
    person_table,
    stage_measures,
    stage_table,
)
from fivea.aggregate.segments import breakdown
from fivea.aggregate.subfunnels import subfunnel_measures, subfunnels
from fivea.config.fingerprint import fingerprint, resolved_parts
from fivea.config.loader import STAGE_KEYS, Config, LoadedConfig
from fivea.diagnosis import judgement
from fivea.diagnosis.anomaly import history_trends, history_windows
from fivea.diagnosis.compare import Coverage
from fivea.errors import ConfigError, InputError
from fivea.io.events import EVENT, EventScan, all_dropped_message
from fivea.io.readers import READ_ERRORS, explain_read_error
from fivea.io.sources import frame_source, resolve_sources
from fivea.io.zero_config import scan_with_preset
from fivea.options import Options
from fivea.person.drivers import plain_properties, plan_drivers
from fivea.person.phase1 import Phase1Plan, Phase1Tables
from fivea.person.quality import build_quality
from fivea.person.table import PathSpec, Window
from fivea.person.trend import buckets, build_trend
from fivea.person.window import WindowRequest, iso, previous_window, resolve_window
from fivea.result import Result, SourceInfo, Trend, WindowInfo
from fivea.rules.expressions import RuleSet, compile_rules

__all__ = ["Phase1Runner", "analyse_scan", "diagnose", "iso"]


class Phase1Runner(Protocol):
    """Where phase 1 runs: on this machine (polars) or partitioned by person (Spark)."""

    def max_time(self) -> int | None:
        """The latest valid event time over all events (µs), for the window's defaults."""
        ...

    def run(self, plan: Phase1Plan) -> Phase1Tables:
        """Phase 1 over every person, partials already combined."""
        ...

    def info(self) -> dict[str, object]:
        """Engine details for the result's ``run`` block."""
        ...


def diagnose(
    source: list[str] | pl.DataFrame,
    loaded: LoadedConfig,
    options: Options,
    runner_for: Callable[[EventScan], Phase1Runner],
    version: str,
) -> Result:
    """Run the whole pipeline on event files (or a polars frame) and return the result.

    ``runner_for`` makes the phase-1 runner of the scan: the engine is chosen above the
    pipeline, by ``fivea.api.diagnose`` (the local one: ``fivea.engines.local.LocalRunner``).
    ``version`` is fivea's, for the result's ``run`` block.
    """
    started = wallclock.perf_counter()
    if isinstance(source, pl.DataFrame):
        sources = [frame_source(source)]
    else:
        sources = resolve_sources(list(source), options.input_format or loaded.config.input.format)
    loaded, scan = scan_with_preset(sources, loaded)  # zero config: the export's preset
    try:
        runner = runner_for(scan)
        return analyse_scan(scan, loaded, options, runner, started=started, version=version)
    except (pl.exceptions.ColumnNotFoundError, pl.exceptions.SchemaFieldNotFoundError):
        # columns are checked against the data before the scan (docs/config.md): one missing
        # here is fivea's own plan at fault, a bug to report (exit 3), not the user's file
        raise
    except READ_ERRORS as exc:
        # raised lazily at collect time: name the file, and the line and byte when known
        raise explain_read_error(scan.sources, exc) from exc
    finally:
        scan.cleanup()


def _check_segments(segments: tuple[str, ...], scan: EventScan) -> None:
    for column in segments:
        if column not in scan.properties:
            close = difflib.get_close_matches(column, scan.properties, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            shown = ", ".join(scan.properties[:12])
            msg = f"segment column '{column}' not found; {hint}columns: {shown}"
            raise InputError(msg)


def _paths(
    loaded: LoadedConfig, rules: RuleSet, stages: tuple[int, ...] = tuple(range(5))
) -> list[PathSpec]:
    config = loaded.config
    paths = [PathSpec("path", stages, config.funnel.window, distinct_rows=False)]
    for name, bits in rules.step_bits.items():
        sub = config.subfunnels[name]
        paths.append(PathSpec(name, bits, sub.window or config.funnel.window, distinct_rows=True))
    return paths


def second_pass_needed(on_path: tuple[int, ...]) -> bool:
    """Whether the path over the measured stages ``on_path`` differs from the first pass's.

    Only when a stage that is not measured comes before a measured one: the path skips it.
    Stages not measured after the last measured one (a log without Advocate events) change
    nobody's path: they have no hit before ``until``, so no path ever reaches them
    (docs/performance.md, "A second pass when a stage is not measured").
    """
    return 0 < len(on_path) < len(STAGE_KEYS) and on_path != tuple(range(len(on_path)))


def analyse_scan(
    scan: EventScan,
    loaded: LoadedConfig,
    options: Options,
    runner: Phase1Runner,
    *,
    started: float,
    version: str,
) -> Result:
    """Everything after the scan: rules, phase 1 on ``runner``, phase 2, diagnosis -> Result.

    ``scan`` is used for its columns, properties and sources (checks and messages); only the
    runner reads events. ``started`` (``perf_counter``) and ``version`` go to the run block.
    """
    config = loaded.config
    options = dataclasses.replace(options, segments=options.segments or tuple(config.segments))
    request = WindowRequest(
        since=options.since, until=options.until, as_of=options.as_of, compare=options.compare
    )
    try:
        rules = compile_rules(config, EVENT, scan.properties, scan.property_types)
    except ConfigError as exc:
        # rule errors name their key path; add where it was written (file:line)
        raise loaded.relocate(exc) from exc
    _check_segments(options.segments, scan)
    window, _ = resolve_window(request, config.time.timezone, scan, runner.max_time)
    last_touch = config.segment_attribution == "last"
    previous = previous_window(window) if request.compare else None

    # phase 1: the only step that reads events (docs/architecture.md#the-seam), on whichever engine runs it
    plan = Phase1Plan(
        rules=rules,
        window=window,
        paths=tuple(_paths(loaded, rules)),
        segments=options.segments,
        last_touch=last_touch,
        previous=previous,
        trend=options.trend,
        history=history_windows(config, window),
        timezone=config.time.timezone,
        drivers=plan_drivers(config, options.drivers, options.segments, plain_properties(scan)),
    )
    tables = runner.run(plan)
    frames, deferred = tables.frames(), tables.deferred_drivers
    del tables
    if frames["valid"]["rows_used"].item() == 0:
        raise InputError(all_dropped_message(scan, frames["rows"].row(0, named=True)))
    if window.until is None:
        window = Window(window.since, None, window.as_of or frames["valid"]["time_max"].item())

    # phase 2: aggregates over the person table only, wherever it lives (docs/architecture.md#the-seam)
    persons = person_table(frames["persons"])
    measures = [*stage_measures(config, window), *subfunnel_measures(config), *SPAN]
    totals = persons.aggregate(measures)
    if totals.count(PERSONS.name) == 0:
        first, last = frames["valid"]["time_min"].item(), frames["valid"]["time_max"].item()
        bounds = " and ".join(
            text
            for text in (
                window.since is not None and f"from {iso(window.since)}",
                window.until is not None and f"before {iso(window.until)}",
            )
            if text
        )
        msg = (
            f"{scan.sources[0].name}: no events {bounds} (the log runs from {iso(first)} "
            f"to {iso(last)}); widen --since/--until"
        )
        raise InputError(msg)
    measured = measured_stages(frames, totals, plan, window, runner, config)
    on_path = path_stages(measured)
    if second_pass_needed(on_path):
        # the ordered path skips stages no rule sees (docs/metrics.md "Ordered path"); which
        # ones is known only now, so phase 1 runs again with the path over the measured
        # stages (paid only on logs the config does not fully describe, docs/performance.md)
        plan = dataclasses.replace(
            plan, paths=tuple(_paths(loaded, rules, on_path)), trend=None, history=()
        )
        # the first pass's person tables are not needed any more: free them before the second
        del persons
        frames.pop("persons")
        frames.pop("previous", None)
        if deferred is not None:  # every transition's, so the first pass's rows can go
            frames |= deferred.tables(deferred.plan.transitions)
            deferred = None
        again = runner.run(dataclasses.replace(plan, drivers=None)).frames()  # kept from the first
        frames = {**frames, "persons": again["persons"]}
        if "previous" in again:
            frames["previous"] = again["previous"]
        persons = person_table(frames["persons"])
        totals = persons.aggregate(measures)
    table = stage_table(totals, config, measured)
    # "stages with zero hits" are the ones not measured (a measured stage may be empty here)
    hits = {k: table.stage(k).reached or int(measured[k]) for k in STAGE_KEYS}
    quality = build_quality(frames, loaded, hits, table.persons)
    breakdowns = tuple(
        breakdown(
            persons,
            column,
            totals,
            config.diagnosis.min_stage,
            config.segment_attribution,
            measured,
        )
        for column in options.segments
    )
    found = judgement.diagnose(
        table,
        config,
        judgement.DiagnosisContext(
            measured=measured,
            quality=quality,
            span_too_short=totals["last_time"] - totals["first_time"] < config.funnel.window,
            target_source=loaded.origin_of("targets"),
            segments=breakdowns,
            previous=(
                _previous_period(frames, config, measured, window, previous, persons)
                if previous is not None
                else None
            ),
            aware_is_any_event=rules.aware_is_any_event,
        ),
    )
    source = source_info(scan, loaded)
    resolved = resolved_parts(config, source.columns)
    return Result(
        source=source,
        config_fingerprint=fingerprint(resolved),
        config_resolved=resolved,
        window=WindowInfo(
            since=iso(window.since),
            until=iso(window.until if window.until is not None else window.as_of + 1) or "",
            as_of=iso(window.as_of) or "",
            timezone=config.time.timezone,
            funnel_window_seconds=config.funnel.window / 1e6,
        ),
        **table.counted_fields(),  # persons, stages, current, prospects, customers, path
        subfunnels=subfunnels(totals, config),
        quality=quality,
        segments=breakdowns,
        **found.result_fields(),  # graded transitions, PAR/BAR, bottleneck, shape, verdict...
        trend=_trend(frames, options, window, measured, config) if options.trend else None,
        history=history_trends(frames, config, window, measured),
        drivers=drivers_of(
            frames,
            deferred,
            config,
            plan.drivers,
            options,
            found.bottleneck,
            found.transitions,
            window,
        ),
        **_run_info(started, runner.info(), version),
    )


def _previous_period(
    frames: dict[str, pl.DataFrame],
    config: Config,
    measured: dict[str, bool],
    window: Window,
    previous: Window,
    persons: PersonTable,
) -> judgement.PreviousPeriod:
    """Phase 2 over the previous period's person table, for ``--compare previous``."""
    previous_persons = person_table(frames["previous"])
    counts = previous_persons.aggregate(stage_measures(config, previous))
    valid = frames["valid"].row(0, named=True)
    end = window.until if window.until is not None else window.as_of + 1
    return judgement.PreviousPeriod(
        table=stage_table(counts, config, measured) if counts.count(PERSONS.name) else None,
        since=iso(previous.since) or "",
        until=iso(previous.until) or "",
        coverage=Coverage(
            first_event=valid["time_min"],
            last_event=valid["time_max"],
            previous_since=previous.since or 0,
            until=end,
            length=end - (window.since or 0),
        ),
        persons=previous_persons,
        current_persons=persons,
    )


def _trend(
    frames: dict[str, pl.DataFrame],
    options: Options,
    window: Window,
    measured: dict[str, bool],
    config: Config,
) -> Trend:
    """Every bucket between the first and last valid event in the window, empty ones too."""
    assert options.trend is not None
    valid = frames["valid"].row(0, named=True)
    first = max(valid["time_min"], window.since or valid["time_min"])
    end = window.until if window.until is not None else window.as_of + 1
    last = min(valid["time_max"], end - 1)
    every = buckets(first, last, options.trend, config.time.timezone) if first <= last else []
    return build_trend(frames["trend"], options.trend, measured, every, config.diagnosis.min_stage)


def source_info(scan: EventScan, loaded: LoadedConfig) -> SourceInfo:
    """What was read and with which config, for the report header."""
    columns = scan.columns
    return SourceInfo(
        files=tuple(s.name for s in scan.sources),
        columns={"user": list(columns.user), "time": columns.time, "event": columns.event},
        export=columns.export,
        config=loaded.source.path,
        preset=loaded.source.preset,
        config_from=loaded.source.how,
    )


def _run_info(started: float, engine: dict[str, object], version: str) -> dict:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        # reproducible builds: no timings, generated_at from the epoch (README.md#output-formats)
        return {"generated_at": iso(int(epoch.strip()) * 1_000_000) or "", "run": None}
    return {
        "generated_at": iso(int(wallclock.time() * 1_000_000)) or "",
        "run": {
            "seconds": round(wallclock.perf_counter() - started, 3),
            "polars_version": pl.__version__,
            "fivea_version": version,
            **engine,
        },
    }
