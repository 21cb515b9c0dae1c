"""What ``fivea init EVENTS`` reads from the data: columns, time forms, event names by count."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from fivea.authoring.rule_words import duration_text, ordinal
from fivea.authoring.starter.guess import guess_stage
from fivea.config.loader import DEFAULT_PRESET, STAGE_KEYS, LoadedConfig, load_config, preset_names
from fivea.config.models import Rule
from fivea.errors import ConfigError, InputError
from fivea.io.columns import ColumnMap
from fivea.io.events import EVENT, USER, EventScan, scan_events
from fivea.io.readers import READ_ERRORS, explain_read_error
from fivea.io.sources import resolve_sources
from fivea.rules.expressions import rule_match, rules_with_keys
from fivea.rules.where import numeric_casts

SAMPLE_ROWS = 1_000_000  # valid events read by `fivea init EVENTS`
TOP_NAMES = 50
_TIME_VALUES = 1_000  # time values classified for the header


@dataclass(frozen=True)
class NamePlacement:
    """An event name found in the data and where it goes."""

    name: str
    events: int
    known: tuple[tuple[str, str], ...]  # (stage, note) for each stage whose rules match it
    steps: tuple[tuple[str, int], ...]  # (sub-funnel, step number from 1) matching it
    guess: tuple[str, str] | None  # (stage, deciding words) for names no stage rule matches


@dataclass(frozen=True)
class DataSample:
    """What ``fivea init EVENTS`` learned from the data."""

    inputs: tuple[str, ...]  # the EVENTS arguments
    files: tuple[str, ...]
    columns: ColumnMap
    time_form: str
    time_example: str | None
    naive_times: bool
    events: int
    persons: int
    complete: bool  # the whole input fit in the sample
    properties: tuple[str, ...]
    names: tuple[NamePlacement, ...]  # the top names by count
    more_names: int
    more_events: int


_FORMS = {
    "iso_z": ("ISO-8601 with Z (UTC)", False),
    "space": ("'YYYY-MM-DD HH:MM:SS' without a zone", True),
    "space_utc": ("'YYYY-MM-DD HH:MM:SS UTC'", False),
    "iso_offset": ("ISO-8601 with a UTC offset", False),
    "iso_local": ("ISO-8601 without a zone", True),
    "date": ("dates only (YYYY-MM-DD)", True),
    "other_zoned": ("times with a zone (Z, UTC, GMT or an offset)", False),
    "minutes": ("'YYYY-MM-DD HH:MM' without a zone", True),
    "iso_minutes": ("ISO-8601 to the minute without a zone", True),
    "compact_date": ("dates as YYYYMMDD", True),
}
_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def _epoch_unit(values: pl.Series, configured: str | None) -> str:
    if configured:
        return configured
    # the magnitude rule of docs/input.md: < 1e11 s, < 1e14 ms, < 1e17 µs, else ns
    median = values.cast(pl.Float64, strict=False).abs().median()
    if median is None:
        return "s"
    magnitude = float(median)  # type: ignore[arg-type]
    return (
        "s"
        if magnitude < 1e11
        else "ms"
        if magnitude < 1e14
        else "us"
        if magnitude < 1e17
        else "ns"
    )


def describe_times(values: pl.Series, unit: str | None) -> tuple[str, bool]:
    """(how the time column is written, whether some times carry no zone)."""
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            return f"typed timestamps in {dtype.time_zone}", False
        return "typed timestamps without a zone", True
    if isinstance(dtype, pl.Date):
        return "typed dates", True
    if dtype.is_numeric():
        found = _epoch_unit(values, unit)
        how = "set by columns.time_unit" if unit else "from their magnitude"
        return f"epoch {_UNIT_WORDS[found]} ({how})", False
    from fivea.io.timeparse import (
        PARSE_STEPS,  # the parser's own forms, so the words match what it reads
    )

    text = values.cast(pl.String).str.strip_chars()
    text = text.filter(text.is_not_null() & (text != ""))
    if text.len() == 0:
        return "empty", False
    # each value in the first form (in the parser's listed order) that reads it
    frame = text.rename("t").to_frame()
    counts: dict[str, int] = {}
    for name, _, parse in PARSE_STEPS:
        parsed = frame.select(parse(pl.col("t")).is_not_null().alias("ok"))["ok"]
        if parsed.any():
            counts[name] = int(parsed.sum())
        frame = frame.filter(~parsed)
    total = text.len()
    parts = []
    naive = False
    for name, n in sorted(counts.items(), key=lambda item: -item[1]):
        if name == "epoch":
            epoch = text.filter(text.str.contains(r"^[-+]?\d+(\.\d+)?$"))
            how = "set by columns.time_unit" if unit else "from their magnitude"
            words = f"epoch {_UNIT_WORDS[_epoch_unit(epoch, unit)]} ({how})"
        else:
            words, is_naive = _FORMS[name]
            naive = naive or is_naive
        parts.append((words, n))
    if frame.height:
        parts.append(("unreadable", frame.height))
    if len(parts) == 1:
        return parts[0][0], naive
    mixed = ", ".join(f"{n / total:.0%} {words}" for words, n in parts)
    return f"mixed: {mixed}", naive


def _rule_note(rule: Rule) -> str:
    notes = []
    if rule.where:
        notes.append(f"where {rule.where}")
    if rule.is_counted:
        gap = f", occasions split by a {duration_text(rule.gap)} gap" if rule.gap else ""
        notes.append(f"from the {ordinal(rule.min_count or 1)} on" + _within(rule) + gap)
    return f" ({'; '.join(notes)})" if notes else ""


def _within(rule: Rule) -> str:
    return f" within {duration_text(rule.within)}" if rule.within else ""


def sample_data(
    paths: list[str], preset: str | None, input_format: str | None
) -> tuple[str, DataSample]:
    """Read a sample of the events: (the preset to start from, what the data says).

    Columns are detected by the same loader as ``diagnose``. Without ``--preset``, a detected
    export (GA4, Segment, Amplitude, Mixpanel) picks its own preset.
    """
    name = preset or DEFAULT_PRESET
    loaded = load_config(None, name)
    sources = resolve_sources(list(paths), input_format or loaded.config.input.format)
    scan = _scan(sources, loaded)
    if preset is None and scan.columns.export in preset_names():
        scan.cleanup()
        name = str(scan.columns.export)
        loaded = load_config(None, name)
        scan = _scan(sources, loaded)
    try:
        return name, _sample(tuple(paths), scan, loaded)
    except READ_ERRORS as exc:
        raise explain_read_error(scan.sources, exc) from exc
    finally:
        scan.cleanup()


def _scan(sources: list, loaded: LoadedConfig) -> EventScan:
    try:
        return scan_events(sources, loaded.config)
    except InputError as exc:
        if "columns." not in str(exc):
            raise
        msg = f"{exc} (or run `fivea init` without EVENTS and set columns: by hand)"
        raise InputError(msg) from exc


def _sample(inputs: tuple[str, ...], scan: EventScan, loaded: LoadedConfig) -> DataSample:
    config = loaded.config
    keyed = rules_with_keys(config)
    casts = numeric_casts(
        frozenset(c for _, _, r in keyed for c in _where_columns(r)), scan.property_types
    )
    sample = scan.frame.head(SAMPLE_ROWS)
    sample = sample.with_columns(casts) if casts else sample
    matches = {}
    for index, (key, _, rule) in enumerate(keyed):
        if rule.is_any_event:
            continue
        try:
            expr, _ = rule_match(rule, key, EVENT, scan.properties, scan.property_types)
        except ConfigError as exc:
            raise loaded.relocate(exc) from exc
        matches[f"__r{index}"] = expr.sum().alias(f"__r{index}")
    by_name, totals, times = pl.collect_all(
        [
            sample.group_by(EVENT)
            .agg(pl.len().alias("__events"), *matches.values())
            .sort(["__events", EVENT], descending=[True, False]),
            sample.select(pl.len().alias("events"), pl.col(USER).n_unique().alias("persons")),
            scan.frame.head(_TIME_VALUES).select(pl.col(scan.columns.time)),
        ]
    )
    events, persons = totals.row(0)
    if not events:
        msg = (
            f"{scan.sources[0].name}: no valid events to sample (every row lacks a user, an "
            "event or a readable time); see `fivea diagnose` for the data-quality counts"
        )
        raise InputError(msg)
    placements = []
    for row in by_name.head(TOP_NAMES).iter_rows(named=True):
        known: dict[str, list[str]] = {}
        steps: list[tuple[str, int]] = []
        for index, (key, _, rule) in enumerate(keyed):
            if not row.get(f"__r{index}"):
                continue
            if key.startswith("stages."):
                stage = key.split(".")[1]
                known.setdefault(stage, []).append(_rule_note(rule))
            else:
                sub, step = re.match(r"subfunnels\.(.+)\.steps\[(\d+)\]$", key).groups()  # type: ignore[union-attr]
                steps.append((sub, int(step) + 1))
        name = str(row[EVENT])
        notes = {
            stage: "" if "" in found else " (" + "; or ".join(n.strip(" ()") for n in found) + ")"
            for stage, found in known.items()
        }
        placements.append(
            NamePlacement(
                name=name,
                events=int(row["__events"]),
                known=tuple((s, notes[s]) for s in STAGE_KEYS if s in notes),
                steps=tuple(steps),
                guess=None if known else guess_stage(name),
            )
        )
    rest = by_name.slice(TOP_NAMES)
    time_form, naive = describe_times(times.to_series(), scan.columns.time_unit)
    first_time = times.to_series().drop_nulls()
    return DataSample(
        inputs=inputs,
        files=tuple(s.name for s in scan.sources),
        columns=scan.columns,
        time_form=time_form,
        time_example=str(first_time[0]) if first_time.len() else None,
        naive_times=naive,
        events=int(events),
        persons=int(persons),
        complete=int(events) < SAMPLE_ROWS,
        properties=tuple(
            p
            for p in scan.properties
            if p not in (*scan.columns.user, scan.columns.time, scan.columns.event)
        ),
        names=tuple(placements),
        more_names=rest.height,
        more_events=int(rest["__events"].sum()) if rest.height else 0,
    )


def _where_columns(rule: Rule) -> set[str]:
    return set(pl.sql_expr(rule.where).meta.root_names()) if rule.where else set()
