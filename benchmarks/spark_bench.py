"""Benchmark ``fivea diagnose --engine spark`` (local[2]) against the local engine.

Usage::

    python benchmarks/spark_bench.py [--sizes 1M,10M] [--master local[2]] [--runs 1]
                                     [--data-dir benchmarks/data] [--no-write]

For each size: the cached Parquet log of ``benchmarks/run.py`` (generated the same way when
missing), ``fivea diagnose FILE --format json --segment channel`` with the local engine and with
``--engine spark --spark-master MASTER``, each in its own process under ``/usr/bin/time``
(``benchmarks/run.py``'s helpers). Besides GNU time's peak RSS (the largest single process), the
peak RSS summed over the whole process tree is sampled: a Spark run is a Python driver, a JVM
and Python workers. The two JSON reports must be identical apart from ``run`` and
``generated_at`` (else a diff and exit status 1). Writes benchmarks/SPARK_RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from run import (  # benchmarks/run.py: data, timing and machine facts are measured the same way
    HERE,
    IDLE_WAIT,
    BenchError,
    Measurement,
    base_env,
    ensure_data,
    fivea_cmd,
    machine,
    parse_size,
    size_label,
    timed,
)

SAMPLE_EVERY_S = 0.2
PAGE = os.sysconf("SC_PAGE_SIZE")


class TreeRss:
    """Peak of the summed RSS of every descendant of this process, sampled in a thread."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.peak_kb = max(self.peak_kb, _descendants_rss_kb(os.getpid()))


def _descendants_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = pages * PAGE // 1024
    total, stack = 0, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


@dataclass
class Engine:
    """Figures of one engine on one file."""

    name: str
    time: Measurement = field(default_factory=Measurement)
    tree_kb: list[int] = field(default_factory=list)
    report: dict | None = None

    @property
    def tree_mb(self) -> float:
        return max(self.tree_kb) / 1024

    @property
    def inside_s(self) -> float | None:
        """fivea's own ``run.seconds`` (from argument parsing to the result)."""
        run = (self.report or {}).get("run") or {}
        return run.get("seconds")


@dataclass
class Case:
    """One size: both engines and whether they agree."""

    label: str
    events: int = 0
    persons: int = 0
    local: Engine = field(default_factory=lambda: Engine("local"))
    spark: Engine = field(default_factory=lambda: Engine("spark"))
    differences: list[str] = field(default_factory=list)
    error: str | None = None


def _comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("run", "generated_at")}


def differences(a: object, b: object, path: str = "") -> list[str]:
    """Every path where two JSON trees differ (exact: floats too)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += differences(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: local {a!r}, spark {b!r}"]


def _measure(engine: Engine, cmd: list[str], env: dict[str, str]) -> None:
    with TreeRss() as tree:
        timed(cmd, env, engine.time)
    engine.tree_kb.append(tree.peak_kb)
    if engine.report is None:
        engine.report = json.loads(engine.time.stdout)


def run_case(data_dir: Path, events: int, master: str, runs: int) -> Case:
    """Both engines on the Parquet log of ``events`` rows, ``runs`` times each, alternating."""
    case = Case(size_label(events))
    print(f"\n== {case.label} events (parquet)", flush=True)
    try:
        path = ensure_data(data_dir, events, "parquet")
        env = base_env()
        env.pop("SOURCE_DATE_EPOCH")  # keep `run` (fivea's own seconds, Spark partitions)
        cmd = [*fivea_cmd(), "diagnose", str(path), "--format", "json", "--segment", "channel"]
        spark_cmd = [*cmd, "--engine", "spark", "--spark-master", master]
        for i in range(runs):
            _measure(case.local, cmd, env)
            _measure(case.spark, spark_cmd, env)
            print(
                f"  run {i + 1}: local {case.local.time.walls[-1]:.2f} s "
                f"{case.local.tree_kb[-1] / 1024:.0f} MB, spark {case.spark.time.walls[-1]:.2f} s "
                f"{case.spark.tree_kb[-1] / 1024:.0f} MB",
                flush=True,
            )
        local, spark = case.local.report or {}, case.spark.report or {}
        case.events = local["quality"]["rows_used"]
        case.persons = local["persons"]
        case.differences = differences(_comparable(local), _comparable(spark))
    except (BenchError, json.JSONDecodeError, KeyError) as exc:
        case.error = f"{type(exc).__name__}: {exc}"
        print(f"  ERROR {case.error}", flush=True)
        return case
    for line in case.differences[:20]:
        print(f"  DIFFERENT {line}")
    if not case.differences:
        print(f"  identical JSON: {case.events:,} events, {case.persons:,} persons")
    return case


def table(cases: list[Case]) -> list[str]:
    """The side-by-side Markdown table."""
    rows = [
        "| size | events | persons | local s | spark s | spark/local | local RSS MB (tree / largest) "
        "| spark RSS MB (tree / largest) | spark partitions | identical |",
        "|" + "---|" * 10,
    ]
    for c in cases:
        if c.error or not c.local.time.walls or not c.spark.time.walls:
            rows.append(f"| {c.label} | – | – | – | – | – | – | – | – | ERROR |")
            continue
        spark_run = (c.spark.report or {}).get("run") or {}
        rows.append(
            f"| {c.label} | {c.events:,} | {c.persons:,} | {c.local.time.wall:.2f} "
            f"| {c.spark.time.wall:.2f} | {c.spark.time.wall / c.local.time.wall:.1f}× "
            f"| {c.local.tree_mb:.0f} / {c.local.time.rss_mb:.0f} "
            f"| {c.spark.tree_mb:.0f} / {c.spark.time.rss_mb:.0f} "
            f"| {spark_run.get('spark_partitions', '?')} | {'no' if c.differences else 'yes'} |"
        )
    return rows


def write_results(path: Path, cases: list[Case], args: argparse.Namespace, info: dict) -> None:
    """benchmarks/SPARK_RESULTS.md."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# fivea on Spark: benchmark results",
        "",
        f"Date: {now}. Command: `{' '.join(['python benchmarks/spark_bench.py', *sys.argv[1:]])}`",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        f"- Spark master: `{args.master}`",
        "",
        "## Results",
        "",
        "`fivea diagnose FILE --format json --segment channel` on the Parquet logs of "
        "`benchmarks/run.py`, the local engine against `--engine spark --spark-master "
        f"{args.master}`, each in its own process under `/usr/bin/time`, {args.runs} run(s) "
        "each, alternating. Wall = best run; RSS *tree* = peak of the RSS summed over the "
        f"process tree (sampled every {SAMPLE_EVERY_S} s: Python driver, JVM, Python workers); "
        "*largest* = GNU time's peak (one process). Both include start-up: for Spark that "
        "is a JVM and a local cluster.",
        "",
        *table(cases),
        "",
    ]
    for c in cases:
        spark_s, local_s = c.spark.inside_s, c.local.inside_s
        if spark_s and local_s and c.spark.time.walls:
            lines.append(
                f"- {c.label}: fivea's own time (`run.seconds`, the Spark session's start "
                f"included) local {local_s:.2f} s, spark {spark_s:.2f} s; outside it "
                f"(interpreter, imports, exit): local {c.local.time.wall - local_s:.1f} s, "
                f"spark {c.spark.time.wall - spark_s:.1f} s"
            )
        for d in c.differences[:50]:
            lines.append(f"  - `{d}`")
    lines.append("")
    path.write_text("\n".join(lines))


def _java_version() -> str:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return "not found"
    return (out.stderr.splitlines() or ["?"])[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fivea on Spark against the local engine.")
    parser.add_argument(
        "--sizes",
        default="1M,10M",
        type=lambda s: [parse_size(x) for x in s.split(",") if x.strip()],
        help="event counts, comma-separated (default 1M,10M)",
    )
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    parser.add_argument("--runs", type=int, default=1, help="runs per engine (default 1)")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    parser.add_argument(
        "--idle-wait", type=float, default=IDLE_WAIT, help="seconds to wait for a quiet machine"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write SPARK_RESULTS.md")
    args = parser.parse_args(argv)
    import run

    run.IDLE_WAIT = args.idle_wait  # read by timed()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    info = machine()
    info["pyspark"] = importlib.metadata.version("pyspark")
    info["java"] = _java_version()
    print(" | ".join(f"{k} {v}" for k, v in info.items()))
    cases = [run_case(args.data_dir, n, args.master, args.runs) for n in args.sizes]
    print()
    print("\n".join(table(cases)))
    if not args.no_write:
        write_results(HERE / "SPARK_RESULTS.md", cases, args, info)
        print(f"\nwrote {HERE / 'SPARK_RESULTS.md'}")
    return 1 if any(c.error or c.differences for c in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
