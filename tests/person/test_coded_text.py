"""Text columns as categorical codes (fivea.person.coded_text) mean their trimmed values, blank
ones as none, whether cast in the scan (``raw_text``) or given as text (docs/performance.md
"Drivers")."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest

from fivea.person.coded_text import CodedText, raw_text


def _meaning(coded: CodedText) -> list[str | None]:
    """Each row's value as the drivers read it (trimmed; None when empty)."""
    rows = np.arange(coded.codes.shape[0])
    return coded.values(rows).to_list()


@pytest.mark.parametrize("distinct", [3, 5000])
def test_coded_text_means_the_trimmed_non_blank_values(distinct: int) -> None:
    rng = random.Random(distinct)
    words = [f"v{i}" for i in range(distinct)] + [" v1 ", "", "   ", "\t", None]
    column = pl.Series("plan", [rng.choice(words) for _ in range(20_000)], pl.String)
    from_text = CodedText.of(column)
    in_scan = CodedText.of(column.to_frame().select(raw_text("plan", pl.String)).to_series())
    expected = [None if v is None or not v.strip() else v.strip() for v in column.to_list()]
    assert _meaning(from_text) == expected
    assert _meaning(in_scan) == expected
    # two raw values may trim to one text
    assert set(from_text.texts.to_list()) == {v for v in expected if v is not None}
    assert from_text.present().tolist() == [v is not None for v in expected]
    assert in_scan.present().tolist() == [v is not None for v in expected]
