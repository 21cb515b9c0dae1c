"""Phase 2 on Spark: the person table stays in Spark, only aggregates come back.

``fivea.aggregate.measures`` defines every number as a ``Measure`` (a polars expression per person and how
persons combine). ``SparkPersons`` evaluates those same expressions on every partition of the
person table (``mapInArrow``, polars inside) and combines them with Spark SQL:

- ``count`` -> ``count_if``, ``min`` / ``max`` -> ``min`` / ``max``;
- ``quantiles`` -> ``percentile``: exact, with linear interpolation at h = q·(n−1) (Hyndman–Fan
  type 7, docs/metrics.md#stage-counts-per-analysis-window), computed in Spark 4 as x[⌊h⌋] + (h − ⌊h⌋)·(x[⌈h⌉] − x[⌊h⌋]), the same
  floating-point steps as polars' ``quantile(interpolation="linear")`` over the same values
  (``tests/spark/test_quantiles.py`` checks that bit for bit, ties, even and odd counts);
- ``top_groups`` -> ``groupBy`` + ``count_if``, then the largest groups by ``orderBy`` +
  ``limit`` (Spark's take-ordered: only ``limit`` rows reach the driver).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from fivea.aggregate.measures import GROUP_KEY, Aggregates, Measure
from fivea.engines.spark.io import collect_arrow, quoted, to_polars

_SPARK_TYPE = {"count": "boolean", "min": "bigint", "max": "bigint", "quantiles": "bigint"}


def _measured(columns: list[tuple[str, pl.Expr, str]], batches: Iterator) -> Iterator:
    """Per person (on an executor): each measure's expression, typed for Spark."""
    frame = to_polars(batches)
    if frame is None:
        return
    dtypes = {"boolean": pl.Boolean, "bigint": pl.Int64, "string": pl.String}
    out = frame.select(expr.cast(dtypes[kind]).alias(name) for name, expr, kind in columns)
    yield from out.to_arrow().to_batches()


@dataclass
class SparkPersons:
    """A person table held by Spark (persisted by the runner): ``fivea.aggregate.measures.PersonTable``."""

    frame: Any  # Spark DataFrame, one row per person, the columns of ``fivea.person.table``

    def _measure(self, columns: list[tuple[str, pl.Expr, str]]) -> Any:
        ddl = ", ".join(f"{quoted(name)} {kind}" for name, _, kind in columns)
        return self.frame.mapInArrow(functools.partial(_measured, columns), ddl)

    def aggregate(self, measures: Sequence[Measure]) -> Aggregates:
        """One Spark job: the measures per person, combined by ``agg``."""
        from pyspark.sql import functions as F

        columns = [(m.name, m.expr, _SPARK_TYPE[m.how]) for m in measures]
        combined = []
        for m in measures:
            column = F.col(quoted(m.name))
            if m.how == "count":
                combined.append(F.count_if(column).alias(m.name))
            elif m.how == "min":
                combined.append(F.min(column).alias(m.name))
            elif m.how == "max":
                combined.append(F.max(column).alias(m.name))
            else:
                combined.append(F.percentile(column, list(m.levels)).alias(m.name))
        row = self._measure(columns).agg(*combined).collect()[0].asDict()
        values: dict[str, Any] = {}
        for m in measures:
            value = row[m.name]
            if m.how == "quantiles":
                value = tuple(value) if value is not None else (None,) * len(m.levels)
            values[m.name] = value
        return Aggregates(values)

    def top_groups(self, key: pl.Expr, measures: Sequence[Measure], limit: int) -> pl.DataFrame:
        """Counts per key value in Spark; the driver receives the ``limit`` largest groups."""
        from pyspark.sql import functions as F

        columns = [(GROUP_KEY, key, "string")]
        columns += [(m.name, m.expr, "boolean") for m in measures]
        grouped = (
            self._measure(columns)
            .groupBy(GROUP_KEY)
            .agg(*[F.count_if(F.col(quoted(m.name))).alias(m.name) for m in measures])
        )
        first = measures[0].name
        top = grouped.orderBy(F.col(quoted(first)).desc(), F.col(GROUP_KEY).asc()).limit(limit)
        return collect_arrow(top)
