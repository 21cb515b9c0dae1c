"""Text values numbered by their hash (fivea.person.coded_text, kernel_drivers.dense_codes) mean
what the categorical codes of the same text mean (docs/performance.md "Drivers")."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest

from fivea.person import kernel_drivers
from fivea.person.coded_text import CodedText


def _meaning(coded: CodedText) -> list[str | None]:
    """Each row's value as the drivers read it (trimmed; None when empty)."""
    rows = np.arange(coded.codes.shape[0])
    return coded.values(rows).to_list()


@pytest.mark.parametrize("distinct", [3, 5000])  # 5000: the table grows past its first size
def test_text_coded_by_hash_means_what_the_categorical_codes_mean(distinct: int) -> None:
    rng = random.Random(distinct)
    words = [f"v{i}" for i in range(distinct)] + [" v1 ", "", "   ", "\t", None]
    column = pl.Series("plan", [rng.choice(words) for _ in range(20_000)], pl.String)
    by_hash = CodedText.of(column)
    by_category = CodedText.of(column.fill_null("").cast(pl.Categorical))
    assert _meaning(by_hash) == _meaning(by_category)
    expected = [None if v is None or not v.strip() else v.strip() for v in column.to_list()]
    assert _meaning(by_hash) == expected
    # two raw values may trim to one text
    assert set(by_hash.texts.to_list()) == {v for v in expected if v is not None}
    assert by_hash.present().tolist() == [v is not None for v in expected]


def test_dense_codes_number_values_by_first_occurrence() -> None:
    hashes = np.array([7, -3, 7, 2**62, -3, 5, 7], np.int64)
    codes, first = kernel_drivers.dense_codes(hashes)
    assert codes.tolist() == [0, 1, 0, 2, 1, 3, 0]
    assert first.tolist() == [0, 1, 3, 5]
    many = np.arange(10_000, dtype=np.int64) * 1024  # every hash in one slot of the first table
    codes, first = kernel_drivers.dense_codes(np.concatenate([many, many[::-1]]))
    assert codes[:10_000].tolist() == list(range(10_000))
    assert codes[10_000:].tolist() == list(range(9_999, -1, -1))
    assert first.tolist() == list(range(10_000))
