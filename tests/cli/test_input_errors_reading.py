"""Reading input files, hardened (issue #17): the cases an adversarial tester found.

Each case runs in its own process under the corpus limits (tests/limits.py: 4 GiB, 60 s), like
tests/cli/test_input_errors.py. Cannot-analyse inputs exit 2 with one line naming the file, the
place and the fix; must-read inputs exit 0 with every row read or counted with a reason.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.limits import (
    HEADER,
    TIMEOUT,
    _limit,
    assert_all,
    dropped,
    error_line,
    report,
    run_limited,
    write,
)


def rows(n: int, start: int = 0) -> str:
    return "".join(f"u{i},page_view,2024-05-01T10:{i % 60:02d}:00Z\n" for i in range(start, n))


# --- resources: cost linear in the columns ----------------------------------------------------


def test_ten_thousand_columns_finish_under_the_limits(tmp_path: Path) -> None:
    # 10,003 columns x 1,000 rows: the per-column row hash of the duplicate count used to nest
    # one expression per column, planned in more than quadratic time (4,000 x 3 took 135 s)
    extra = [f"c{i}" for i in range(10_000)]
    lines = [",".join(["user_id", "event", "timestamp", *extra])]
    for r in range(1000):
        k = r % 500  # rows 500..999 repeat rows 0..499
        cells = [f"u{k % 100}", "page_view", f"2024-05-01T10:{k % 60:02d}:00Z"]
        lines.append(",".join(cells + [str((k + i) % 7) for i in range(len(extra))]))
    path = write(tmp_path / "wide.csv", "\n".join(lines) + "\n")
    data = report(str(path))
    assert data["quality"]["rows_read"] == 1000
    assert data["quality"]["duplicates"] == 500
    assert data["persons"] == 100


# --- damaged compressed files: one line, exit 2 (was exit 3) ----------------------------------


def _gzip_body(n: int) -> bytes:
    return gzip.compress((HEADER + rows(n)).encode())


GZIP_DAMAGE = {
    "cut_in_the_middle": lambda g: g[: len(g) // 2],
    "cut_past_the_checked_head": lambda g: g[: int(len(g) * 0.9)],
    "bad_crc": lambda g: g[:-8] + bytes([g[-8] ^ 0xFF]) + g[-7:],
    "garbage_after_the_magic": lambda g: g[:10] + bytes(range(256)) * 20,
    "unknown_method": lambda g: b"\x1f\x8b" + b"garbage after magic" * 10,
}


@pytest.mark.parametrize("shape", list(GZIP_DAMAGE))
def test_damaged_gzip(tmp_path: Path, shape: str) -> None:
    data = GZIP_DAMAGE[shape](_gzip_body(200_000 if "past" in shape else 2000))
    path = write(tmp_path / "events.csv.gz", data)
    line = error_line(str(path))
    assert_all(line, "events.csv.gz: the gzip data is damaged or incomplete", "gzip -t")


@pytest.mark.skipif(shutil.which("zstd") is None, reason="needs the zstd command to make a file")
@pytest.mark.parametrize("shape", ["cut_in_the_middle", "cut_past_the_checked_head", "flipped"])
def test_damaged_zstd(tmp_path: Path, shape: str) -> None:
    plain = write(tmp_path / "plain.csv", HEADER + rows(200_000 if "past" in shape else 2000))
    packed = tmp_path / "plain.csv.zst"
    subprocess.run(["zstd", "-q", str(plain), "-o", str(packed)], check=True)
    data = packed.read_bytes()
    if shape == "flipped":
        data = (
            data[: len(data) // 2]
            + bytes([data[len(data) // 2] ^ 0xFF])
            + data[len(data) // 2 + 1 :]
        )
    else:
        data = data[: len(data) // 2 if "middle" in shape else int(len(data) * 0.9)]
    line = error_line(str(write(tmp_path / "events.csv.zst", data)))
    assert_all(line, "events.csv.zst: the zstd data is damaged or incomplete", "zstd -t")


# --- pipes: read once -------------------------------------------------------------------------


def _feed(fifo: Path, data: bytes) -> threading.Thread:
    def run() -> None:
        try:
            with fifo.open("wb") as out:  # blocks until fivea opens the pipe
                out.write(data)
        except BrokenPipeError:  # the reader closed early: the test fails on its counts
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_named_pipe_is_read_once(tmp_path: Path) -> None:
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    _feed(fifo, (HEADER + rows(500)).encode())
    data = report(str(fifo))
    assert data["quality"]["rows_read"] == 500
    assert data["source"]["files"] == [str(fifo)]


def test_named_pipe_of_gzip_is_read_once(tmp_path: Path) -> None:
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    _feed(fifo, _gzip_body(500))
    assert report(str(fifo))["quality"]["rows_read"] == 500


def _bash(command: str) -> subprocess.CompletedProcess[bytes]:
    """``command`` in bash (for its ``<(...)``), fivea under the corpus limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIVEA_", "GITHUB_"))}
    env.update({"COLUMNS": "100", "NO_COLOR": "1", "FIVEA_CONFIG": "", "PYTHONPATH": str(ROOT)})
    return subprocess.run(
        ["bash", "-c", command.replace("FIVEA", f"{sys.executable} -m fivea")],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=TIMEOUT,
        preexec_fn=_limit,
        check=False,
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for <(...)")
def test_process_substitution_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv.gz", _gzip_body(300))
    proc = _bash(f"FIVEA diagnose <(cat {path}) -f json")
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["quality"]["rows_read"] == 300
    proc = _bash("FIVEA diagnose <(true) -f json")
    assert proc.returncode == 2
    assert "no data came through the pipe" in proc.stderr.decode()


# --- a folder of files with different columns -------------------------------------------------


@pytest.mark.parametrize(
    ("header", "role", "column"),
    [
        ("user_id,event,when", "time", "'timestamp'"),
        ("user_id,action,timestamp", "event", "'event'"),
        ("visitor,event,timestamp", "user", "'user_id'"),
    ],
)
def test_a_file_lacking_a_mapped_column_is_an_error(
    tmp_path: Path, header: str, role: str, column: str
) -> None:
    write(tmp_path / "d" / "a.csv", HEADER + rows(3))
    write(tmp_path / "d" / "b.csv", header + "\nu9,page_view,2024-05-01\n")
    line = error_line(str(tmp_path / "d"))
    assert_all(
        line,
        f"{tmp_path / 'd' / 'b.csv'}: no {role} column {column} in this file",
        f"it is in {tmp_path / 'd' / 'a.csv'}",
        f"columns here: {header.replace(',', ', ')}",
        "leave the file out",
    )


def test_detection_reads_the_first_file(tmp_path: Path) -> None:
    # `ts` in the second file used to make the time column ambiguous over the union of columns
    write(tmp_path / "d" / "a.csv", HEADER + rows(3))
    write(tmp_path / "d" / "b.csv", "user_id,event,timestamp,ts\nu9,page_view,2024-05-01,x\n")
    data = report(str(tmp_path / "d"))
    assert data["source"]["columns"]["time"] == "timestamp"
    assert data["quality"]["rows_read"] == 4
    assert dropped(data) == {}


def test_a_user_list_needs_one_of_its_columns_per_file(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "fivea.yaml",
        "version: 1\npreset: 5a-default\ncolumns: {user: [account, visitor]}\n",
    )
    write(tmp_path / "d" / "a.csv", "account,event,timestamp\nacc1,page_view,2024-05-01\n")
    write(tmp_path / "d" / "b.csv", "visitor,event,timestamp\nv1,page_view,2024-05-01\n")
    data = report(str(tmp_path / "d"), "-c", str(cfg))
    assert data["quality"]["rows_read"] == 2
    assert data["persons"] == 2
    write(tmp_path / "d" / "c.csv", "someone,event,timestamp\ns1,page_view,2024-05-01\n")
    line = error_line(str(tmp_path / "d"), "-c", str(cfg))
    assert_all(line, "c.csv: no user column 'account' or 'visitor' in this file")


def test_a_property_one_file_lacks_is_null_there(tmp_path: Path) -> None:
    write(
        tmp_path / "d" / "a.csv", "user_id,event,timestamp,channel\nu1,page_view,2024-05-01,ads\n"
    )
    write(tmp_path / "d" / "b.csv", HEADER + "u2,page_view,2024-05-01\n")
    write(tmp_path / "d" / "c.csv", "other,columns\n")  # no rows: not checked
    data = report(str(tmp_path / "d"), "--segment", "channel")
    assert data["quality"]["rows_read"] == 2
    values = {r["value"]: r["persons"] for r in data["segments"][0]["rows"]}
    assert values.get("ads") == 1


# --- line ends: every row read ----------------------------------------------------------------


def _mixed_line_ends(n: int) -> bytes:
    ends = [b"\n", b"\r\n", b"\r"]
    lines = [HEADER.strip(), *rows(n).splitlines()]
    return b"".join(line.encode() + ends[i % 3] for i, line in enumerate(lines))


def test_mixed_line_ends_lose_no_row(tmp_path: Path) -> None:
    data = report(str(write(tmp_path / "mixed.csv", _mixed_line_ends(5008))))
    assert data["quality"]["rows_read"] == 5008
    assert dropped(data) == {}


def test_lone_cr_past_the_checked_head_loses_no_row(tmp_path: Path) -> None:
    body = (HEADER + rows(5000)).encode() + _mixed_line_ends(9).split(b"\n", 1)[1]
    assert body.find(b"\r") > 1 << 16
    data = report(str(write(tmp_path / "late.csv", body)))
    assert data["quality"]["rows_read"] == 5009
    assert dropped(data) == {}


def test_classic_mac_line_ends_are_read(tmp_path: Path) -> None:
    body = (HEADER + rows(10)).replace("\n", "\r").encode()
    data = report(str(write(tmp_path / "mac.csv", body)))
    assert data["quality"]["rows_read"] == 10
    gz = write(tmp_path / "mac.csv.gz", gzip.compress(body))
    assert report(str(gz))["quality"]["rows_read"] == 10


def test_crlf_split_across_chunks_and_quoted_newlines(tmp_path: Path) -> None:
    # a lone \r makes fivea convert the file; CRLF and quoted values survive the conversion
    body = HEADER.strip() + ",note\r\n" + 'u1,page_view,2024-05-01T10:00:00Z,"a\r\nb"\r'
    body += "".join(f"u{i},page_view,2024-05-01T10:00:00Z,x\r\n" for i in range(2, 60_000))
    data = report(str(write(tmp_path / "crlf.csv", body)))
    assert data["quality"]["rows_read"] == 59_999
    assert dropped(data) == {}


# --- messages ---------------------------------------------------------------------------------


def test_unterminated_quote_names_its_line(tmp_path: Path) -> None:
    body = HEADER + rows(5000) + 'u9,"page_view,2024-05-01\n' + rows(50)
    line = error_line(str(write(tmp_path / "quote.csv", body)))
    assert_all(
        line,
        "quote.csv: line 5002: a quote opens here and never closes ('\"page_view,2024-05-01')",
        'double a quote inside a quoted value ("")',
    )
    assert "--input-format" not in line


def test_a_huge_header_is_not_echoed(tmp_path: Path) -> None:
    # one 5 MB column name, and a header of 100,000 names (2 MB): the message stays short
    long_name = write(tmp_path / "one.csv", "x" * 5_000_000 + ",event\nu1,a\n")
    assert len(error_line(str(long_name))) < 400
    names = ",".join(f"column_{i}" for i in range(100_000))
    many = write(tmp_path / "many.csv", f"user_id,event,{names}\nu1,page_view,1\n")
    line = error_line(str(many))
    assert_all(line, "many.csv: no time column found", "column_0, column_1", ", ...")
    assert len(line) < 400


def test_a_huge_value_is_clipped(tmp_path: Path) -> None:
    body = HEADER + "u1,page_view," + "x" * 1_000_000 + "\n"
    line = error_line(str(write(tmp_path / "value.csv", body)))
    assert_all(line, "value.csv: no valid events", "'xxxx", "…' (1,000,000 characters)")
    assert len(line) < 400


def test_quote_data_clips_and_keeps_one_line() -> None:
    from fivea.errors import clip, quote_data

    assert quote_data("a\nb") == "'a\\nb'"
    assert quote_data("x" * 100, 10) == "'xxxxxxxxx…' (100 characters)"
    assert clip("abc", 10) == "abc"


# --- folders: nothing skipped without a word --------------------------------------------------


def test_unreadable_subfolder_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "d" / "a.csv", HEADER + rows(3))
    locked = tmp_path / "d" / "locked"
    write(locked / "b.csv", HEADER + rows(3))
    write(tmp_path / "d" / "_hidden" / "c.csv", HEADER + rows(3))
    real = os.scandir

    def scandir(path: object = ".") -> object:  # root lists anything: simulate the refusal
        if Path(os.fsdecode(path)) in (locked, tmp_path / "d" / "_hidden"):  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fsdecode(path))  # type: ignore[arg-type]
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    line = error_line(str(tmp_path / "d"), in_process=True)
    assert_all(line, f"{locked}: cannot list this folder (permission denied)", "chmod +rx")


def test_broken_link_in_a_folder_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.csv", HEADER + rows(3))
    (tmp_path / "d" / "b.csv").symlink_to(tmp_path / "gone.csv")
    (tmp_path / "d" / "notes.md").symlink_to(tmp_path / "gone.md")  # not a data name: ignored
    line = error_line(str(tmp_path / "d"))
    assert_all(line, "b.csv: a broken symbolic link (to ", "gone.csv", "remove it from the folder")


def test_validate_against_damaged_data_is_one_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "fivea.yaml", "version: 1\npreset: 5a-default\n")
    data = GZIP_DAMAGE["cut_past_the_checked_head"](_gzip_body(200_000))
    path = write(tmp_path / "events.csv.gz", data)
    result = run_limited("validate", str(cfg), str(path), code=2)
    assert_all(result.stderr, "events.csv.gz: the gzip data is damaged or incomplete")
    assert len(result.stderr.splitlines()) == 1
