"""Segment breakdowns over the person table (docs/metrics.md#segments): top values, and the
segments that lag or lead.

Phase 2 only: each person's segment value was fixed in phase 1 (first touch by default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from fivea.aggregate.measures import (
    GROUP_KEY,
    PERSONS,
    Aggregates,
    PersonTable,
    population_measures,
    safe_ratio,
)
from fivea.config.loader import STAGE_KEYS, TRANSITION_NAMES
from fivea.result import SegmentBreakdown, SegmentCell, SegmentFinding, SegmentRow
from fivea.stats import benjamini_hochberg, bh_adjusted, normal_cdf, two_proportion_z

TOP = 20
NONE_LABEL = "(none)"
OTHER_LABEL = "(other)"
FDR_Q = 0.05


def segment_label(column: str) -> pl.Expr:
    """The segment value of a person; null and empty values form the "(none)" group."""
    value = pl.col(f"seg_{column}").cast(pl.String).str.strip_chars()
    return pl.when(value.is_null() | (value == "")).then(pl.lit(NONE_LABEL)).otherwise(value)


def _rows(persons: PersonTable, column: str, totals: Aggregates) -> list[dict[str, Any]]:
    """The top values by persons (ties by value) and "(other)" for the rest, listed last."""
    measures = population_measures()
    top = persons.top_groups(segment_label(column), measures, TOP)
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


_TO_STAGE = dict(zip(TRANSITION_NAMES, STAGE_KEYS[1:], strict=True))


def _cells(
    row: dict[str, Any], total: dict[str, int], min_stage: int, seen: Callable[..., bool]
) -> list[tuple[str, int, int, int, int]]:
    """The cells to test for one value: (metric, x, n, rest x, rest n), where both sides
    have at least ``min_stage`` persons at the from-stage and the counts are proportions."""
    cells = []
    pairs = [
        (name, f"both_{name}", f"reached_{STAGE_KEYS[i]}")
        for i, name in enumerate(TRANSITION_NAMES)
    ]
    pairs.append(("par", "reached_act", "reached_aware"))
    for name, hits, base in pairs:
        to = "act" if name == "par" else _TO_STAGE[name]
        if not seen(base.removeprefix("reached_"), to):
            continue  # a stage no rule can see: nothing to test
        x, n = int(row[hits]), int(row[base])
        rest_x, rest_n = total[hits] - x, total[base] - n
        if n < max(min_stage, 1) or rest_n < max(min_stage, 1):
            continue  # too few persons at the from-stage on one side: not tested
        if x > n or rest_x > rest_n:
            continue  # PAR above 1 (Aware is not every event): not a proportion
        cells.append((name, x, n, rest_x, rest_n))
    return cells


def _clause(cell: SegmentCell) -> str:
    """ "fewer reach Act, commitment 57% vs 63% for the rest" or "more buyers, PAR 0.078 vs 0.050"."""
    more = "more" if cell.direction == "leading" else "fewer"
    if cell.transition == "par":
        return f"{more} buyers, {_par_text(cell)}"
    to = _TO_STAGE[cell.transition].title()
    return (
        f"{more} reach {to}, {cell.transition} {cell.flow:.0%} vs {cell.rest_flow:.0%} for the rest"
    )


def _par_text(cell: SegmentCell) -> str:
    return f"PAR {cell.flow:.3f} vs {cell.rest_flow:.3f}"


def breakdown(
    persons: PersonTable,
    column: str,
    totals: Aggregates,
    min_stage: int,
    attribution: str,
    measured: Mapping[str, bool] | None = None,
) -> SegmentBreakdown:
    """The stage table per segment value and its significant cells (docs/metrics.md#segments).

    One two-sided pooled z-test per cell (value x transition flow, and value x PAR), each
    against everyone outside the value; one Benjamini-Hochberg correction over every cell of
    the column; a significant cell lags (z < 0) or leads (z > 0). ``totals`` holds the
    ``population_measures`` of all persons; ``measured`` says which stages the run measured (a
    ratio, flow, PAR or BAR touching another is null, never tested).
    """
    measured = measured or dict.fromkeys(STAGE_KEYS, True)

    def seen(*stages: str) -> bool:
        return all(measured[s] for s in stages)

    total = {m.name: totals.count(m.name) for m in population_measures()}
    rows = sorted(
        _rows(persons, column, totals),
        key=lambda r: (r["__segment"] == OTHER_LABEL, -r["persons"], r["__segment"]),
    )
    tested: list[tuple[int, str, int, float, float, float, float]] = []
    for index, row in enumerate(rows):
        for name, x, n, rest_x, rest_n in _cells(row, total, min_stage, seen):
            z = two_proportion_z(x, n, rest_x, rest_n)
            if z is None:
                continue  # pooled standard error 0: everyone alike, nothing to test
            p = min(1.0, 2 * normal_cdf(-abs(z)))
            tested.append((index, name, n, x / n, rest_x / rest_n, z, p))
    p_values = [t[6] for t in tested]
    rejected = benjamini_hochberg(p_values, FDR_Q)
    cells: dict[int, list[SegmentCell]] = {}
    for (index, name, n, flow, rest, z, p), q, significant in zip(
        tested, bh_adjusted(p_values), rejected, strict=True
    ):
        direction = "same" if not significant else ("lagging" if z < 0 else "leading")
        cells.setdefault(index, []).append(SegmentCell(name, n, flow, rest, z, p, q, direction))
    out = []
    for index, row in enumerate(rows):
        reached = {s: int(row[f"reached_{s}"]) for s in STAGE_KEYS}
        mine = cells.get(index, [])
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
                lagging=tuple(c for c in mine if c.direction == "lagging"),
                leading=tuple(c for c in mine if c.direction == "leading"),
            )
        )
    return SegmentBreakdown(
        column=column,
        attribution=attribution,
        rows=tuple(out),
        tests_run=len(tested),
        findings=_findings(out),
    )


def _findings(rows: list[SegmentRow]) -> tuple[SegmentFinding, ...]:
    """One line per value with a significant cell: its lagging cells, then ", but" and its
    leading ones ("samsung: fewer reach Appeal, ..., but more buyers, PAR 0.078 vs 0.050").
    Lagging values first, by lost conversions (persons x (rest - flow)), then leading ones by
    won conversions, ties by value."""
    lagging, leading = [], []
    for row in rows:
        if not (row.lagging or row.leading):
            continue
        text = f"{row.value}: " + "; ".join(_clause(c) for c in row.lagging or row.leading)
        if row.lagging and row.leading:
            text += ", but " + "; ".join(_clause(c) for c in row.leading)
        if row.lagging:
            lost = max(c.persons * (c.rest_flow - c.flow) for c in row.lagging)
            lagging.append((-lost, row.value, SegmentFinding(row.value, "lagging", text)))
        else:
            won = max(c.persons * (c.flow - c.rest_flow) for c in row.leading)
            leading.append((-won, row.value, SegmentFinding(row.value, "leading", text)))
    return tuple(f for *_, f in sorted(lagging) + sorted(leading))
