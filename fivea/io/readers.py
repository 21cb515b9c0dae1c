"""Opening event files lazily: CSV, Parquet, NDJSON (docs/input.md), each with ``__order``.

What can be checked before the scan is checked here, so that a bad file fails with one line
naming the file, the place and the fix instead of a polars error at collect time: the magic
bytes, the head of text files (binary data, encoding, an empty file, the header and its
duplicate names, the first NDJSON lines: ``fivea.io.text_input``) and the row count of Parquet
files. Compressed files are read by polars itself (gzip and zstd); only the head is
decompressed here.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fivea.errors import InputError, clip
from fivea.io.csv_text import (
    check_header,
    file_has_lone_cr,
    head_has_lone_cr,
    locate_open_quote,
    normalise_line_ends,
    sniff_separator,
)
from fivea.io.flatten import flatten, rename_reserved
from fivea.io.scratch import scratch_file
from fivea.io.sources import (
    DECOMPRESS_ERRORS,
    ORDER,
    PARQUET_MAGIC,
    ROW,
    ROW_BITS,
    Source,
    check_decompresses,
    head_bytes,
    unreadable,
)
from fivea.io.text_input import (
    check_json_line,
    csv_head,
    decode_head,
    is_utf8,
    locate_bad_json,
    locate_bad_utf8,
    transcode,
)

# what reading events can raise at collect time: polars' errors, and the I/O errors of a
# damaged compressed stream (polars raises those as OSError); callers turn them into one line
# with ``explain_read_error``
READ_ERRORS = (pl.exceptions.PolarsError, *DECOMPRESS_ERRORS)


def explain_read_error(sources: list[Source], exc: Exception) -> InputError:
    """A one-line error for a polars failure at collect time (for the caller's handler).

    An invalid UTF-8 byte past the checked head is located here (only on this error path, so
    the happy path never reads a file twice).
    """
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, DECOMPRESS_ERRORS):
        # a damaged gzip or zstd stream past the checked head: find the file that holds it
        for source in sources:
            damaged = check_decompresses(source)
            if damaged is not None:
                return damaged
    if "utf-8" in text.lower() or "utf8" in text.lower():
        for source in sources:
            located = locate_bad_utf8(source)
            if located is not None:
                return located
        name = sources[0].name if sources else "input"
        msg = f"{name}: not UTF-8 text; set input.encoding in the config, e.g. `input: {{encoding: latin-1}}`"
        return InputError(msg)
    if "could not parse" in text.lower():
        # polars names only the text; an unterminated quote is the usual cause: find its line
        for source in sources:
            if source.format == "csv" and source.path is not None:
                sep = source.separator or _sniffed(source)
                located = locate_open_quote(source, sep) if sep else None
                if located is not None:
                    return located
    name = sources[0].name if len(sources) == 1 else f"{len(sources)} input files"
    msg = (
        f"{name}: cannot read the events ({clip(text, 200)}); check the file, or set --input-format"
    )
    return InputError(msg)


def _sniffed(source: Source) -> str | None:
    try:
        return csv_separator(source)
    except InputError:
        return None


# --- scanning ---------------------------------------------------------------------------------


@dataclass
class _Opened:
    frame: pl.LazyFrame | None  # None: the source holds no rows and no columns
    empty: str | None  # why the source holds no events, when known before the scan


def _open_csv(source: Source, encoding: str, separator: str | None, temps: list[Path]) -> _Opened:
    head, text, complete = csv_head(source, encoding)
    if not text.strip():
        return _Opened(None, "the file is empty" if not head else "the file holds only blank lines")
    sep = separator or source.separator or sniff_separator(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as exc:
        msg = f"{source.name}: cannot read the CSV header ({exc}); check quoting and line endings"
        raise InputError(msg) from exc
    header = rows[0] if rows else []
    check_header(source.name, header)
    empty = None
    if complete and not any(any(cell.strip() for cell in row) for row in rows[1:]):
        shown = ", ".join(clip(n, 40) for n in header[:6]) + (", ..." if len(header) > 6 else "")
        empty = f"only a header line ({shown}), no event rows"
    target, compression = source.path, source.compression
    if not is_utf8(encoding):
        target, compression = transcode(source, encoding, temps), None
    assert target is not None
    if head_has_lone_cr(text, complete) or (compression is None and file_has_lone_cr(target)):
        # lone \r line ends (old Mac exports, mixed line ends): polars would merge lines
        target = normalise_line_ends(source, target, compression)
        temps.append(target)
    frame = pl.scan_csv(
        target,  # type: ignore[arg-type]
        separator=sep,
        infer_schema=False,  # every column is text: ids keep leading zeros and 19 digits
        row_index_name=ROW,
        truncate_ragged_lines=True,
        raise_if_empty=False,
        glob=False,
    )
    return _Opened(frame, empty)


def csv_separator(source: Source, encoding: str = "utf-8", separator: str | None = None) -> str:
    """The separator the CSV reader uses for ``source``: set, implied by the suffix, or sniffed.

    For engines that read the file themselves (Spark) with the same separator.
    """
    if separator or source.separator:
        return separator or source.separator or ","
    head, complete = head_bytes(source)
    return sniff_separator(decode_head(source, head, complete, encoding))


def _open_ndjson(source: Source, encoding: str, temps: list[Path]) -> _Opened:
    head, complete = head_bytes(source)
    text = decode_head(source, head, complete, encoding)
    if not text.strip():
        return _Opened(None, "the file is empty" if not head else "the file holds only blank lines")
    lines = text.splitlines()
    if not complete:
        lines = lines[:-1]  # the last line may be cut
    for number, line in enumerate(lines, start=1):
        if line.strip():
            check_json_line(source.name, number, line)
    target = source.path if is_utf8(encoding) else transcode(source, encoding, temps)
    frame = pl.scan_ndjson(
        target,  # type: ignore[arg-type]
        row_index_name=ROW,
        infer_schema_length=None,  # types never depend on which rows come first (docs/input.md)
    )
    try:
        frame.collect_schema()
    except pl.exceptions.PolarsError as exc:
        compression = source.compression if target == source.path else None
        raise locate_bad_json(source.name, target, compression, exc) from exc  # type: ignore[arg-type]
    return _Opened(frame, None)


def _open_parquet(source: Source, temps: list[Path]) -> _Opened:
    assert source.path is not None
    target = source.path
    if source.compression == "gzip":  # a whole Parquet file gzipped: rare, small, in memory
        handle, name = scratch_file(prefix="gunzip-", suffix=".parquet")
        temps.append(Path(name))
        try:
            with gzip.open(source.path, "rb") as raw, os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(raw, out, 1 << 20)
        except DECOMPRESS_ERRORS as exc:
            raise unreadable(source, exc) from exc
        target = Path(name)
    elif source.compression == "zstd":
        msg = f"{source.name}: a zstd-compressed Parquet file; decompress it first (zstd -d)"
        raise InputError(msg)
    with target.open("rb") as check:
        magic = check.read(4)
        if not magic:
            return _Opened(None, "the file is empty")
        if magic != PARQUET_MAGIC:
            msg = (
                f"{source.name}: not a Parquet file (it does not start with PAR1); "
                "re-export it, or pass --input-format csv|ndjson if it is text"
            )
            raise InputError(msg)
    frame = pl.scan_parquet(target, row_index_name=ROW, glob=False, hive_partitioning=False)
    schema = frame.collect_schema()
    rows = pl.scan_parquet(target, glob=False, hive_partitioning=False).select(pl.len())
    empty = None
    if rows.collect().item() == 0:
        shown = ", ".join(clip(n, 40) for n in schema.names() if n != ROW)
        empty = f"no rows (columns: {clip(shown, 120)})"
    return _Opened(frame, empty)


def _open(source: Source, encoding: str, separator: str | None, temps: list[Path]) -> _Opened:
    try:
        if source.frame is not None:
            return _Opened(source.frame.lazy().with_row_index(ROW), None)
        if source.format == "csv":
            return _open_csv(source, encoding, separator, temps)
        if source.format == "parquet":
            return _open_parquet(source, temps)
        return _open_ndjson(source, encoding, temps)
    except InputError:
        raise
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = (
            f"{source.name}: cannot read as {source.format.upper()} ({first[:160]}); "
            "check the file, or set --input-format"
        )
        raise InputError(msg) from exc


def _with_hive(frame: pl.LazyFrame, source: Source) -> pl.LazyFrame:
    if not source.hive:
        return frame
    names = set(frame.collect_schema().names())
    # a partition column also stored in the file: the file's values win (as in Spark and polars)
    extra = [pl.lit(v, pl.String).alias(k) for k, v in source.hive if k not in names]
    return frame.with_columns(extra) if extra else frame


@dataclass(frozen=True)
class FileColumns:
    """The columns one source holds (after flattening and hive columns), from its schema."""

    name: str
    names: tuple[str, ...]
    has_rows: bool  # False: known before the scan to hold no rows


def scan_sources(
    sources: list[Source], encoding: str = "utf-8", separator: str | None = None
) -> tuple[pl.LazyFrame, list[Path], list[FileColumns]]:
    """One lazy frame over all sources with ``__order``; the temp files to delete after; the
    columns of each source that has any (in input order), to check them one by one."""
    temps: list[Path] = [s.path for s in sources if s.temporary and s.path is not None]
    files: list[FileColumns] = []
    try:
        return _scan_all(sources, encoding, separator, temps, files), temps, files
    except BaseException:
        for path in temps:
            path.unlink(missing_ok=True)
        raise


def _scan_all(
    sources: list[Source],
    encoding: str,
    separator: str | None,
    temps: list[Path],
    files: list[FileColumns],
) -> pl.LazyFrame:
    frames = []
    empties: list[tuple[Source, str]] = []
    for index, source in enumerate(sources):
        opened = _open(source, encoding, separator, temps)
        if opened.empty is not None:
            empties.append((source, opened.empty))
        if opened.frame is None:
            continue
        frame = rename_reserved(_with_hive(flatten(opened.frame, source.name), source), (ROW,))
        names = tuple(n for n in frame.collect_schema().names() if n != ROW)
        files.append(FileColumns(source.name, names, opened.empty is None))
        order = (pl.lit(index, pl.Int64) * (1 << ROW_BITS)) + pl.col(ROW).cast(pl.Int64)
        frames.append(frame.with_columns(order.alias(ORDER)).drop(ROW))
    if len(empties) == len(sources):
        source, why = empties[0]
        if len(sources) == 1:
            msg = f"{source.name}: {why}; export some events into it"
        else:
            msg = (
                f"{source.name}: {why}, and so are the other {len(sources) - 1} input files; "
                "no events to analyse"
            )
        raise InputError(msg)
    if len(frames) == 1:
        return frames[0]
    try:
        combined = pl.concat(frames, how="diagonal_relaxed")
        combined.collect_schema()
    except pl.exceptions.PolarsError as exc:
        msg = (
            f"the input files have incompatible columns ({str(exc).splitlines()[0]}); "
            "pass files of one export"
        )
        raise InputError(msg) from exc
    return combined
