"""Run a hand-written DuckDB reference on one event file; print its JSON (or print the query).

Usage: ``python benchmarks/duckdb_5a.py FILE {parquet,csv} [--config {preset,rules}] [--threads N]``
or ``python benchmarks/duckdb_5a.py --print {preset,rules}``.

Each config's query is assembled from the SQL files of benchmarks/sql/ (``parts``): first the
config's own stage rules (``stages_preset.sql``: the 5a-default preset; ``stages_rules.sql``: the
rules of benchmarks/config_rules.yaml), then the parts both configs share (``SHARED``: the ordered
path and stage counts, the transitions, the first-touch channels, the sub-funnel, the JSON
result). ``--print`` prints the whole query of a config, as it is run.
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
SQL_DIR = HERE / "sql"
#: The first part of each benchmark config's query (the configs of benchmarks/run.py): the
#: config's stage rules, funnel window and sub-funnel steps, written by hand. It defines what the
#: shared parts read: the macro funnel_window_us(); the table ev (one row per valid event:
#: user_id, t in µs, rn, step of the checkout sub-funnel, null for none); the table reach (one
#: row per person: user_id, r_aware ... r_advocate the reach time per stage, null when not
#: reached, with aware = any event; channel the first-touch value); and the views appeal_hits,
#: ask_hits, act_hits, advocate_hits (user_id, t: each stage's hits).
STAGES = {"preset": SQL_DIR / "stages_preset.sql", "rules": SQL_DIR / "stages_rules.sql"}
#: The parts both configs share, in the order they run after the stages part.
SHARED = tuple(
    SQL_DIR / f"{name}.sql" for name in ("path", "transitions", "channels", "subfunnel", "result")
)
#: The head of every assembled query: what it reads and returns.
HEADER = """\
-- The 5A metrics of `fivea diagnose --segment channel` for the benchmark config `{config}`,
-- written by hand in DuckDB SQL, as the reference that benchmarks/run.py times and checks fivea
-- against; assembled by benchmarks/duckdb_5a.py from the files of benchmarks/sql/ named below.
--
-- Input: a view raw_events(user_id VARCHAR, event_time TIMESTAMPTZ, event VARCHAR,
-- channel VARCHAR, revenue DOUBLE, rn BIGINT), defined by duckdb_5a.py over one Parquet or CSV
-- file; rn is the row number in the file (input order, the tie-break of docs/input.md
-- "Input order").
-- Output: one row, one JSON value with persons, events, stages (reached, path), transitions
-- (converted, reversed, time-to-convert quantiles), the first-touch channel breakdown and the
-- checkout sub-funnel (reached and median step time per step).
-- No --since/--until is given, so every valid event is in the analysis window.
-- Every stage is taken as measured (docs/metrics.md "Not measured, not judged"): fivea's path
-- skips a stage no rule hits, this SQL does not, so such a log shows up as a disagreement (the
-- benchmark logs hit every stage).
"""

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
#: The columns of raw_events, besides the row number rn (the queries read no others).
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


def parts(config: str) -> list[Path]:
    """The SQL files of ``config``'s query, in order."""
    return [STAGES[config], *SHARED]


def query(config: str) -> str:
    """The whole SQL of ``config``: its parts in order, each under a line naming its file."""
    sections = [HEADER.format(config=config)]
    for part in parts(config):
        sections.append(f"-- ==== benchmarks/sql/{part.name} ====\n\n{part.read_text()}")
    return "\n".join(sections)


def run(path: Path, fmt: str, threads: int, config: str = "preset") -> str:
    """Run the reference SQL of ``config`` on ``path`` and return its JSON text."""
    con = duckdb.connect(config={"threads": threads})
    con.execute(source_view(path, fmt))
    row = con.execute(query(config)).fetchone()
    assert row is not None
    return row[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, nargs="?")
    parser.add_argument("format", choices=["parquet", "csv"], nargs="?")
    parser.add_argument("--config", choices=sorted(STAGES), default="preset")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--print", choices=sorted(STAGES), dest="show", help="print the query of a config, run none"
    )
    args = parser.parse_args()
    if args.show:
        print(query(args.show), end="")
    elif args.file is None or args.format is None:
        parser.error("FILE and FORMAT are required (or --print CONFIG)")
    else:
        print(run(args.file, args.format, args.threads, args.config))


if __name__ == "__main__":
    main()
