"""Phase 1's share of the drivers (docs/metrics.md "Drivers"): per-person event features.

A driver of a transition s -> t is an event done in [reach_s, reach_s + L) or a first-touch
property value. L (the landmark) is a quantile of time-to-convert, known only in phase 2, so
phase 1 keeps what any L needs, from the rows it already reads (no second pass):

- ``drivers_persons``: one row per person who reached some analysed s: the person key, the
  reach time of every stage the analysed transitions use, and the first-touch value of each
  candidate property column;
- ``drivers_events``: one row per (person, event name) done at or after the earliest analysed
  reach_s, the name as its 64-bit hash (``name_hash``; phase 2 maps the names it tests, which
  spares phase 1 a text column a row), with one column per transition: the first time the
  person did it at or after that transition's reach_s (and before reach_s + ``bound``), as an
  offset from reach_s (µs; null when none). Phase 2 flags "did e before the landmark" as offset < L
  (the compiled kernel's table is long instead: one row per (person, name, transition) with an
  offset, ``TRANSITION`` and ``OFFSET``; ``before_landmark`` reads either);
- ``drivers_values``: the distinct values of the counted candidate columns
  (``fivea.person.drivers_values``).

All are per person (or per partition), so partitions concatenate (``combine``). Every event
name is kept: the 200 most frequent are chosen in phase 2 from the summed event counts, which
is exact whatever the partitioning. This is the polars plan (small logs, Spark, unhashed ids):
one ``min_by`` per property column, a join of the events with the reach times and a group-by
over (person, event name). With the compiled kernel the same tables come from its grouping
(``fivea.person.drivers_compiled``; docs/metrics.md "Drivers", cost).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from fivea.config.models import STAGE_KEYS, TRANSITION_NAMES
from fivea.errors import InputError
from fivea.io.column_types import kind_of
from fivea.io.events import EVENT, TIME, USER
from fivea.io.sources import ORDER
from fivea.person.drivers_values import DRIVER_VALUES, values_frame
from fivea.person.table import Window, in_window, segment_value, stage_hits
from fivea.rules.expressions import MASK, RuleSet

if TYPE_CHECKING:
    from fivea.config.models import Config
    from fivea.io.events import EventScan

DRIVER_PERSONS = "drivers_persons"
DRIVER_EVENTS = "drivers_events"
KEY = "__key"  # the person key shared by the two tables
NAME = "__name"  # an event name's 64-bit hash (name_hash)
_KEY_SEED = 0xD21
_NAME_SEED = 0xE7E
DRIVER_TABLES = (DRIVER_PERSONS, DRIVER_EVENTS, DRIVER_VALUES)
_RANK, _IN = "__rank", "__in"


@dataclass(frozen=True)
class DriverPlan:
    """The transitions whose drivers phase 2 may analyse, and the feature bounds."""

    transitions: tuple[tuple[int, int], ...]  # (s, t) stage indexes
    properties: tuple[str, ...]  # first-touch property columns
    bound_us: int | None  # offsets kept below this (no landmark exceeds it); None: all
    last_touch: bool = False  # segment_attribution: last (one value per person per run)
    # the default candidates, whose distinct values phase 1 reports (fivea.person.drivers_values)
    counted: tuple[str, ...] = ()
    # by stage: the event names and name patterns its rules list, never features of a
    # transition from or to it (``rule_names``); phase 1 keeps no offsets of those
    named: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()

    @property
    def stages(self) -> tuple[int, ...]:
        return tuple(sorted({k for pair in self.transitions for k in pair}))


def name_hash(names: pl.Expr) -> pl.Expr:
    """The ``NAME`` of event names (phase 1 and phase 2 alike)."""
    return names.hash(_NAME_SEED)


def prop_column(column: str) -> str:
    return f"prop_{column}"


def nonempty(column: str, dtype: pl.DataType) -> pl.Expr:
    """A property's value, null when empty (null, NaN, or blank: as ``segment_value``).

    Text is tested for a non-white-space character (regex ``\\S``: Unicode White_Space, as
    ``strip_chars``) and trimmed after the group-by, on the winners only (2x cheaper).
    """
    if dtype == pl.String:
        return pl.when(pl.col(column).str.contains(r"\S")).then(pl.col(column))
    if not (dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean):
        return segment_value(column, dtype)
    return pl.col(column).fill_nan(None) if dtype.is_float() else pl.col(column)


def _touch(value: pl.Expr, last: bool) -> Callable[[pl.Expr], pl.Expr]:
    return value.max_by if last else value.min_by


def offset_column(index: int) -> str:
    """The first offset from reach_s of ``DriverPlan.transitions[index]`` (µs, null: none)."""
    return f"__offset{index}"


# the compiled kernel's ``drivers_events`` is long: one row per (person, name, transition) with
# an offset, ``TRANSITION`` its index in ``DriverPlan.transitions`` (the polars plan's is wide,
# one ``offset_column`` per transition: ``before_landmark`` reads either)
TRANSITION, OFFSET = "__transition", "__offset"


def before_landmark(columns: list[str], index: int, landmark: int) -> pl.Expr:
    """The ``drivers_events`` rows of a name done before the landmark of transition ``index``
    (offset < L), in either layout (a combined table may hold both, null where not its own)."""
    done = pl.lit(False)
    if offset_column(index) in columns:
        done = done | (pl.col(offset_column(index)) < landmark).fill_null(False)
    if OFFSET in columns:
        done = done | ((pl.col(TRANSITION) == index) & (pl.col(OFFSET) < landmark)).fill_null(False)
    return done


def reach_column(stage: int) -> str:
    return f"reach_{STAGE_KEYS[stage]}"


def driver_frames(
    events: pl.LazyFrame, rules: RuleSet, window: Window, plan: DriverPlan
) -> dict[str, pl.LazyFrame]:
    """The two lazy drivers tables of the events of whole persons (canonical columns)."""
    if window.until is not None:
        events = events.filter(pl.col(TIME) < window.until)
    # a key of its own (a 64-bit hash): the tables are joined with each other only
    events = events.with_columns(pl.col(USER).hash(_KEY_SEED).alias(KEY))
    hits = stage_hits(events, rules, window).with_columns(pl.col(USER).hash(_KEY_SEED).alias(KEY))
    stages = plan.stages
    reach = hits.group_by(KEY).agg(
        pl.col(TIME).filter((pl.col(MASK) & (1 << k)) != 0).min().alias(reach_column(k))
        for k in stages
        if not (k == 0 and rules.aware_is_any_event)
    )
    # first touch over the full history before until (docs/metrics.md#segments): per person
    # and column, the value of the non-empty row with the least (time, input order), packed in
    # one 128-bit key; min_by streams (a rank from a global sort, a sort inside each group or
    # get(arg_min) do not) and moves no strings but the winners (docs/metrics.md "Drivers")
    schema = events.collect_schema()
    rank = (pl.col(TIME).cast(pl.Int128) * (1 << 64) + pl.col(ORDER).cast(pl.Int128)).alias(_RANK)
    values = [nonempty(c, schema[c]).alias(prop_column(c)) for c in plan.properties]
    ranked = events.select(KEY, TIME, in_window(window).alias(_IN), rank, *values)
    basics = ranked.group_by(KEY).agg(
        pl.col(TIME).filter(pl.col(_IN)).min().alias("__first"),
        *[
            _touch(pl.col(p), plan.last_touch)(pl.when(pl.col(p).is_not_null()).then(pl.col(_RANK)))
            for p in map(prop_column, plan.properties)
        ],
    )
    # as text, like a segment value (numbers are cast after the group-by: far fewer rows)
    basics = basics.with_columns(
        pl.col(prop_column(c)).cast(pl.String).str.strip_chars() for c in plan.properties
    )
    persons = basics.filter(pl.col("__first").is_not_null()).join(reach, on=KEY, how="left")
    if 0 in stages and rules.aware_is_any_event:
        persons = persons.with_columns(pl.col("__first").alias(reach_column(0)))
    starts = sorted({reach_column(s) for s, _ in plan.transitions})
    persons = persons.drop("__first").filter(
        pl.any_horizontal(pl.col(c).is_not_null() for c in starts)
    )
    # every event at or after some reach_s: one group-by over (person, name) gives the first
    # offset from each transition's reach_s (null when the person did not do it after it)
    timed = events.select(KEY, TIME, name_hash(pl.col(EVENT)).alias(NAME)).join(
        persons.select(KEY, *starts), on=KEY, how="inner"
    )
    timed = timed.filter(pl.col(TIME) >= pl.min_horizontal(*starts))
    offsets = []
    for index, (s, _) in enumerate(plan.transitions):
        offset = pl.col(TIME) - pl.col(reach_column(s))
        keep = offset >= 0
        if plan.bound_us is not None:
            keep = keep & (offset < plan.bound_us)
        offsets.append(offset.filter(keep).min().alias(offset_column(index)))
    long = timed.group_by(KEY, NAME).agg(offsets)
    values = values_frame(events, plan.counted, schema, window.until)
    return {DRIVER_PERSONS: persons, DRIVER_EVENTS: long, DRIVER_VALUES: values}


# phase 1 keeps first-touch values of at most this many candidate columns when
# drivers.properties is not set (phase 2 then keeps those with 2..50 values, at most 30)
MAX_CANDIDATE_PROPERTIES = 100
MIN_LANDMARK_US = 60_000_000  # one minute


def plan_drivers(
    config: Config,
    choice: str | None,
    segments: tuple[str, ...],
    candidates: list[str],
) -> DriverPlan | None:
    """What phase 1 keeps for ``--drivers`` (``choice``: None/"bottleneck", a transition,
    "all" or "none"). The bottleneck is known only after phase 2: every transition is kept.

    ``candidates``: the property columns of plain values, in file order.
    """
    if choice == "none":
        return None
    pairs = tuple((i, i + 1) for i in range(len(TRANSITION_NAMES)))
    if choice not in (None, "bottleneck", "all"):  # a transition (fivea.Options checked it)
        index = TRANSITION_NAMES.index(choice)
        pairs = (pairs[index],)
    settings = config.drivers
    counted: list[str] = []
    if settings.properties is not None:
        _check_properties(settings.properties, candidates)
        properties = [*segments, *settings.properties]
    else:
        counted = [c for c in candidates[:MAX_CANDIDATE_PROPERTIES] if c not in segments]
        properties = [*segments, *counted]
    # no default landmark exceeds the funnel window; a set one is every transition's
    bound = settings.landmark
    if bound is None:
        bound = max(config.funnel.window, MIN_LANDMARK_US)
    named = tuple(rule_names(config, key) for key in STAGE_KEYS)
    return DriverPlan(
        transitions=pairs,
        properties=tuple(dict.fromkeys(properties)),
        bound_us=bound,
        last_touch=config.segment_attribution == "last",
        counted=tuple(counted),
        named=named,
    )


def rule_names(config: Config, stage: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The event names and the name patterns (``event_matches``) the rules of ``stage`` list:
    not features of its transitions (docs/metrics.md "Drivers"; a rule with only ``where:`` or
    ``any_event`` lists none)."""
    names: list[str] = []
    patterns: list[str] = []
    for rule in getattr(config.stages, stage).rules:
        names.extend(rule.event or ())
        if rule.event_matches is not None:
            patterns.append(rule.event_matches)
    return tuple(dict.fromkeys(names)), tuple(dict.fromkeys(patterns))


def _check_properties(named: list[str], candidates: list[str]) -> None:
    """drivers.properties must name property columns of plain values."""
    for column in named:
        if column not in candidates:
            close = difflib.get_close_matches(column, candidates, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            shown = ", ".join(candidates[:12])
            msg = (
                f"drivers.properties: no property column '{column}' of plain values; "
                f"{hint}columns: {shown}"
            )
            raise InputError(msg)


def plain_properties(scan: EventScan) -> list[str]:
    """Property columns of plain values (not lists, records or durations), in file order,
    other than the id, time and event columns."""
    roles = {*scan.columns.user, scan.columns.time, scan.columns.event}
    return [
        c
        for c in scan.properties
        if c not in roles and c in scan.property_types and kind_of(scan.property_types[c]) is None
    ]
