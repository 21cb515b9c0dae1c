"""One diagnosis run: sources -> canonical scan -> phase 1 (person) -> phase 2 (aggregate).

The seam of SPEC §7 is visible here: ``person_table`` is the only step that reads events; every
number after it comes from the person table.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import time as wallclock
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl

from fivea import __version__
from fivea.aggregate import stage_table, subfunnels
from fivea.config import LoadedConfig, parse_duration
from fivea.errors import InputError, UsageError
from fivea.events import EVENT, TIME, EventScan, drop_reason, scan_events
from fivea.person import PathSpec, Window, person_table
from fivea.result import (
    Dropped,
    NameCount,
    Quality,
    Result,
    SourceInfo,
    WindowInfo,
    ZeroHitStage,
)
from fivea.rules import RuleSet, coercion_failures, compile_rules, numeric_casts
from fivea.sources import frame_source, resolve_sources

_TOP_NAMES = 10
_RELATIVE = re.compile(r"^\d+\s*[smhdw]$")


@dataclass(frozen=True)
class WindowRequest:
    """The window flags as typed: ISO times, dates, or (for since) a duration before as_of."""

    since: str | None = None
    until: str | None = None
    as_of: str | None = None


def iso(micros: int | None) -> str | None:
    """µs since the epoch -> ISO-8601 UTC with a ``Z`` (None stays None)."""
    if micros is None:
        return None
    stamp = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)
    return stamp.isoformat().replace("+00:00", "Z")


def parse_instant(text: str, timezone: str, flag: str, *, end_of_date: bool = False) -> int:
    """A CLI time: ISO-8601 (zone optional, read in ``timezone``) or a date (00:00 there)."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.date.fromisoformat(value)
            if end_of_date:  # --until DATE includes that whole date
                day += dt.timedelta(days=1)
            stamp = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(timezone))
        else:
            stamp = dt.datetime.fromisoformat(value.replace(" UTC", "+00:00"))
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=ZoneInfo(timezone))
    except ValueError as exc:
        msg = f"{flag} {text!r}: not a date or time; use 2024-05-01, 2024-05-01T12:00:00Z or 28d"
        raise UsageError(msg) from exc
    delta = stamp - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _max_time(scan: EventScan) -> int | None:
    return scan.frame.select(pl.col(TIME).max()).collect().item()


def resolve_window(
    request: WindowRequest, timezone: str, scan: EventScan
) -> tuple[Window, int | None]:
    """Turn the flags into µs bounds; as_of defaults to the latest valid event time."""
    as_of = parse_instant(request.as_of, timezone, "--as-of") if request.as_of else None
    until = (
        parse_instant(request.until, timezone, "--until", end_of_date=True)
        if request.until
        else None
    )
    relative = request.since is not None and _RELATIVE.match(request.since.strip())
    max_time: int | None = None
    if as_of is None and (relative or until is not None):
        max_time = _max_time(scan)
        if max_time is None:
            msg = f"{scan.sources[0].name}: no valid events (every row was dropped); see the data quality counts"
            raise InputError(msg)
        as_of = max_time if until is None else min(max_time, until - 1)
    if until is None and as_of is not None and request.as_of:
        until = as_of + 1
    since = None
    if request.since:
        if relative:
            assert as_of is not None
            since = as_of - parse_duration(request.since.strip())
        else:
            since = parse_instant(request.since, timezone, "--since")
    if since is not None and until is not None and since >= until:
        msg = f"--since {request.since} is not before --until {request.until or iso(until)}; swap them"
        raise UsageError(msg)
    return Window(since=since, until=until, as_of=as_of if as_of is not None else 0), max_time


def _quality_frames(
    scan: EventScan, rules: RuleSet, window: Window, event_frame: pl.LazyFrame
) -> dict[str, pl.LazyFrame]:
    raw = scan.raw
    reason = drop_reason()
    frames = {
        "rows": raw.select(
            pl.len().alias("rows"),
            *[
                (reason == r).sum().alias(r)
                for r in ("missing_user", "missing_event", "unparsable_time", "future_time")
            ],
            *(
                [
                    pl.col("__dst_fold").filter(reason.is_null()).sum().alias("dst_fold"),
                    pl.col("__dst_gap").filter(reason.is_null()).sum().alias("dst_gap"),
                ]
                if "__dst_fold" in raw.collect_schema().names()
                else []
            ),
        ),
        "valid": scan.frame.select(
            pl.len().alias("rows_used"),
            pl.col(TIME).min().alias("time_min"),
            pl.col(TIME).max().alias("time_max"),
            *[
                e.alias(f"nonnum_{c}")
                for c, e in coercion_failures(rules.numeric_columns, scan.property_types).items()
            ],
        ),
        "events": event_frame.group_by(EVENT).agg(
            pl.len().alias("events"), (~rules.any_match).sum().alias("unmatched")
        ),
    }
    valid_raw = raw.filter(reason.is_null()).select(scan.properties)
    frames["distinct"] = valid_raw.select(pl.struct(pl.all()).n_unique().alias("distinct"))
    if scan.stitching:
        frames["stitched"] = raw.filter(reason.is_null() & pl.col("__stitched")).select(
            pl.coalesce([pl.col(c).cast(pl.String) for c in scan.columns.user[1:]])
            .n_unique()
            .alias("stitched")
        )
    return frames


def _zero_hit_stages(
    config: LoadedConfig, reached: dict[str, int], names: list[str]
) -> tuple[ZeroHitStage, ...]:
    out = []
    for key, stage in config.config.stages.items():
        if reached[key]:
            continue
        wanted = [n for rule in stage.rules for n in (rule.event or ())]
        close: list[str] = []
        for name in wanted:
            for match in difflib.get_close_matches(name, names, n=2, cutoff=0.6):
                if match not in close:
                    close.append(match)
        out.append(ZeroHitStage(stage=key, did_you_mean=tuple(close[:3])))
    return tuple(out)


def diagnose(
    paths: list[str] | pl.DataFrame,
    loaded: LoadedConfig,
    request: WindowRequest | None = None,
    segments: list[str] | None = None,
    input_format: str | None = None,
) -> Result:
    """Run the whole pipeline on event files (or a polars frame) and return the result."""
    started = wallclock.perf_counter()
    config = loaded.config
    request = request or WindowRequest()
    if isinstance(paths, pl.DataFrame):
        sources = [frame_source(paths)]
    else:
        sources = resolve_sources(list(paths), input_format)
    scan = scan_events(sources, config)
    try:
        return _diagnose(scan, loaded, request, segments or list(config.segments), started)
    except pl.exceptions.PolarsError as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "utf-8" in text.lower() or "utf8" in text.lower():
            msg = (
                f"{scan.sources[0].name}: not UTF-8 text; set input.encoding in the config, "
                "e.g. `input: {encoding: latin-1}`"
            )
            raise InputError(msg) from exc
        msg = f"{scan.sources[0].name}: cannot read the events ({text[:200]})"
        raise InputError(msg) from exc
    finally:
        scan.cleanup()


def _diagnose(
    scan: EventScan,
    loaded: LoadedConfig,
    request: WindowRequest,
    segments: list[str],
    started: float,
) -> Result:
    config = loaded.config
    rules = compile_rules(config, EVENT, scan.properties)
    for column in segments:
        if column not in scan.properties:
            close = difflib.get_close_matches(column, scan.properties, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            msg = f"segment column '{column}' not found; {hint}columns: {', '.join(scan.properties[:12])}"
            raise InputError(msg)
    casts = numeric_casts(rules.numeric_columns, scan.property_types)
    events = scan.frame.with_columns(casts) if casts else scan.frame
    window, _ = resolve_window(request, config.time.timezone, scan)
    paths = [PathSpec("path", tuple(range(5)), config.funnel.window, distinct_rows=False)]
    for name, bits in rules.step_bits.items():
        sub = config.subfunnels[name]
        paths.append(PathSpec(name, bits, sub.window or config.funnel.window, distinct_rows=True))
    # phase 1: the only step that reads events
    persons_lazy = person_table(
        events, rules, window, paths, segments, last_touch=config.segment_attribution == "last"
    )
    in_window = events
    if window.until is not None:
        in_window = in_window.filter(pl.col(TIME) < window.until)
    if window.since is not None:
        in_window = in_window.filter(pl.col(TIME) >= window.since)
    quality_lazy = _quality_frames(scan, rules, window, in_window)
    collected = pl.collect_all([persons_lazy, *quality_lazy.values()])
    persons = collected[0]
    q = dict(zip(quality_lazy, collected[1:], strict=True))
    rows = q["rows"].row(0, named=True)
    valid = q["valid"].row(0, named=True)
    if valid["rows_used"] == 0:
        msg = f"{scan.sources[0].name}: no valid events ({rows['rows']} rows read, all dropped: "
        msg += ", ".join(
            f"{r} {rows[r]}"
            for r in ("missing_user", "missing_event", "unparsable_time", "future_time")
            if rows[r]
        )
        msg += "); check the user, event and time columns" if rows["rows"] else "no data rows)"
        raise InputError(msg)
    if window.until is None:
        window = Window(since=window.since, until=None, as_of=window.as_of or valid["time_max"])
    # phase 2: aggregates over the person table only
    table = stage_table(persons, config, window)
    event_counts = q["events"].sort(["events", EVENT], descending=[True, False])
    events_in_window = int(event_counts["events"].sum()) if event_counts.height else 0
    unmatched = event_counts.filter(pl.col("unmatched") > 0).sort(
        ["unmatched", EVENT], descending=[True, False]
    )
    unmatched_n = int(unmatched["unmatched"].sum()) if unmatched.height else 0
    reached = {s.key: s.reached for s in table.stages}
    dropped = tuple(
        Dropped(r, int(rows[r]))
        for r in ("missing_user", "missing_event", "unparsable_time", "future_time")
        if rows[r]
    )
    dropped_rows = sum(d.rows for d in dropped)
    time_min, time_max = valid["time_min"], valid["time_max"]
    quality = Quality(
        rows_read=int(rows["rows"]),
        rows_used=int(valid["rows_used"]),
        dropped=dropped,
        duplicates=int(rows["rows"]) - dropped_rows - int(q["distinct"].item()),
        deduplicated=config.dedupe,
        time_min=iso(time_min),
        time_max=iso(time_max),
        span_seconds=(time_max - time_min) / 1e6,
        persons=table.persons,
        stitched_ids=int(q["stitched"].item()) if "stitched" in q else 0,
        events_in_window=events_in_window,
        unmatched_events=unmatched_n,
        unmatched_share=unmatched_n / events_in_window if events_in_window else None,
        unmatched_top=tuple(
            NameCount(str(n), int(c))
            for n, c in unmatched.select(EVENT, "unmatched").head(_TOP_NAMES).iter_rows()
        ),
        zero_hit_stages=_zero_hit_stages(
            loaded, reached, [str(n) for n in event_counts[EVENT].head(1000)]
        ),
        non_numeric_values={
            k.removeprefix("nonnum_"): int(v)
            for k, v in valid.items()
            if k.startswith("nonnum_") and v
        },
        dst_ambiguous=int(rows.get("dst_fold") or 0),
        dst_gap=int(rows.get("dst_gap") or 0),
        dropped_share=dropped_rows / rows["rows"] if rows["rows"] else None,
    )
    columns = scan.columns
    source = SourceInfo(
        files=tuple(s.name for s in scan.sources),
        columns={"user": list(columns.user), "time": columns.time, "event": columns.event},
        export=columns.export,
        config=loaded.source.path,
        preset=loaded.source.preset,
        config_from=loaded.source.how,
    )
    window_info = WindowInfo(
        since=iso(window.since),
        until=iso(window.until if window.until is not None else window.as_of + 1),
        as_of=iso(window.as_of) or "",
        timezone=config.time.timezone,
        funnel_window_seconds=config.funnel.window / 1e6,
    )
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        generated = iso(int(epoch.strip()) * 1_000_000)
        run = None
    else:
        generated = iso(int(wallclock.time() * 1_000_000))
        run = {
            "seconds": round(wallclock.perf_counter() - started, 3),
            "engine": "polars",
            "polars_version": pl.__version__,
            "fivea_version": __version__,
        }
    return Result(
        source=source,
        window=window_info,
        persons=table.persons,
        stages=table.stages,
        transitions=table.transitions,
        current=table.current,
        prospects=table.prospects,
        customers=table.customers,
        path_conversion=table.path_conversion,
        subfunnels=subfunnels(persons, config),
        quality=quality,
        generated_at=generated or "",
        run=run,
    )
