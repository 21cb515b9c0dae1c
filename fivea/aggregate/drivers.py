"""Phase 2 of the drivers (docs/metrics.md "Drivers"): landmark population, features, tests.

Reads only phase 1's per-person drivers tables (``fivea.person.drivers``) and the summed event
counts; never the events.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import polars as pl

from fivea.aggregate.drivers_stats import TwoByTwo, associate
from fivea.config.models import STAGE_KEYS, TRANSITION_NAMES, Config
from fivea.io.events import EVENT
from fivea.person.drivers import (
    DRIVER_EVENTS,
    DRIVER_PERSONS,
    KEY,
    MIN_LANDMARK_US,
    NAME,
    DriverPlan,
    before_landmark,
    prop_column,
    reach_column,
    rule_names,
)
from fivea.person.drivers_values import COLUMN, DRIVER_VALUES, MAX_VALUES, VALUE
from fivea.result.drivers import DriverFeature, Drivers
from fivea.stats import bh_adjusted

if TYPE_CHECKING:
    from fivea.person.drivers_deferred import DeferredDrivers
    from fivea.person.table import Window
    from fivea.result import Bottleneck, Transition

MAX_EVENT_FEATURES = 200
MAX_PROPERTIES = 30
SHOWN = 5  # each way
LEVEL = 0.05  # q below which a feature is shown
_CONVERTED = "__converted"


@dataclass(frozen=True)
class TransitionTimes:
    """Time to convert s -> t of one transition (µs): its p25 and p90, None without converters."""

    p25: float | None
    p90: float | None


def excluded_names(config: Config, stages: Sequence[str]) -> tuple[set[str], list[re.Pattern[str]]]:
    """Event names the rules of these stages list, and their regexes (any_event excluded)."""
    names: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for key in stages:
        listed, matches = rule_names(config, key)
        names.update(listed)
        patterns += map(re.compile, matches)
    return names, patterns


def top_event_names(
    counts: pl.DataFrame, names: set[str], patterns: list[re.Pattern[str]]
) -> list[str]:
    """The most frequent event names (ties by name) that no rule of s or t names."""
    ranked = counts.sort(["events", EVENT], descending=[True, False])[EVENT].to_list()
    kept = []
    for name in ranked:
        if name is None or name in names or any(p.search(name) for p in patterns):
            continue
        kept.append(name)
        if len(kept) == MAX_EVENT_FEATURES:
            break
    return kept


def property_columns(
    values: pl.DataFrame, config: Config, plan: DriverPlan
) -> tuple[list[str], list[str]]:
    """The property columns tested, and the candidates skipped for more than 50 values: the
    segments, then the candidates with 2..50 distinct values in the log (at most 30, file
    order; ``values``: phase 1's ``drivers_values``, docs/metrics.md "Drivers")."""
    if config.drivers.properties is not None:
        return list(plan.properties), []
    counts = dict(values.group_by(COLUMN).agg(pl.col(VALUE).n_unique()).iter_rows())
    kept = [c for c in plan.properties if c not in plan.counted]
    skipped: list[str] = []
    chosen = 0
    for column in plan.counted:
        distinct = counts.get(column, 0)
        if distinct > MAX_VALUES:
            skipped.append(column)
        elif distinct >= 2 and chosen < MAX_PROPERTIES:
            kept.append(column)
            chosen += 1
    return kept, skipped


def landmark_horizon(config: Config, times: TransitionTimes) -> tuple[int, int] | None:
    """L and H in µs (docs/metrics.md "Drivers"); None when a default has no converters."""
    settings = config.drivers
    if settings.landmark is not None:
        landmark = settings.landmark
    elif times.p25 is None:
        return None
    else:
        landmark = min(max(round(times.p25), MIN_LANDMARK_US), config.funnel.window)
    if settings.horizon is not None:
        horizon = max(settings.horizon, landmark)
    elif times.p90 is None:
        return None
    else:
        horizon = max(min(round(times.p90), config.funnel.window), landmark)
    return landmark, horizon


def population(
    persons: pl.DataFrame, s: int, t: int, landmark: int, horizon: int, as_of: int
) -> tuple[pl.DataFrame, int]:
    """(key, converted) of the landmark population, and the converters dropped for t before s."""
    rs, rt = pl.col(reach_column(s)), pl.col(reach_column(t))
    eligible = rs.is_not_null() & (rs + horizon <= as_of)
    reversed_ = eligible & rt.is_not_null() & (rt < rs)
    early = rt.is_not_null() & (rt >= rs) & (rt < rs + landmark)
    frame = persons.filter(eligible & ~reversed_.fill_null(False) & ~early.fill_null(False))
    converted = rt.is_not_null() & (rt >= rs + landmark) & (rt <= rs + horizon)
    frame = frame.with_columns(converted.fill_null(False).alias(_CONVERTED))
    dropped = persons.select(reversed_.fill_null(False).sum()).item()
    return frame, int(dropped)


@dataclass(frozen=True)
class _Tested:
    kind: str
    name: str
    value: str | None
    table: TwoByTwo


def _tables(
    counts: pl.DataFrame, kind: str, name_of: str, value_of: str | None, total: int, wins: int
) -> list[_Tested]:
    out = []
    for row in counts.iter_rows(named=True):
        a, n = int(row["converted"]), int(row["persons"])
        table = TwoByTwo(a, n - a, wins - a, (total - n) - (wins - a))
        value = None if value_of is None else str(row[value_of])
        out.append(_Tested(kind, str(row[name_of]), value, table))
    return out


def _features(
    frames: Mapping[str, pl.DataFrame],
    pop: pl.DataFrame,
    index: int,
    landmark: int,
    names: list[str],
    columns: list[str],
) -> list[_Tested]:
    total, wins = pop.height, int(pop[_CONVERTED].sum())
    hashed = named_hashes(frames["events"], names)
    events = frames[DRIVER_EVENTS]
    flags = events.filter(
        before_landmark(events.columns, index, landmark)
        & pl.col(NAME).is_in(hashed[NAME].implode())
    )
    events = (
        flags.join(pop.select(KEY, _CONVERTED), on=KEY, how="inner")
        .group_by(NAME)
        .agg(pl.len().alias("persons"), pl.col(_CONVERTED).sum().alias("converted"))
        .join(hashed, on=NAME)
    )
    tested = _tables(events, "event", EVENT, None, total, wins)
    for column in columns:
        values = (
            pop.filter(pl.col(prop_column(column)).is_not_null())
            .group_by(prop_column(column))
            .agg(pl.len().alias("persons"), pl.col(_CONVERTED).sum().alias("converted"))
            .with_columns(pl.lit(column).alias("__column"))
        )
        tested += _tables(values, "property", "__column", prop_column(column), total, wins)
    return tested


def named_hashes(counts: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """(name, hash) of ``names``: phase 1 keeps event names as 64-bit hashes
    (``name_hash``), and the event counts carry the hash of each name, made by the process
    that made the drivers tables (a Spark executor's polars, say). A name whose hash another
    name of the log shares is not tested (never seen in practice: about 1 in 10^10 for 10^5
    names; docs/metrics.md "Drivers")."""
    every = counts.filter(pl.col(EVENT).is_not_null()).unique(EVENT).select(EVENT, NAME)
    shared = every.filter(pl.col(NAME).is_duplicated())[EVENT].implode()
    return every.filter(pl.col(EVENT).is_in(names) & ~pl.col(EVENT).is_in(shared))


def _supported(t: TwoByTwo, least: float) -> bool:
    return t.with_feature >= least and t.without_feature >= least


def _shown(tested: list[_Tested]) -> tuple[DriverFeature, ...]:
    """Top 5 each way among q < 0.05, by |ln OR| × persons with the feature (ties by name)."""
    stats = [associate(x.table) for x in tested]
    qs = bh_adjusted([s.p_value for s in stats])
    features = [
        DriverFeature(
            kind=x.kind,
            name=x.name,
            value=x.value,
            persons=x.table.with_feature,
            converted_with=s.converted_with,
            converted_without=s.converted_without,
            odds_ratio=s.odds_ratio,
            low=s.low,
            high=s.high,
            p_value=s.p_value,
            q_value=q,
            direction="positive" if s.odds_ratio > 1 else "negative",
        )
        for x, s, q in zip(tested, stats, qs, strict=True)
        if q < LEVEL and s.odds_ratio != 1
    ]

    def rank(f: DriverFeature) -> tuple[float, str, str]:
        return (-abs(math.log(f.odds_ratio)) * f.persons, f.name, f.value or "")

    shown: list[DriverFeature] = []
    for direction in ("positive", "negative"):
        shown += sorted((f for f in features if f.direction == direction), key=rank)[:SHOWN]
    return tuple(shown)


def _not_judged(name: str, reason: str, **counts: object) -> Drivers:
    return Drivers(name, 0, 0, 0, "not_judged", reason, **counts)  # type: ignore[arg-type]


def transition_drivers(
    frames: Mapping[str, pl.DataFrame],
    config: Config,
    plan: DriverPlan,
    index: int,
    times: TransitionTimes,
    as_of: int,
    segments: Sequence[str],
) -> Drivers:
    """The drivers of ``plan.transitions[index]`` (docs/metrics.md "Drivers")."""
    s, t = plan.transitions[index]
    name = TRANSITION_NAMES[s]
    bounds = landmark_horizon(config, times)
    if bounds is None:
        return _not_judged(name, f"no one converted {STAGE_KEYS[s]} → {STAGE_KEYS[t]}")
    landmark, horizon = bounds
    persons = frames[DRIVER_PERSONS]
    pop, dropped = population(persons, s, t, landmark, horizon, as_of)
    converted = int(pop[_CONVERTED].sum())
    design = {
        "landmark_seconds": landmark / 1e6,
        "horizon_seconds": horizon / 1e6,
        "reversed": dropped,
    }
    min_stage = config.diagnosis.min_stage
    reason = None
    if pop.height < min_stage:
        reason = f"{pop.height:,} persons in the population, fewer than min_stage {min_stage:,}"
    elif converted < 2 or pop.height - converted < 2:
        reason = f"{converted:,} of {pop.height:,} converted: fewer than two of each outcome"
    if reason is not None:
        return Drivers(name, pop.height, converted, 0, "not_judged", reason, (), **design)
    listed, patterns = excluded_names(config, [STAGE_KEYS[s], STAGE_KEYS[t]])
    names = top_event_names(frames["events"], listed, patterns)
    columns, skipped = property_columns(frames[DRIVER_VALUES], config, plan)
    least = max(min_stage, 0.01 * pop.height)
    tested = [
        x
        for x in _features(frames, pop, index, landmark, names, columns)
        if _supported(x.table, least)
    ]
    return Drivers(
        transition=name,
        population=pop.height,
        converted=converted,
        tested=len(tested),
        status="ok",
        status_reason=None,
        features=_shown(tested),
        skipped_properties=tuple(skipped),
        **design,  # type: ignore[arg-type]
    )


def analyse_drivers(
    frames: Mapping[str, pl.DataFrame],
    deferred: DeferredDrivers | None,
    config: Config,
    plan: DriverPlan | None,
    choice: str | None,
    bottleneck: str | None,
    times: Mapping[str, TransitionTimes],
    graded: Sequence[str],
    as_of: int,
    segments: Sequence[str],
) -> tuple[Drivers, ...]:
    """Drivers of the bottleneck (default), of one transition, or of every graded one.

    ``deferred``: phase 1's tables not computed yet; asked for the analysed transitions only.
    """
    if plan is None or (DRIVER_PERSONS not in frames and deferred is None):
        return ()
    if choice in (None, "bottleneck"):
        wanted = [bottleneck] if bottleneck is not None else []
    elif choice == "all":
        wanted = [n for n in TRANSITION_NAMES if n in graded]
    else:
        wanted = [choice]
    if deferred is not None and wanted:
        pairs = tuple((s, s + 1) for s in map(TRANSITION_NAMES.index, wanted))
        # offsets are kept below the largest landmark asked for (often minutes, where phase 1
        # alone must keep a whole funnel window): far fewer (person, name) rows
        landmarks = [landmark_horizon(config, times[name]) for name in wanted]
        bounds = [b[0] for b in landmarks if b is not None]
        if bounds:  # else every one is not_judged before its tables are read
            frames = {**frames, **deferred.tables(pairs, max(bounds))}
        plan = dataclasses.replace(plan, transitions=pairs, bound_us=max(bounds, default=None))
    out = []
    for name in wanted:
        s = TRANSITION_NAMES.index(name)
        index = plan.transitions.index((s, s + 1))
        out.append(transition_drivers(frames, config, plan, index, times[name], as_of, segments))
    return tuple(out)


class Asked(Protocol):
    """What the run asked for (``fivea.pipeline.Options``)."""

    @property
    def drivers(self) -> str | None: ...
    @property
    def segments(self) -> tuple[str, ...]: ...


def drivers_of(
    frames: Mapping[str, pl.DataFrame],
    deferred: DeferredDrivers | None,
    config: Config,
    plan: DriverPlan | None,
    asked: Asked,
    bottleneck: Bottleneck | None,
    transitions: Sequence[Transition],
    window: Window,
) -> tuple[Drivers, ...]:
    """``analyse_drivers`` from the pipeline's objects."""

    def micros(seconds: float | None) -> float | None:
        return None if seconds is None else seconds * 1e6

    times = {
        t.name: TransitionTimes(micros(t.p25_seconds), micros(t.p90_seconds)) for t in transitions
    }
    graded = [t.name for t in transitions if t.grade not in (None, "not_measured")]
    neck = bottleneck.transition if bottleneck is not None else None
    return analyse_drivers(
        frames,
        deferred,
        config,
        plan,
        asked.drivers,
        neck,
        times,
        graded,
        window.as_of,
        asked.segments,
    )
