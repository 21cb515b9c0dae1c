"""CSV text: the separator, the header, and what polars would misread without a word.

Polars ends a CSV line at ``\\n`` (a ``\\r\\n`` too) but takes a lone ``\\r`` (classic Mac OS
line ends, or a mix of all three) as data: the line after it merges into the line before, and
rows are lost without a count. fivea finds lone carriage returns before the scan and reads a
copy with every line end made ``\\n`` (docs/input.md, "Line ends"). An unterminated quote
makes polars fail with the quoted text only; ``locate_open_quote`` finds the line it opens on.
"""

from __future__ import annotations

import csv
import gzip
import io
import mmap
import os
import re
import tempfile
from pathlib import Path

from fivea.errors import InputError, quote_data
from fivea.io.sources import DECOMPRESS_ERRORS, SEPARATORS, Source, unreadable

_LONE_CR = re.compile(rb"\r(?!\n)")
_LONE_CR_TEXT = re.compile("\r(?!\n)")
_CHUNK = 1 << 20
_SCAN_WINDOW = 1 << 24  # bytes file_has_lone_cr searches before it drops their pages
_MAX_QUOTE_SCAN = 1 << 30  # bytes: a larger file gets the generic message, not a full read


def head_has_lone_cr(text: str, complete: bool) -> bool:
    """Whether the checked head holds a ``\\r`` that is not part of ``\\r\\n``."""
    if not complete and text.endswith("\r"):
        text = text[:-1]  # the head may end between \r and \n
    return _LONE_CR_TEXT.search(text) is not None


def file_has_lone_cr(path: Path) -> bool:
    """Whether an uncompressed file holds a ``\\r`` that is not part of ``\\r\\n`` anywhere.

    Memory-mapped (no copy: one ``memchr`` per window, 10M events' 0.9 GB in about 0.2 s) and
    read window by window, each window's pages dropped from the mapping once searched: every
    touched page of a mapping counts in the process's resident memory, and the whole 4.5 GB
    50M CSV held 4.4 GB of RSS for this check, the run's peak (docs/performance.md "Memory:
    the allocator"). A CRLF file costs one regex pass in C per window.
    """
    size = path.stat().st_size
    if size == 0:
        return False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        dropped = 0  # pages before this offset are given back
        for start in range(0, size, _SCAN_WINDOW):
            end = min(start + _SCAN_WINDOW, size)
            found = mm.find(b"\r", start, end)
            if found != -1:
                # one byte past the window: a \r ending it may be followed by its \n
                lone = _LONE_CR.search(mm, found, min(end + 1, size))  # type: ignore[call-overload]
                if lone is not None and lone.start() < end:
                    return True
            dropped = _drop_pages(mm, dropped, end)
        return False


def _drop_pages(mm: mmap.mmap, start: int, end: int) -> int:
    """Give back the mapping's whole pages in [start, end) (``MADV_DONTNEED`` where there is
    one); returns where the next drop starts."""
    until = end - end % mmap.PAGESIZE
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if until > start and advice is not None and hasattr(mm, "madvise"):
        mm.madvise(advice, start, until - start)
        return until
    return start


def normalise_line_ends(source: Source, path: Path, compression: str | None) -> Path:
    """Stream ``path`` (decompressed) into a temp file where every line end is ``\\n``.

    The caller deletes the returned temp file. Carriage returns inside quoted values become
    ``\\n`` as well.
    """
    if compression == "zstd":
        msg = (
            f"{source.name}: lines end with a lone carriage return (classic Mac OS, or mixed "
            "line ends) in a zstd file; decompress it first (zstd -d), fivea then converts them"
        )
        raise InputError(msg)
    handle, name = tempfile.mkstemp(prefix="fivea-", suffix=".csv")
    target = Path(name)
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as raw, os.fdopen(handle, "wb") as out:  # type: ignore[operator]
            held = b""
            while chunk := raw.read(_CHUNK):
                chunk = held + chunk
                held = b""
                if chunk.endswith(b"\r"):  # its \n may start the next chunk
                    chunk, held = chunk[:-1], b"\r"
                out.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            out.write(held.replace(b"\r", b"\n"))
    except DECOMPRESS_ERRORS as exc:
        target.unlink(missing_ok=True)
        raise unreadable(source, exc) from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def locate_open_quote(source: Source, separator: str) -> InputError | None:
    """The line where a quote opens and never closes (only on an error path: reads the file).

    A quote opens a value only at its start (after a separator or a line end), as polars
    reads it; inside a quoted value ``""`` is a literal quote.
    """
    if (
        source.path is None
        or source.compression == "zstd"
        or source.path.stat().st_size > _MAX_QUOTE_SCAN
    ):
        return None
    opener = gzip.open if source.compression == "gzip" else open
    try:
        with opener(source.path, "rt", encoding="utf-8", errors="replace", newline="") as handle:  # type: ignore[operator]
            text = handle.read()
    except DECOMPRESS_ERRORS:
        return None
    quoted, opened_at, i = False, 0, 0
    starts = ("\n", "\r", separator)
    while (j := text.find('"', i)) != -1:
        if quoted:
            if text.startswith('""', j):
                i = j + 2  # a literal quote inside the quoted value
                continue
            quoted = False
        elif j == 0 or text[j - 1] in starts:
            quoted, opened_at = True, j
        i = j + 1
    if not quoted:
        return None
    line = text.count("\n", 0, opened_at) + 1
    end = text.find("\n", opened_at)
    value = text[opened_at : end if end != -1 else len(text)]
    msg = (
        f"{source.name}: line {line}: a quote opens here and never closes ({quote_data(value, 60)}); "
        'close it, or double a quote inside a quoted value (""), or remove it'
    )
    return InputError(msg)


def sniff_separator(text: str) -> str:
    """The candidate giving the most fields, consistently over the first lines.

    When no candidate is consistent (ragged rows), the header decides: the candidate that
    splits the first line into the most fields.
    """
    sample = text[:16384]
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        sample = "".join(lines[:-1])  # the last line may be cut
    best, best_fields = None, 1
    header_best, header_fields = ",", 1
    for candidate in SEPARATORS:
        try:
            rows = [
                r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=candidate) if r
            ][:50]
        except csv.Error:
            continue
        if not rows or len(rows[0]) <= 1:
            continue
        width = len(rows[0])
        if width > header_fields:
            header_best, header_fields = candidate, width
        consistent = sum(len(r) == width for r in rows) >= 0.9 * len(rows)
        if consistent and width > best_fields:
            best, best_fields = candidate, width
    return best or header_best


def check_header(origin: str, header: list[str]) -> None:
    """Two header columns with one name are an error (the second would shadow the first)."""
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header, start=1):
        positions.setdefault(name, []).append(index)
    for name, where in positions.items():
        if len(where) > 1:
            places = " and ".join(str(i) for i in where[:2])
            what = (
                f"column {quote_data(name, 40)} appears twice"
                if name
                else "two columns have no name"
            )
            msg = (
                f"{origin}: line 1: {what} in the header (columns {places}); "
                "rename one of them so each column has its own name"
            )
            raise InputError(msg)
