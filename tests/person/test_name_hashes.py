"""Event names carried as categories give each row the hash phase 2 finds the name by
(fivea.person.name_hashes; docs/performance.md "Drivers")."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import fivea.person.name_hashes as compiled
from fivea.person.drivers import name_hash


@pytest.mark.parametrize("from_categories", [True, False])  # False: the names present
def test_each_row_gets_its_names_hash(
    monkeypatch: pytest.MonkeyPatch, from_categories: bool
) -> None:
    if not from_categories:
        monkeypatch.setattr(compiled, "_known_categories", lambda names, size: None)
    pl.Series(["other", "values", "first"]).cast(pl.Categorical)  # codes of another column
    names = pl.Series(["visit", "buy", None, "visit", "  spaced ", "buy", "ünïcode"] * 3)
    hashes = compiled.NameHashes.of(names.cast(pl.Categorical))
    expected = pl.select(name_hash(pl.lit(names))).to_series().to_numpy().view(np.int64)
    rows = np.arange(names.len())
    assert hashes[rows].tolist() == expected.tolist()
    picked = np.array([6, 0, 2, 2])
    assert hashes[picked].tolist() == expected[picked].tolist()
