"""Phase 2 (docs/architecture.md#the-seam): the person table -> stage counts, ratios, flow, path, quantiles.

Reads only the person table (one row per person), never events, and only through
``PersonTable``: every number is a ``Measure`` — one polars expression per person, defined once
here — combined over persons by a count, a min, a max or exact quantiles. ``FramePersons``
evaluates the measures on a polars frame (the local engine); the Spark engine evaluates the same
expressions on every partition of a person table that stays in Spark and combines them with
Spark SQL (``fivea.engines.spark.persons``). The functions below turn the combined values into
the result's numbers, whichever engine produced them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import polars as pl

from fivea.config.loader import STAGE_KEYS, TRANSITION_NAMES, Config
from fivea.funnel import safe_ratio as safe_ratio  # re-exported: phase 2 imports it from here
from fivea.person.table import Window
from fivea.result import (
    LAST_STAGE,
    NONE_SETTLED,
    NOT_MEASURED,
    NOT_OBSERVABLE,
    TOO_FEW_SETTLED,
    FunnelCounts,
    StageCount,
    Transition,
)

QUANTILES = (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))
CURRENT_VALUES = ("none", *STAGE_KEYS)
GROUP_KEY = "__group"  # the key column of ``PersonTable.top_groups``

How = Literal["count", "min", "max", "quantiles"]


@dataclass(frozen=True)
class Measure:
    """A per-person expression over the person table and how persons combine.

    ``count``: persons for whom the (boolean) expression is true; ``min`` / ``max`` of an Int64;
    ``quantiles``: exact Hyndman–Fan type 7 at ``levels`` of an Int64 (µs), nulls left out
    (docs/metrics.md#stage-counts-per-analysis-window: h = q·(n−1), linear between the two neighbours; null when no value).
    """

    name: str
    expr: pl.Expr
    how: How = "count"
    levels: tuple[float, ...] = ()


@dataclass(frozen=True)
class Aggregates:
    """The combined values of a set of measures, by measure name.

    Counts are ints, min/max ints or None, quantiles a tuple of floats (µs) or Nones.
    """

    values: Mapping[str, Any]

    def count(self, name: str) -> int:
        """A ``count`` measure."""
        return int(self.values[name] or 0)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


@runtime_checkable
class PersonTable(Protocol):
    """The person table wherever it lives; phase 2 asks it for aggregates only."""

    def aggregate(self, measures: Sequence[Measure]) -> Aggregates:
        """Combine every measure over all persons."""
        ...

    def top_groups(self, key: pl.Expr, measures: Sequence[Measure], limit: int) -> pl.DataFrame:
        """``count`` measures per value of ``key`` (a String, column ``GROUP_KEY``).

        Only the ``limit`` groups with the largest first measure are returned, ties by key in
        byte order, largest first.
        """
        ...


@dataclass(frozen=True)
class FramePersons:
    """The person table as a polars frame (the local engine): one ``select`` per request."""

    frame: pl.DataFrame

    def aggregate(self, measures: Sequence[Measure]) -> Aggregates:
        """All measures in one ``select`` (polars evaluates the expressions in parallel)."""
        exprs: list[pl.Expr] = []
        for m in measures:
            if m.how == "quantiles":
                # Hyndman-Fan type 7: polars' default is "nearest" (docs/metrics.md#stage-counts-per-analysis-window); without the
                # nulls, else polars offsets the position by the null count and the fraction
                # h - floor(h) loses bits (Spark's percentile skips nulls: h = q·(n−1))
                values = m.expr.drop_nulls()
                exprs += [
                    values.quantile(q, interpolation="linear").alias(f"{m.name}@{i}")
                    for i, q in enumerate(m.levels)
                ]
            else:
                exprs.append(getattr(m.expr, _POLARS_AGG[m.how])().alias(m.name))
        row = self.frame.select(exprs).row(0, named=True)
        values: dict[str, Any] = {}
        for m in measures:
            if m.how == "quantiles":
                values[m.name] = tuple(row[f"{m.name}@{i}"] for i in range(len(m.levels)))
            else:
                values[m.name] = row[m.name]
        return Aggregates(values)

    def top_groups(self, key: pl.Expr, measures: Sequence[Measure], limit: int) -> pl.DataFrame:
        """A group-by, sorted by the first measure (descending) then the key.

        The group-by reads a frame of the key and one flag per measure, not the person table:
        a person table combined from partitions is in chunks, which a group-by over its own
        columns copies whole first (4.8M persons in 14 chunks: +553 MB of peak memory, against
        +242 MB this way, docs/performance.md). A key computed from one column (a segment's
        label) is made per distinct value of the column, not per person.
        """
        flags = [m.expr.alias(m.name) for m in measures]
        roots = key.meta.root_names()
        column = roots[0] if len(roots) == 1 else GROUP_KEY
        by = pl.col(column) if len(roots) == 1 else key.alias(GROUP_KEY)
        counts = self.frame.select(by, *flags).group_by(column).agg(pl.exclude(column).sum())
        if len(roots) == 1:
            counts = counts.group_by(key.alias(GROUP_KEY)).agg(pl.exclude(column).sum())
        grouped = counts.with_columns(pl.exclude(GROUP_KEY).cast(pl.Int64))
        order = [measures[0].name, GROUP_KEY]
        return grouped.sort(order, descending=[True, False]).head(limit)


_POLARS_AGG = {"count": "sum", "min": "min", "max": "max"}


def person_table(persons: pl.DataFrame | PersonTable) -> PersonTable:
    """A phase-1 person table as a ``PersonTable`` (polars frames are wrapped)."""
    return FramePersons(persons) if isinstance(persons, pl.DataFrame) else persons


# --- the measures (one definition of each number) -------------------------------------------

PERSONS = Measure("persons", pl.col("first_time").is_not_null())  # every row has window events
SPAN = (
    Measure("first_time", pl.col("first_time"), "min"),
    Measure("last_time", pl.col("last_time"), "max"),
)


def _reach(stage: str) -> pl.Expr:
    return pl.col(f"reach_{stage}")


def _both(i: int) -> pl.Expr:
    return _reach(STAGE_KEYS[i]).is_not_null() & _reach(STAGE_KEYS[i + 1]).is_not_null()


def population_measures() -> list[Measure]:
    """Persons, reached per stage and flow counts: the stage table's core, also per segment."""
    return [
        PERSONS,
        *[Measure(f"reached_{s}", _reach(s).is_not_null()) for s in STAGE_KEYS],
        *[Measure(f"both_{name}", _both(i)) for i, name in enumerate(TRANSITION_NAMES)],
    ]


def _current(value: str) -> pl.Expr:
    # the highest stage with a hit, whatever the times (docs/metrics.md#stage-counts-per-analysis-window); "none": no hit at all
    higher = STAGE_KEYS[STAGE_KEYS.index(value) + 1 :] if value != "none" else STAGE_KEYS
    here = pl.lit(True) if value == "none" else _reach(value).is_not_null()
    return pl.all_horizontal(here, *[_reach(s).is_null() for s in higher])


def stage_measures(config: Config, window: Window) -> list[Measure]:
    """Everything ``stage_table`` reads (docs/metrics.md "Stage counts", "Ordered path")."""
    level = pl.col("path_level")
    still_open = (window.as_of - pl.col("path_start")) < config.funnel.window
    measures = [
        *population_measures(),
        *[Measure(f"path_{k}", level >= k) for k in range(1, 6)],
        *[Measure(f"in_window_{k}", (level == k) & still_open) for k in range(1, 5)],
        *[Measure(f"current_{v}", _current(v)) for v in CURRENT_VALUES],
        *gain_measures(),
    ]
    for i, name in enumerate(TRANSITION_NAMES):
        a, b = _reach(STAGE_KEYS[i]), _reach(STAGE_KEYS[i + 1])
        converted = _both(i) & (b >= a)
        measures += [
            Measure(f"reversed_{name}", _both(i) & (b < a)),
            Measure(f"converted_{name}", converted),
            Measure(
                f"to_{name}",
                pl.when(converted).then(b - a),
                "quantiles",
                tuple(q for _, q in QUANTILES),
            ),
        ]
    return measures


def gain_measures() -> list[Measure]:
    """The counts an expected gain needs (docs/metrics.md "Expected gain").

    ``act_and_{t}``: persons with hits of t and Act (the share of t who buy); ``lost_{name}``:
    persons who reached s but neither t nor Act (no more can be won at s→t than are there).
    """
    act = _reach("act").is_not_null()
    out = [Measure(f"act_and_{t}", act & _reach(t).is_not_null()) for t in ("appeal", "ask")]
    out.append(Measure("act_and_advocate", act & _reach("advocate").is_not_null()))
    for i, name in enumerate(TRANSITION_NAMES[:3]):
        s, t = _reach(STAGE_KEYS[i]), _reach(STAGE_KEYS[i + 1])
        out.append(Measure(f"lost_{name}", s.is_not_null() & t.is_null() & ~act))
    return out


def all_measured() -> dict[str, bool]:
    """Every stage measured (the path over all five stages)."""
    return dict.fromkeys(STAGE_KEYS, True)


def path_stages(measured: Mapping[str, bool]) -> tuple[int, ...]:
    """The stages the ordered path runs over: the measured ones in 5A order (docs/metrics.md)."""
    return tuple(i for i, s in enumerate(STAGE_KEYS) if measured[s])


def stage_table(
    values: Aggregates, config: Config, measured: Mapping[str, bool] | None = None
) -> StageTable:
    """Counts of one population from its ``stage_measures``.

    ``measured``: which stages had any hit in the run (decided once per run, docs/metrics.md
    "Not measured"); the person table's path levels count over the measured stages only.
    """
    measured = measured if measured is not None else all_measured()
    reached = {s: values.count(f"reached_{s}") for s in STAGE_KEYS}
    current = {v: values.count(f"current_{v}") for v in CURRENT_VALUES}
    on_path = path_stages(measured)
    # path level j (1-based) of the person table is the j-th measured stage
    path: dict[int, int | None] = dict.fromkeys(range(5))
    in_window: dict[int, int | None] = dict.fromkeys(range(5))
    for rank, i in enumerate(on_path, start=1):
        path[i] = values.count(f"path_{rank}")
        if rank < len(on_path) and rank < 5:
            in_window[i] = values.count(f"in_window_{rank}")
    stages = tuple(
        StageCount(
            key=s,
            label=getattr(config.stages, s).label or s.capitalize(),
            reached=reached[s],
            share_of_aware=safe_ratio(reached[s], reached["aware"])
            if measured[s] and measured["aware"]
            else None,
            path=path[i],
            current=current[s],
            in_window=in_window[i],
            measured=measured[s],
            path_reason=None if measured[s] else NOT_MEASURED,
            in_window_reason=None
            if in_window[i] is not None
            else (NOT_MEASURED if not measured[s] else LAST_STAGE),
            share_of_aware_reason=_share_reason(reached, measured, s),
        )
        for i, s in enumerate(STAGE_KEYS)
    )
    transitions = [
        _transition(values, config, i, name, reached, measured, path, in_window)
        for i, name in enumerate(TRANSITION_NAMES)
    ]
    first, last = (on_path[0], on_path[-1]) if len(on_path) >= 2 else (None, None)
    overall = None
    overall_reason: str | None = NOT_MEASURED
    if first is not None and last is not None:
        overall = safe_ratio(path[last] or 0, path[first] or 0)
        overall_reason = None if overall is not None else NOT_OBSERVABLE
    return StageTable(
        persons=values.count(PERSONS.name),
        stages=stages,
        transitions=tuple(transitions),
        current=current,
        prospects=current["aware"] + current["appeal"] + current["ask"],
        customers=current["act"] + current["advocate"],
        path_conversion=overall,
        path_conversion_reason=overall_reason,
        path_skipped=tuple(s for s in STAGE_KEYS if not measured[s]),
        gain_counts={
            k: values.count(k)
            for k in (
                "act_and_appeal",
                "act_and_ask",
                "act_and_advocate",
                *(f"lost_{n}" for n in TRANSITION_NAMES[:3]),
            )
        },
    )


def _share_reason(reached: Mapping[str, int], measured: Mapping[str, bool], s: str) -> str | None:
    if not (measured[s] and measured["aware"]):
        return NOT_MEASURED
    return None if reached["aware"] else NOT_OBSERVABLE


def _transition(
    values: Aggregates,
    config: Config,
    i: int,
    name: str,
    reached: Mapping[str, int],
    measured: Mapping[str, bool],
    path: Mapping[int, int | None],
    in_window: Mapping[int, int | None],
) -> Transition:
    """Stage i -> i+1: ratio and flow (null between unmeasured stages), path conversions."""
    low, high = STAGE_KEYS[i], STAGE_KEYS[i + 1]
    both = values.count(f"both_{name}")
    converted = values.count(f"converted_{name}")
    seconds = _seconds(values[f"to_{name}"]) if converted else (None,) * len(QUANTILES)
    if measured[low] and measured[high]:
        ratio = safe_ratio(reached[high], reached[low])
        flow = safe_ratio(both, reached[low])
        ratio_reason = None if ratio is not None else NOT_OBSERVABLE
        flow_reason = ratio_reason
    else:
        ratio = flow = None
        ratio_reason = flow_reason = NOT_MEASURED
    # the path's step and settled conversions attach to the next measured stage, from the
    # previous measured one (docs/metrics.md "Ordered path")
    conversion = settled = None
    conversion_reason = settled_reason = NOT_MEASURED
    before = [k for k in range(i + 1) if measured[STAGE_KEYS[k]]]
    path_from = STAGE_KEYS[before[-1]] if before and measured[high] else None
    count = base = settled_base = None
    if path_from is not None:
        k = before[-1]
        count, base = path[i + 1] or 0, path[k] or 0
        open_ = in_window[k] or 0
        settled_base = base - open_
        conversion = safe_ratio(count, base)
        conversion_reason = None if conversion is not None else NOT_OBSERVABLE
        if base - count - open_ == 0:
            settled_reason = NONE_SETTLED  # 100% by construction: nobody stopped and settled
        elif settled_base < config.diagnosis.min_stage:
            settled_reason = TOO_FEW_SETTLED
        else:
            settled, settled_reason = count / settled_base, None
    return Transition(
        from_stage=low,
        to_stage=high,
        name=name,
        ratio=ratio,
        ratio_reason=ratio_reason,
        flow=flow,
        flow_count=both,
        dropoff=None if flow is None else 1 - flow,
        path_conversion=conversion,
        settled_conversion=settled,
        converted=converted,
        reversed=values.count(f"reversed_{name}"),
        **{f"{q}_seconds": s for (q, _), s in zip(QUANTILES, seconds, strict=True)},
        flow_reason=flow_reason,
        path_conversion_reason=conversion_reason,
        settled_conversion_reason=settled_reason,
        path_from=path_from,
        flow_base=reached[low],
        ratio_count=reached[high],
        path_count=count,
        path_base=base,
        settled_base=settled_base,
    )


def _seconds(micros: Sequence[float | None]) -> tuple[float | None, ...]:
    return tuple(None if m is None else m / 1e6 for m in micros)


@dataclass(frozen=True)
class StageTable(FunnelCounts):
    """The per-stage and per-transition numbers of one population (the result's counts and more)."""

    path_conversion_reason: str | None = None
    path_skipped: tuple[str, ...] = ()
    gain_counts: Mapping[str, int] = field(default_factory=dict)

    def counted_fields(self) -> dict[str, Any]:
        """The fields the result copies as counted (its transitions come graded from the
        diagnosis): ``Result(**table.counted_fields(), ...)``."""
        names = [f.name for f in dataclasses.fields(FunnelCounts) if f.name != "transitions"]
        return {name: getattr(self, name) for name in [*names, *_PATH_FIELDS]}


_PATH_FIELDS = ("path_conversion_reason", "path_skipped")
