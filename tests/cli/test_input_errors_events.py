"""Input corpus, turning rows into events: epoch units, nested values, internal column names,
window bounds, column types (docs/errors.md "Events", docs/input.md).

Every case runs ``fivea`` in its own process under the corpus limits (tests/limits.py): an input
that used to crash the process (a segmentation fault) or exit 3 must now exit 0 with the right
counts or 2 with one line.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from tests.limits import HEADER, assert_all, config, dropped, error_line, run_limited, write

MS = 1_714_557_600_000  # 2024-05-01T10:00:00Z in epoch milliseconds


def run(*args: str) -> tuple[dict, list[str]]:
    """Run diagnose expecting exit 0: the JSON report and the stderr lines."""
    result = run_limited("diagnose", *args, "-f", "json")
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout), result.stderr.splitlines()


def report(*args: str) -> dict:
    return run(*args)[0]


def ms_log(path: Path, rows: int, strays: list[str]) -> Path:
    """``rows`` times in epoch milliseconds, then the ``strays`` (any other times)."""
    lines = [f"u{i % 30},page_view,{MS + i * 60_000}" for i in range(rows)]
    lines += [f"u{i},page_view,{value}" for i, value in enumerate(strays)]
    return write(path, HEADER + "\n".join(lines) + "\n")


# --- epoch columns of one unit ---------------------------------------------------------------


def test_stray_seconds_among_milliseconds_are_dropped_with_a_warning(tmp_path: Path) -> None:
    # before: the seconds read as milliseconds, i.e. January 1970, and counted as events
    log = ms_log(tmp_path / "events.csv", 300, ["1714557600", "1714557601", "0"])
    data, stderr = run(str(log))
    assert dropped(data) == {"impossible_time": 1, "other_epoch_unit": 2}
    assert data["quality"]["time_min"] == "2024-05-01T10:00:00Z"
    assert data["quality"]["rows_read"] == 303
    assert len(stderr) == 1
    assert stderr[0].startswith("fivea: warning: ")
    assert_all(
        stderr[0],
        "events.csv",
        "2 of 303 times in column 'timestamp'",
        "epoch seconds among epoch milliseconds",
        "first: row 301, 1714557600",
        "other_epoch_unit",
    )


def test_stray_milliseconds_among_seconds_are_not_unparsable(tmp_path: Path) -> None:
    lines = [f"u{i % 30},page_view,{MS // 1000 + i * 60}" for i in range(300)]
    log = write(tmp_path / "events.csv", HEADER + "\n".join([*lines, f"u1,purchase,{MS}"]) + "\n")
    data, stderr = run(str(log))
    assert dropped(data) == {"other_epoch_unit": 1}
    assert_all(stderr[0], "1 of 301", "epoch milliseconds among epoch seconds", "row 301")


def test_a_typed_parquet_epoch_column_is_one_unit_too(tmp_path: Path) -> None:
    times = [MS + i * 60_000 for i in range(200)] + [MS // 1000]
    path = tmp_path / "events.parquet"
    pl.DataFrame(
        {"user_id": [f"u{i % 9}" for i in range(201)], "event": ["page_view"] * 201, "ts": times}
    ).write_parquet(path)
    data, stderr = run(str(path))
    assert dropped(data) == {"other_epoch_unit": 1}
    assert_all(stderr[0], "1 of 201 times in column 'ts'", "seconds among epoch milliseconds")


def test_another_unit_above_one_percent_is_an_error(tmp_path: Path) -> None:
    log = ms_log(tmp_path / "events.csv", 50, ["1714557600"] * 5)
    line = error_line(str(log))
    assert_all(
        line,
        "events.csv",
        "5 of 55 times in column 'timestamp'",
        "epoch seconds among epoch milliseconds",
        "first: row 51, 1714557600",
        "9.1% of the column",
        "columns: {time_unit: ms}",
    )


def test_with_the_unit_set_another_unit_is_dropped_never_an_error(tmp_path: Path) -> None:
    log = ms_log(tmp_path / "events.csv", 50, ["1714557600"] * 5)
    data, stderr = run(str(log), "-c", config(tmp_path, "columns: {time_unit: ms}\n"))
    assert dropped(data) == {"other_epoch_unit": 5}
    assert_all(stderr[0], "fivea: warning: ", "5 of 55")
    quiet, quiet_stderr = run(str(log), "-q", "-c", config(tmp_path, "columns: {time_unit: ms}\n"))
    assert dropped(quiet) == {"other_epoch_unit": 5}
    assert quiet_stderr == []


def test_every_time_of_another_unit_than_the_set_one(tmp_path: Path) -> None:
    log = write(tmp_path / "events.csv", HEADER + "u1,a,1714557600\nu2,b,1714557700\n")
    line = error_line(str(log), "-c", config(tmp_path, "columns: {time_unit: ms}\n"))
    assert_all(
        line,
        "no valid events (2 rows read, all dropped: other epoch unit 2 (column 'timestamp')",
        "e.g. '1714557600'",
        "set columns.time_unit",
    )


def test_times_at_or_before_zero_are_impossible(tmp_path: Path) -> None:
    log = write(tmp_path / "events.csv", HEADER + "u1,a,0\nu2,b,-5\n")
    line = error_line(str(log))
    assert_all(line, "impossible time 2 (column 'timestamp')", "e.g. '0'", "above 0")


# --- nested values are not ids -----------------------------------------------------------------


def ndjson(path: Path, rows: list[dict]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in rows))


def test_object_ids_on_some_lines_are_dropped_not_persons(tmp_path: Path) -> None:
    # before: each object became JSON text, an invented person
    rows = [
        {
            "user_id": {"id": f"u{i}", "src": "x"} if i % 3 == 0 else f"u{i}",
            "event": "page_view",
            "timestamp": "2024-05-01T10:00:00Z",
        }
        for i in range(20)
    ]
    data = report(str(ndjson(tmp_path / "events.ndjson", rows)))
    assert dropped(data) == {"nested_user": 7}
    assert data["persons"] == 13
    assert data["quality"]["rows_read"] == 20


def test_nested_event_names_and_times_are_dropped_but_bracketed_text_is_a_name(
    tmp_path: Path,
) -> None:
    rows = [
        {
            "user_id": f"u{i}",
            "event": "[summer]" if i % 2 else ["a", "b"],
            "timestamp": {"t": 1} if i == 3 else "2024-05-01T10:00:00Z",
        }
        for i in range(6)
    ]
    data = report(str(ndjson(tmp_path / "events.ndjson", rows)))
    assert dropped(data) == {"nested_event": 3, "nested_time": 1}
    assert data["persons"] == 2
    assert [n["name"] for n in data["quality"]["unmatched_top"]] == ["[summer]"]


def test_a_user_column_of_records_names_the_field(tmp_path: Path) -> None:
    rows = [
        {"user_id": {"id": f"u{i}"}, "event": "page_view", "timestamp": "2024-05-01T10:00:00Z"}
        for i in range(5)
    ]
    log = ndjson(tmp_path / "events.ndjson", rows)
    expected = (
        "the user column 'user_id' holds records, not values (fields: user_id.id)",
        "columns: {user: user_id.id}",
    )
    assert_all(error_line(str(log)), *expected)
    assert_all(
        error_line(str(log), "-c", config(tmp_path, "columns: {user: user_id}\n")), *expected
    )


def test_lists_as_every_id_are_an_error_with_the_counts(tmp_path: Path) -> None:
    rows = [{"user_id": ["a", "b"], "event": "e", "timestamp": "2024-05-01T10:00:00Z"}] * 4
    rows.append({"user_id": "", "event": "e", "timestamp": "2024-05-01T10:00:00Z"})
    line = error_line(str(ndjson(tmp_path / "events.ndjson", rows)))
    assert_all(line, "nested user 4 (column 'user_id')", "missing user 1", "user_id.id")


# --- data columns named like internal ones -------------------------------------------------------


@pytest.mark.parametrize("name", ["__row", "__order", "__user", "__time", "__valid_reason"])
def test_a_data_column_named_like_an_internal_one_is_renamed(tmp_path: Path, name: str) -> None:
    # before: __row was exit 3 (a duplicate row index), the others silently overwritten
    log = write(
        tmp_path / "events.csv",
        f"user_id,event,timestamp,{name}\nu1,page_view,2024-05-01T10:00:00Z,5\n"
        "u2,purchase,2024-05-01T11:00:00Z,6\n",
    )
    data = report(str(log), "--segment", f"data.{name}")
    assert data["persons"] == 2
    assert data["quality"]["rows_read"] == 2
    segment = data["segments"][0]
    assert segment["column"] == f"data.{name}"
    assert sorted(row["value"] for row in segment["rows"]) == ["5", "6"]


def test_a_renamed_column_is_a_property_and_can_be_the_user(tmp_path: Path) -> None:
    log = write(
        tmp_path / "events.csv",
        "user_id,event,timestamp,__order\nu1,page_view,2024-05-01T10:00:00Z,5\n"
        "u2,purchase,2024-05-01T11:00:00Z,6\n",
    )
    rules = 'stages:\n  act: {rules: [{event: purchase, where: "\\"data.__order\\" > 5"}]}\n'
    cfg = config(tmp_path, "columns: {user: __order}\n" + rules)
    data = report(str(log), "-c", cfg, "--segment", "data.__order")
    assert data["source"]["columns"]["user"] == ["data.__order"]
    assert {s["key"]: s["reached"] for s in data["stages"]}["act"] == 1
    assert data["segments"][0]["column"] == "data.__order"


# --- nesting depth -------------------------------------------------------------------------------


def deep(levels: int, *, lists: bool = False) -> str:
    value = "1"
    for _ in range(levels):
        value = f"[{value}]" if lists else f'{{"a":{value}}}'
    return value


def deep_log(path: Path, levels: int, *, lists: bool = False, first: bool = True) -> Path:
    line = f'{{"user_id":"u1","event":"e","timestamp":"2024-05-01T10:00:00Z","x":{deep(levels, lists=lists)}}}\n'
    plain = '{"user_id":"u2","event":"e","timestamp":"2024-05-01T10:00:00Z"}\n' * 3000
    return write(path, line + plain if first else plain + line)


@pytest.mark.parametrize(("levels", "lists"), [(65, False), (700, False), (700, True)])
def test_nesting_past_64_levels_is_an_error_naming_the_field(
    tmp_path: Path, levels: int, lists: bool
) -> None:
    # before: 700 levels crashed the process (segmentation fault in polars)
    line = error_line(str(deep_log(tmp_path / "events.ndjson", levels, lists=lists)))
    assert_all(line, "events.ndjson", f"field 'x' is nested {levels} levels deep", "up to 64")


@pytest.mark.parametrize("first", [True, False])
def test_nesting_thousands_deep_is_an_error_naming_the_line(tmp_path: Path, first: bool) -> None:
    # before: a RecursionError (exit 3) in the JSON check
    line = error_line(str(deep_log(tmp_path / "events.ndjson", 5000, first=first)))
    where = "line 1:" if first else "line 3001:"
    assert_all(line, "events.ndjson", where, "nested more than 64 levels deep")


def test_nesting_64_levels_deep_is_read(tmp_path: Path) -> None:
    data = report(str(deep_log(tmp_path / "events.ndjson", 64)))
    assert data["quality"]["rows_read"] == 3001


# --- window bounds at the ends of the calendar ---------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "since", "until"),
    [
        (
            ["--since", "0001-01-01", "--until", "9999-12-31"],
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
        ),
        (["--since", "99999999999d"], "0001-01-01T00:00:00Z", "2024-05-01T11:00:00.000001Z"),
        (
            ["--since", "9999999999999999999999d", "--compare", "previous"],
            "0001-01-01T00:00:00Z",
            "2024-05-01T11:00:00.000001Z",
        ),
        (
            ["--since", "0001-01-01T00:00:00+05:00"],
            "0001-01-01T00:00:00Z",
            "2024-05-01T11:00:00.000001Z",
        ),
    ],
)
def test_window_bounds_beyond_the_calendar_are_clamped(
    tmp_path: Path, flags: list[str], since: str, until: str
) -> None:
    # before: OverflowError, exit 3
    log = write(
        tmp_path / "events.csv",
        HEADER + "u1,page_view,2024-05-01T10:00:00Z\nu2,purchase,2024-05-01T11:00:00Z\n",
    )
    data = report(str(log), *flags)
    assert (data["window"]["since"], data["window"]["until"]) == (since, until)
    assert data["persons"] == 2


# --- column types that cannot be a role, a number or a segment --------------------------------


@pytest.fixture
def typed(tmp_path: Path) -> Path:
    path = tmp_path / "typed.parquet"
    pl.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "event": ["a", "b"],
            "timestamp": ["2024-05-01T10:00:00Z"] * 2,
            "dur": [dt.timedelta(seconds=1), dt.timedelta(seconds=2)],
            "tags": [["a"], ["b"]],
            "tm": [dt.time(1), dt.time(2)],
        }
    ).write_parquet(path)
    return path


@pytest.mark.parametrize(
    ("role", "column", "fragment"),
    [
        ("time", "dur", "holds durations (Duration(time_unit='us')), not instants"),
        ("user", "dur", "holds durations (Duration(time_unit='us')), not ids"),
        ("event", "dur", "holds durations (Duration(time_unit='us')), not event names"),
        ("time", "tm", "holds times of day (Time), not instants"),
        ("user", "tags", "holds nested values (List(String))"),
    ],
)
def test_a_role_column_of_an_unusable_type(
    tmp_path: Path, typed: Path, role: str, column: str, fragment: str
) -> None:
    # before: "cannot read the events (casting from Duration('μs') to String not supported)"
    line = error_line(str(typed), "-c", config(tmp_path, f"columns: {{{role}: {column}}}\n"))
    assert_all(line, "typed.parquet", f"the {role} column '{column}'", fragment, f"columns.{role}")


@pytest.mark.parametrize(
    ("where", "fragments"),
    [
        ("dur > 1", ["column 'dur' with a number", "durations", "interval '30 seconds'"]),
        ("tags = 'a'", ["column 'tags' as a value", "lists (List(String))", "array_contains"]),
        ("tags > 1", ["column 'tags' with a number", "lists"]),
    ],
)
def test_a_rule_comparing_an_unusable_type(
    tmp_path: Path, typed: Path, where: str, fragments: list[str]
) -> None:
    rules = f'stages:\n  act: {{rules: [{{event: a, where: "{where}"}}]}}\n'
    line = error_line(str(typed), "-c", config(tmp_path, rules))
    assert_all(line, "fivea.yaml:4: stages.act.rules[0].where", *fragments)


@pytest.mark.parametrize(
    ("where", "act"), [("dur > interval '1 second'", 1), ("array_contains(tags, 'a')", 1)]
)
def test_durations_and_lists_work_with_their_own_operations(
    tmp_path: Path, typed: Path, where: str, act: int
) -> None:
    rules = f'stages:\n  act: {{rules: [{{event: [a, b], where: "{where}"}}]}}\n'
    data = report(str(typed), "-c", config(tmp_path, rules))
    assert {s["key"]: s["reached"] for s in data["stages"]}["act"] == act


@pytest.mark.parametrize(("column", "kind"), [("tags", "lists"), ("dur", "durations")])
def test_a_segment_of_an_unusable_type(typed: Path, column: str, kind: str) -> None:
    line = error_line(str(typed), "--segment", column)
    assert_all(line, f"segment column '{column}' holds {kind}", "segment by a column of text")
