"""fivea/rules/counted.py: occasions (docs/metrics.md "Occasions") and counted hits on small frames."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fivea.config.loader import load_config
from fivea.io.events import EVENT, TIME, USER
from fivea.io.sources import ORDER
from fivea.person.quality import stage_match_counts
from fivea.rules.counted import K, Series, counted_hits, match_rows, occasion_starts, rules_table
from fivea.rules.expressions import compile_rules

MINUTE = 60_000_000
HOUR = 60 * MINUTE


def _events(rows: list[tuple[str, int, str]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            USER: [u for u, _, _ in rows],
            TIME: [t for _, t, _ in rows],
            ORDER: list(range(len(rows))),
            EVENT: [e for _, _, e in rows],
        },
        schema={USER: pl.String, TIME: pl.Int64, ORDER: pl.Int64, EVENT: pl.String},
    )


# a: a tie at 0, 30m continues, 90m is exactly 1h after 30m (a new occasion), 149m59s continues
ROWS = [
    ("a", 0, "purchase"),
    ("a", 0, "purchase"),
    ("a", 30 * MINUTE, "purchase"),
    ("a", 90 * MINUTE, "view"),
    ("a", 90 * MINUTE, "purchase"),
    ("a", 150 * MINUTE - 1, "purchase"),
    ("b", 5 * HOUR, "purchase"),
]


def _starts(gap: int | None) -> pl.DataFrame:
    purchase = Series(pl.col(EVENT) == "purchase", ("purchase",), gap)
    rows = match_rows(_events(ROWS), [purchase], EVENT)
    return occasion_starts(rows, [gap]).collect().sort(USER, TIME, ORDER)


def test_occasions_split_at_the_gap_and_keep_ties_together() -> None:
    starts = _starts(HOUR)
    assert starts.select(USER, TIME, ORDER, K).rows() == [
        ("a", 0, 0, 0),
        ("a", 90 * MINUTE, 4, 1),
        ("b", 5 * HOUR, 6, 0),
    ]


def test_without_gap_every_match_is_an_occasion() -> None:
    assert _starts(None)[K].to_list() == [0, 1, 2, 3, 4, 0]


@pytest.mark.parametrize(("within", "hits"), [(None, 1), (90 * MINUTE, 1), (90 * MINUTE - 1, 0)])
def test_within_compares_occasion_starts_both_ends_inclusive(within: int | None, hits: int) -> None:
    purchase = Series(pl.col(EVENT) == "purchase", None, HOUR)  # through the unpivot
    rows = match_rows(_events(ROWS), [purchase], EVENT)
    table = rules_table([(0, 2, within)], {"rule": pl.Series([7], dtype=pl.UInt32)})
    found = counted_hits(occasion_starts(rows, [HOUR]), table).collect()
    assert found.height == hits
    if hits:
        assert found.row(0, named=True) == {USER: "a", TIME: 90 * MINUTE, ORDER: 4, "rule": 7}


def test_stage_match_counts_see_every_counted_match(tmp_path: Path) -> None:
    """Name lists with and without a bit of the name lookup, and where: rules, all count."""
    rules = [f"{{event: [purchase, e{i}], min_count: 2, gap: 1h}}" for i in range(70)]
    rules.append('{event: view, where: "price > 100", min_count: 2}')
    path = tmp_path / "fivea.yaml"
    lines = ["version: 1", "preset: 5a-default", "stages:", "  advocate:", "    rules:"]
    path.write_text("\n".join([*lines, *(f"      - {r}" for r in rules)]) + "\n")
    loaded = load_config(path)
    compiled = compile_rules(loaded.config, EVENT, ["price"], {"price": pl.Float64})
    assert len(compiled.counted_codes) < len(compiled.counted_names) == 70
    assert not compiled.kernel_fits
    frame = pl.DataFrame(
        {EVENT: ["purchase", "e1", "e69", "view", "view", "other"], "price": [0, 0, 0, 200, 5, 0]},
        schema_overrides={"price": pl.Float64},
    )
    counts = frame.with_columns(**compiled.prelude).select(stage_match_counts(compiled))
    assert counts["advocate"].item() == 4


def test_rules_another_rule_of_the_stage_covers_are_left_out() -> None:
    from fivea.rules.counted import CountedRule, uncovered

    rules = (
        CountedRule(4, "__m0", 3, None, HOUR),
        CountedRule(4, "__m0", 2, None, HOUR),  # covers n >= 2: the one above, and ...
        CountedRule(4, "__m0", 5, 10 * HOUR, HOUR),  # ... this one
        CountedRule(3, "__m0", 2, HOUR, None),  # another stage and gap
        CountedRule(3, "__m0", 2, 2 * HOUR, None),  # the wider window of n = 2 covers it
        CountedRule(3, "__m0", 3, 5 * HOUR, None),  # a larger n: not covered
    )
    assert set(uncovered(rules)) == {
        CountedRule(4, "__m0", 2, None, HOUR),
        CountedRule(3, "__m0", 2, 2 * HOUR, None),
        CountedRule(3, "__m0", 3, 5 * HOUR, None),
    }
