"""Text event files (CSV, NDJSON) made ready for polars: the head decoded and checked
(binary data, UTF-16, invalid UTF-8, the CSV header line, the first NDJSON lines), text in
another encoding transcoded to UTF-8, and the place of a bad byte or line found after polars
failed to read a file.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import shutil
from pathlib import Path

from fivea.errors import InputError, quote_data
from fivea.io.flatten import MAX_DEPTH
from fivea.io.scratch import scratch_file
from fivea.io.sources import DECOMPRESS_ERRORS, HEAD_BYTES, Source, head_bytes, unreadable

_MAX_HEADER_BYTES = 1 << 28  # a header line is read whole up to this size


def is_utf8(encoding: str) -> bool:
    """Whether text in ``encoding`` is UTF-8, which polars reads as is."""
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def decode_head(source: Source, head: bytes, complete: bool, encoding: str) -> str:
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
    if is_utf8(encoding):
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


def locate_bad_utf8(source: Source) -> InputError | None:
    """The line of the first invalid UTF-8 byte in ``source``, or None (an error path only)."""
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
    except DECOMPRESS_ERRORS as exc:
        return unreadable(source, exc)
    return None


def transcode(source: Source, encoding: str, temps: list[Path]) -> Path:
    """Polars reads only UTF-8: stream the file into a UTF-8 temp file."""
    assert source.path is not None
    if source.compression == "zstd":
        msg = (
            f"{source.name}: zstd with input.encoding {encoding} is not supported; "
            "decompress it first (zstd -d) or save it as UTF-8"
        )
        raise InputError(msg)
    handle, name = scratch_file(prefix="utf8-", suffix=".utf8")
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
        except DECOMPRESS_ERRORS as exc:  # a truncated gzip shows only past the head
            raise unreadable(source, exc) from exc
    return Path(name)


def csv_head(source: Source, encoding: str) -> tuple[bytes, str, bool]:
    """The head of a CSV file, grown until it holds the whole header line."""
    size = HEAD_BYTES
    while True:
        head, complete = head_bytes(source, size)
        text = decode_head(source, head, complete, encoding)
        if complete or "\n" in text or "\r" in text[:-1]:
            return head, text, complete
        if size >= _MAX_HEADER_BYTES:
            msg = (
                f"{source.name}: line 1 (the header) is longer than {_MAX_HEADER_BYTES >> 20} MiB "
                f"with no line end ({quote_data(text, 60)}); check that this is a CSV file"
            )
            raise InputError(msg)
        size *= 8


def check_json_line(name: str, number: int, line: str) -> None:
    """One NDJSON line must be one JSON object: a JSON array, bad JSON or too deep a value fails."""
    stripped = line.strip()
    if number == 1 and stripped.startswith("["):
        msg = (
            f"{name}: a JSON array, not NDJSON (one JSON object per line); convert it with "
            "`jq -c '.[]' FILE > events.ndjson`"
        )
        raise InputError(msg)
    try:
        value = json.loads(stripped)
    except RecursionError as exc:  # Python's JSON parser is recursive (about 1,000 levels)
        msg = (
            f"{name}: line {number}: a value nested more than {MAX_DEPTH} levels deep (fivea "
            f"reads up to {MAX_DEPTH}); drop or flatten that field before reading, e.g. with jq"
        )
        raise InputError(msg) from exc
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


def locate_bad_json(name: str, target: Path, compression: str | None, exc: Exception) -> InputError:
    """The first bad line of an NDJSON file polars could not read (only on this error path)."""
    if compression != "zstd":
        opener = gzip.open if compression == "gzip" else open
        try:
            with opener(target, "rt", encoding="utf-8", errors="replace") as handle:  # type: ignore[operator]
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        try:
                            check_json_line(name, number, line)
                        except InputError as located:
                            return located
        except DECOMPRESS_ERRORS as read_error:
            detail = str(read_error)[:160]
            return InputError(
                f"{name}: cannot read the file ({detail}); check that it is complete, or copy "
                "it again"
            )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    msg = f"{name}: cannot read as NDJSON ({first[:160]}); check the file"
    return InputError(msg)
