"""Run the hand-written DuckDB reference (duckdb_5a.sql) on one event file; print its JSON.

Usage: ``python benchmarks/duckdb_5a.py FILE {parquet,csv} [--threads N]``

benchmarks/run.py runs this in its own process, timed like ``fivea diagnose``. The file is read
with explicit types: Parquet through ``read_parquet(..., file_row_number=true)``; CSV (as written
by ``fivea sample``: header, comma, ISO-8601 times with ``Z``) through ``read_csv`` with the
column types given and sniffing off, numbered in file order by ``row_number() OVER ()`` (the CSV
reader and an empty ``OVER ()`` preserve the file's row order, DuckDB docs "Order Preservation").
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb

SQL = Path(__file__).with_name("duckdb_5a.sql")

# The columns of `fivea sample`, in file order, with the types fivea infers for them.
CSV_COLUMNS = {
    "user_id": "VARCHAR",
    "event_time": "TIMESTAMPTZ",
    "event": "VARCHAR",
    "session_id": "VARCHAR",
    "channel": "VARCHAR",
    "campaign": "VARCHAR",
    "device": "VARCHAR",
    "country": "VARCHAR",
    "product_id": "VARCHAR",
    "revenue": "DOUBLE",
}


def _quote(text: str) -> str:
    """Return a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def source_view(path: Path, fmt: str) -> str:
    """Return the CREATE VIEW statement of raw_events over one file."""
    if fmt == "parquet":
        reader = f"read_parquet({_quote(str(path))}, file_row_number = true)"
        rn = "file_row_number"
    elif fmt == "csv":
        columns = ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in CSV_COLUMNS.items())
        reader = (
            f"read_csv({_quote(str(path))}, header = true, delim = ',', quote = '\"', "
            f"escape = '\"', auto_detect = false, columns = {{{columns}}})"
        )
        rn = "row_number() OVER () - 1"
    else:
        msg = f"unknown format {fmt!r}"
        raise ValueError(msg)
    return (
        "CREATE VIEW raw_events AS "
        f"SELECT user_id, event_time, event, channel, {rn} AS rn FROM {reader}"
    )


def run(path: Path, fmt: str, threads: int) -> str:
    """Run the reference on ``path`` and return its JSON text."""
    con = duckdb.connect(config={"threads": threads})
    con.execute(source_view(path, fmt))
    row = con.execute(SQL.read_text()).fetchone()
    assert row is not None
    return row[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("format", choices=["parquet", "csv"])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(run(args.file, args.format, args.threads))


if __name__ == "__main__":
    main()
