"""Spark's exact ``percentile`` equals polars' linear quantile (docs/metrics.md#stage-counts-per-analysis-window) bit for bit."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

from fivea.aggregate.measures import QUANTILES, FramePersons, Measure

LEVELS = tuple(q for _, q in QUANTILES)


def _type7(values: list[int], q: float) -> float:
    """docs/metrics.md#stage-counts-per-analysis-window by hand: h = q·(n−1), x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])."""
    x = sorted(values)
    h = q * (len(x) - 1)
    low = math.floor(h)
    if low + 1 >= len(x):
        return float(x[low])
    return x[low] + (h - low) * (x[low + 1] - x[low])


def _cases() -> list[list[int]]:
    rng = random.Random(20261201)
    cases = [
        [7],  # n = 1
        [1, 2],  # even
        [1, 2, 3],  # odd
        [5, 5, 5, 5],  # all tied
        [0, 0, 1, 1, 1, 9],  # ties at the interpolation points
        [3, 1, 2, 3, 1, 2, 3],  # unsorted with ties
        # positions whose fraction is not a binary fraction (0.9·(n−1)), big µs values: the
        # two usual interpolation formulas differ in the last bit here
        [0] * 84 + [351894601449] + [407332966037] * 10,
        [0] * 131 + [723644473564] + [809148426915] * 15,
    ]
    for _ in range(400):
        n = rng.randint(1, 80)
        kind = rng.random()
        if kind < 0.3:
            values = [rng.randint(0, 5) for _ in range(n)]  # heavy ties
        elif kind < 0.6:
            values = [rng.randint(0, 10**12) for _ in range(n)]
        else:
            values = [
                86_400_000_000 * rng.randint(0, 40) + rng.randint(0, 999_999) for _ in range(n)
            ]
        cases.append(values)
    return cases


def test_percentile_equals_polars_linear_quantile(spark) -> None:
    from pyspark.sql import functions as F

    cases = _cases()
    rows = [(g, v) for g, values in enumerate(cases) for v in values]
    got = {
        r["g"]: r["p"]
        for r in spark.createDataFrame(rows, "g int, v bigint")
        .groupBy("g")
        .agg(F.percentile("v", list(LEVELS)).alias("p"))
        .collect()
    }
    for g, values in enumerate(cases):
        series = pl.Series(values, dtype=pl.Int64)
        expected = [series.quantile(q, interpolation="linear") for q in LEVELS]
        assert list(got[g]) == expected, (g, values)
        # and both are the definition of docs/metrics.md#stage-counts-per-analysis-window (up to the last bit of the interpolation)
        assert expected == pytest.approx([_type7(values, q) for q in LEVELS], rel=1e-15)


@pytest.mark.parametrize(
    "values",
    [
        [None, None],  # no value: null
        [None, 4, None],  # n = 1
        [10, None, 2, 7, 2],  # even count without the nulls
        [3, 1, 4, 1, 5, None, 9, 2, 6, 5, 3],  # odd with ties
        [0] * 84 + [351894601449] + [407332966037] * 10 + [None] * 7,
    ],
)
def test_spark_person_table_quantiles_equal_the_local_ones(spark, values) -> None:
    """Through both ``PersonTable`` implementations, nulls left out (docs/metrics.md#stage-counts-per-analysis-window)."""
    from fivea.engines.spark.persons import SparkPersons

    frame = pl.DataFrame(
        {"d": values, "first_time": [0] * len(values)}, schema_overrides={"d": pl.Int64}
    )
    measures = [
        Measure("persons", pl.col("first_time").is_not_null()),
        Measure("q", pl.col("d"), "quantiles", LEVELS),
        Measure("lo", pl.col("d"), "min"),
        Measure("hi", pl.col("d"), "max"),
    ]
    local = FramePersons(frame).aggregate(measures)
    on_spark = SparkPersons(spark.createDataFrame(frame.to_arrow())).aggregate(measures)
    assert dict(on_spark.values) == dict(local.values)
    non_null = [v for v in values if v is not None]
    if non_null:
        assert local["q"] == tuple(pl.Series(non_null).quantile(q, "linear") for q in LEVELS)
    else:
        assert local["q"] == (None,) * len(LEVELS)
