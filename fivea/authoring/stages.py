"""Rule debugging (``fivea stages``): what each rule of a config catches in the data.

Per stage and per rule: the events and persons it matches, its hits (a ``min_count`` or ``gap``
rule's hits are the first events of its n-th and later occasions, docs/metrics.md, so they
differ from its matches) and example events; the overlap of the stages in persons; the matches
of each sub-funnel step; the event names no rule matches. Pure polars over the canonical scan,
collected in one ``collect_all``. The stage totals and the overlap come from the engine's own
``stage_hits``, so they are what ``fivea diagnose`` counts; the per-rule numbers come from the
same counted-rule plan (``fivea.rules.counted``) over every rule at once, never a plan per rule.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from fivea.authoring.rule_words import rule_columns, rule_words
from fivea.config.loader import STAGE_KEYS, LoadedConfig
from fivea.durations import MICROS
from fivea.errors import ConfigError, InputError
from fivea.io.events import (
    DROP_REASONS,
    EVENT,
    TIME,
    USER,
    EventScan,
    all_dropped_message,
    drop_reason,
)
from fivea.io.readers import READ_ERRORS, explain_read_error
from fivea.io.sources import ORDER, frame_source, resolve_sources
from fivea.io.zero_config import scan_with_preset
from fivea.person.table import Window, stage_hits
from fivea.person.window import iso
from fivea.pipeline import source_info
from fivea.result import NameCount
from fivea.rules.counted import (
    SERIES,
    Series,
    counted_hits,
    match_rows,
    occasion_starts,
    rules_table,
)
from fivea.rules.expressions import (
    MASK,
    compile_rules,
    is_name_rule,
    rule_match,
    rules_with_keys,
)
from fivea.rules.where import numeric_casts
from fivea.stage_report import (  # the result types, below the renderer
    Example,
    RuleMatch,
    StageInspection,
    StageMatch,
    SubfunnelMatch,
)

TOP_UNMATCHED = 10
RULE = "__rule"  # a rule's index in ``rules_with_keys`` order
_ALL_TIME = Window(since=None, until=None, as_of=0)  # every valid event: diagnose's default


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


def _examples(hits: pl.LazyFrame, events: pl.LazyFrame, n: int) -> pl.LazyFrame:
    """Per rule (``RULE``), the earliest hit of each of the ``n`` persons who were hit first."""
    first = (
        hits.sort(TIME, ORDER)
        .unique(subset=[RULE, USER], keep="first", maintain_order=True)
        .filter(pl.int_range(pl.len()).over(RULE) < n)
        .select(RULE, ORDER)
    )
    return first.join(events, on=ORDER, how="inner").sort(RULE, TIME, ORDER)


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

    # every rule's matches as one long frame with a series per distinct (match, gap), and its
    # counted rules' hits as one more (fivea.rules.counted): the plan does not grow per rule
    series: list[Series] = []
    series_at: dict[tuple[object, ...], int] = {}
    compiled: dict[tuple[object, ...], pl.Expr] = {}
    of_rule: list[int] = []  # each rule's series
    for key, _, rule in keyed:
        if rule.match_key not in compiled:
            expr, _ = rule_match(rule, key, EVENT, scan.properties, scan.property_types)
            compiled[rule.match_key] = expr
        if (rule.match_key, rule.gap) not in series_at:
            series_at[rule.match_key, rule.gap] = len(series)
            names = rule.event if is_name_rule(rule) else None
            series.append(Series(compiled[rule.match_key], names, rule.gap))
        of_rule.append(series_at[rule.match_key, rule.gap])
    rows = match_rows(events, series, EVENT)
    counted = [i for i, (_, _, rule) in enumerate(keyed) if rule.is_counted]
    plain = [i for i, (_, _, rule) in enumerate(keyed) if not rule.is_counted]
    plain_rules = pl.LazyFrame(
        {SERIES: [of_rule[i] for i in plain], RULE: plain},
        schema={SERIES: pl.UInt32, RULE: pl.UInt32},
    )
    hit_frames = [rows.join(plain_rules, on=SERIES, how="inner").select(USER, TIME, ORDER, RULE)]
    lazy: dict[str, pl.LazyFrame] = {
        "totals": events.select(pl.len().alias("events"), pl.col(USER).n_unique().alias("persons")),
        "matched": _per_rule(rows.select(USER, pl.col(SERIES).alias(RULE))),  # per series
        "unmatched": events.filter(~rules.any_match)
        .group_by(EVENT)
        .len()
        .sort(["len", EVENT], descending=[True, False]),
    }
    if counted:
        table = rules_table(
            [(of_rule[i], keyed[i][2].min_count or 1, keyed[i][2].within) for i in counted],
            {RULE: pl.Series(counted, dtype=pl.UInt32)},
        )
        counted_series = sorted({of_rule[i] for i in counted})
        starts = occasion_starts(
            rows.filter(pl.col(SERIES).is_in(counted_series)), [s.gap_us for s in series]
        )
        lazy["occasions"] = starts.group_by(SERIES).agg(pl.len().alias("occasions"))
        counted_hits_ = counted_hits(starts, table)
        lazy["hits"] = _per_rule(counted_hits_)
        hit_frames.append(counted_hits_.select(USER, TIME, ORDER, RULE))
    if n_examples:
        columns = sorted({c for _, _, rule in keyed for c in rule_columns(rule)})
        lookup = events.select(ORDER, pl.col(USER).cast(pl.String), TIME, EVENT, *columns)
        lazy["examples"] = _examples(pl.concat(hit_frames), lookup, n_examples)

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
    matched = _counts(frames["matched"])
    hit_counts = _counts(frames["hits"]) if "hits" in frames else {}
    examples = frames.get("examples")
    occasions = dict(frames["occasions"].iter_rows()) if "occasions" in frames else {}
    reports: list[RuleMatch] = []
    for index, (key, _, rule) in enumerate(keyed):
        m_events, m_persons = matched.get(of_rule[index], (0, 0))
        h_events, h_persons = (
            hit_counts.get(index, (0, 0)) if rule.is_counted else (m_events, m_persons)
        )
        shown = (
            ()
            if examples is None
            else _example_rows(examples.filter(pl.col(RULE) == index), rule_columns(rule))
        )
        reports.append(
            RuleMatch(
                key=key,
                defined_at=loaded.locate(key),
                words=rule_words(rule),
                columns=rule_columns(rule),
                counted=rule.is_counted,
                matched_events=m_events,
                matched_persons=m_persons,
                hit_events=h_events,
                hit_persons=h_persons,
                examples=shown,
                occasions=(None if rule.gap is None else int(occasions.get(of_rule[index], 0))),
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


def _per_rule(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Events and distinct persons per rule (``RULE``) of a long frame."""
    return rows.group_by(RULE).agg(
        pl.len().alias("events"), pl.col(USER).n_unique().alias("persons")
    )


def _counts(frame: pl.DataFrame) -> dict[int, tuple[int, int]]:
    return {
        int(r): (int(e), int(p)) for r, e, p in frame.select(RULE, "events", "persons").iter_rows()
    }


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
