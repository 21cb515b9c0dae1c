"""Text columns of the kernel input as categorical codes (docs/performance.md "Drivers").

The segment columns and the drivers' text properties reach the compiled kernel as categorical
codes of the raw text: 4 bytes a row instead of a string view. What a value means is decided
once per distinct value, not per row: trimmed, and empty when blank (docs/metrics.md#segments).
A person's value is then a lookup in a small table, not a gather from a chunked string column
(10M events: about 0.1 s per column and part) or a white-space test on every row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl


def raw_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A property as categorical codes of its text (NaN as null), not yet trimmed."""
    value = pl.col(column)
    if dtype.is_float():
        value = value.fill_nan(None)
    return (value if dtype == pl.String else value.cast(pl.String)).cast(pl.Categorical)


@dataclass(frozen=True)
class CodedText:
    """Each input row's index into ``texts`` (-1: empty), and the distinct non-empty values,
    trimmed (two codes may trim to one text)."""

    index: np.ndarray  # int32, by input row
    texts: pl.Series

    @classmethod
    def of(cls, column: pl.Series) -> CodedText:
        """From a categorical column, in two compiled passes over its codes (a polars
        ``unique`` and an Int64 copy of the codes cost 0.3 s a column at 10M events)."""
        from fivea.person import kernel_drivers

        codes = column.to_physical().cast(pl.UInt32).fill_null(kernel_drivers.NO_CODE)
        codes_np = codes.to_numpy()
        first = kernel_drivers.first_rows(codes_np)
        occurring = np.flatnonzero(first >= 0)
        trimmed = column.gather(first[occurring]).cast(pl.String).str.strip_chars()
        nonblank = (trimmed.str.len_bytes() > 0).to_numpy()
        index = np.full(max(first.shape[0], 1), -1, np.int32)
        index[occurring[nonblank]] = np.arange(int(nonblank.sum()), dtype=np.int32)
        return cls(kernel_drivers.recode(codes_np, index), trimmed.filter(pl.Series(nonblank)))

    def present(self) -> np.ndarray:
        """Whether each input row holds a non-empty value."""
        return self.index >= 0

    def values(self, rows: np.ndarray) -> pl.Series:
        """The text of each of ``rows`` (input rows; -1 or an empty value: null)."""
        at = pl.Series(np.where(rows >= 0, self.index[rows], -1))
        return self.texts.gather(pl.select(pl.when(at >= 0).then(at)).to_series())
