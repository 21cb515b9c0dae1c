"""Phase 2 (SPEC §7): the person table -> stage counts, ratios, flow, path, quantiles.

Reads only the person table (one row per person), never events.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fivea.config import STAGE_KEYS, TRANSITION_NAMES, Config
from fivea.person import Window
from fivea.result import NOT_OBSERVABLE, StageCount, Subfunnel, SubfunnelStep, Transition

QUANTILES = (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))


def safe_ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is zero (never 0 or infinity)."""
    return numerator / denominator if denominator else None


def _quantiles_seconds(deltas: pl.Expr) -> list[pl.Expr]:
    # Hyndman-Fan type 7 on integer µs; polars' default is "nearest" (SPEC §3.3)
    return [(deltas.quantile(q, interpolation="linear") / 1e6).alias(name) for name, q in QUANTILES]


@dataclass(frozen=True)
class StageTable:
    """The per-stage and per-transition numbers of one population."""

    persons: int
    stages: tuple[StageCount, ...]
    transitions: tuple[Transition, ...]
    current: dict[str, int]
    prospects: int
    customers: int
    path_conversion: float | None


def _current_stage(table: pl.DataFrame) -> pl.Series:
    current = pl.lit("none")
    for stage in STAGE_KEYS:
        current = (
            pl.when(pl.col(f"reach_{stage}").is_not_null()).then(pl.lit(stage)).otherwise(current)
        )
    return table.select(current.alias("current")).to_series()


def stage_table(table: pl.DataFrame, config: Config, window: Window) -> StageTable:
    """Counts of one population (everyone, or one segment) from its person rows."""
    persons = table.height
    reach = {s: f"reach_{s}" for s in STAGE_KEYS}
    counts = table.select(
        *[pl.col(c).is_not_null().sum().alias(s) for s, c in reach.items()],
        *[(pl.col("path_level") >= k).sum().alias(f"path{k}") for k in range(1, 6)],
    ).row(0, named=True)
    reached = {s: int(counts[s]) for s in STAGE_KEYS}
    path = [int(counts[f"path{k}"]) for k in range(1, 6)]
    current_series = _current_stage(table)
    current = dict.fromkeys(("none", *STAGE_KEYS), 0)
    for value, n in current_series.value_counts().iter_rows():
        current[value] = int(n)
    w = config.funnel.window
    in_window = table.select(
        ((pl.col("path_level") == k) & ((window.as_of - pl.col("path_start")) < w))
        .sum()
        .alias(f"w{k}")
        for k in range(1, 5)
    ).row(0)
    stages = tuple(
        StageCount(
            key=s,
            label=getattr(config.stages, s).label or s.capitalize(),
            reached=reached[s],
            share_of_aware=safe_ratio(reached[s], reached["aware"]),
            path=path[i],
            current=current[s],
            in_window=int(in_window[i]) if i < 4 else None,
        )
        for i, s in enumerate(STAGE_KEYS)
    )
    transitions = []
    for i, name in enumerate(TRANSITION_NAMES):
        low, high = STAGE_KEYS[i], STAGE_KEYS[i + 1]
        a, b = pl.col(reach[low]), pl.col(reach[high])
        both = a.is_not_null() & b.is_not_null()
        delta = (b - a).filter(both & (b >= a))
        stats = table.select(
            both.sum().alias("both"),
            (both & (b < a)).sum().alias("reversed"),
            delta.len().alias("n"),
            *_quantiles_seconds(delta),
        ).row(0, named=True)
        ratio = safe_ratio(reached[high], reached[low])
        flow = safe_ratio(int(stats["both"]), reached[low])
        settled_base = path[i] - int(in_window[i])
        transitions.append(
            Transition(
                from_stage=low,
                to_stage=high,
                name=name,
                ratio=ratio,
                ratio_reason=None if ratio is not None else NOT_OBSERVABLE,
                flow=flow,
                flow_count=int(stats["both"]),
                dropoff=None if flow is None else 1 - flow,
                path_conversion=safe_ratio(path[i + 1], path[i]),
                settled_conversion=safe_ratio(path[i + 1], settled_base)
                if settled_base > 0
                else None,
                converted=int(stats["n"]),
                reversed=int(stats["reversed"]),
                **{f"{q}_seconds": (None if stats["n"] == 0 else stats[q]) for q, _ in QUANTILES},
            )
        )
    return StageTable(
        persons=persons,
        stages=stages,
        transitions=tuple(transitions),
        current=current,
        prospects=current["aware"] + current["appeal"] + current["ask"],
        customers=current["act"] + current["advocate"],
        path_conversion=safe_ratio(path[4], path[0]),
    )


def subfunnels(table: pl.DataFrame, config: Config) -> tuple[Subfunnel, ...]:
    """Counts, conversion and median step times of every sub-funnel (SPEC §3.5)."""
    out = []
    for name, sub in config.subfunnels.items():
        level = pl.col(f"sub_{name}_level")
        n_steps = len(sub.steps)
        row = table.select(
            *[(level >= k + 1).sum().alias(f"c{k}") for k in range(n_steps)],
            *[
                (pl.col(f"sub_{name}_t{k}") - pl.col(f"sub_{name}_t{k - 1}"))
                .filter(level >= k + 1)
                .quantile(0.5, interpolation="linear")
                .alias(f"m{k}")
                for k in range(1, n_steps)
            ],
        ).row(0, named=True)
        steps = []
        for k, step in enumerate(sub.steps):
            reached = int(row[f"c{k}"])
            previous = int(row[f"c{k - 1}"]) if k else None
            conversion = safe_ratio(reached, previous) if previous is not None else None
            median = row.get(f"m{k}") if k and reached else None
            steps.append(
                SubfunnelStep(
                    name=_step_name(step),
                    reached=reached,
                    conversion=conversion,
                    dropoff=None if conversion is None else 1 - conversion,
                    median_seconds=None if median is None else median / 1e6,
                )
            )
        window = sub.window if sub.window is not None else config.funnel.window
        out.append(
            Subfunnel(
                name=name,
                window_seconds=window / 1e6,
                steps=tuple(steps),
                overall_conversion=safe_ratio(steps[-1].reached, steps[0].reached),
            )
        )
    return tuple(out)


def _step_name(step: object) -> str:
    event = getattr(step, "event", None)
    if event:
        # the first name stands for the step; aliases from other vocabularies are counted
        return event[0] + (f" (+{len(event) - 1})" if len(event) > 1 else "")
    matches = getattr(step, "event_matches", None)
    if matches:
        return f"/{matches}/"
    return getattr(step, "where", None) or "any event"
