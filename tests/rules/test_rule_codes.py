"""The event-name -> rule-code lookup: exact whatever the 64-bit hashes of the names do."""

from __future__ import annotations

import polars as pl
import pytest

from fivea.rules import expressions as rules

EVENTS = ["view", "visit", "purchase", "pay", "vanish", "other", None, "view "]


def _looked_up(codes: dict[str, int]) -> list[int]:
    frame = pl.DataFrame({"event": EVENTS}, schema={"event": pl.String})
    return frame.select(rules._code_lookup(pl.col("event"), codes))["literal"].to_list()


def _hash_by_first_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names sharing a first letter share the lookup's hash (collisions on demand)."""
    real_hash = pl.Expr.hash

    def first_letter(self: pl.Expr, seed: int = 0, *args: object) -> pl.Expr:
        if seed == rules._CODE_SEED:
            return real_hash(self.str.head(1), seed, *args)
        return real_hash(self, seed, *args)

    monkeypatch.setattr(pl.Expr, "hash", first_letter)


def test_every_listed_name_gets_its_code_and_others_zero() -> None:
    codes = {"view": 1, "visit": 2, "purchase": 4 | 8, "pay": 4}
    assert _looked_up(codes) == [codes.get(e, 0) if e else 0 for e in EVENTS]


def test_listed_names_sharing_a_hash_fall_back_to_the_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hash_by_first_letter(monkeypatch)
    codes = {"view": 1, "visit": 2, "purchase": 4 | 8, "pay": 4}  # v* and p* collide
    assert _looked_up(codes) == [1, 2, 12, 4, 0, 0, 0, 0]


def test_an_unlisted_name_sharing_a_listed_hash_gets_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hash_by_first_letter(monkeypatch)
    codes = {"view": 1, "purchase": 4}  # visit, vanish and pay share a listed name's hash
    assert _looked_up(codes) == [1, 0, 4, 0, 0, 0, 0, 0]
