"""``where:`` filters (fivea.rules.where): plain conditions only, unknown columns named."""

from __future__ import annotations

import polars as pl
import pytest

from fivea.errors import ConfigError
from fivea.rules.where import parse_where

COLUMNS = ["revenue", "channel", "price"]
KEY = "stages.act.rules[0].where"


def where_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_where(text, KEY, COLUMNS)
    return str(info.value)


def test_where_accepts_a_plain_condition() -> None:
    expr, numeric = parse_where("revenue > 0 AND channel = 'email'", KEY, COLUMNS)
    frame = pl.DataFrame({"revenue": [5.0, 0.0, None, 3.0], "channel": ["email"] * 3 + ["ads"]})
    assert frame.select(expr).to_series().to_list() == [True, False, False, False]
    assert numeric == {"revenue"}


def test_where_syntax_error() -> None:
    assert where_error("revenue >") == (
        f"{KEY}: invalid where expression 'revenue >': unable to parse 'revenue >' as Expr; "
        'write a SQL condition such as "revenue > 0"'
    )


def test_where_unknown_column_with_did_you_mean() -> None:
    assert where_error("revnue > 0") == (
        f"{KEY}: where uses unknown column 'revnue'; did you mean 'revenue'? "
        "columns: revenue, channel, price"
    )


def test_where_column_names_are_case_sensitive() -> None:
    assert "unknown column 'Revenue'; did you mean 'revenue'?" in where_error('"Revenue" > 0')


@pytest.mark.parametrize(
    "text",
    [
        "EXISTS (SELECT 1)",
        "revenue IN (SELECT revenue FROM self)",
        "revenue > (SELECT max(price) FROM t)",
    ],
)
def test_where_refuses_subqueries(text: str) -> None:
    message = where_error(text)
    assert message.startswith(f"{KEY}: ")
    assert "subqueries are not allowed" in message or "was not found" in message


@pytest.mark.parametrize(
    "text", ["revenue > 0; DROP TABLE events", "SELECT 1", "revenue > 0 UNION SELECT 1"]
)
def test_where_refuses_statements(text: str) -> None:
    message = where_error(text)
    assert message.startswith(f"{KEY}: invalid where expression ")
    assert message.endswith('write a SQL condition such as "revenue > 0"')


def test_where_refuses_table_functions() -> None:
    assert "unsupported function 'read_csv'" in where_error("read_csv('/etc/passwd') > 1")


@pytest.mark.parametrize(
    ("text", "numeric"),
    [
        ("revenue IN (10, 20.5)", {"revenue"}),
        ("channel IN ('email', 'ads')", set()),
        ("channel NOT IN ('email')", set()),
    ],
)
def test_an_in_list_is_numeric_only_when_its_values_are(text: str, numeric: set[str]) -> None:
    """polars 2.2 holds an ``IN`` list as one List literal, earlier versions as a Series: both
    are read by their values' type (a list of texts once made its column numeric)."""
    assert parse_where(text, "act", ["revenue", "channel"])[1] == numeric
