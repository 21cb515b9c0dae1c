"""Rule debugging (``fivea stages``): what each rule of a config catches in the data.

Per stage and per rule: the events and persons it matches, its hits (a ``min_count`` rule's hits
are the n-th and later matching events, SPEC §3.2, so they differ from its matches) and example
events; the overlap of the stages in persons; the matches of each sub-funnel step; the event
names no rule matches. Pure polars over the canonical scan, collected in one ``collect_all``.
The stage totals and the overlap come from the engine's own ``stage_hits``, so they are what
``fivea diagnose`` counts; the per-rule numbers are computed here, one rule at a time.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from fivea.analysis import source_info
from fivea.config import MICROS, STAGE_KEYS, LoadedConfig, Rule
from fivea.errors import ConfigError, InputError
from fivea.events import (
    DROP_REASONS,
    EVENT,
    TIME,
    USER,
    EventScan,
    all_dropped_message,
    drop_reason,
)
from fivea.person import Window, stage_hits
from fivea.readers import READ_ERRORS, explain_read_error
from fivea.result import NameCount, SourceInfo
from fivea.rules import MASK, compile_rules, numeric_casts, rule_match, rules_with_keys
from fivea.sources import ORDER, frame_source, resolve_sources
from fivea.window import iso
from fivea.zero_config import scan_with_preset

TOP_UNMATCHED = 10
_ALL_TIME = Window(since=None, until=None, as_of=0)  # every valid event: diagnose's default


@dataclass(frozen=True)
class Example:
    """One event a rule hit: who, when, what, and the columns the rule looks at."""

    user: str
    time: str  # ISO-8601 UTC
    event: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class RuleMatch:
    """What one rule (or sub-funnel step) catches."""

    key: str  # stages.appeal.rules[0], subfunnels.checkout.steps[1]
    defined_at: str  # file:line, or preset NAME:line
    words: str  # the rule in words
    columns: tuple[str, ...]  # property columns its where: uses
    counted: bool  # min_count > 1: hits are the n-th and later matching events
    matched_events: int
    matched_persons: int
    hit_events: int
    hit_persons: int
    examples: tuple[Example, ...]  # hits: the earliest hit of the earliest persons


@dataclass(frozen=True)
class StageMatch:
    """A 5A stage: the union of its rules' hits, and each rule."""

    key: str
    label: str
    hit_events: int
    persons: int  # reached: distinct persons with a hit (as diagnose counts them)
    rules: tuple[RuleMatch, ...]


@dataclass(frozen=True)
class SubfunnelMatch:
    """A sub-funnel's steps, each matched on its own (not the ordered path)."""

    name: str
    window_seconds: float
    steps: tuple[RuleMatch, ...]


@dataclass(frozen=True)
class StageInspection:
    """The result of ``fivea stages``: the core -> render contract."""

    source: SourceInfo
    events: int
    persons: int
    stages: tuple[StageMatch, ...]
    overlap: tuple[tuple[int, ...], ...]  # [i][j]: persons with hits of stage i and of stage j
    subfunnels: tuple[SubfunnelMatch, ...]
    unmatched_events: int  # matched by no rule other than an unconditioned any_event
    unmatched_names: int
    unmatched_top: tuple[NameCount, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``fivea stages --format json``)."""
        out = dataclasses.asdict(self)
        out["overlap"] = {
            row: dict(zip(STAGE_KEYS, counts, strict=True))
            for row, counts in zip(STAGE_KEYS, self.overlap, strict=True)
        }
        return out


# --- rules in words ---------------------------------------------------------------------------


def duration_text(micros: int) -> str:
    """µs -> the config's duration syntax in the largest whole unit: 30d, 12h, 90m, 45s."""
    for unit in ("d", "h", "m", "s"):
        if micros % MICROS[unit] == 0:
            return f"{micros // MICROS[unit]}{unit}"
    return f"{micros / MICROS['s']:g}s"


def ordinal(n: int) -> str:
    """1 -> 1st, 2 -> 2nd, 11 -> 11th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rule_words(rule: Rule) -> str:
    """A rule as a sentence: ``event is purchase and revenue > 0; hits: 2nd and later ...``."""
    parts = []
    if rule.event:
        names = list(rule.event)
        parts.append(
            f"event is {names[0]}" if len(names) == 1 else f"event is one of {', '.join(names)}"
        )
    if rule.event_matches:
        parts.append(f"event matches /{rule.event_matches}/ (whole name)")
    if rule.where:
        parts.append(f"where {rule.where}")
    text = " and ".join(parts) if parts else "every event"
    if rule.any_event and parts:
        text = f"every event with {text}"
    if rule.is_counted:
        n = rule.min_count or 1
        window = f" within {duration_text(rule.within)}" if rule.within else ""
        text += f"; hits: the {ordinal(n)} and later matching events{window}"
    return text


def rule_columns(rule: Rule) -> tuple[str, ...]:
    """The property columns a rule's ``where:`` reads."""
    if not rule.where:
        return ()
    return tuple(sorted(set(pl.sql_expr(rule.where).meta.root_names())))


# --- the scan ---------------------------------------------------------------------------------


def inspect_stages(
    paths: list[str] | pl.DataFrame,
    loaded: LoadedConfig,
    examples: int = 3,
    input_format: str | None = None,
) -> StageInspection:
    """Scan the events once and report what each rule of the config catches."""
    if examples < 0:
        msg = f"--examples {examples}: must be 0 or more"
        raise InputError(msg)
    if isinstance(paths, pl.DataFrame):
        sources = [frame_source(paths)]
    else:
        sources = resolve_sources(list(paths), input_format or loaded.config.input.format)
    loaded, scan = scan_with_preset(sources, loaded)  # zero config: the export's preset
    try:
        return _inspect(scan, loaded, examples)
    except READ_ERRORS as exc:
        raise explain_read_error(scan.sources, exc) from exc
    finally:
        scan.cleanup()


def _counted_hits(matched: pl.LazyFrame, rule: Rule) -> pl.LazyFrame:
    """The n-th and later matching events within the trailing window (SPEC §3.2).

    Sorted by (person, time, input order), the event n-1 matches earlier is within D exactly when
    at least n matching events lie in [t - D, t] (both ends inclusive); ``person.stage_hits``
    applies the same test to the whole stage.
    """
    lag = (rule.min_count or 1) - 1
    ordered = matched.sort(USER, TIME, ORDER)
    hit = (pl.col(USER).shift(lag) == pl.col(USER)).fill_null(False)
    if rule.within is not None:
        hit = hit & ((pl.col(TIME) - pl.col(TIME).shift(lag)) <= rule.within)
    return ordered.filter(hit)


def _examples(hits: pl.LazyFrame, columns: tuple[str, ...], n: int) -> pl.LazyFrame:
    """The earliest hit of each of the ``n`` persons who were hit first (distinct persons)."""
    return (
        hits.sort(TIME, ORDER)
        .unique(subset=[USER], keep="first", maintain_order=True)
        .head(n)
        .select(pl.col(USER).cast(pl.String), TIME, EVENT, *columns)
    )


def _plain_value(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


def _example_rows(frame: pl.DataFrame, columns: tuple[str, ...]) -> tuple[Example, ...]:
    return tuple(
        Example(
            user=str(row[USER]),
            time=iso(row[TIME]) or "",
            event=str(row[EVENT]),
            properties={c: _plain_value(row[c]) for c in columns},
        )
        for row in frame.iter_rows(named=True)
    )


def _no_valid_events(scan: EventScan) -> InputError:
    reason = drop_reason()
    counts = (
        scan.raw.select(
            pl.len().alias("rows"), *[(reason == r).sum().alias(r) for r in DROP_REASONS]
        )
        .collect()
        .row(0, named=True)
    )
    return InputError(all_dropped_message(scan, counts))


def _inspect(scan: EventScan, loaded: LoadedConfig, n_examples: int) -> StageInspection:
    config = loaded.config
    try:
        rules = compile_rules(config, EVENT, scan.properties, scan.property_types)
    except ConfigError as exc:
        raise loaded.relocate(exc) from exc
    keyed = rules_with_keys(config)
    scan = scan.marked(rules.prelude)
    casts = numeric_casts(rules.numeric_columns, scan.property_types)
    events = scan.frame.with_columns(casts) if casts else scan.frame

    # one boolean match column per rule and step
    matches: dict[str, pl.Expr] = {}
    for index, (key, _, rule) in enumerate(keyed):
        expr, _ = rule_match(rule, key, EVENT, scan.properties, scan.property_types)
        matches[f"__r{index}"] = expr
    marked = events.with_columns(e.alias(c) for c, e in matches.items())
    lazy: dict[str, pl.LazyFrame] = {
        "totals": events.select(pl.len().alias("events"), pl.col(USER).n_unique().alias("persons")),
        "matched": marked.select(
            *[pl.col(c).sum().alias(f"{c}_events") for c in matches],
            *[pl.col(USER).filter(pl.col(c)).n_unique().alias(f"{c}_persons") for c in matches],
        ),
        "unmatched": events.filter(~rules.any_match)
        .group_by(EVENT)
        .len()
        .sort(["len", EVENT], descending=[True, False]),
    }
    for index, (_, _, rule) in enumerate(keyed):
        column = f"__r{index}"
        matched = marked.filter(pl.col(column)).select(
            USER, TIME, ORDER, EVENT, *rule_columns(rule)
        )
        if rule.is_counted:
            hits = _counted_hits(matched, rule)
            lazy[f"{column}_hits"] = hits.select(
                pl.len().alias("events"), pl.col(USER).n_unique().alias("persons")
            )
        else:
            hits = matched
        if n_examples:
            lazy[f"{column}_examples"] = _examples(hits, rule_columns(rule), n_examples)

    # the engine's stage hits: stage totals and the overlap, exactly as diagnose counts them
    hits = stage_hits(events, rules, _ALL_TIME)
    stage_bits = (1 << len(STAGE_KEYS)) - 1
    masks = hits.group_by(USER).agg((pl.col(MASK) & stage_bits).bitwise_or().alias(MASK))
    persons = events.select(USER).unique().join(masks, on=USER, how="left")
    aware_all = 1 if rules.aware_is_any_event else 0
    lazy["overlap"] = (
        persons.select((pl.col(MASK).fill_null(0) | aware_all).alias(MASK)).group_by(MASK).len()
    )
    for bit, stage in enumerate(STAGE_KEYS):
        if bit == 0 and rules.aware_is_any_event:
            continue  # every event is an aware hit: the totals
        lazy[f"stage_{stage}"] = hits.filter((pl.col(MASK) & (1 << bit)) != 0).select(
            pl.col(ORDER).n_unique().alias("events"), pl.col(USER).n_unique().alias("persons")
        )
    frames = dict(zip(lazy, pl.collect_all(list(lazy.values())), strict=True))

    totals = frames["totals"].row(0, named=True)
    if not totals["events"]:
        raise _no_valid_events(scan)
    matched_row = frames["matched"].row(0, named=True)
    reports: list[RuleMatch] = []
    for index, (key, _, rule) in enumerate(keyed):
        column = f"__r{index}"
        m_events = int(matched_row[f"{column}_events"])
        m_persons = int(matched_row[f"{column}_persons"])
        if rule.is_counted:
            h_events, h_persons = frames[f"{column}_hits"].row(0)
        else:
            h_events, h_persons = m_events, m_persons
        example_frame = frames.get(f"{column}_examples")
        reports.append(
            RuleMatch(
                key=key,
                defined_at=loaded.locate(key),
                words=rule_words(rule),
                columns=rule_columns(rule),
                counted=rule.is_counted,
                matched_events=m_events,
                matched_persons=m_persons,
                hit_events=int(h_events),
                hit_persons=int(h_persons),
                examples=(
                    _example_rows(example_frame, rule_columns(rule))
                    if example_frame is not None
                    else ()
                ),
            )
        )
    by_key = {r.key: r for r in reports}

    stages = []
    for bit, (stage, spec) in enumerate(config.stages.items()):
        if bit == 0 and rules.aware_is_any_event:
            hit_events, reached = int(totals["events"]), int(totals["persons"])
        else:
            hit_events, reached = (int(v) for v in frames[f"stage_{stage}"].row(0))
        stages.append(
            StageMatch(
                key=stage,
                label=spec.label or stage.capitalize(),
                hit_events=hit_events,
                persons=reached,
                rules=tuple(by_key[f"stages.{stage}.rules[{i}]"] for i in range(len(spec.rules))),
            )
        )
    subfunnels = tuple(
        SubfunnelMatch(
            name=name,
            window_seconds=(sub.window or config.funnel.window) / MICROS["s"],
            steps=tuple(by_key[f"subfunnels.{name}.steps[{i}]"] for i in range(len(sub.steps))),
        )
        for name, sub in config.subfunnels.items()
    )
    unmatched = frames["unmatched"]
    return StageInspection(
        source=source_info(scan, loaded),
        events=int(totals["events"]),
        persons=int(totals["persons"]),
        stages=tuple(stages),
        overlap=overlap_matrix(frames["overlap"]),
        subfunnels=subfunnels,
        unmatched_events=int(unmatched["len"].sum()) if unmatched.height else 0,
        unmatched_names=unmatched.height,
        unmatched_top=tuple(
            NameCount(str(name), int(count))
            for name, count in unmatched.head(TOP_UNMATCHED).iter_rows()
        ),
    )


def overlap_matrix(by_mask: pl.DataFrame) -> tuple[tuple[int, ...], ...]:
    """Persons per pair of stages from persons per set of reached stages (a bitmask)."""
    size = len(STAGE_KEYS)
    matrix = [[0] * size for _ in range(size)]
    for mask, count in by_mask.select(MASK, "len").iter_rows():
        reached = [bit for bit in range(size) if int(mask) & (1 << bit)]
        for i in reached:
            for j in reached:
                matrix[i][j] += int(count)
    return tuple(tuple(row) for row in matrix)
