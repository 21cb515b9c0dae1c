"""The input corpus (docs/metrics.md#decisions-the-spec-leaves-open "Reliability", docs/input.md, README.md#output-formats data quality, README.md#exit-codes exit codes).

Cannot-analyse inputs exit 2 with exactly one line on stderr that says what is wrong, where
(file, line or column) and how to fix it. Must-read inputs exit 0 with the right counts, every
problem counted in data quality. Static bad files live in tests/fixtures/bad/; the must-read
cases write their bytes inline so the exact bytes are visible in the test.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import ROOT
from tests.limits import HEADER, assert_all, config, dropped, error_line, report, write

BAD = ROOT / "tests" / "fixtures" / "bad"


# --- cannot-analyse: exit 2, one line -------------------------------------------------------

STATIC_ERRORS = [
    # (fixture, fragments the line must hold: file, what, where, fix)
    ("empty.csv", ["empty.csv", "the file is empty", "export some events"]),
    ("blank_lines.csv", ["blank_lines.csv", "only blank lines", "export some events"]),
    ("header_only.csv", ["header_only.csv", "only a header line (user_id, event, timestamp)"]),
    ("garbage.csv", ["garbage.csv", "binary data, not CSV text", "NUL byte", "pass a CSV"]),
    ("text.parquet", ["text.parquet", "not a Parquet file", "PAR1", "--input-format csv"]),
    ("workbook.csv", ["workbook.csv", "ZIP archive", "Excel", "save the sheet as CSV"]),
    (
        "latin1.csv",
        ["latin1.csv", "line 2", "not UTF-8", "0xe1", "`input: {encoding: latin-1}`"],
    ),
    ("utf16.csv", ["utf16.csv", "UTF-16", "`input: {encoding: utf-16}`"]),
    ("no_user.csv", ["no_user.csv", "no user column", "visitor", "set columns.user"]),
    ("no_time.csv", ["no_time.csv", "no time column", "when_it_happened", "set columns.time"]),
    ("no_event.csv", ["no_event.csv", "no event column", "action_name", "set columns.event"]),
    (
        "ambiguous_event.csv",
        ["ambiguous_event.csv", "ambiguous event column", "'event', 'event_name'", "columns.event"],
    ),
    (
        "duplicate_header.csv",
        ["duplicate_header.csv", "line 1", "'event' appears twice", "columns 2 and 4", "rename"],
    ),
    (
        "all_bad_time.csv",
        ["all_bad_time.csv", "no valid events", "3 rows read", "unparsable time 3", "columns."],
    ),
    ("all_null_user.csv", ["all_null_user.csv", "no valid events", "missing user 2", "columns."]),
    ("all_null_event.csv", ["all_null_event.csv", "missing event 2", "columns."]),
    ("json_array.json", ["json_array.json", "a JSON array, not NDJSON", "jq -c"]),
    ("broken_line.ndjson", ["broken_line.ndjson", "line 2", "not valid JSON", "one complete"]),
]


@pytest.mark.parametrize(("name", "fragments"), STATIC_ERRORS, ids=[c[0] for c in STATIC_ERRORS])
def test_bad_fixture_is_one_line_error(name: str, fragments: list[str]) -> None:
    assert_all(error_line(str(BAD / name)), *fragments)


def test_missing_file(tmp_path: Path) -> None:
    line = error_line(str(tmp_path / "nope.csv"))
    assert_all(line, "nope.csv", "file not found", "check the path")


def test_missing_file_suggests_a_close_name(tmp_path: Path) -> None:
    write(tmp_path / "events.csv", HEADER + "u1,page_view,2024-05-01\n")
    line = error_line(str(tmp_path / "event.csv"))
    assert_all(line, "event.csv: file not found", f"did you mean '{tmp_path / 'events.csv'}'?")


def test_missing_folder(tmp_path: Path) -> None:
    line = error_line(str(tmp_path / "exports" / "events.csv"))
    assert_all(line, "file not found", "the folder", "exports' does not exist")


def test_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "events.csv").symlink_to(tmp_path / "gone.csv")
    line = error_line(str(tmp_path / "events.csv"))
    assert_all(line, "events.csv", "broken symbolic link", "gone.csv")


def test_folder_without_data_files(tmp_path: Path) -> None:
    write(tmp_path / "exports" / "notes.md", "# notes\n")
    write(tmp_path / "exports" / "readme.txt", "not data\n")
    line = error_line(str(tmp_path / "exports"))
    assert_all(line, "exports", "no data files", "notes.md", ".csv", ".parquet", ".ndjson")


def test_folder_where_a_file_is_expected(tmp_path: Path) -> None:
    (tmp_path / "events.csv").mkdir()
    line = error_line(str(tmp_path / "events.csv"))
    assert_all(line, "events.csv", "no data files", "(it is empty)")


def test_glob_matching_nothing(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", HEADER + "u1,page_view,2024-05-01\n")
    line = error_line(str(tmp_path / "*.parquet"))
    assert_all(line, "*.parquet", "no file matches this pattern", "quote it")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write(tmp_path / "locked.csv", HEADER + "u1,page_view,2024-05-01\n")
    target.chmod(0)
    if os.access(target, os.R_OK):  # root reads anything: simulate the refusal
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: Path(p) != target and real(p, m))
    try:
        line = error_line(str(target), in_process=True)
    finally:
        target.chmod(0o644)
    assert_all(line, "locked.csv", "permission denied", "chmod +r")


def test_header_only_parquet(tmp_path: Path) -> None:
    path = tmp_path / "none.parquet"
    pl.DataFrame(
        {"user_id": [], "event": [], "timestamp": []},
        schema={"user_id": pl.String, "event": pl.String, "timestamp": pl.String},
    ).write_parquet(path)
    assert_all(error_line(str(path)), "none.parquet", "no rows", "user_id", "export some events")


def test_every_file_of_a_folder_empty(tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.csv", HEADER)
    write(tmp_path / "d" / "b.csv", "")
    assert_all(error_line(str(tmp_path / "d")), "a.csv", "only a header line", "other 1 input")


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress((HEADER + "u1,page_view,2024-05-01\n" * 200).encode())
    path = write(tmp_path / "events.csv.gz", data[: len(data) // 2])
    assert_all(error_line(str(path)), "events.csv.gz", "gzip", "complete")


def test_latin1_beyond_the_checked_head(tmp_path: Path) -> None:
    rows = "".join(f"u{i},page_view,2024-05-01T10:00:00Z,Berlin\n" for i in range(3000))
    body = (HEADER.strip() + ",city\n" + rows).encode() + "u9,purchase,2024-05-01,Málaga\n".encode(
        "latin-1"
    )
    assert len(body) > 1 << 16
    line = error_line(str(write(tmp_path / "late.csv", body)))
    assert_all(line, "late.csv", "not UTF-8", "input", "encoding")


def test_bad_ndjson_line_beyond_the_checked_head(tmp_path: Path) -> None:
    line = '{"user_id": "u1", "event": "page_view", "timestamp": "2024-05-01T10:00:00Z"}\n'
    path = write(tmp_path / "late.ndjson", line * 1000 + '{"user_id": "u2", broken\n')
    assert_all(error_line(str(path)), "late.ndjson", "line 1001", "not valid JSON")


def test_float_user_ids_in_parquet(tmp_path: Path) -> None:
    path = tmp_path / "floats.parquet"
    pl.DataFrame(
        {"user_id": [1.0, 2.0], "event": ["page_view"] * 2, "timestamp": ["2024-05-01"] * 2}
    ).write_parquet(path)
    line = error_line(str(path))
    assert_all(line, "floats.parquet", "user column 'user_id' holds floats", "integers or text")


def test_user_column_null_in_every_row_of_parquet(tmp_path: Path) -> None:
    path = tmp_path / "nulls.parquet"
    pl.DataFrame(
        {"user_id": [None, None], "event": ["page_view"] * 2, "timestamp": ["2024-05-01"] * 2}
    ).write_parquet(path)
    line = error_line(str(path))
    assert_all(line, "nulls.parquet", "user column 'user_id' is empty in every row", "columns.user")


def test_configured_column_not_found(tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", HEADER + "u1,page_view,2024-05-01\n")
    cfg = config(tmp_path, "columns: {time: timestmp}\n")
    line = error_line(str(path), "-c", cfg)
    assert_all(line, "events.csv", "'timestmp' (columns.time", "did you mean 'timestamp'?")


def test_configured_user_column_wrong_case(tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", "UserId,event,timestamp\nu1,page_view,2024-05-01\n")
    cfg = config(tmp_path, "columns: {user: userid}\n")
    assert_all(error_line(str(path), "-c", cfg), "'userid' (columns.user", "did you mean 'UserId'?")


def test_ambiguous_time_column(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", "user_id,event,timestamp,ts\nu1,a,2024-05-01,2024-05-01\n")
    assert_all(error_line(str(path)), "ambiguous time column", "'timestamp', 'ts'", "columns.time")


def test_empty_stdin() -> None:
    assert_all(error_line("-", stdin=b""), "<stdin>", "no data on standard input")


def test_garbage_on_stdin() -> None:
    assert_all(error_line("-", stdin=b"\x00\x01\x02garbage\xff" * 10), "<stdin>", "binary data")


# --- must-read: exit 0, right counts --------------------------------------------------------


def test_crlf_line_endings(tmp_path: Path) -> None:
    body = "user_id,event,timestamp\r\nu1,page_view,2024-05-01T10:00:00Z\r\nu2,purchase,2024-05-01T11:00:00Z\r\n"
    data = report(str(write(tmp_path / "crlf.csv", body)))
    assert data["quality"]["rows_read"] == 2
    assert data["persons"] == 2
    assert dropped(data) == {}
    assert [s["reached"] for s in data["stages"]][::3] == [2, 1]  # aware, act


def test_utf8_bom(tmp_path: Path) -> None:
    body = "\ufeffuser_id,event,timestamp\nu1,page_view,2024-05-01T10:00:00Z\n"
    data = report(str(write(tmp_path / "bom.csv", body)))
    assert data["source"]["columns"]["user"] == ["user_id"]
    assert data["persons"] == 1


def test_quoted_newlines_and_separators(tmp_path: Path) -> None:
    body = (
        "user_id,event,timestamp,note\n"
        'u1,page_view,2024-05-01T10:00:00Z,"two\nlines, and a comma"\n'
        'u2,page_view,2024-05-01T10:00:00Z,"crlf\r\ninside ""quotes"""\r\n'
        "u3,purchase,2024-05-01T11:00:00Z,plain\n"
    )
    data = report(str(write(tmp_path / "quoted.csv", body)))
    assert data["quality"]["rows_read"] == 3
    assert data["persons"] == 3
    assert dropped(data) == {}


def test_zero_padded_and_19_digit_ids_stay_distinct(tmp_path: Path) -> None:
    body = HEADER + (
        "007,page_view,2024-05-01T10:00:00Z\n"
        "7,page_view,2024-05-01T10:00:00Z\n"
        "0007,page_view,2024-05-01T10:00:00Z\n"
        "1234567890123456789,page_view,2024-05-01T10:00:00Z\n"
        "1234567890123456788,page_view,2024-05-01T10:00:00Z\n"
    )
    data = report(str(write(tmp_path / "ids.csv", body)))
    assert data["persons"] == 5


def test_19_digit_integer_ids_in_parquet(tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    pl.DataFrame(
        {
            "user_id": [1234567890123456789, 1234567890123456788, 7],
            "event": ["page_view"] * 3,
            "timestamp": ["2024-05-01T10:00:00Z"] * 3,
        }
    ).write_parquet(path)
    assert report(str(path))["persons"] == 3


def test_integer_ids_keep_int64(tmp_path: Path) -> None:
    from fivea.config.loader import resolve_config
    from fivea.io.events import USER, scan_events
    from fivea.io.sources import resolve_sources

    path = tmp_path / "ids.parquet"
    pl.DataFrame(
        {"user_id": [1, 2], "event": ["a", "b"], "timestamp": ["2024-05-01"] * 2},
        schema_overrides={"user_id": pl.Int32},
    ).write_parquet(path)
    loaded = resolve_config(None, "5a-default", tmp_path, {})
    scan = scan_events(resolve_sources([str(path)]), loaded.config)
    assert scan.frame.collect_schema()[USER] == pl.Int64
    assert scan.frame.select(USER).collect()[USER].to_list() == [1, 2]


def test_duplicate_rows_are_counted_and_kept(tmp_path: Path) -> None:
    row = "u1,purchase,2024-05-01T10:00:00Z\n"
    body = HEADER + row + row + row + "u1,purchase,2024-05-01T10:00:01Z\n"
    data = report(str(write(tmp_path / "dups.csv", body)))
    assert data["quality"]["rows_read"] == 4
    assert data["quality"]["rows_used"] == 4
    assert data["quality"]["duplicates"] == 2


def test_unparsable_impossible_and_future_times_are_dropped_and_counted(tmp_path: Path) -> None:
    body = HEADER + (
        "u1,page_view,2024-05-01T10:00:00Z\n"
        "u2,page_view,2019-02-30T10:00:00Z\n"  # no 30 February
        "u3,page_view,2024-05-01T25:00:00Z\n"  # no hour 25
        "u4,page_view,last tuesday\n"
        "u5,page_view,2999-01-01T00:00:00Z\n"  # the future
        "u6,page_view,\n"
    )
    data = report(str(write(tmp_path / "times.csv", body)))
    assert data["quality"]["rows_read"] == 6
    assert dropped(data) == {"unparsable_time": 4, "future_time": 1}
    assert data["persons"] == 1


def test_mixed_offsets_in_one_column(tmp_path: Path) -> None:
    body = HEADER + (
        "u1,page_view,2024-05-01T12:00:00+02:00\n"
        "u2,page_view,2024-05-01T10:00:00Z\n"
        "u3,page_view,2024-05-01 05:00:00-05:00\n"
        "u4,page_view,2024-05-01T10:00:00.000+0000\n"
        "u5,page_view,2024-05-01T11:00:00+01\n"
    )
    data = report(str(write(tmp_path / "offsets.csv", body)))
    assert dropped(data) == {}
    assert data["quality"]["time_min"] == data["quality"]["time_max"] == "2024-05-01T10:00:00Z"


def test_mixed_forms_in_one_column(tmp_path: Path) -> None:
    body = HEADER + (
        "u1,page_view,2024-05-01T10:00:00Z\n"
        "u2,page_view,2024-05-02\n"
        "u3,page_view,1714557600\n"  # epoch seconds as text: 2024-05-01T10:00:00Z
        "u4,page_view,2024-05-03 08:30\n"
        "u5,page_view,2024-05-01T10:00:00.5\n"
    )
    data = report(str(write(tmp_path / "forms.csv", body)))
    assert dropped(data) == {}
    assert data["quality"]["time_min"] == "2024-05-01T10:00:00Z"
    assert data["quality"]["time_max"] == "2024-05-03T08:30:00Z"


def test_utc_suffix(tmp_path: Path) -> None:
    body = "event_time,event_type,user_id\n2019-10-01 00:00:00 UTC,view,1\n2019-10-01 00:00:05 UTC,purchase,2\n"
    data = report(str(write(tmp_path / "rees.csv", body)))
    assert data["quality"]["time_min"] == "2019-10-01T00:00:00Z"
    assert data["quality"]["time_max"] == "2019-10-01T00:00:05Z"


@pytest.mark.parametrize(
    ("unit", "factor"), [("s", 1), ("ms", 1_000), ("us", 1_000_000), ("ns", 1_000_000_000)]
)
def test_epoch_integer_columns(tmp_path: Path, unit: str, factor: int) -> None:
    path = tmp_path / f"epoch_{unit}.parquet"
    seconds = [1714557600, 1714557601]
    pl.DataFrame(
        {"user_id": ["u1", "u2"], "event": ["page_view"] * 2, "ts": [s * factor for s in seconds]}
    ).write_parquet(path)
    data = report(str(path))
    assert data["quality"]["time_min"] == "2024-05-01T10:00:00Z"
    assert data["quality"]["time_max"] == "2024-05-01T10:00:01Z"
    text = write(tmp_path / f"epoch_{unit}.csv", f"user_id,event,ts\nu1,a,{seconds[0] * factor}\n")
    assert report(str(text))["quality"]["time_min"] == "2024-05-01T10:00:00Z"


@pytest.mark.parametrize(
    ("name", "separator"),
    [("semi.csv", ";"), ("tab.csv", "\t"), ("tabs.tsv", "\t"), ("pipe.psv", "|")],
)
def test_delimiters(tmp_path: Path, name: str, separator: str) -> None:
    rows = [
        ["user_id", "event", "timestamp", "price"],
        ["u1", "page_view", "2024-05-01T10:00:00Z", "1,5"],
        ["u2", "purchase", "2024-05-01T11:00:00Z", "2,5"],
    ]
    body = "\n".join(separator.join(r) for r in rows) + "\n"
    data = report(str(write(tmp_path / name, body)))
    assert data["source"]["columns"] == {"user": ["user_id"], "time": "timestamp", "event": "event"}
    assert data["persons"] == 2


def test_gzip_csv(tmp_path: Path) -> None:
    body = HEADER + "u1,page_view,2024-05-01T10:00:00Z\nu2,purchase,2024-05-01T11:00:00Z\n"
    data = report(str(write(tmp_path / "events.csv.gz", gzip.compress(body.encode()))))
    assert data["quality"]["rows_read"] == 2


@pytest.mark.skipif(shutil.which("zstd") is None, reason="needs the zstd command to make a file")
def test_zstd_csv_and_ndjson(tmp_path: Path) -> None:
    body = "user_id;event;timestamp\n007;page_view;2024-05-01T10:00:00Z\n7;purchase;2024-05-01\n"
    plain = write(tmp_path / "events.csv", body)
    subprocess.run(["zstd", "-q", str(plain), "-o", str(tmp_path / "events.csv.zst")], check=True)
    data = report(str(tmp_path / "events.csv.zst"))
    assert data["quality"]["rows_read"] == 2
    assert data["persons"] == 2
    lines = '{"user_id": "u1", "event": "page_view", "timestamp": "2024-05-01T10:00:00Z"}\n'
    nd = write(tmp_path / "events.ndjson", lines)
    subprocess.run(["zstd", "-q", str(nd), "-o", str(tmp_path / "events.ndjson.zst")], check=True)
    assert report(str(tmp_path / "events.ndjson.zst"))["persons"] == 1


def test_ndjson_types_do_not_depend_on_row_order(tmp_path: Path) -> None:
    lines = [
        {"user_id": 7, "event": "page_view", "timestamp": "2024-05-01T10:00:00Z", "value": 1},
        {"user_id": "007", "event": "purchase", "timestamp": "2024-05-01T11:00:00Z", "value": "x"},
        {"user_id": "u3", "event": None, "timestamp": "2024-05-01T11:00:00Z"},
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    data = report(str(write(tmp_path / "events.ndjson", body)))
    assert data["quality"]["rows_read"] == 3
    assert data["persons"] == 2
    assert dropped(data) == {"missing_event": 1}


def test_folder_of_two_csv_files_in_path_byte_order(tmp_path: Path) -> None:
    # the same person at the same instant in both files: first touch is the first file by path
    write(
        tmp_path / "d" / "b.csv", "user_id,event,timestamp,channel\nu1,page_view,2024-05-01,email\n"
    )
    write(
        tmp_path / "d" / "a.csv", "user_id,event,timestamp,channel\nu1,page_view,2024-05-01,ads\n"
    )
    write(tmp_path / "d" / "_SUCCESS", "")
    write(tmp_path / "d" / "notes.txt", "ignored in folders\n")
    data = report(str(tmp_path / "d"), "--segment", "channel")
    assert data["quality"]["rows_read"] == 2
    assert [Path(f).name for f in data["source"]["files"]] == ["a.csv", "b.csv"]
    assert [r["value"] for r in data["segments"][0]["rows"]] == ["ads"]


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "d" / "a.csv", HEADER + "u1,page_view,2024-05-01\n")
    data = report(str(path), str(tmp_path / "d"), str(tmp_path / "d" / "*.csv"))
    assert data["quality"]["rows_read"] == 1


def test_empty_file_in_a_folder_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.csv", HEADER + "u1,page_view,2024-05-01\n")
    write(tmp_path / "d" / "b.csv", "")
    write(tmp_path / "d" / "c.csv", HEADER)
    assert report(str(tmp_path / "d"))["quality"]["rows_read"] == 1


def test_hive_partitioned_folder(tmp_path: Path) -> None:
    for day, users in (("2024-05-01", ["u1", "u2"]), ("2024-05-02", ["u3"])):
        folder = tmp_path / "events" / f"date={day}"
        folder.mkdir(parents=True)
        pl.DataFrame(
            {"user_id": users, "event": ["page_view"] * len(users), "timestamp": [day] * len(users)}
        ).write_parquet(folder / "part-0.parquet")
    data = report(str(tmp_path / "events"), "--segment", "date")
    assert data["quality"]["rows_read"] == 3
    rows = {r["value"]: r["persons"] for r in data["segments"][0]["rows"]}
    assert rows == {"2024-05-01": 2, "2024-05-02": 1}


def test_glob_of_files(tmp_path: Path) -> None:
    write(tmp_path / "x" / "2024-05-01.csv", HEADER + "u1,page_view,2024-05-01\n")
    write(tmp_path / "x" / "2024-05-02.csv", HEADER + "u2,page_view,2024-05-02\n")
    write(tmp_path / "x" / "other.parquet.txt", "ignored")
    assert report(str(tmp_path / "x" / "*.csv"))["persons"] == 2


def test_stdin_csv() -> None:
    body = HEADER + "u1,page_view,2024-05-01T10:00:00Z\nu2,purchase,2024-05-01T11:00:00Z\n"
    data = report("-", stdin=body.encode())
    assert data["quality"]["rows_read"] == 2
    assert data["source"]["files"] == ["<stdin>"]


def test_stdin_parquet_bytes() -> None:
    buffer = io.BytesIO()
    pl.DataFrame(
        {"user_id": ["u1", "u2", "u2"], "event": ["page_view"] * 3, "timestamp": ["2024-05-01"] * 3}
    ).write_parquet(buffer)
    data = report("-", stdin=buffer.getvalue())
    assert data["persons"] == 2
    assert data["quality"]["duplicates"] == 1


def test_stdin_ndjson_and_gzip_are_sniffed() -> None:
    line = '{"user_id": "u1", "event": "page_view", "timestamp": "2024-05-01T10:00:00Z"}\n'
    assert report("-", stdin=line.encode())["persons"] == 1
    body = HEADER + "u1,page_view,2024-05-01\nu2,page_view,2024-05-01\n"
    assert report("-", stdin=gzip.compress(body.encode()))["persons"] == 2


def test_ragged_rows(tmp_path: Path) -> None:
    body = HEADER + (
        "u1,page_view,2024-05-01T10:00:00Z\n"
        "u2,page_view\n"  # short: no time
        "u3,purchase,2024-05-01T11:00:00Z,extra,fields\n"  # long: the extra fields are ignored
    )
    data = report(str(write(tmp_path / "ragged.csv", body)))
    assert data["quality"]["rows_read"] == 3
    assert dropped(data) == {"unparsable_time": 1}
    assert data["persons"] == 2


def test_parquet_named_csv_is_read_as_parquet(tmp_path: Path) -> None:
    path = tmp_path / "really_parquet.csv"
    pl.DataFrame(
        {"user_id": ["u1"], "event": ["page_view"], "timestamp": ["2024-05-01"]}
    ).write_parquet(path)
    assert report(str(path))["persons"] == 1


def test_ndjson_named_csv_is_read_as_ndjson(tmp_path: Path) -> None:
    line = '{"user_id": "u1", "event": "page_view", "timestamp": "2024-05-01T10:00:00Z"}\n'
    assert report(str(write(tmp_path / "events.csv", line)))["persons"] == 1


def test_latin1_with_input_encoding(tmp_path: Path) -> None:
    cfg = config(tmp_path, "input: {encoding: latin-1}\n")
    data = report(str(BAD / "latin1.csv"), "-c", cfg, "--segment", "city")
    assert data["persons"] == 2
    assert sorted(r["value"] for r in data["segments"][0]["rows"]) == ["Köln", "Málaga"]


def test_utf16_with_input_encoding(tmp_path: Path) -> None:
    cfg = config(tmp_path, "input: {encoding: utf-16}\n")
    assert report(str(BAD / "utf16.csv"), "-c", cfg)["persons"] == 1


def test_configured_separator(tmp_path: Path) -> None:
    body = "user_id:event:timestamp\nu1:page_view:2024-05-01\n"
    cfg = config(tmp_path, "input: {separator: ':'}\n")
    assert report(str(write(tmp_path / "colon.csv", body)), "-c", cfg)["persons"] == 1


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        (
            "all_bad_time.csv",
            ["unparsable time 3 (column 'timestamp')", "'yesterday'", "columns.time_format"],
        ),
        ("all_null_user.csv", ["missing user 2 (column 'user_id')", "set columns.user"]),
        ("all_null_event.csv", ["missing event 2 (column 'event')", "set columns.event"]),
    ],
)
def test_all_dropped_message_names_column_example_and_fix(
    tmp_path: Path, name: str, fragments: list[str]
) -> None:
    # the loader's message for "every row dropped" (events.all_dropped_message)
    from fivea.config.loader import resolve_config
    from fivea.io.events import DROP_REASONS, all_dropped_message, drop_reason, scan_events
    from fivea.io.sources import resolve_sources

    loaded = resolve_config(None, "5a-default", tmp_path, {})
    scan = scan_events(resolve_sources([str(BAD / name)]), loaded.config)
    counts = scan.raw.select(
        pl.len().alias("rows"), *[(drop_reason() == r).sum().alias(r) for r in DROP_REASONS]
    ).collect()
    line = all_dropped_message(scan, counts.row(0, named=True))
    assert_all(line, name, "no valid events", *fragments)


def test_input_format_from_config(tmp_path: Path) -> None:
    path = write(tmp_path / "events.json", HEADER + "u1,page_view,2024-05-01\n")
    assert_all(error_line(str(path)), "events.json", "line 1", "not valid JSON")
    cfg = config(tmp_path, "input: {format: csv}\n")
    assert report(str(path), "-c", cfg)["persons"] == 1


def test_explain_read_error_locates_a_late_bad_byte(tmp_path: Path) -> None:
    # for the run's handler of errors polars raises at collect time (readers.explain_read_error)
    from fivea.io.readers import explain_read_error
    from fivea.io.sources import resolve_sources

    rows = "".join(f"u{i},page_view,2024-05-01T10:00:00Z\n" for i in range(3000))
    body = (HEADER + rows).encode() + "u9,caf\xe9,2024-05-01\n".encode("latin-1")
    path = write(tmp_path / "late.csv", body)
    with pytest.raises(pl.exceptions.ComputeError) as caught:
        pl.scan_csv(path, infer_schema=False).collect()
    line = str(explain_read_error(resolve_sources([str(path)]), caught.value))
    assert_all(line, "late.csv", "line 3002", "byte 0xe9", "`input: {encoding: latin-1}`")
