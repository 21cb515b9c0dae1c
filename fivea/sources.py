"""Finding and opening event files: paths, folders, globs, stdin; CSV, Parquet, NDJSON (SPEC §2).

Each source becomes a lazy frame of its raw columns plus ``__order``, the input order used by
every tie-break: (source path in byte order, row number in file).
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fivea.errors import InputError

ORDER = "__order"
_ROW = "__row"
_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".psv")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".json")
_ROW_BITS = 40  # rows per file < 2^40; the file index sits above them in one Int64


@dataclass(frozen=True)
class Source:
    """One input file (or stdin's bytes) and how to read it."""

    name: str
    path: Path | None
    format: str
    compression: str | None = None
    data: bytes | None = None
    frame: pl.DataFrame | None = None  # an in-memory frame (Python API)


def _format_of(path: Path, forced: str | None) -> tuple[str, str | None]:
    name = path.name.lower()
    compression = None
    for suffix, kind in ((".gz", "gzip"), (".zst", "zstd"), (".zstd", "zstd")):
        if name.endswith(suffix):
            compression, name = kind, name.removesuffix(suffix)
    if forced:
        return forced, compression
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet", compression
    if name.endswith(_NDJSON_SUFFIXES):
        return "ndjson", compression
    if name.endswith(_CSV_SUFFIXES):
        return "csv", compression
    with path.open("rb") as handle:
        head = handle.read(4)
    if head == b"PAR1":
        return "parquet", compression
    return "csv", compression


def _is_data_file(path: Path) -> bool:
    name = path.name.lower()
    for suffix in (".gz", ".zst", ".zstd"):
        name = name.removesuffix(suffix)
    return not path.name.startswith((".", "_")) and name.endswith(
        _CSV_SUFFIXES + _PARQUET_SUFFIXES + _NDJSON_SUFFIXES
    )


def resolve_sources(paths: list[str], forced_format: str | None = None) -> list[Source]:
    """Expand paths, folders (recursively, hive partitions included) and globs into sources."""
    if not paths:
        msg = "no event file given; pass a CSV, Parquet or NDJSON file, a folder, a glob or -"
        raise InputError(msg)
    sources: list[Source] = []
    for raw in paths:
        if raw == "-":
            sources.append(_stdin_source(forced_format))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                (p for p in path.rglob("*") if p.is_file() and _is_data_file(p)),
                key=lambda p: os.fsencode(p),
            )
            if not files:
                msg = f"{raw}: folder holds no .csv, .tsv, .parquet or .ndjson files"
                raise InputError(msg)
        elif path.exists():
            files = [path]
        elif glob.has_magic(raw):
            files = sorted(
                (Path(p) for p in glob.glob(raw, recursive=True) if Path(p).is_file()),
                key=lambda p: os.fsencode(p),
            )
            if not files:
                msg = f"{raw}: no file matches this pattern"
                raise InputError(msg)
        else:
            msg = f"{raw}: file not found; check the path (folders and globs work too)"
            raise InputError(msg)
        for file in files:
            if not os.access(file, os.R_OK):
                msg = f"{file}: permission denied; make the file readable"
                raise InputError(msg)
            fmt, compression = _format_of(file, forced_format)
            sources.append(Source(name=str(file), path=file, format=fmt, compression=compression))
    sources.sort(key=lambda s: os.fsencode(s.name) if s.path is not None else b"")
    return sources


def _stdin_source(forced_format: str | None) -> Source:
    data = sys.stdin.buffer.read()
    fmt = forced_format or ("parquet" if data[:4] == b"PAR1" else "csv")
    return Source(name="<stdin>", path=None, format=fmt, data=data)


def _hive_columns(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    parts = [p.split("=", 1) for p in path.parent.parts if "=" in p]
    return {key: value for key, value in parts if key}


def _check_text_head(source: Source, head: bytes, encoding: str) -> None:
    if b"\x00" in head[:8192]:
        msg = (
            f"{source.name}: looks binary, not {source.format.upper()} text; "
            "pass a CSV, Parquet or NDJSON file (or set --input-format)"
        )
        raise InputError(msg)
    if not head.strip():
        msg = f"{source.name}: the file is empty; export some events first"
        raise InputError(msg)
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the sample's end
                msg = (
                    f"{source.name}: not UTF-8 text (byte {exc.start}); set input.encoding in "
                    "the config, e.g. `input: {encoding: latin-1}` or cp1252"
                )
                raise InputError(msg) from exc


def _read_bytes(source: Source) -> bytes:
    if source.data is not None:
        return source.data
    assert source.path is not None
    raw = source.path.read_bytes()
    if source.compression == "gzip":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            msg = f"{source.name}: not a valid gzip file ({exc}); check the file or its extension"
            raise InputError(msg) from exc
    if source.compression == "zstd":
        try:
            return pl.read_csv(io.BytesIO(raw), infer_schema=False).write_csv().encode()
        except pl.exceptions.PolarsError as exc:
            msg = f"{source.name}: cannot decompress zstd ({exc}); check the file"
            raise InputError(msg) from exc
    return raw


def _sniff_separator(text: str, forced: str | None) -> str:
    if forced:
        return forced
    first = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _csv_header(first_line: str, separator: str) -> list[str]:
    return next(csv.reader([first_line], delimiter=separator), [])


def _scan_csv(
    source: Source, encoding: str, separator: str | None, temps: list[Path]
) -> pl.LazyFrame:
    in_memory = source.data is not None or source.compression is not None
    if in_memory:
        blob = _read_bytes(source)
        head = blob[:65536]
    else:
        assert source.path is not None
        with source.path.open("rb") as handle:
            head = handle.read(65536)
        blob = b""
    _check_text_head(source, head, encoding)
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8")
    if not utf8:
        # polars reads only UTF-8: transcode into a temp file next to nothing the user owns
        text_source = blob if in_memory else source.path.read_bytes()  # type: ignore[union-attr]
        try:
            decoded = text_source.decode(encoding)
        except UnicodeDecodeError as exc:
            msg = f"{source.name}: not valid {encoding} text at byte {exc.start}; check input.encoding"
            raise InputError(msg) from exc
        blob, in_memory = decoded.encode("utf-8"), True
        head = blob[:65536]
    head_text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    sep = _sniff_separator(head_text, separator)
    header = _csv_header(head_text.splitlines()[0] if head_text else "", sep)
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        msg = (
            f"{source.name}: column {duplicated[0]!r} appears more than once in the header; "
            "rename one of them"
        )
        raise InputError(msg)
    target: Path | bytes
    if in_memory:
        handle, name = tempfile.mkstemp(prefix="fivea-", suffix=".csv")
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
        target = Path(name)
        temps.append(target)
    else:
        assert source.path is not None
        target = source.path
    return pl.scan_csv(
        target,
        separator=sep,
        infer_schema=False,
        row_index_name=_ROW,
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )


def frame_source(frame: pl.DataFrame, name: str = "<frame>") -> Source:
    """A source over an in-memory polars frame (its row order is the input order)."""
    return Source(name=name, path=None, format="frame", frame=frame)


def _scan_one(
    source: Source, encoding: str, separator: str | None, temps: list[Path]
) -> pl.LazyFrame:
    try:
        if source.frame is not None:
            frame = source.frame.lazy().with_row_index(_ROW)
        elif source.format == "csv":
            frame = _scan_csv(source, encoding, separator, temps)
        elif source.format == "parquet":
            target = io.BytesIO(_read_bytes(source)) if source.data is not None else source.path
            frame = pl.scan_parquet(target, row_index_name=_ROW)  # type: ignore[arg-type]
            frame.collect_schema()
        else:
            if source.data is not None or source.compression is not None:
                target = io.BytesIO(_read_bytes(source))
            else:
                target = source.path  # type: ignore[assignment]
            frame = pl.scan_ndjson(target, row_index_name=_ROW, infer_schema_length=10_000)  # type: ignore[arg-type]
            frame.collect_schema()
    except InputError:
        raise
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = (
            f"{source.name}: cannot read as {source.format.upper()} ({first[:160]}); "
            "check the file, or set --input-format"
        )
        raise InputError(msg) from exc
    frame = _flatten_structs(frame)
    hive = _hive_columns(source.path)
    if hive:
        frame = frame.with_columns(pl.lit(v).alias(k) for k, v in hive.items())
    return frame


def _flatten_structs(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Nested records (Mixpanel ``properties``, Segment ``context``) become flat columns."""
    schema = frame.collect_schema()
    structs = [name for name, dtype in schema.items() if isinstance(dtype, pl.Struct)]
    if not structs:
        return frame
    taken = set(schema.names())
    exprs = []
    for name in structs:
        for field in schema[name].fields:  # type: ignore[attr-defined]
            flat = field.name if field.name not in taken else f"{name}.{field.name}"
            taken.add(flat)
            exprs.append(pl.col(name).struct.field(field.name).alias(flat))
    return _flatten_structs(frame.with_columns(exprs).drop(structs))


def scan_sources(
    sources: list[Source], encoding: str = "utf-8", separator: str | None = None
) -> tuple[pl.LazyFrame, list[Path]]:
    """One lazy frame over all sources with ``__order``; also the temp files to delete after."""
    temps: list[Path] = []
    frames = []
    for index, source in enumerate(sources):
        frame = _scan_one(source, encoding, separator, temps)
        order = (pl.lit(index, pl.Int64) * (1 << _ROW_BITS)) + pl.col(_ROW).cast(pl.Int64)
        frames.append(frame.with_columns(order.alias(ORDER)).drop(_ROW))
    if len(frames) == 1:
        return frames[0], temps
    try:
        return pl.concat(frames, how="diagonal_relaxed"), temps
    except pl.exceptions.PolarsError as exc:
        msg = f"the input files have incompatible columns ({str(exc).splitlines()[0]}); pass files of one export"
        raise InputError(msg) from exc
