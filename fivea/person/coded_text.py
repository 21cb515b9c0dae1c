"""Text columns of the kernel input as categorical codes (docs/performance.md "Drivers").

The segment columns and the drivers' text properties reach the compiled kernel as categorical
codes of the raw text, cast in the scan (no measurable cost with polars 2): 4 bytes a row
instead of a string view. What a value means is decided once per distinct value, not per row:
trimmed, and empty when blank (docs/metrics.md#segments).
A person's value is then a lookup in a small table, not a gather from a chunked string column
(10M events: about 0.1 s per column and part) or a white-space test on every row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

VALUE = "value"


def raw_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A property as categorical codes of its text, not yet trimmed; null (and NaN) as the
    empty text, so the codes copy to numpy without a null mask."""
    value = pl.col(column)
    if dtype.is_float():
        value = value.fill_nan(None)
    text = value if dtype == pl.String else value.cast(pl.String)
    return text.fill_null("").cast(pl.Categorical)


@dataclass(frozen=True)
class CodedText:
    """Each input row's categorical code, what each code means (``table``: an index into
    ``texts``, -1 for an empty value) and the distinct non-empty values, trimmed (two codes
    may trim to one text). Fresh memory costs about 1 s per GB to map on the benchmark
    machine, so nothing per row is allocated but the codes."""

    codes: np.ndarray  # by input row
    table: np.ndarray  # int32, by code
    texts: pl.Series

    @classmethod
    def of(cls, column: pl.Series) -> CodedText:
        """From a categorical column (``raw_text``; text is cast first): one pass over its
        codes, then one string per distinct code."""
        from fivea.person import kernel_drivers

        if column.dtype != pl.Categorical:
            column = column.fill_null("").cast(pl.Categorical)
        physical = column.to_physical()
        top = physical.max()
        size = (int(top) if top is not None else -1) + 2  # the last code: null, if any
        codes = physical.fill_null(size - 1).to_numpy() if physical.has_nulls() else None
        codes = physical.to_numpy() if codes is None else codes
        first = kernel_drivers.first_rows(codes, size)
        occurring = np.flatnonzero(first[: size - 1] >= 0)
        trimmed = column.gather(first[occurring]).cast(pl.String).str.strip_chars()
        nonblank = (trimmed.str.len_bytes() > 0).to_numpy()
        table = np.full(size, -1, np.int32)
        table[occurring[nonblank]] = np.arange(int(nonblank.sum()), dtype=np.int32)
        return cls(codes, table, trimmed.filter(pl.Series(nonblank)).alias(VALUE))

    def present(self) -> np.ndarray:
        """Whether each input row holds a non-empty value."""
        return (self.table >= 0)[self.codes]

    def values(self, rows: np.ndarray, categorical: bool = False) -> pl.Series:
        """The text of each of ``rows`` (input rows; -1 or an empty value: null), as
        categories with ``categorical`` (gathered as such: no text is hashed a row)."""
        at = pl.Series(np.where(rows >= 0, self.table[self.codes[rows]], -1))
        texts = self.texts.cast(pl.Categorical) if categorical else self.texts
        return texts.gather(pl.select(pl.when(at >= 0).then(at)).to_series())
