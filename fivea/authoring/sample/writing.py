"""Writing a synthetic log to a file, in the format its extension names, through write_atomic."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO

import polars as pl

from fivea.io.output import write_atomic  # the one atomic writer (docs/errors.md, Outputs)


def write_sample(df: pl.DataFrame, path: Path) -> None:
    """Write a frame atomically, in the format its file extension names.

    ``.csv``, ``.csv.gz``, ``.parquet``, ``.ndjson`` or ``.jsonl``. The data goes to a temporary
    file in the same folder, which then replaces ``path`` in one step, so readers never see a
    half-written file and a failed write leaves any earlier file intact.

    Args:
        df: The frame to write (usually from ``generate_sample``).
        path: Destination; its folder must exist.

    Raises:
        ValueError: For an extension that is not one of the above.
        UsageError: When the file cannot be written (a folder, a full disk, no permission).
    """
    path = Path(path)
    fmt = _format_of(path)
    write_atomic(path, lambda fh: _write(df, fh, fmt))


def _format_of(path: Path) -> str:
    """Return the output format named by the file extension."""
    name = path.name.lower()
    for suffix, fmt in (
        (".csv.gz", "csv.gz"),
        (".csv", "csv"),
        (".parquet", "parquet"),
        (".ndjson", "ndjson"),
        (".jsonl", "ndjson"),
    ):
        if name.endswith(suffix):
            return fmt
    msg = (
        f"{path}: cannot tell the output format from the file name; "
        "use .csv, .csv.gz, .parquet, .ndjson or .jsonl"
    )
    raise ValueError(msg)


# ISO-8601 with 'Z': the most widely read spelling of a UTC instant (polars' default is +0000).
_CSV_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.6fZ"


def _write(df: pl.DataFrame, fh: IO[bytes], fmt: str) -> None:
    """Write ``df`` to an open binary file in format ``fmt``."""
    if fmt == "csv":
        df.write_csv(fh, datetime_format=_CSV_TIME_FORMAT)
    elif fmt == "csv.gz":
        # mtime=0 and no file name in the header: the same frame gives the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
            df.write_csv(gz, datetime_format=_CSV_TIME_FORMAT)
    elif fmt == "parquet":
        df.write_parquet(fh)
    else:
        df.write_ndjson(fh)
