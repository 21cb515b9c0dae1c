"""Event sources (docs/input.md): each input file, stdin or pipe (spooled to a temp file) with its
format from its content and extension, in input order; the (decompressed) head of a file.

Input order, used by every tie-break, is (source path in byte order, row number in file):
``resolve_sources`` returns the sources in that order; ``fivea.io.input_paths`` expands
folders and globs; ``fivea.io.readers`` opens the sources.
"""

from __future__ import annotations

import glob
import gzip
import os
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl

from fivea.errors import InputError
from fivea.io.input_paths import (
    SUFFIX_FORMAT,
    SUFFIX_SEPARATOR,
    byte_order,
    folder_files,
    format_suffix,
    glob_files,
    hive_partitions,
    not_found,
)
from fivea.io.scratch import scratch_file

ORDER = "__order"
# the reader's row index: a NUL byte cannot start a CSV header name (binary data is refused),
# so it cannot collide with a data column, which is renamed otherwise (fivea.io.flatten)
ROW = "\x00row"
ROW_BITS = 40  # rows per file < 2^40; the file index sits above them in one Int64
HEAD_BYTES = 1 << 16  # bytes of a text file checked before the scan
COMPRESSION_MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
PARQUET_MAGIC = b"PAR1"
# binary files people pass by mistake: magic bytes -> (what it is, what to do)
FOREIGN_MAGIC = {
    b"PK\x03\x04": (
        "a ZIP archive (or an Excel .xlsx workbook)",
        "unzip it, or save the sheet as CSV",
    ),
    b"\xd0\xcf\x11\xe0": ("an Excel .xls workbook", "save the sheet as CSV"),
    b"ARROW1": ("an Arrow IPC (Feather) file", "convert it to Parquet"),
    b"SQLite format 3": ("a SQLite database", "export the events table as CSV or Parquet"),
    b"BZh": ("a bzip2 file", "decompress it first (bunzip2), or recompress it with gzip"),
    b"\xfd7zXZ": ("an xz file", "decompress it first (unxz), or recompress it with gzip"),
}
SEPARATORS = (",", ";", "\t", "|")
# what a damaged or cut-short gzip/zstd stream raises (Python's gzip and polars' readers)
DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error)
_SPOOL_CHUNK = 1 << 20


@dataclass(frozen=True)
class Source:
    """One input file (stdin is spooled to a temp file) and how to read it."""

    name: str
    path: Path | None
    format: str
    compression: str | None = None
    frame: pl.DataFrame | None = None  # an in-memory frame (Python API)
    hive: tuple[tuple[str, str | None], ...] = ()  # `key=value` folders below the input root
    separator: str | None = None  # implied by the suffix (.tsv, .psv)
    temporary: bool = False  # a temp file of ours (stdin), deleted after the run


# --- finding sources --------------------------------------------------------------------------


def resolve_sources(paths: list[str], forced_format: str | None = None) -> list[Source]:
    """Expand paths, folders (recursively, hive partitions included) and globs into sources.

    Sources come in input order: by path, byte order. A file named twice (directly and through
    a folder or glob) is read once.
    """
    if not paths:
        msg = "no event file given; pass a CSV, Parquet or NDJSON file, a folder, a glob or -"
        raise InputError(msg)
    sources: list[Source] = []
    seen: set[Path] = set()
    try:
        for raw in paths:
            if raw == "-":
                if any(s.name == "<stdin>" for s in sources):
                    msg = "-: standard input can be read only once; pass - once"
                    raise InputError(msg)
                sources.append(_stdin_source(forced_format))
                continue
            path = Path(raw)
            if path.is_dir():
                files = folder_files(path, raw)
            elif path.exists() and not path.is_file():
                # a named pipe or a shell's <(...) (/dev/fd/N): it can be read only once
                if path.resolve() not in seen:
                    seen.add(path.resolve())
                    sources.append(_pipe_source(path, raw, forced_format))
                continue
            elif path.exists():
                files = [(path, Path(path.name))]
            elif glob.has_magic(raw):
                files = glob_files(raw)
            else:
                raise not_found(raw)
            for file, relative in files:
                key = file.resolve()
                if key in seen:
                    continue
                seen.add(key)
                sources.append(_file_source(file, relative, forced_format))
    except BaseException:
        for source in sources:
            if source.temporary and source.path is not None:
                source.path.unlink(missing_ok=True)
        raise
    sources.sort(key=_input_order)
    return sources


def _input_order(source: Source) -> bytes:
    if source.name == "<stdin>" or source.path is None:
        return b""
    return byte_order(Path(source.name) if source.temporary else source.path)


def _file_source(file: Path, relative: Path, forced: str | None) -> Source:
    try:
        with file.open("rb") as handle:
            magic = handle.read(16)
    except PermissionError as exc:
        msg = f"{file}: permission denied; make the file readable (chmod +r) or run as its owner"
        raise InputError(msg) from exc
    except IsADirectoryError as exc:  # pragma: no cover - folders are expanded above
        msg = f"{file}: a folder, not a file; pass the folder itself or a glob"
        raise InputError(msg) from exc
    except OSError as exc:
        msg = f"{file}: cannot open the file ({exc.strerror or exc}); check the path"
        raise InputError(msg) from exc
    if not os.access(file, os.R_OK):
        msg = f"{file}: permission denied; make the file readable (chmod +r) or run as its owner"
        raise InputError(msg)
    fmt, compression = _detect(str(file), file, magic, forced)
    return Source(
        name=str(file),
        path=file,
        format=fmt,
        compression=compression,
        hive=hive_partitions(relative.parent),
        separator=SUFFIX_SEPARATOR.get(format_suffix(file)),
    )


def _detect(name: str, path: Path, magic: bytes, forced: str | None) -> tuple[str, str | None]:
    """(format, compression) from the magic bytes first, then the extension, then the text."""
    compression = next((c for m, c in COMPRESSION_MAGIC.items() if magic.startswith(m)), None)
    for foreign, (what, fix) in FOREIGN_MAGIC.items():
        if magic.startswith(foreign):
            msg = f"{name}: {what}, not event data; {fix}"
            raise InputError(msg)
    if forced:
        return forced, compression
    if magic.startswith(PARQUET_MAGIC):
        return "parquet", None
    by_suffix = SUFFIX_FORMAT.get(format_suffix(path))
    if by_suffix == "parquet":
        if compression is None and magic:
            looks = "text" if magic and b"\x00" not in magic else "something else"
            msg = (
                f"{name}: not a Parquet file (it does not start with PAR1; it looks like "
                f"{looks}); re-export it, or if it is CSV or NDJSON rename it or pass "
                "--input-format csv|ndjson"
            )
            raise InputError(msg)
        return "parquet", compression
    if by_suffix == "ndjson":
        return "ndjson", compression
    head = head_bytes(Source(name, path, "csv", compression), 4096)[0]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "ndjson", compression  # JSON objects, one per line, whatever the extension
    return "csv", compression


def _stdin_source(forced: str | None) -> Source:
    if sys.stdin is None or sys.stdin.isatty():
        msg = "-: nothing is piped into standard input; use `fivea diagnose - < events.csv`"
        raise InputError(msg)
    source = _spool(sys.stdin.buffer, "<stdin>", forced)
    if source is None:
        msg = "<stdin>: no data on standard input; pipe the events in (`... | fivea diagnose -`)"
        raise InputError(msg)
    return source


def _pipe_source(path: Path, raw: str, forced: str | None) -> Source:
    """A named pipe or ``<(...)``: read once, into a temp file every reader can reopen."""
    try:
        with path.open("rb") as stream:
            source = _spool(stream, raw, forced)
    except PermissionError as exc:
        msg = f"{raw}: permission denied; make it readable or run as its owner"
        raise InputError(msg) from exc
    except OSError as exc:
        msg = f"{raw}: cannot read it ({exc.strerror or exc}); pass a regular file or -"
        raise InputError(msg) from exc
    if source is None:
        msg = f"{raw}: no data came through the pipe; check the command that writes into it"
        raise InputError(msg)
    return source


def _spool(stream: BinaryIO, name: str, forced: str | None) -> Source | None:
    """Copy a stream into a temp file, in chunks; None when it holds only whitespace."""
    handle, temp = scratch_file(
        prefix="stdin-"
    )  # in the run's one temp folder (fivea/io/scratch.py)
    path = Path(temp)
    try:
        head = b""
        blank = True
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(_SPOOL_CHUNK):
                if len(head) < 16:
                    head += chunk[:16]
                blank = blank and not chunk.strip()
                out.write(chunk)
        if blank:
            path.unlink(missing_ok=True)
            return None
        fmt, compression = _detect(name, path, head[:16], forced)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Source(name, path, fmt, compression, temporary=True)


# --- reading heads ----------------------------------------------------------------------------


def frame_source(frame: pl.DataFrame, name: str = "<frame>") -> Source:
    """A source over an in-memory polars frame (its row order is the input order)."""
    return Source(name=name, path=None, format="frame", frame=frame)


def head_bytes(source: Source, size: int = HEAD_BYTES) -> tuple[bytes, bool]:
    """The first ``size`` decompressed bytes and whether they are the whole content."""
    assert source.path is not None
    try:
        if source.compression == "zstd":
            return zstd_head(source, size)
        opener = gzip.open if source.compression == "gzip" else open
        with opener(source.path, "rb") as handle:  # type: ignore[operator]
            head = handle.read(size + 1)
    except DECOMPRESS_ERRORS as exc:
        raise unreadable(source, exc) from exc
    return head[:size], len(head) <= size


def unreadable(source: Source, exc: BaseException) -> InputError:
    """The one-line error for a file whose bytes cannot be read or decompressed."""
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
    kind = source.compression
    if kind is None:
        msg = f"{source.name}: cannot read the file ({detail}); check that it is complete"
        return InputError(msg)
    tool = "gzip" if kind == "gzip" else "zstd"
    msg = (
        f"{source.name}: the {kind} data is damaged or incomplete ({detail}); copy or download "
        f"the file again (`{tool} -t {source.name}` tests it)"
    )
    return InputError(msg)


def check_decompresses(source: Source) -> InputError | None:
    """Decompress a whole compressed source to find damage (only on an error path)."""
    if source.path is None or source.compression is None:
        return None
    try:
        if source.compression == "gzip":
            with gzip.open(source.path, "rb") as handle:
                while handle.read(_SPOOL_CHUNK):
                    pass
        else:  # no zstd decoder in the standard library before 3.14: polars decompresses
            pl.scan_lines(source.path).select(pl.len()).collect()
    except DECOMPRESS_ERRORS as exc:
        return unreadable(source, exc)
    except pl.exceptions.PolarsError:
        return None  # decompressed, but not UTF-8 text: not damage
    return None


def zstd_head(source: Source, size: int) -> tuple[bytes, bool]:
    # no zstd decoder in the standard library before 3.14: let polars decompress the first lines
    lines: list[str] = []
    total = 0
    try:
        frame = pl.scan_lines(source.path, n_rows=2000).collect()  # type: ignore[arg-type]
    except pl.exceptions.ComputeError as exc:
        if "utf8" in str(exc).lower() or "utf-8" in str(exc).lower():
            msg = (
                f"{source.name}: not UTF-8 text; decompress it first (zstd -d) and set "
                "input.encoding in the config, e.g. `input: {encoding: latin-1}`"
            )
            raise InputError(msg) from exc
        raise unreadable(source, exc) from exc
    for line in frame.to_series():
        lines.append(line)
        total += len(line) + 1
        if total > size:
            break
    head = "\n".join(lines).encode("utf-8")
    complete = frame.height < 2000 and total <= size
    return head[:size] + (b"\n" if complete and head else b""), complete
