"""Benchmark ``fivea diagnose`` against a hand-written DuckDB query of the same metrics.

Usage::

    python benchmarks/run.py [--sizes 1M,10M,50M] [--formats parquet,csv]
                             [--data-dir benchmarks/data] [--threads N] [--no-write]

For each size and format: generate the event log once with ``fivea sample`` (cached in the data
folder, the size in the file name), run ``fivea diagnose FILE --format json --segment channel``
and ``python benchmarks/duckdb_5a.py FILE FORMAT`` (which runs benchmarks/duckdb_5a.sql), each in
its own process under ``/usr/bin/time``, twice, keeping the best wall time and the highest peak
RSS. The numbers of both must agree (reached and path per stage, the four transitions'
time-to-convert quantiles within 1e-6 s and their converted/reversed counts, per first-touch
channel persons and reached); otherwise a diff is printed and the exit status is 1. Then a table
of wall times, peak RSS and the ratio fivea/DuckDB, fivea's start-up time, and
benchmarks/RESULTS.md (unless ``--no-write``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import itertools
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DUCKDB_RUNNER = HERE / "duckdb_5a.py"
TIME = "/usr/bin/time"

#: Events per person of ``fivea sample`` (archetype funnel, seed 0), measured; people are
#: derived from the requested event count with it and the actual count is reported.
EVENTS_PER_PERSON = 10.45
SEED = 0
ARCHETYPE = "funnel"
RUNS = 2
STARTUP_RUNS = 5
QUANTILE_TOLERANCE_S = 1e-6
STAGES = ("aware", "appeal", "ask", "act", "advocate")
TRANSITIONS = ("attraction", "curiosity", "commitment", "affinity")
QUANTILES = ("p25_seconds", "median_seconds", "p75_seconds", "p90_seconds")
SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01: fixed, so fivea's output is reproducible

#: Digest of the rules and funnel window of fivea/presets/5a-default.yaml that duckdb_5a.sql
#: implements by hand (see ``preset_digest``). When the preset changes, update the SQL, then this.
PRESET = REPO / "fivea" / "presets" / "5a-default.yaml"
PRESET_DIGEST = "0d2eee659fc4f215"

# Targets of the "Performance" issue, on a 2-core, 24 GB machine.
TARGET_RATIO = {("10M", "parquet"): 1.0, ("10M", "csv"): 1.2}
TARGET_RSS_MB_50M = 4096
TARGET_STARTUP_S = 0.3
LINEAR_EXPONENT = 1.1  # time ~ events^e; "close to linear" when e <= this
IDLE_WAIT = 120.0  # s to wait before each run for other processes to calm down (--idle-wait)


class BenchError(RuntimeError):
    """A step of the benchmark failed (a command exited non-zero, bad output)."""


# --------------------------------------------------------------------------------------------
# Sizes and data


def parse_size(text: str) -> int:
    """Parse an event count such as ``10M``, ``500k`` or ``2000000``."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)\s*", text)
    if not m:
        msg = f"not an event count: {text!r} (use e.g. 1M, 500k, 2000000)"
        raise argparse.ArgumentTypeError(msg)
    factor = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[m.group(2).lower()]
    return int(float(m.group(1)) * factor)


def size_label(events: int) -> str:
    """Return the short label of an event count (``10M``, ``500k``)."""
    for factor, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if events >= factor and events % factor == 0:
            return f"{events // factor}{suffix}"
    return str(events)


def fivea_cmd() -> list[str]:
    """Return the command that runs this checkout's fivea on this Python (no shims).

    ``python -m fivea`` with the repository on PYTHONPATH (see ``base_env``), so fivea and the
    DuckDB runner use the same interpreter whether or not fivea is installed in it.
    """
    return [sys.executable, "-m", "fivea"]


def ensure_data(data_dir: Path, events: int, fmt: str) -> Path:
    """Return the cached event log of about ``events`` rows, generating it if missing."""
    path = data_dir / f"events-{size_label(events)}.{fmt}"
    if path.exists():
        return path
    people = max(1, round(events / EVENTS_PER_PERSON))
    print(f"  generating {path} ({people:,} people) with fivea sample ...", flush=True)
    cmd = [*fivea_cmd(), "sample", "-o", str(path), "--people", str(people)]
    cmd += ["--archetype", ARCHETYPE, "--seed", str(SEED), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=base_env(), check=False)
    if proc.returncode != 0:
        msg = f"fivea sample failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"
        raise BenchError(msg)
    return path


def one_row_file(data_dir: Path) -> Path:
    """Return a CSV event log of one row (for start-up time)."""
    path = data_dir / "one-row.csv"
    if not path.exists():
        path.write_text(
            "user_id,event_time,event,channel\nu0000001,2025-01-01T00:00:00.000000Z,page_view,direct\n"
        )
    return path


def preset_digest() -> str:
    """Digest of the default preset's stage rules and funnel window (labels excluded)."""
    import yaml  # a dependency of fivea

    data = yaml.safe_load(PRESET.read_text())
    rules = {key: stage["rules"] for key, stage in data["stages"].items()}
    canon = json.dumps({"stages": rules, "funnel": data.get("funnel")}, sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def preset_drift() -> str | None:
    """A warning when the preset no longer matches the rules written into duckdb_5a.sql."""
    digest = preset_digest()
    if digest == PRESET_DIGEST:
        return None
    return (
        f"{PRESET.relative_to(REPO)} changed since benchmarks/duckdb_5a.sql was written "
        f"(rules digest {digest}, SQL written for {PRESET_DIGEST}): update the SQL to the new "
        "rules, then PRESET_DIGEST in benchmarks/run.py; until then a disagreement may be the "
        "SQL's, not fivea's"
    )


# --------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Measurement:
    """Wall and CPU time and peak RSS of repeated runs of one command."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    #: CPU used by other processes during each run, in cores (machine busy time minus ours)
    others: list[float] = field(default_factory=list)
    stdout: str = ""

    @property
    def best(self) -> int:
        return min(range(len(self.walls)), key=self.walls.__getitem__)

    @property
    def wall(self) -> float:
        return self.walls[self.best]

    @property
    def cpu(self) -> float:
        return self.cpus[self.best]

    @property
    def other(self) -> float:
        return self.others[self.best]

    @property
    def rss_mb(self) -> float:
        return max(self.rss_kb) / 1024


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return math.nan
    ticks = [int(x) for x in fields]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(max_wait: float, limit: float = 0.25) -> None:
    """Wait (at most ``max_wait`` s) until other processes use under ``limit`` cores."""
    deadline = time.monotonic() + max_wait
    warned = False
    while time.monotonic() < deadline:
        before = busy_seconds()
        time.sleep(1.0)
        used = busy_seconds() - before
        if not used > limit:  # also stops on NaN (no /proc/stat)
            return
        if not warned:
            print(f"  waiting for other processes ({used:.1f} cores busy) ...", flush=True)
            warned = True


def timed(
    cmd: list[str], env: dict[str, str], into: Measurement, max_wait: float | None = None
) -> None:
    """Run ``cmd`` once under /usr/bin/time and add its figures to ``into``.

    First wait up to ``max_wait`` s (default ``IDLE_WAIT``) for other processes to go quiet.
    """
    wait_for_quiet(IDLE_WAIT if max_wait is None else max_wait)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        before = busy_seconds()
        proc = subprocess.run(
            [TIME, "-f", "%e %M %U %S", "-o", tf.name, *cmd],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        busy = busy_seconds() - before
        lines = Path(tf.name).read_text().split()
    if proc.returncode != 0:
        msg = f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr.strip()[-3000:]}"
        raise BenchError(msg)
    wall, rss, user, sys_ = float(lines[-4]), int(lines[-3]), float(lines[-2]), float(lines[-1])
    into.walls.append(wall)
    into.rss_kb.append(rss)
    into.cpus.append(user + sys_)
    into.others.append(max(0.0, busy - user - sys_) / max(wall, 0.01))
    if not into.stdout:
        into.stdout = proc.stdout


def base_env(threads: int | None = None) -> dict[str, str]:
    """Environment of the subprocesses: this checkout first on PYTHONPATH, bytecode cached, the
    same threads for polars as for DuckDB, and a fixed clock for fivea's ``generated_at``."""
    env = dict(os.environ)
    # an installed package runs from compiled bytecode (pip compiles it): measure that, not a
    # compile of every module on every run
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    if threads is not None:
        env["POLARS_MAX_THREADS"] = str(threads)
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    return env


def startup(data_dir: Path, env: dict[str, str]) -> dict[str, float]:
    """Best-of-N wall times of fivea's start-up and of ``import polars`` alone."""
    one = str(one_row_file(data_dir))
    commands = {
        "import polars": [sys.executable, "-c", "import polars"],
        "fivea --help": [*fivea_cmd(), "--help"],
        "fivea diagnose (1 row)": [*fivea_cmd(), "diagnose", one, "--format", "json"],
    }
    out = {}
    for name, cmd in commands.items():
        m = Measurement()
        for _ in range(STARTUP_RUNS):
            timed(cmd, env, m, max_wait=min(IDLE_WAIT, 10.0))  # short runs: best of 5
        out[name] = m.wall
    return out


# --------------------------------------------------------------------------------------------
# Comparing


def metrics_of_fivea(report: dict) -> dict:
    """The compared numbers of a ``fivea diagnose --format json --segment channel`` report."""
    stages = {s["key"]: {"reached": s["reached"], "path": s["path"]} for s in report["stages"]}
    transitions = {}
    for t in report["transitions"]:
        transitions[t["name"]] = {k: t[k] for k in ("converted", "reversed", *QUANTILES)}
    segment = next(s for s in report["segments"] if s["column"] == "channel")
    channels = {
        r["value"]: {"persons": r["persons"], **{k: r["reached"][k] for k in STAGES}}
        for r in segment["rows"]
    }
    events = report["quality"]["rows_used"]
    return {
        "persons": report["persons"],
        "events": events,
        "stages": stages,
        "transitions": transitions,
        "channels": channels,
    }


def metrics_of_duckdb(result: dict) -> dict:
    """The same numbers from duckdb_5a.sql's JSON."""
    stages = {s["key"]: {"reached": s["reached"], "path": s["path"]} for s in result["stages"]}
    by_k = {t["k"]: t for t in result["transitions"] or []}
    transitions = {}
    for k, name in enumerate(TRANSITIONS, start=1):
        t = by_k.get(k, {"converted": 0, "reversed": 0, **dict.fromkeys(QUANTILES)})
        transitions[name] = {k2: t[k2] for k2 in ("converted", "reversed", *QUANTILES)}
    channels = {
        r["value"]: {"persons": r["persons"], **{k: r["reached"][k] for k in STAGES}}
        for r in result["segments"]
    }
    return {
        "persons": result["persons"],
        "events": result["events"],
        "stages": stages,
        "transitions": transitions,
        "channels": channels,
    }


def diff(fivea: dict, duck: dict, path: str = "") -> list[str]:
    """List the differences between two metric trees (quantiles within a tolerance)."""
    out: list[str] = []
    if isinstance(fivea, dict) and isinstance(duck, dict):
        for key in sorted(set(fivea) | set(duck), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in fivea:
                out.append(f"{sub}: missing in fivea, duckdb {duck[key]!r}")
            elif key not in duck:
                out.append(f"{sub}: fivea {fivea[key]!r}, missing in duckdb")
            else:
                out += diff(fivea[key], duck[key], sub)
        return out
    if path.endswith(QUANTILES) and fivea is not None and duck is not None:
        if abs(float(fivea) - float(duck)) > QUANTILE_TOLERANCE_S:
            out.append(
                f"{path}: fivea {fivea!r}, duckdb {duck!r} (|d| = {abs(fivea - duck):.3g} s)"
            )
        return out
    if fivea != duck:
        out.append(f"{path}: fivea {fivea!r}, duckdb {duck!r}")
    return out


# --------------------------------------------------------------------------------------------
# One benchmark case


@dataclass
class Case:
    """Figures of one (size, format)."""

    label: str
    fmt: str
    events: int | None = None
    persons: int | None = None
    file_mb: float | None = None
    fivea: Measurement | None = None
    duckdb: Measurement | None = None
    differences: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.fivea and self.duckdb and self.fivea.walls and self.duckdb.walls:
            return self.fivea.wall / self.duckdb.wall
        return None

    @property
    def agreed(self) -> bool:
        return self.error is None and not self.differences


def run_case(data_dir: Path, events: int, fmt: str, threads: int) -> Case:
    """Generate (if needed), time both engines and compare their numbers."""
    case = Case(size_label(events), fmt)
    print(f"\n== {case.label} events, {fmt}", flush=True)
    try:
        path = ensure_data(data_dir, events, fmt)
        case.file_mb = path.stat().st_size / 2**20
        env = base_env(threads)
        fv_cmd = [*fivea_cmd(), "diagnose", str(path), "--format", "json", "--segment", "channel"]
        duck_cmd = [sys.executable, str(DUCKDB_RUNNER), str(path), fmt, "--threads", str(threads)]
        case.fivea, case.duckdb = Measurement(), Measurement()
        for i in range(RUNS):  # alternate the engines so both see the same page cache
            timed(fv_cmd, env, case.fivea)
            timed(duck_cmd, env, case.duckdb)
            fv, dk = case.fivea, case.duckdb
            print(
                f"  run {i + 1}: fivea {fv.walls[-1]:.2f} s {fv.rss_kb[-1] / 1024:.0f} MB"
                f" (others {fv.others[-1]:.2f} cores) | duckdb {dk.walls[-1]:.2f} s"
                f" {dk.rss_kb[-1] / 1024:.0f} MB (others {dk.others[-1]:.2f} cores)",
                flush=True,
            )
        f = metrics_of_fivea(json.loads(case.fivea.stdout))
        d = metrics_of_duckdb(json.loads(case.duckdb.stdout))
        case.events, case.persons = d["events"], d["persons"]
        case.differences = diff(f, d)
    except (BenchError, json.JSONDecodeError, KeyError, StopIteration) as exc:
        case.error = f"{type(exc).__name__}: {exc}"
        print(f"  ERROR {case.error}", flush=True)
        return case
    if case.differences:
        print(f"  DISAGREE ({len(case.differences)} differences):")
        for line in case.differences:
            print(f"    {line}")
    else:
        print(f"  agree: {case.events:,} events, {case.persons:,} persons; ratio {case.ratio:.2f}")
    return case


# --------------------------------------------------------------------------------------------
# Reporting


def fmt_num(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


def results_table(cases: list[Case]) -> list[str]:
    head = (
        "| size | format | events | fivea s | fivea RSS MB | duckdb s | duckdb RSS MB "
        "| ratio fivea/duckdb | fivea CPU s | duckdb CPU s | other load | agree |"
    )
    rows = [head, "|" + "---|" * 12]
    for c in cases:
        fv, dk = c.fivea, c.duckdb
        fv_ok = fv is not None and bool(fv.walls)
        dk_ok = dk is not None and bool(dk.walls)
        agree = "yes" if c.agreed else ("ERROR" if c.error else "NO")
        rows.append(
            "| "
            + " | ".join(
                [
                    c.label,
                    c.fmt,
                    fmt_num(c.events, ","),
                    fmt_num(fv.wall if fv_ok else None, ".2f"),
                    fmt_num(fv.rss_mb if fv_ok else None, ".0f"),
                    fmt_num(dk.wall if dk_ok else None, ".2f"),
                    fmt_num(dk.rss_mb if dk_ok else None, ".0f"),
                    fmt_num(c.ratio, ".2f"),
                    fmt_num(fv.cpu if fv_ok else None, ".2f"),
                    fmt_num(dk.cpu if dk_ok else None, ".2f"),
                    fmt_num(max(fv.other, dk.other) if fv_ok and dk_ok else None, ".2f"),
                    agree,
                ]
            )
            + " |"
        )
    return rows


def scaling(cases: list[Case]) -> list[tuple[str, str, str, float, float | None]]:
    """Exponent e of time ~ events^e between consecutive sizes, per format and engine."""
    out = []
    for fmt in dict.fromkeys(c.fmt for c in cases):
        ok = [c for c in cases if c.fmt == fmt and c.agreed and c.events]
        ok.sort(key=lambda c: c.events or 0)
        for a, b in itertools.pairwise(ok):
            if not (a.fivea and b.fivea and a.duckdb and b.duckdb and a.events and b.events):
                continue
            span = math.log(b.events / a.events)
            e_f = math.log(b.fivea.wall / a.fivea.wall) / span
            e_d = math.log(b.duckdb.wall / a.duckdb.wall) / span
            out.append((fmt, a.label, b.label, e_f, e_d))
    return out


def targets(cases: list[Case], start: dict[str, float] | None) -> list[str]:
    """One line per target of the issue: met, missed or not measured."""
    lines = []
    by = {(c.label, c.fmt): c for c in cases}
    for (label, fmt), limit in TARGET_RATIO.items():
        c = by.get((label, fmt))
        if c is None or c.ratio is None:
            lines.append(f"- {label} {fmt}: fivea ≤ {limit}× DuckDB — not measured")
            continue
        verdict = "met" if c.ratio <= limit else "**missed**"
        lines.append(f"- {label} {fmt}: fivea ≤ {limit}× DuckDB — {verdict} ({c.ratio:.2f}×)")
    c = by.get(("50M", "parquet"))
    if c is None or c.fivea is None or not c.fivea.walls:
        lines.append(f"- 50M parquet: completes, peak RSS ≤ {TARGET_RSS_MB_50M} MB — not measured")
    else:
        ok = c.fivea.rss_mb <= TARGET_RSS_MB_50M
        verdict = "met" if ok else "**missed**"
        lines.append(
            f"- 50M parquet: completes, peak RSS ≤ {TARGET_RSS_MB_50M} MB — {verdict} "
            f"({c.fivea.rss_mb:.0f} MB)"
        )
    if start:
        net = max(start["fivea --help"], start["fivea diagnose (1 row)"]) - start["import polars"]
        verdict = "met" if net <= TARGET_STARTUP_S else "**missed**"
        lines.append(
            f"- start-up ≤ {TARGET_STARTUP_S} s beyond `import polars` — {verdict} ({net:.2f} s)"
        )
    exps = scaling(cases)
    if not exps:
        lines.append("- scaling close to linear — not measured (needs two sizes that agree)")
    for fmt, a, b, e_f, _ in exps:
        verdict = "met" if e_f <= LINEAR_EXPONENT else "**missed**"
        lines.append(
            f"- scaling close to linear ({fmt} {a}→{b}): {verdict} (time ∝ events^{e_f:.2f})"
        )
    return lines


def source_digest() -> str:
    """Digest of fivea's sources (to notice an engine that changed during the run)."""
    h = hashlib.sha256()
    for path in sorted((REPO / "fivea").rglob("*")):
        if path.suffix in (".py", ".yaml") and path.is_file():
            h.update(str(path.relative_to(REPO)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def notes(cases: list[Case], sources: tuple[str, str]) -> list[str]:
    """Derived observations: CPU-time ratios, a projected 50M RSS, engine changes mid-run."""
    out = []
    for c in cases:
        if c.fivea and c.duckdb and c.fivea.cpus and c.duckdb.cpus:
            out.append(
                f"- {c.label} {c.fmt}: CPU time fivea/DuckDB {c.fivea.cpu / c.duckdb.cpu:.2f}× "
                f"(less sensitive to other load than wall time); fivea used "
                f"{c.fivea.cpu / c.fivea.wall:.2f} cores on average, DuckDB "
                f"{c.duckdb.cpu / c.duckdb.wall:.2f}"
            )
    parquet = sorted(
        (c.events, c.fivea.rss_mb, c.label)
        for c in cases
        if c.fmt == "parquet" and c.events and c.fivea and c.fivea.rss_kb
    )
    if len(parquet) >= 2 and not any(label == "50M" for *_, label in parquet):
        (n_a, rss_a, label_a), (n_b, rss_b, label_b) = parquet[-2:]
        slope = (rss_b - rss_a) / (n_b - n_a)
        projected = rss_b + slope * (50_000_000 - n_b)
        out.append(
            f"- 50M parquet was not run; fivea's peak RSS grew {slope * 1e6:.0f} MB per million "
            f"events from {label_a} to {label_b}, which projects to about {projected:,.0f} MB "
            f"at 50M (target {TARGET_RSS_MB_50M} MB) if nothing changes"
        )
    if sources[0] != sources[1]:
        out.append(
            f"- **fivea's sources changed during the run** ({sources[0]} → {sources[1]}): "
            "some figures may come from different engine versions"
        )
    return out


def machine() -> dict[str, str]:
    """Facts about this machine and the versions measured."""
    mem = "?"
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()

    m = re.search(r'__version__ = "([^"]+)"', (REPO / "fivea" / "__init__.py").read_text())
    fivea_version = m.group(1) if m else "?"

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "RAM": mem,
        "OS": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "polars": version("polars"),
        "duckdb": version("duckdb"),
        "fivea": f"{fivea_version} (this checkout, git {commit or '?'}, sources {source_digest()})",
    }


def write_results(
    path: Path,
    cases: list[Case],
    start: dict[str, float] | None,
    args: argparse.Namespace,
    drift: str | None,
    sources: tuple[str, str],
    info: dict[str, str],
) -> None:
    """Write benchmarks/RESULTS.md (``info``: the machine and versions at the start)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# fivea benchmark results",
        "",
        f"Date: {now}. Command: `{' '.join(['python benchmarks/run.py', *sys.argv[1:]])}`",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        f"- threads: {args.threads} (polars `POLARS_MAX_THREADS` and DuckDB `threads`)",
        "",
        "## Results",
        "",
        f"`fivea diagnose FILE --format json --segment channel` against `duckdb_5a.sql` on the "
        f"same files (`fivea sample --archetype {ARCHETYPE} --seed {SEED}`). Each engine ran "
        f"{RUNS} times in its own process under `/usr/bin/time`, the two engines alternating: "
        "wall = best run, RSS = highest peak RSS of the runs, CPU = user + system of the best "
        "run. Ratio = fivea wall / DuckDB wall. Both include process start-up (Python, imports). "
        "Other load = CPU cores used by other processes during the best runs (the higher of the "
        f"two engines; each run waited up to {IDLE_WAIT:.0f} s for the machine to be quiet).",
        "",
        *results_table(cases),
        "",
    ]
    if drift:
        lines += [f"**Warning:** {drift}.", ""]
    bad = [c for c in cases if not c.agreed]
    if bad:
        lines += ["### Disagreements and errors", ""]
        for c in bad:
            lines.append(f"- {c.label} {c.fmt}: {c.error or ''}")
            lines += [f"  - `{d}`" for d in c.differences[:50]]
        lines.append("")
    else:
        lines += [
            "All numbers agreed: reached and path per stage, converted/reversed and the four "
            "time-to-convert quantiles (within 1e-6 s) of each transition, persons and reached "
            "per first-touch channel.",
            "",
        ]
    exps = scaling(cases)
    if exps:
        lines += ["## Scaling", "", "| format | from | to | fivea exponent | duckdb exponent |"]
        lines.append("|---|---|---|---|---|")
        for fmt, a, b, e_f, e_d in exps:
            lines.append(f"| {fmt} | {a} | {b} | {e_f:.2f} | {fmt_num(e_d, '.2f')} |")
        lines += ["", "Exponent e of wall time ∝ events^e between the two sizes (1 = linear).", ""]
    if start:
        base = start["import polars"]
        lines += ["## Start-up", "", "| command | best wall s | minus `import polars` |"]
        lines.append("|---|---|---|")
        lines += [f"| `{k}` | {v:.2f} | {v - base:+.2f} |" for k, v in start.items()]
        lines += [
            "",
            f"Best of {STARTUP_RUNS}; fivea's own start-up is the figure minus `import polars`.",
            "",
        ]
    lines += ["## Targets (issue “Performance”, on a 2-core, 24 GB machine)", ""]
    lines += targets(cases, start)
    lines += ["", "## Notes", ""]
    lines += notes(cases, sources)
    lines += [""]
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(path)


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    global IDLE_WAIT  # one run-wide setting, read by timed()
    parser = argparse.ArgumentParser(
        description="Benchmark fivea diagnose against a hand-written DuckDB query."
    )
    parser.add_argument(
        "--sizes",
        default="1M,10M",
        type=lambda s: [parse_size(x) for x in s.split(",") if x.strip()],
        help="event counts, comma-separated (default 1M,10M)",
    )
    parser.add_argument(
        "--formats",
        default="parquet,csv",
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        help="parquet and/or csv (default both)",
    )
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    parser.add_argument(
        "--threads",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="threads of both engines (default: all cores)",
    )
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=IDLE_WAIT,
        help="seconds to wait before each run for other processes to go quiet (default 120)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    for fmt in args.formats:
        if fmt not in ("parquet", "csv"):
            parser.error(f"unknown format {fmt!r} (parquet, csv)")
    if not Path(TIME).exists():
        parser.error(f"{TIME} (GNU time) is needed to measure peak RSS")
    args.data_dir.mkdir(parents=True, exist_ok=True)

    info = machine()
    print(" | ".join(f"{k} {v}" for k, v in info.items()))
    IDLE_WAIT = args.idle_wait
    drift = preset_drift()
    sources_start = source_digest()
    if drift:
        print(f"WARNING: {drift}")

    cases = [
        run_case(args.data_dir, events, fmt, args.threads)
        for events in args.sizes
        for fmt in args.formats
    ]
    print("\n== start-up", flush=True)
    try:
        start = startup(args.data_dir, base_env(args.threads))
    except BenchError as exc:
        print(f"  ERROR {exc}")
        start = None

    sources_end = source_digest()
    print()
    print("\n".join(results_table(cases)))
    print(
        f"\nwall = best of {RUNS} runs; RSS = highest peak of the runs; ratio = fivea/duckdb; "
        "other load = cores used by other processes during the best runs"
    )
    if start:
        print()
        for k, v in start.items():
            net = v - start["import polars"]
            print(f"{k:<24} {v:.2f} s (best of {STARTUP_RUNS}; {net:+.2f} s beyond import polars)")
    print()
    print("\n".join(targets(cases, start)))
    print("\n".join(notes(cases, (sources_start, sources_end))))
    if not args.no_write:
        write_results(
            HERE / "RESULTS.md", cases, start, args, drift, (sources_start, sources_end), info
        )
        print(f"\nwrote {HERE / 'RESULTS.md'}")
    failed = [c for c in cases if not c.agreed]
    if failed:
        print(f"\nFAILED: {', '.join(f'{c.label} {c.fmt}' for c in failed)} (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
