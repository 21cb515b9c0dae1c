"""Segment breakdowns over the person table (SPEC §3.6, §4.5): top values, lagging segments.

Phase 2 only: each person's segment value was fixed in phase 1 (first touch by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from fivea.aggregate import (
    GROUP_KEY,
    PERSONS,
    Aggregates,
    PersonTable,
    population_measures,
    safe_ratio,
)
from fivea.config import STAGE_KEYS, TRANSITION_NAMES
from fivea.result import SegmentBreakdown, SegmentLag, SegmentRow
from fivea.stats import benjamini_hochberg, normal_cdf, two_proportion_z

TOP = 20
NONE_LABEL = "(none)"
OTHER_LABEL = "(other)"
FDR_Q = 0.05


def _label(column: str) -> pl.Expr:
    """The segment value of a person; null and empty values form the "(none)" group."""
    value = pl.col(f"seg_{column}").cast(pl.String).str.strip_chars()
    return pl.when(value.is_null() | (value == "")).then(pl.lit(NONE_LABEL)).otherwise(value)


def _rows(persons: PersonTable, column: str, totals: Aggregates) -> list[dict[str, Any]]:
    """The top values by persons (ties by value) and "(other)" for the rest, listed last."""
    measures = population_measures()
    top = persons.top_groups(_label(column), measures, TOP)
    rows = [
        {"__segment": row[GROUP_KEY], **{m.name: int(row[m.name]) for m in measures}}
        for row in top.iter_rows(named=True)
        if row[GROUP_KEY] != OTHER_LABEL  # a value spelled "(other)" joins the rest
    ]
    # every other value together: the totals minus the top groups (counts add up)
    other = {m.name: totals.count(m.name) - sum(r[m.name] for r in rows) for m in measures}
    if other[PERSONS.name]:
        rows.append({"__segment": OTHER_LABEL, **other})
    return rows


def breakdown(
    persons: PersonTable,
    column: str,
    totals: Aggregates,
    min_stage: int,
    attribution: str,
    measured: Mapping[str, bool] | None = None,
) -> SegmentBreakdown:
    """The stage table per segment value and the lag tests (two-proportion z, BH at q=0.05).

    ``totals`` holds the ``population_measures`` of all persons; ``measured`` says which stages
    the run measured (a ratio, flow, PAR or BAR touching another is null, never tested).
    """
    measured = measured or dict.fromkeys(STAGE_KEYS, True)

    def seen(*stages: str) -> bool:
        return all(measured[s] for s in stages)

    total = {m.name: totals.count(m.name) for m in population_measures()}
    rows = sorted(
        _rows(persons, column, totals),
        key=lambda r: (r["__segment"] == OTHER_LABEL, -r["persons"], r["__segment"]),
    )
    tests: list[tuple[int, str, float, float, float, float]] = []
    for index, row in enumerate(rows):
        for i, name in enumerate(TRANSITION_NAMES):
            if not seen(STAGE_KEYS[i], STAGE_KEYS[i + 1]):
                continue
            n_seg = row[f"reached_{STAGE_KEYS[i]}"]
            n_rest = total[f"reached_{STAGE_KEYS[i]}"] - n_seg
            if n_seg < max(min_stage, 1) or n_rest < max(min_stage, 1):
                continue  # too few persons at stage k on one side: not tested
            x_seg = row[f"both_{name}"]
            x_rest = total[f"both_{name}"] - x_seg
            z = two_proportion_z(x_seg, n_seg, x_rest, n_rest)
            if z is None:
                continue
            tests.append((index, name, x_seg / n_seg, x_rest / n_rest, z, normal_cdf(z)))
    rejected = benjamini_hochberg([t[5] for t in tests], FDR_Q) if tests else []
    lags: dict[int, list[SegmentLag]] = {}
    for test, is_lagging in zip(tests, rejected, strict=True):
        index, name, flow, rest, z, p = test
        if is_lagging and flow < rest:
            lags.setdefault(index, []).append(SegmentLag(name, flow, rest, z, p))
    out = []
    for index, row in enumerate(rows):
        reached = {s: int(row[f"reached_{s}"]) for s in STAGE_KEYS}
        out.append(
            SegmentRow(
                value=str(row["__segment"]),
                persons=int(row["persons"]),
                reached=reached,
                ratios={
                    name: safe_ratio(reached[STAGE_KEYS[i + 1]], reached[STAGE_KEYS[i]])
                    if seen(STAGE_KEYS[i], STAGE_KEYS[i + 1])
                    else None
                    for i, name in enumerate(TRANSITION_NAMES)
                },
                flows={
                    name: safe_ratio(int(row[f"both_{name}"]), reached[STAGE_KEYS[i]])
                    if seen(STAGE_KEYS[i], STAGE_KEYS[i + 1])
                    else None
                    for i, name in enumerate(TRANSITION_NAMES)
                },
                par=safe_ratio(reached["act"], reached["aware"]) if seen("aware", "act") else None,
                bar=safe_ratio(reached["advocate"], reached["aware"])
                if seen("aware", "advocate")
                else None,
                lagging=tuple(lags.get(index, ())),
            )
        )
    return SegmentBreakdown(
        column=column, attribution=attribution, rows=tuple(out), tests_run=len(tests)
    )
