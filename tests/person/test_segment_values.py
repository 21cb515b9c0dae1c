"""A person's segment value is their first non-empty one (docs/metrics.md#segments).

Checked against a plain-Python reference on generated logs, on the polars plan and on the
compiled kernel, for first and last touch: empty means null, NaN or blank after trimming;
order is (time, input order) over every event of the person.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fivea

NONE = "(none)"
TEXT = st.sampled_from([None, "", "  ", "email", " email ", "social", "(none)"])
SCORE = st.sampled_from([None, math.nan, 1.5, 2.0])
ROW = st.tuples(st.integers(0, 4), st.integers(0, 3), TEXT, SCORE)  # person, minute, channel, score


def _empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return str(value).strip() == ""


def _reference(
    rows: list[tuple[int, int, str | None, float | None]], index: int, last: bool
) -> Counter:
    """Persons per segment value: each person's first (last) non-empty value, else "(none)"."""
    by_person: dict[int, list[tuple[int, int, object]]] = {}
    for order, row in enumerate(rows):
        by_person.setdefault(row[0], []).append((row[1], order, row[index]))
    counts: Counter = Counter()
    for events in by_person.values():
        events.sort(key=lambda e: (e[0], e[1]))
        if last:
            events.reverse()
        value = next((v for _, _, v in events if not _empty(v)), None)
        if value is None:
            counts[NONE] += 1
        elif isinstance(value, float):
            counts[str(value)] += 1
        else:
            counts[str(value).strip()] += 1
    return counts


def _log(rows: list[tuple[int, int, str | None, float | None]], path: Path) -> Path:
    frame = pl.DataFrame(
        {
            "user_id": [f"u{r[0]}" for r in rows],
            "event": ["page_view"] * len(rows),
            "timestamp": [f"2025-01-01T00:{r[1]:02d}:00" for r in rows],
            "channel": [r[2] for r in rows],
            "score": [r[3] for r in rows],
        },
        schema_overrides={"channel": pl.String, "score": pl.Float64},
    )
    frame.write_parquet(path)
    return path


@pytest.mark.parametrize("kernel", ["polars", "compiled"])
@pytest.mark.parametrize("last", [False, True])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(ROW, min_size=1, max_size=25))
def test_first_non_empty_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel: str, last: bool, rows: list
) -> None:
    monkeypatch.setenv("FIVEA_KERNEL", kernel)
    config = {"preset": "5a-default", "version": 1}
    if last:
        config["segment_attribution"] = "last"
    result = fivea.diagnose(
        _log(rows, tmp_path / "log.parquet"), config, segments=["channel", "score"]
    )
    got = {b.column: Counter({r.value: r.persons for r in b.rows}) for b in result.segments}
    assert got["channel"] == _reference(rows, 2, last)
    assert got["score"] == _reference(rows, 3, last)


def test_a_lead_log_whose_first_row_is_the_bare_contact(tmp_path: Path) -> None:
    """Olist-shaped: the contact row has no business segment; the lead row that follows has it."""
    rows = []
    for i in range(40):
        rows.append((i, 0, None, None))  # the bare contact
        rows.append((i, 1, "retail" if i % 2 else "services", None))
    result = fivea.diagnose(_log(rows, tmp_path / "leads.parquet"), None, segments=["channel"])
    counts = {r.value: r.persons for r in result.segments[0].rows}
    assert counts == {"retail": 20, "services": 20}
