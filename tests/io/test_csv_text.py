"""Finding a lone carriage return in a file read chunk by chunk (fivea.io.csv_text)."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fivea.io import csv_text


def _reference(data: bytes) -> bool:
    """A ``\\r`` not followed by ``\\n``, over the whole file at once."""
    return re.search(rb"\r(?!\n)", data) is not None


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 1 << 24])
def test_chunk_boundaries_never_change_the_answer(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_text, "_SCAN_WINDOW", chunk)
    rng = random.Random(chunk)
    path = tmp_path / "ends.csv"
    cases = [b"", b"a", b"\r", b"\r\n", b"a\r\nb\r\n", b"a\rb", b"a\r\n\r", b"\r\r\n", b"ab\r"]
    cases += [bytes(rng.choice(b"ab\r\n") for _ in range(rng.randint(1, 40))) for _ in range(300)]
    for data in cases:
        path.write_bytes(data)
        assert csv_text.file_has_lone_cr(path) == _reference(data), data


@pytest.mark.parametrize("window", [4095, 4096, 5000])
def test_windows_across_pages_give_their_pages_back_and_the_same_answer(
    window: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows that do not end on a page: the pages searched are dropped from the mapping
    (whole pages only), and a CRLF or a lone CR on a window's edge is still judged right."""
    monkeypatch.setattr(csv_text, "_SCAN_WINDOW", window)
    rng = random.Random(window)
    path = tmp_path / "pages.csv"
    for edge in (window - 1, window, 2 * window - 1, 4095, 4096):
        for tail in (b"\r\n", b"\rx", b"\r"):
            data = bytearray(b"a" * 20_000)
            for at in rng.sample(range(20_000), 30):
                data[at : at + 2] = b"\r\n"  # CRLF only: never lone
            data[edge : edge + len(tail)] = tail
            path.write_bytes(bytes(data[:20_000]))
            assert csv_text.file_has_lone_cr(path) == _reference(bytes(data[:20_000]))


def test_a_crlf_split_between_two_chunks_is_not_lone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_text, "_SCAN_WINDOW", 4)
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"abc\r\nde\r\n")  # the first \r ends the first chunk
    assert not csv_text.file_has_lone_cr(path)
    path.write_bytes(b"abc\rxde\r\n")
    assert csv_text.file_has_lone_cr(path)


def test_the_check_does_not_hold_the_file_in_memory(tmp_path: Path) -> None:
    """A mapped file's pages counted in resident memory: 4.4 GB for a 4.5 GB CSV. Measured in
    a fresh interpreter, whose peak so far is its imports."""
    path = tmp_path / "big.csv"
    line = b"u1,page_view,2024-05-01T10:00:00Z\n"
    with path.open("wb") as out:
        for _ in range(96):
            out.write(line * (1 << 15))  # 96 MiB in all
    code = (
        "import resource, sys; from pathlib import Path; "
        "from fivea.io.csv_text import file_has_lone_cr; "
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "assert not file_has_lone_cr(Path(sys.argv[1])); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    assert int(done.stdout) < 32 * 1024  # KiB: a chunk and change, not the file's 96 MiB
