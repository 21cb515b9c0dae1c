"""Fuzzing the entry points: whatever the bytes, the loaders succeed or raise FiveaError.

Anything else (a polars panic, a KeyError, a TypeError) would reach users as exit 3.
The default runs stay within seconds in CI; the ``slow`` variants run thousands of examples.
"""

from __future__ import annotations

import contextlib
import json
import string
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fivea.api import diagnose
from fivea.config.loader import load_config
from fivea.errors import FiveaError
from fivea.rules.where import parse_where

DEFAULT = load_config(None, None)
FAST = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SLOW = settings(
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# --- raw CSV bytes -------------------------------------------------------------------------------

CELL = st.one_of(
    st.text(alphabet=string.printable, max_size=12),
    st.sampled_from(
        [
            "",
            "u1",
            "007",
            "2024-05-01",
            "2024-05-01T12:00:00Z",
            "1714564800",
            "1714564800000",
            "2019-02-30",
            "page_view",
            "purchase",
            "NaN",
            "-1e308",
            '"quoted, cell"',
            "é",
            "\ufeff",
            "\x00",
            "9" * 25,
        ]
    ),
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    """CSV-shaped bytes: a plausible header, ragged rows, odd cells, odd line endings."""
    if draw(st.integers(0, 4)):  # mostly a readable header, so the deeper paths get exercised
        header = draw(st.permutations(["user_id", "event", "timestamp"]))
        header += draw(
            st.lists(
                st.sampled_from(["revenue", "channel", "x", "__row", "__order", "__user"]),
                unique=True,
                max_size=2,
            )
        )
    else:
        header = draw(
            st.lists(
                st.sampled_from(
                    [
                        "user_id",
                        "event",
                        "timestamp",
                        "ts",
                        "user",
                        "event_name",
                        "revenue",
                        "x",
                        "",
                    ]
                ),
                min_size=1,
                max_size=5,
            )
        )
    good = st.tuples(
        st.sampled_from(["u1", "u2", "007", "7", ""]),
        st.sampled_from(["page_view", "product_view", "purchase", "search", ""]),
        st.sampled_from(
            [
                "2024-05-01T12:00:00Z",
                "2024-05-01",
                "1714564800",
                "2024-05-01 12:00:00 UTC",
                "2019-02-30",
                "x",
                # epoch magnitudes mixed in one column, and times <= 0
                "1714564800000",
                "1714564800000000",
                "0",
                "-5",
            ]
        ),
    )
    rows = draw(st.lists(st.one_of(good.map(list), st.lists(CELL, max_size=6)), max_size=10))
    sep = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    lines = [sep.join(header), *(sep.join(r) for r in rows)]
    if draw(st.booleans()):  # one line end for the file
        eol = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
        text = eol.join(lines)
    else:  # mixed line ends, row by row (old Mac exports, concatenated files)
        ends = draw(
            st.lists(
                st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines)
            )
        )
        text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


def _diagnose_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"events{suffix}"
        path.write_bytes(data)
        with contextlib.suppress(FiveaError):
            diagnose([str(path)], DEFAULT)


@FAST
@given(csv_bytes())
def test_csv_like_bytes_never_crash(data: bytes) -> None:
    _diagnose_bytes(data, ".csv")


@FAST
@given(st.binary(max_size=300), st.sampled_from([".csv", ".parquet", ".ndjson", ".csv.gz"]))
def test_arbitrary_bytes_never_crash(data: bytes, suffix: str) -> None:
    _diagnose_bytes(data, suffix)


@pytest.mark.slow
@SLOW
@given(csv_bytes())
def test_csv_like_bytes_never_crash_many(data: bytes) -> None:
    _diagnose_bytes(data, ".csv")


# --- NDJSON with nested values where ids, names and times belong -------------------------------

LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2_000_000_000_000),
    st.sampled_from(["u1", "007", "page_view", "purchase", "[summer]", "{x}", "", "1714564800"]),
    st.sampled_from(["2024-05-01T12:00:00Z", "1714564800000", "0"]),
)


def _nested(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["id", "a"]), inner)
    )


NESTED = st.recursive(LEAF, _nested, max_leaves=6)


@st.composite
def ndjson_bytes(draw: st.DrawFn) -> bytes:
    """Lines whose user, event and time are values, objects, lists, nested a few levels."""
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        row = {
            "user_id": draw(NESTED),
            "event": draw(NESTED),
            "timestamp": draw(NESTED),
        }
        if draw(st.booleans()):
            row[draw(st.sampled_from(["props", "__order", "__row"]))] = draw(NESTED)
        lines.append(json.dumps(row))
    return ("\n".join(lines) + "\n").encode()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(ndjson_bytes())
def test_ndjson_with_nested_values_never_crashes(data: bytes) -> None:
    _diagnose_bytes(data, ".ndjson")


# --- configs ---------------------------------------------------------------------------------------

KEYS = [
    "version",
    "preset",
    "columns",
    "stages",
    "aware",
    "act",
    "rules",
    "event",
    "where",
    "min_count",
    "within",
    "funnel",
    "window",
    "targets",
    "curiosity",
    "diagnosis",
    "checks",
    "metric",
    "fail",
    "subfunnels",
    "steps",
    "segments",
    "bogus",
    "label",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            "30d",
            "3x",
            "5a-default",
            "ecommerce",
            "purchase",
            "< 0.2",
            "revenue > 0",
            "",
            "[",
            "{a: 1}",
            "aware",
            "-1d",
        ]
    ),
)


def _yaml_nested(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    )


YAML_VALUE = st.recursive(SCALARS, _yaml_nested, max_leaves=12)


def _load_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fivea.yaml"
        path.write_text(text, encoding="utf-8")
        with contextlib.suppress(FiveaError):
            load_config(path)


@FAST
@given(st.dictionaries(st.sampled_from(KEYS), YAML_VALUE, max_size=6))
def test_config_structures_never_crash(data: dict) -> None:
    _load_text(yaml.safe_dump(data))


@FAST
@given(st.text(alphabet=string.printable + "éß\t", max_size=200))
def test_config_text_never_crashes(text: str) -> None:
    _load_text(text)


@pytest.mark.slow
@SLOW
@given(st.dictionaries(st.sampled_from(KEYS), YAML_VALUE, max_size=6))
def test_config_structures_never_crash_many(data: dict) -> None:
    _load_text(yaml.safe_dump(data))


# --- where expressions ---------------------------------------------------------------------------

TOKENS = [
    "revenue",
    "country",
    "x",
    ">",
    "<",
    "=",
    "<>",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    "0",
    "1.5",
    "'DE'",
    "IN",
    "BETWEEN",
    "IS",
    "NULL",
    "LIKE",
    "'a%'",
    "SELECT",
    "FROM",
    ";",
    "abs(",
    "lower(",
    ",",
    "*",
    "+",
    "CAST(",
    "AS",
    "DOUBLE",
    "read_csv(",
    "'/etc/passwd'",
]


@FAST
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=10))
def test_where_expressions_never_crash(tokens: list[str]) -> None:
    try:
        expr, _ = parse_where(
            " ".join(tokens), "stages.act.rules[0].where", ["revenue", "country", "x"]
        )
    except FiveaError:
        return
    assert expr is not None


@FAST
@given(
    st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=40),
    st.booleans(),
)
def test_mixed_line_ends_lose_no_row(ends: list[str], trailing: bool) -> None:
    """Every row is read (or counted with a reason), whatever mix of line ends separates them."""
    rows = [f"u{i % 7},page_view,2024-05-01T12:{i % 60:02d}:00Z" for i in range(len(ends))]
    text = "user_id,event,timestamp" + "".join(
        end + row for end, row in zip(ends, rows, strict=True)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        path.write_bytes((text + ("\r\n" if trailing else "")).encode())
        result = diagnose([str(path)], DEFAULT)
    assert result.quality.rows_read == len(rows)
    assert result.quality.rows_used == len(rows)
