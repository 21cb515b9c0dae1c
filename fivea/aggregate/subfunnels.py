"""Sub-funnels in phase 2 (docs/metrics.md "Sub-funnels"): persons per step, conversion and the
median time per step, from the person table's per-person step levels and times."""

from __future__ import annotations

import polars as pl

from fivea.aggregate.measures import Aggregates, Measure, safe_ratio
from fivea.config.loader import Config
from fivea.result import Subfunnel, SubfunnelStep


def subfunnel_measures(config: Config) -> list[Measure]:
    """Persons per step and the median time per step of every sub-funnel (docs/metrics.md#sub-funnels)."""
    measures = []
    for index, (name, sub) in enumerate(config.subfunnels.items()):
        level = pl.col(f"sub_{name}_level")
        measures += [Measure(f"sub{index}_c{k}", level >= k + 1) for k in range(len(sub.steps))]
        measures += [
            Measure(
                f"sub{index}_m{k}",
                pl.when(level >= k + 1).then(
                    pl.col(f"sub_{name}_t{k}") - pl.col(f"sub_{name}_t{k - 1}")
                ),
                "quantiles",
                (0.5,),
            )
            for k in range(1, len(sub.steps))
        ]
    return measures


def subfunnels(values: Aggregates, config: Config) -> tuple[Subfunnel, ...]:
    """Counts, conversion and median step times of every sub-funnel from its measures."""
    out = []
    for index, (name, sub) in enumerate(config.subfunnels.items()):
        steps = []
        for k, step in enumerate(sub.steps):
            reached = values.count(f"sub{index}_c{k}")
            previous = values.count(f"sub{index}_c{k - 1}") if k else None
            conversion = safe_ratio(reached, previous) if previous is not None else None
            median = values[f"sub{index}_m{k}"][0] if k and reached else None
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
