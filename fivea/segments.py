"""Segment breakdowns over the person table (SPEC §3.6, §4.5): top values, lagging segments.

Phase 2 only: each person's segment value was fixed in phase 1 (first touch by default).
"""

from __future__ import annotations

import polars as pl

from fivea.aggregate import safe_ratio
from fivea.config import STAGE_KEYS, TRANSITION_NAMES
from fivea.result import SegmentBreakdown, SegmentLag, SegmentRow
from fivea.stats import benjamini_hochberg, normal_cdf, two_proportion_z

TOP = 20
NONE_LABEL = "(none)"
OTHER_LABEL = "(other)"
FDR_Q = 0.05


def _counts(table: pl.DataFrame, key: str) -> pl.DataFrame:
    reach = [pl.col(f"reach_{s}").is_not_null() for s in STAGE_KEYS]
    return table.group_by(key).agg(
        pl.len().alias("persons"),
        *[r.sum().alias(s) for r, s in zip(reach, STAGE_KEYS, strict=True)],
        *[
            (reach[i] & reach[i + 1]).sum().alias(f"both_{name}")
            for i, name in enumerate(TRANSITION_NAMES)
        ],
    )


def _label(table: pl.DataFrame, column: str) -> pl.DataFrame:
    value = pl.col(f"seg_{column}").cast(pl.String).str.strip_chars()
    labelled = table.with_columns(
        pl.when(value.is_null() | (value == ""))
        .then(pl.lit(NONE_LABEL))
        .otherwise(value)
        .alias("__segment")
    )
    sizes = (
        labelled.group_by("__segment").len().sort(["len", "__segment"], descending=[True, False])
    )
    top = set(sizes["__segment"].head(TOP).to_list())
    return labelled.with_columns(
        pl.when(pl.col("__segment").is_in(list(top)))
        .then(pl.col("__segment"))
        .otherwise(pl.lit(OTHER_LABEL))
        .alias("__segment")
    )


def breakdown(
    table: pl.DataFrame, column: str, min_stage: int, attribution: str
) -> SegmentBreakdown:
    """The stage table per segment value and the lag tests (two-proportion z, BH at q=0.05)."""
    labelled = _label(table, column)
    counts = _counts(labelled, "__segment")
    total = counts.select(pl.exclude("__segment").sum()).row(0, named=True)
    rows = sorted(
        counts.iter_rows(named=True),
        key=lambda r: (r["__segment"] == OTHER_LABEL, -r["persons"], r["__segment"]),
    )
    tests: list[tuple[int, str, float, float, float, float]] = []
    for index, row in enumerate(rows):
        for i, name in enumerate(TRANSITION_NAMES):
            n_seg = row[STAGE_KEYS[i]]
            n_rest = total[STAGE_KEYS[i]] - n_seg
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
        reached = {s: int(row[s]) for s in STAGE_KEYS}
        out.append(
            SegmentRow(
                value=str(row["__segment"]),
                persons=int(row["persons"]),
                reached=reached,
                ratios={
                    name: safe_ratio(reached[STAGE_KEYS[i + 1]], reached[STAGE_KEYS[i]])
                    for i, name in enumerate(TRANSITION_NAMES)
                },
                flows={
                    name: safe_ratio(int(row[f"both_{name}"]), reached[STAGE_KEYS[i]])
                    for i, name in enumerate(TRANSITION_NAMES)
                },
                par=safe_ratio(reached["act"], reached["aware"]),
                bar=safe_ratio(reached["advocate"], reached["aware"]),
                lagging=tuple(lags.get(index, ())),
            )
        )
    return SegmentBreakdown(
        column=column, attribution=attribution, rows=tuple(out), tests_run=len(tests)
    )
