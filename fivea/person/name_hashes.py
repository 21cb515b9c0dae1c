"""Each input row's event-name hash for the drivers' walk, from the names as categories
(docs/performance.md "Drivers").

The scan casts the event names to categories (+0.02 s of CPU at 10M events, where hashing every
row cost +0.08 s) and carries 4 bytes a row instead of 8. When a transition is analysed, each
distinct name is hashed once (``name_hash``, as phase 2 finds it in the event counts) and only
the rows the walk reads are looked up by their code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from fivea.person.drivers import name_hash

_FEW_CATEGORIES = 1 << 16


def _known_categories(names: pl.Series, size: int) -> pl.Series | None:
    """The categories of codes 0..size-2 (other columns' values among them: polars 2 numbers
    every categorical column's values in one table), or None (older polars, or so vast a table
    that hashing the names present is cheaper)."""
    categories = getattr(names.dtype, "categories", None)
    if categories is None or size > max(_FEW_CATEGORIES, names.len()):
        return None
    return categories.to_series().head(size - 1)


@dataclass(frozen=True)
class NameHashes:
    """Each input row's event-name hash (``name_hash``, int64), looked up by its category code."""

    codes: np.ndarray  # by input row (the null code: the table's last entry)
    table: np.ndarray  # int64 hash by code

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        return self.table[self.codes[rows]]

    @classmethod
    def of(cls, names: pl.Series) -> NameHashes:
        codes = names.to_physical()
        top = codes.max()
        size = (int(top) if top is not None else -1) + 2  # the last code: null
        known = _known_categories(names, size)
        if known is not None:
            distinct = known.extend(pl.Series([None] * (size - known.len()), dtype=pl.String))
            at = np.arange(size, dtype=np.int64)
        else:  # older polars, or a vast table of categories: the names present
            present = names.unique()
            distinct = present.cast(pl.String)
            at = present.to_physical().fill_null(size - 1).to_numpy()
        table = np.zeros(size, np.int64)
        table[at] = pl.select(name_hash(pl.lit(distinct))).to_series().to_numpy().view(np.int64)
        return cls(codes.fill_null(size - 1).to_numpy(), table)
