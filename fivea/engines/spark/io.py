"""Reading events into Spark with their input order (docs/input.md), and Arrow <-> polars.

Two kinds of input:

- **Local paths** (files, folders, globs) are resolved by the driver exactly like the local
  engine (``fivea.io.sources.resolve_sources``) and each file is read on its own, tagged with its
  index in the driver's byte-ordered list.
- **URIs** (``s3a://``, ``abfss://``, ``hdfs://``, ``gs://``, ``file://``, globs in them) go
  straight to Spark's reader with the session's configuration; the driver never opens them.
  Files are ordered by their full URI (``_metadata.file_path``, byte order).

Within a file, rows of one split are read in file order and ``monotonically_increasing_id``
grows along them; the splits of a file are ordered by their start (``_metadata.file_block_start``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import polars as pl

from fivea.config.loader import Config
from fivea.errors import InputError
from fivea.io.input_paths import SUFFIX_FORMAT, SUFFIX_SEPARATOR
from fivea.io.readers import csv_separator, sniff_separator
from fivea.io.sources import Source

FILE, BLOCK, ROWID, KEY = "__sp_file", "__sp_block", "__sp_rowid", "__sp_key"
ORDER_COLUMNS = (FILE, BLOCK, ROWID)

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_COMPRESSION = (".gz", ".bz2", ".zst", ".snappy", ".lz4", ".deflate")


def quoted(name: str) -> str:
    """A column name for Spark SQL (backticks, doubled inside)."""
    return "`" + name.replace("`", "``") + "`"


def is_uri(path: str) -> bool:
    """Whether ``path`` is a URI for Spark's reader (``scheme:...``), not a local path."""
    return bool(_URI.match(path)) and not _WINDOWS_DRIVE.match(path)


def _suffix(uri: str) -> str:
    name = uri.rstrip("/").rsplit("/", 1)[-1].lower()
    for compression in _COMPRESSION:
        name = name.removesuffix(compression)
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


def uri_format(uris: list[str], forced: str | None) -> str:
    """The format of URIs: ``--input-format`` / ``input.format``, else their extension."""
    if forced:
        return forced
    found = {SUFFIX_FORMAT.get(_suffix(u)) for u in uris}
    if len(found) == 1 and None not in found:
        return found.pop()  # type: ignore[return-value]
    unknown = [u for u in uris if SUFFIX_FORMAT.get(_suffix(u)) is None]
    what = f"{unknown[0]}: no known extension" if unknown else "the URIs mix formats"
    msg = f"{what}; pass --input-format csv|parquet|ndjson (or set input.format in the config)"
    raise InputError(msg)


def _csv_reader(spark: Any, separator: str, encoding: str) -> Any:
    return (
        spark.read.option("header", True)
        .option("sep", separator)
        .option("inferSchema", False)  # every column is text, as in the local engine
        .option("multiLine", True)  # quoted newlines (a file is then one split)
        .option("quote", '"')
        .option("escape", '"')  # RFC 4180: "" inside quotes
        .option("mode", "PERMISSIVE")  # ragged lines: missing cells null, extra dropped
        .option("encoding", encoding)
    )


def _tagged(frame: Any, file_key: Any, extra: list[Any] | None = None) -> Any:
    from pyspark.sql import functions as F

    return frame.select(
        *[F.col(quoted(n)) for n in frame.columns],
        *(extra or []),
        file_key.alias(FILE),
        F.col("_metadata.file_block_start").cast("long").alias(BLOCK),
        F.monotonically_increasing_id().alias(ROWID),
    )


def _read_source(spark: Any, source: Source, index: int, config: Config) -> Any:
    """One resolved local file as a Spark frame of its raw columns plus the order columns."""
    from pyspark.sql import functions as F

    assert source.path is not None
    path = str(source.path)
    encoding = config.input.encoding
    if source.format == "csv":
        separator = csv_separator(source, encoding, config.input.separator)
        frame = _csv_reader(spark, separator, encoding).csv(path)
    elif source.format == "parquet":
        frame = spark.read.parquet(path)
    else:
        frame = spark.read.option("encoding", encoding).json(path)
    names = frame.columns
    hive = [
        F.lit(value).cast("string").alias(key) for key, value in source.hive if key not in names
    ]
    # the file's index in the driver's byte-ordered list; a string, like a URI's file key
    return _tagged(frame, F.lit(f"{index:012d}"), hive)


def read_sources(spark: Any, sources: list[Source], config: Config) -> Any:
    """Every resolved file read on its own (Spark's packing of splits never reorders files)."""
    frames = [_read_source(spark, s, i, config) for i, s in enumerate(sources)]
    combined = frames[0]
    for frame in frames[1:]:
        combined = combined.unionByName(frame, allowMissingColumns=True)
    return combined


def _uri_separator(spark: Any, uris: list[str], config: Config) -> str:
    if config.input.separator:
        return config.input.separator
    implied = {SUFFIX_SEPARATOR.get(_suffix(u)) for u in uris}
    if len(implied) == 1 and None not in implied:
        return implied.pop()  # type: ignore[return-value]
    # sniffed from the first lines Spark reads, by the local engine's rule
    lines = spark.read.option("encoding", config.input.encoding).text(uris).limit(20).collect()
    return sniff_separator("\n".join(str(r[0]) for r in lines))


def read_uris(spark: Any, uris: list[str], fmt: str, config: Config) -> Any:
    """URIs (globs too) through Spark's reader; files ordered by their full URI."""
    from pyspark.sql import functions as F

    encoding = config.input.encoding
    if fmt == "csv":
        frame = _csv_reader(spark, _uri_separator(spark, uris, config), encoding).csv(uris)
    elif fmt == "parquet":
        frame = spark.read.parquet(*uris)
    else:
        frame = spark.read.option("encoding", encoding).json(uris)
    return _tagged(frame, F.col("_metadata.file_path"))


def with_order(frame: Any) -> Any:
    """A pyspark DataFrame given directly: its row order (partition, then row) is the input order."""
    from pyspark.sql import functions as F

    return frame.select(
        *[F.col(quoted(n)) for n in frame.columns],
        F.lit("").alias(FILE),
        F.lit(0).cast("long").alias(BLOCK),
        F.monotonically_increasing_id().alias(ROWID),
    )


def person_key(users: tuple[str, ...]) -> Any:
    """A key that is a function of the canonical id, so a person's rows share a partition.

    The canonical id is the first user column whose trimmed text is not empty (docs/input.md);
    removing *every* whitespace character is a function of that trimmed text, and a trimmed
    text is empty exactly when it holds only whitespace.
    """
    from pyspark.sql import functions as F

    parts = [
        F.nullif(F.regexp_replace(F.col(quoted(u)).cast("string"), r"(?U)\s", ""), F.lit(""))
        for u in users
    ]
    return parts[0] if len(parts) == 1 else F.coalesce(*parts)


# --- Arrow ----------------------------------------------------------------------------------


def to_polars(batches: Iterator[Any]) -> pl.DataFrame | None:
    """The Arrow batches of one partition as a polars frame (None when empty)."""
    import pyarrow as pa

    collected = [b for b in batches if b.num_rows]
    if not collected:
        return None
    return pl.from_arrow(pa.Table.from_batches(collected))  # type: ignore[return-value]


def arrow_schema(spark_frame: Any) -> pl.Schema:
    """The polars schema of a Spark frame after the Arrow transfer (no rows are read)."""
    empty = spark_frame.limit(0)
    table = empty.toArrow() if hasattr(empty, "toArrow") else None
    if table is None:  # pyspark 3.5
        import pyarrow as pa
        from pyspark.sql.pandas.types import to_arrow_schema

        batches = empty._collect_as_arrow()
        table = pa.Table.from_batches(batches, schema=to_arrow_schema(empty.schema))
    return pl.from_arrow(table).schema  # type: ignore[union-attr]


def collect_arrow(frame: Any) -> pl.DataFrame:
    """A (small) Spark frame collected to the driver as polars."""
    if hasattr(frame, "toArrow"):
        return pl.from_arrow(frame.toArrow())  # type: ignore[return-value]
    import pyarrow as pa

    return pl.from_arrow(pa.Table.from_batches(frame._collect_as_arrow()))  # type: ignore[return-value]
