"""Run a hand-written DuckDB reference on one event file; print its JSON.

Usage: ``python benchmarks/duckdb_5a.py FILE {parquet,csv} [--config {preset,rules}] [--threads N]``

``--config preset`` (the default) runs benchmarks/duckdb_5a.sql, the 5a-default preset's rules;
``--config rules`` runs benchmarks/duckdb_rules.sql, the rules of benchmarks/config_rules.yaml.
benchmarks/run.py runs this in its own process, timed like ``fivea diagnose``. The file is read
with explicit types: Parquet through ``read_parquet(..., file_row_number=true)``; CSV (as written
by ``fivea sample`` or run.py: header, comma, ISO-8601 times with ``Z``) through ``read_csv`` with
the types of its header's columns given and sniffing off, numbered in file order by
``row_number() OVER ()`` (the CSV reader and an empty ``OVER ()`` preserve the file's row order,
DuckDB docs "Order Preservation").
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
#: The SQL of each benchmark config of benchmarks/run.py.
SQL = {"preset": HERE / "duckdb_5a.sql", "rules": HERE / "duckdb_rules.sql"}

# The columns of `fivea sample`, in file order, with the types fivea infers for them; a CSV may
# hold any of them (the "rules" logs keep user_id, event_time, event, channel, revenue).
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
#: The columns of raw_events, besides the row number rn (both SQL files read no others).
VIEW_COLUMNS = ("user_id", "event_time", "event", "channel", "revenue")


def _quote(text: str) -> str:
    """Return a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's header line."""
    with path.open(encoding="utf-8") as f:
        return [name.strip().strip('"') for name in f.readline().rstrip("\r\n").split(",")]


def source_view(path: Path, fmt: str) -> str:
    """Return the CREATE VIEW statement of raw_events over one file."""
    if fmt == "parquet":
        reader = f"read_parquet({_quote(str(path))}, file_row_number = true)"
        rn = "file_row_number"
    elif fmt == "csv":
        types = {name: CSV_COLUMNS.get(name, "VARCHAR") for name in csv_header(path)}
        columns = ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in types.items())
        reader = (
            f"read_csv({_quote(str(path))}, header = true, delim = ',', quote = '\"', "
            f"escape = '\"', auto_detect = false, columns = {{{columns}}})"
        )
        rn = "row_number() OVER () - 1"
    else:
        msg = f"unknown format {fmt!r}"
        raise ValueError(msg)
    return f"CREATE VIEW raw_events AS SELECT {', '.join(VIEW_COLUMNS)}, {rn} AS rn FROM {reader}"


def run(path: Path, fmt: str, threads: int, config: str = "preset") -> str:
    """Run the reference SQL of ``config`` on ``path`` and return its JSON text."""
    con = duckdb.connect(config={"threads": threads})
    con.execute(source_view(path, fmt))
    row = con.execute(SQL[config].read_text()).fetchone()
    assert row is not None
    return row[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("format", choices=["parquet", "csv"])
    parser.add_argument("--config", choices=sorted(SQL), default="preset")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(run(args.file, args.format, args.threads, args.config))


if __name__ == "__main__":
    main()
