"""Finding and opening event files: paths, folders, globs, stdin; CSV, Parquet, NDJSON (SPEC §2).

Each source becomes a lazy frame of its raw columns plus ``__order``, the input order used by
every tie-break: (source path in byte order, row number in file).

What can be checked before the scan is checked here, so that a bad file fails with one line
naming the file, the place and the fix instead of a polars error at collect time: the path, the
magic bytes (Parquet, gzip, zstd, ZIP, Excel), the head of text files (binary data, encoding,
an empty file, the header and its duplicate names, the first NDJSON lines) and the row count
of Parquet files. Compressed files are read by polars itself (gzip and zstd); only the head is
decompressed here. The content decides the format where the extension is wrong (a Parquet file
named ``.csv`` is read as Parquet).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import glob
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import polars as pl

from fivea.errors import InputError
from fivea.flatten import flatten

ORDER = "__order"
_ROW = "__row"
_ROW_BITS = 40  # rows per file < 2^40; the file index sits above them in one Int64
_HEAD = 1 << 16  # bytes of a text file checked before the scan
_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".tsv": "csv",
    ".psv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}
_SUFFIX_SEPARATOR = {".tsv": "\t", ".psv": "|"}
# a folder may hold notes next to the data: .txt is read only when named explicitly
_FOLDER_SUFFIXES = tuple(s for s in _SUFFIX_FORMAT if s != ".txt")
_COMPRESSION_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_COMPRESSION_MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
_PARQUET_MAGIC = b"PAR1"
# binary files people pass by mistake: magic bytes -> (what it is, what to do)
_FOREIGN_MAGIC = {
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
_SEPARATORS = (",", ";", "\t", "|")
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


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


# --- finding files ----------------------------------------------------------------------------


def _strip_compression(name: str) -> str:
    lowered = name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _suffix(path: Path) -> str:
    return Path(_strip_compression(path.name)).suffix.lower()


def _hidden(relative: Path) -> bool:
    # `_SUCCESS`, `.crc`, `_temporary/` and dot folders are writer leftovers, not data
    return any(part.startswith((".", "_")) for part in relative.parts)


def _byte_order(path: Path) -> bytes:
    return os.fsencode(path)


def _hive(relative_parent: Path) -> tuple[tuple[str, str | None], ...]:
    pairs = []
    for part in relative_parent.parts:
        key, sep, value = part.partition("=")
        if sep and key:
            text = unquote(value)
            pairs.append((unquote(key), None if text in ("", _HIVE_NULL) else text))
    return tuple(pairs)


def _folder_files(root: Path, raw: str) -> list[tuple[Path, Path]]:
    files = sorted(
        (
            (p, p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and not _hidden(p.relative_to(root)) and _suffix(p) in _FOLDER_SUFFIXES
        ),
        key=lambda pair: _byte_order(pair[0]),
    )
    if not files:
        held = sorted(p.name for p in root.iterdir())[:6]
        holds = f" (it holds: {', '.join(held)})" if held else " (it is empty)"
        msg = (
            f"{raw}: the folder holds no data files{holds}; fivea reads "
            ".csv, .tsv, .parquet, .ndjson, .jsonl and .json files (also .gz or .zst) "
            "in it and its subfolders"
        )
        raise InputError(msg)
    return files


def _glob_root(raw: str) -> Path:
    fixed = []
    for part in Path(raw).parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def _glob_files(raw: str) -> list[tuple[Path, Path]]:
    root = _glob_root(raw)
    found: list[tuple[Path, Path]] = []
    for match in glob.glob(raw, recursive=True):
        path = Path(match)
        if path.is_dir():
            found.extend((p, p.relative_to(root)) for p, _ in _folder_files(path, match))
        elif path.is_file() and not _hidden(Path(path.name)):
            found.append((path, path.relative_to(root) if path.is_relative_to(root) else path))
    if not found:
        msg = f"{raw}: no file matches this pattern; check the pattern (quote it so the shell does not expand it)"
        raise InputError(msg)
    return sorted(found, key=lambda pair: _byte_order(pair[0]))


def _not_found(raw: str) -> InputError:
    path = Path(raw)
    if path.is_symlink():
        msg = (
            f"{raw}: a broken symbolic link (to {os.readlink(path)}); point it at an existing file"
        )
        return InputError(msg)
    parent = path.parent if str(path.parent) else Path()
    hint = ""
    if parent.is_dir():
        names = [p.name for p in parent.iterdir()]
        close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.8)
        if close:
            hint = f"did you mean '{parent / close[0]}'? "
    elif str(parent) not in ("", "."):
        hint = f"the folder '{parent}' does not exist either; "
    msg = f"{raw}: file not found; {hint}check the path (a folder or a quoted glob works too)"
    return InputError(msg)


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
                files = _folder_files(path, raw)
            elif path.exists():
                files = [(path, Path(path.name))]
            elif glob.has_magic(raw):
                files = _glob_files(raw)
            else:
                raise _not_found(raw)
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
    sources.sort(key=lambda s: _byte_order(s.path) if not s.temporary and s.path else b"")
    return sources


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
        hive=_hive(relative.parent),
        separator=_SUFFIX_SEPARATOR.get(_suffix(file)),
    )


def _detect(name: str, path: Path, magic: bytes, forced: str | None) -> tuple[str, str | None]:
    """(format, compression) from the magic bytes first, then the extension, then the text."""
    compression = next((c for m, c in _COMPRESSION_MAGIC.items() if magic.startswith(m)), None)
    for foreign, (what, fix) in _FOREIGN_MAGIC.items():
        if magic.startswith(foreign):
            msg = f"{name}: {what}, not event data; {fix}"
            raise InputError(msg)
    if forced:
        return forced, compression
    if magic.startswith(_PARQUET_MAGIC):
        return "parquet", None
    by_suffix = _SUFFIX_FORMAT.get(_suffix(path))
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
    head = _head_bytes(Source(name, path, "csv", compression), 4096)[0]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "ndjson", compression  # JSON objects, one per line, whatever the extension
    return "csv", compression


def _stdin_source(forced: str | None) -> Source:
    if sys.stdin is None or sys.stdin.isatty():
        msg = "-: nothing is piped into standard input; use `fivea diagnose - < events.csv`"
        raise InputError(msg)
    data = sys.stdin.buffer.read()
    if not data.strip():
        msg = "<stdin>: no data on standard input; pipe the events in (`... | fivea diagnose -`)"
        raise InputError(msg)
    handle, name = tempfile.mkstemp(prefix="fivea-stdin-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    path = Path(name)
    try:
        fmt, compression = _detect("<stdin>", path, data[:16], forced)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Source("<stdin>", path, fmt, compression, temporary=True)


# --- reading heads ----------------------------------------------------------------------------


def _head_bytes(source: Source, size: int = _HEAD) -> tuple[bytes, bool]:
    """The first ``size`` decompressed bytes and whether they are the whole content."""
    assert source.path is not None
    try:
        if source.compression == "zstd":
            return _zstd_head(source, size)
        opener = gzip.open if source.compression == "gzip" else open
        with opener(source.path, "rb") as handle:  # type: ignore[operator]
            head = handle.read(size + 1)
    except (OSError, EOFError) as exc:
        kind = f"{source.compression} " if source.compression else ""
        msg = f"{source.name}: cannot read the {kind}file ({exc}); check that it is complete"
        raise InputError(msg) from exc
    return head[:size], len(head) <= size


def _zstd_head(source: Source, size: int) -> tuple[bytes, bool]:
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
        msg = f"{source.name}: cannot decompress zstd ({str(exc).splitlines()[0]}); check the file"
        raise InputError(msg) from exc
    for line in frame.to_series():
        lines.append(line)
        total += len(line) + 1
        if total > size:
            break
    head = "\n".join(lines).encode("utf-8")
    complete = frame.height < 2000 and total <= size
    return head[:size] + (b"\n" if complete and head else b""), complete


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _decode_head(source: Source, head: bytes, complete: bool, encoding: str) -> str:
    """The head as text; binary data and undeclared non-UTF-8 text are errors."""
    codec = codecs.lookup(encoding).name
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not codec.startswith("utf-16"):
        msg = (
            f"{source.name}: UTF-16 text (it starts with a UTF-16 byte-order mark); set "
            "`input: {encoding: utf-16}` in the config, or save the file as UTF-8"
        )
        raise InputError(msg)
    wide = codec.startswith(("utf-16", "utf-32"))
    if not wide:
        nul = head.find(b"\x00")
        controls = sum(
            head.count(bytes([b])) for b in (*range(1, 9), *range(14, 27), *range(28, 32))
        )
        if nul >= 0 or controls > max(8, len(head) // 100):
            where = f"a NUL byte at byte {nul}" if nul >= 0 else "control characters"
            msg = (
                f"{source.name}: binary data, not {source.format.upper()} text ({where}); "
                "pass a CSV, Parquet or NDJSON file (or set --input-format)"
            )
            raise InputError(msg)
    if _is_utf8(encoding):
        try:
            return head.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            if (
                not complete
                and exc.start >= len(head) - 3
                and exc.reason == "unexpected end of data"
            ):
                return head[: exc.start].decode("utf-8").lstrip("\ufeff")
            line = head[: exc.start].count(b"\n") + 1
            raise _not_utf8(source.name, line, head[exc.start], head) from exc
    try:
        return head.decode(encoding, errors="strict" if complete else "ignore").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        msg = f"{source.name}: not valid {encoding} text at byte {exc.start}; check input.encoding"
        raise InputError(msg) from exc


def _not_utf8(name: str, line: int, byte: int, sample: bytes) -> InputError:
    windows = any(0x80 <= b <= 0x9F for b in sample)  # printable in cp1252, controls in latin-1
    guess, other = ("cp1252", "latin-1") if windows else ("latin-1", "cp1252")
    msg = (
        f"{name}: line {line}: not UTF-8 text (byte 0x{byte:02x}); set the file's encoding in "
        f"the config, e.g. `input: {{encoding: {guess}}}` (or {other}), or save it as UTF-8"
    )
    return InputError(msg)


def explain_read_error(sources: list[Source], exc: Exception) -> InputError:
    """A one-line error for a polars failure at collect time (for the caller's handler).

    An invalid UTF-8 byte past the checked head is located here (only on this error path, so
    the happy path never reads a file twice).
    """
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "utf-8" in text.lower() or "utf8" in text.lower():
        for source in sources:
            located = _locate_bad_utf8(source)
            if located is not None:
                return located
        name = sources[0].name if sources else "input"
        msg = f"{name}: not UTF-8 text; set input.encoding in the config, e.g. `input: {{encoding: latin-1}}`"
        return InputError(msg)
    name = sources[0].name if len(sources) == 1 else f"{len(sources)} input files"
    msg = f"{name}: cannot read the events ({text[:200]}); check the file, or set --input-format"
    return InputError(msg)


def _locate_bad_utf8(source: Source) -> InputError | None:
    if source.path is None or source.format == "parquet" or source.compression == "zstd":
        return None
    opener = gzip.open if source.compression == "gzip" else open
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    try:
        with opener(source.path, "rb") as handle:  # type: ignore[operator]
            while chunk := handle.read(1 << 20):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    data = bytes(exc.object)  # the decoder's pending bytes + this chunk
                    line = lines + data[: exc.start].count(b"\n") + 1
                    return _not_utf8(source.name, line, data[exc.start], data)
                lines += chunk.count(b"\n")
    except (OSError, EOFError) as exc:
        msg = f"{source.name}: cannot read the file ({exc}); check that it is complete"
        return InputError(msg)
    return None


# --- scanning ---------------------------------------------------------------------------------


@dataclass
class _Opened:
    frame: pl.LazyFrame | None  # None: the source holds no rows and no columns
    empty: str | None  # why the source holds no events, when known before the scan


def _transcode(source: Source, encoding: str, temps: list[Path]) -> Path:
    """Polars reads only UTF-8: stream the file into a UTF-8 temp file."""
    assert source.path is not None
    if source.compression == "zstd":
        msg = (
            f"{source.name}: zstd with input.encoding {encoding} is not supported; "
            "decompress it first (zstd -d) or save it as UTF-8"
        )
        raise InputError(msg)
    handle, name = tempfile.mkstemp(prefix="fivea-", suffix=".utf8")
    temps.append(Path(name))
    opener = gzip.open if source.compression == "gzip" else open
    with (
        opener(source.path, "rb") as raw,  # type: ignore[operator]
        io.TextIOWrapper(raw, encoding=encoding, newline="") as text,
        os.fdopen(handle, "w", encoding="utf-8", newline="") as out,
    ):
        try:
            shutil.copyfileobj(text, out, 1 << 20)
        except UnicodeDecodeError as exc:
            msg = f"{source.name}: not valid {encoding} text ({exc.reason}); check input.encoding"
            raise InputError(msg) from exc
        except (OSError, EOFError) as exc:  # a truncated gzip shows only past the head
            msg = f"{source.name}: cannot read the file ({exc}); check that it is complete"
            raise InputError(msg) from exc
    return Path(name)


def _sniff_separator(text: str) -> str:
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
    for candidate in _SEPARATORS:
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


def _check_header(source: Source, header: list[str]) -> None:
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header, start=1):
        positions.setdefault(name, []).append(index)
    for name, where in positions.items():
        if len(where) > 1:
            places = " and ".join(str(i) for i in where[:2])
            what = f"column {name!r} appears twice" if name else "two columns have no name"
            msg = (
                f"{source.name}: line 1: {what} in the header (columns {places}); "
                "rename one of them so each column has its own name"
            )
            raise InputError(msg)


def _open_csv(source: Source, encoding: str, separator: str | None, temps: list[Path]) -> _Opened:
    head, complete = _head_bytes(source)
    text = _decode_head(source, head, complete, encoding)
    if not text.strip():
        return _Opened(None, "the file is empty" if not head else "the file holds only blank lines")
    if "\r" in text and "\n" not in text.rstrip("\r\n") and text.count("\r") > 1:
        msg = (
            f"{source.name}: lines end with a bare carriage return (classic Mac OS); "
            "convert the line endings to LF or CRLF, e.g. `tr '\\r' '\\n'`"
        )
        raise InputError(msg)
    sep = separator or source.separator or _sniff_separator(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as exc:
        msg = f"{source.name}: cannot read the CSV header ({exc}); check quoting and line endings"
        raise InputError(msg) from exc
    header = rows[0] if rows else []
    _check_header(source, header)
    empty = None
    if complete and not any(any(cell.strip() for cell in row) for row in rows[1:]):
        shown = ", ".join(header[:6]) + (", ..." if len(header) > 6 else "")
        empty = f"only a header line ({shown}), no event rows"
    target = source.path
    if not _is_utf8(encoding):
        target = _transcode(source, encoding, temps)
    frame = pl.scan_csv(
        target,  # type: ignore[arg-type]
        separator=sep,
        infer_schema=False,  # every column is text: ids keep leading zeros and 19 digits
        row_index_name=_ROW,
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
    head, complete = _head_bytes(source)
    return _sniff_separator(_decode_head(source, head, complete, encoding))


def _open_ndjson(source: Source, encoding: str, temps: list[Path]) -> _Opened:
    head, complete = _head_bytes(source)
    text = _decode_head(source, head, complete, encoding)
    if not text.strip():
        return _Opened(None, "the file is empty" if not head else "the file holds only blank lines")
    lines = text.splitlines()
    if not complete:
        lines = lines[:-1]  # the last line may be cut
    for number, line in enumerate(lines, start=1):
        if line.strip():
            _check_json_line(source.name, number, line)
    target = source.path if _is_utf8(encoding) else _transcode(source, encoding, temps)
    frame = pl.scan_ndjson(
        target,  # type: ignore[arg-type]
        row_index_name=_ROW,
        infer_schema_length=None,  # types never depend on which rows come first (SPEC §2)
    )
    try:
        frame.collect_schema()
    except pl.exceptions.PolarsError as exc:
        compression = source.compression if target == source.path else None
        raise _locate_bad_json(source.name, target, compression, exc) from exc  # type: ignore[arg-type]
    return _Opened(frame, None)


def _check_json_line(name: str, number: int, line: str) -> None:
    stripped = line.strip()
    if number == 1 and stripped.startswith("["):
        msg = (
            f"{name}: a JSON array, not NDJSON (one JSON object per line); convert it with "
            "`jq -c '.[]' FILE > events.ndjson`"
        )
        raise InputError(msg)
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as exc:
        msg = (
            f"{name}: line {number}: not valid JSON ({exc.msg} at column {exc.colno}); "
            "NDJSON needs one complete JSON object per line"
        )
        raise InputError(msg) from exc
    if not isinstance(value, dict):
        msg = (
            f"{name}: line {number}: a JSON {type(value).__name__}, not an object; "
            "NDJSON needs one JSON object ({...}) per line"
        )
        raise InputError(msg)


def _locate_bad_json(
    name: str, target: Path, compression: str | None, exc: Exception
) -> InputError:
    """The first bad line of an NDJSON file polars could not read (only on this error path)."""
    if compression != "zstd":
        opener = gzip.open if compression == "gzip" else open
        try:
            with opener(target, "rt", encoding="utf-8", errors="replace") as handle:  # type: ignore[operator]
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        try:
                            _check_json_line(name, number, line)
                        except InputError as located:
                            return located
        except (OSError, EOFError) as read_error:
            return InputError(
                f"{name}: cannot read the file ({read_error}); check that it is complete"
            )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    msg = f"{name}: cannot read as NDJSON ({first[:160]}); check the file"
    return InputError(msg)


def _open_parquet(source: Source, temps: list[Path]) -> _Opened:
    assert source.path is not None
    target = source.path
    if source.compression == "gzip":  # a whole Parquet file gzipped: rare, small, in memory
        handle, name = tempfile.mkstemp(prefix="fivea-", suffix=".parquet")
        temps.append(Path(name))
        try:
            with gzip.open(source.path, "rb") as raw, os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(raw, out, 1 << 20)
        except (OSError, EOFError) as exc:
            msg = f"{source.name}: cannot read the gzip file ({exc}); check that it is complete"
            raise InputError(msg) from exc
        target = Path(name)
    elif source.compression == "zstd":
        msg = f"{source.name}: a zstd-compressed Parquet file; decompress it first (zstd -d)"
        raise InputError(msg)
    with target.open("rb") as check:
        magic = check.read(4)
        if not magic:
            return _Opened(None, "the file is empty")
        if magic != _PARQUET_MAGIC:
            msg = (
                f"{source.name}: not a Parquet file (it does not start with PAR1); "
                "re-export it, or pass --input-format csv|ndjson if it is text"
            )
            raise InputError(msg)
    frame = pl.scan_parquet(target, row_index_name=_ROW, glob=False, hive_partitioning=False)
    schema = frame.collect_schema()
    rows = pl.scan_parquet(target, glob=False, hive_partitioning=False).select(pl.len())
    empty = None
    if rows.collect().item() == 0:
        shown = ", ".join(n for n in schema.names() if n != _ROW)
        empty = f"no rows (columns: {shown[:120]})"
    return _Opened(frame, empty)


def frame_source(frame: pl.DataFrame, name: str = "<frame>") -> Source:
    """A source over an in-memory polars frame (its row order is the input order)."""
    return Source(name=name, path=None, format="frame", frame=frame)


def _open(source: Source, encoding: str, separator: str | None, temps: list[Path]) -> _Opened:
    try:
        if source.frame is not None:
            return _Opened(source.frame.lazy().with_row_index(_ROW), None)
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


def scan_sources(
    sources: list[Source], encoding: str = "utf-8", separator: str | None = None
) -> tuple[pl.LazyFrame, list[Path]]:
    """One lazy frame over all sources with ``__order``; also the temp files to delete after."""
    temps: list[Path] = [s.path for s in sources if s.temporary and s.path is not None]
    try:
        return _scan_all(sources, encoding, separator, temps), temps
    except BaseException:
        for path in temps:
            path.unlink(missing_ok=True)
        raise


def _scan_all(
    sources: list[Source], encoding: str, separator: str | None, temps: list[Path]
) -> pl.LazyFrame:
    frames = []
    empties: list[tuple[Source, str]] = []
    for index, source in enumerate(sources):
        opened = _open(source, encoding, separator, temps)
        if opened.empty is not None:
            empties.append((source, opened.empty))
        if opened.frame is None:
            continue
        frame = _with_hive(flatten(opened.frame, source.name), source)
        order = (pl.lit(index, pl.Int64) * (1 << _ROW_BITS)) + pl.col(_ROW).cast(pl.Int64)
        frames.append(frame.with_columns(order.alias(ORDER)).drop(_ROW))
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
