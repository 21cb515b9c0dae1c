"""Benchmark ``fivea diagnose`` against a hand-written DuckDB query of the same metrics.

Usage::

    python benchmarks/run.py [--sizes 1M,10M,50M] [--formats parquet,csv]
                             [--data-dir benchmarks/data] [--threads N] [--no-write]

For each size and format: generate the event log once with ``fivea sample`` (cached in the data
folder, the size in the file name), run ``fivea diagnose FILE --format json --segment channel``
and ``python benchmarks/duckdb_5a.py FILE FORMAT --config C`` (which runs the SQL of config C,
assembled from benchmarks/sql/: the stage rules of the default preset or of config_rules.yaml,
then the parts both share), each in
its own process under ``/usr/bin/time``, twice, keeping the best wall time and the highest peak
RSS. The numbers of both must agree (reached and path per stage, the four transitions'
time-to-convert quantiles within 1e-6 s and their converted/reversed counts, per first-touch
channel persons and reached, per sub-funnel step persons and median time where the SQL computes
them); otherwise a diff is printed and the exit status is 1. Then a table
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
import statistics
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
RUNS = 3  # default of --runs: runs per engine, alternating; the median is reported
STARTUP_RUNS = 5
QUANTILE_TOLERANCE_S = 1e-6
STAGES = ("aware", "appeal", "ask", "act", "advocate")
TRANSITIONS = ("attraction", "curiosity", "commitment", "affinity")
QUANTILES = ("p25_seconds", "median_seconds", "p75_seconds", "p90_seconds")
SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01: fixed, so fivea's output is reproducible

PRESET = REPO / "fivea" / "presets" / "5a-default.yaml"

#: The benchmark configs: the default preset, and the rules users write (``min_count`` with
#: ``within``, ``where``, ``gap``, a sub-funnel; benchmarks/config_rules.yaml) on logs of the
#: columns RULES_COLUMNS. Each has a hand-written DuckDB twin (``SQL``).
CONFIGS: dict[str, Path | None] = {"preset": None, "rules": HERE / "config_rules.yaml"}


@dataclass(frozen=True)
class Reference:
    """A hand-written SQL and the rules it encodes: the config file, the parts of it the SQL
    implements (besides the stages' rules) and their digest when it was written (``rules_digest``).
    ``sql`` is the file that encodes them: the config's stages part of benchmarks/sql/ (the
    parts duckdb_5a.py runs after it are the same for every config)."""

    sql: Path
    config: Path
    parts: tuple[str, ...]
    digest: str


#: When a config changes (its digest no longer matches), update its SQL, then the digest here.
SQL: dict[str, Reference | None] = {
    "preset": Reference(
        HERE / "sql" / "stages_preset.sql", PRESET, ("subfunnels", "funnel"), "212a4542e644ed48"
    ),
    "rules": Reference(
        HERE / "sql" / "stages_rules.sql",
        HERE / "config_rules.yaml",
        ("subfunnels", "funnel"),
        "f69b99d6ccc94758",
    ),
}
RULES_COLUMNS = ("user_id", "event_time", "event", "channel", "revenue")
#: fivea's JSON compared by --compare-json, without the fields that differ run to run
VOLATILE_KEYS = ("run", "generated_at")

# Targets of issue #21 ("Performance, round two"), on a 2-core, 24 GB machine.
TARGET_RATIO = {("10M", "parquet"): 0.5, ("10M", "csv"): 0.45}  # fivea wall / DuckDB wall
TARGET_RSS_VS_DUCKDB = 2.0  # at 10M events: fivea's peak RSS / DuckDB's
TARGET_RSS_MB = {("50M", "parquet"): 2000, ("50M", "csv"): 2500}  # MiB, "2 GB" and "2.5 GB"
TARGET_EXPONENT = 1.05  # time ~ events^e from 10M to 50M events
TARGET_STARTUP_S = 0.15  # fivea diagnose on one row, beyond `import polars`
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


def ensure_rules_data(data_dir: Path, events: int, fmt: str) -> Path:
    """The log of the "rules" config: the sample's rows with only the columns RULES_COLUMNS."""
    path = data_dir / f"events5-{size_label(events)}.{fmt}"
    if path.exists():
        return path
    import polars as pl  # a dependency of fivea

    source = ensure_data(data_dir, events, "parquet")
    print(f"  writing {path} (columns {', '.join(RULES_COLUMNS)}) ...", flush=True)
    frame = pl.scan_parquet(source).select(RULES_COLUMNS)
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "parquet":
        frame.sink_parquet(tmp)
    else:  # the same text times as `fivea sample` writes
        frame.sink_csv(tmp, datetime_format="%Y-%m-%dT%H:%M:%S%.6fZ")
    tmp.replace(path)
    return path


def comparable(report: dict) -> dict:
    """fivea's JSON report without the fields that differ from run to run."""
    return {k: v for k, v in report.items() if k not in VOLATILE_KEYS}


def json_diff(old: object, new: object, path: str = "") -> list[str]:
    """Every JSON path at which two reports differ (exactly: floats too)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(f"{sub}: only in the {'new' if key in new else 'stored'} report")
            else:
                out += json_diff(old[key], new[key], sub)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in json_diff(a, b, f"{path}[{i}]")
        ]
    return [] if old == new else [f"{path}: stored {old!r}, now {new!r}"[:300]]


def compare_json(folder: Path, name: str, stdout: str) -> list[str]:
    """Compare fivea's report with the one stored under ``folder`` (store it when missing)."""
    path = folder / f"{name}.json"
    report = comparable(json.loads(stdout))
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
        print(f"  stored fivea's JSON as {path}", flush=True)
        return []
    return json_diff(json.loads(path.read_text()), report)


def one_row_file(data_dir: Path) -> Path:
    """Return a CSV event log of one row (for start-up time)."""
    path = data_dir / "one-row.csv"
    if not path.exists():
        path.write_text(
            "user_id,event_time,event,channel\nu0000001,2025-01-01T00:00:00.000000Z,page_view,direct\n"
        )
    return path


def rules_digest(ref: Reference) -> str:
    """Digest of a config's stage rules and the other parts its SQL implements (labels excluded)."""
    import yaml  # a dependency of fivea

    data = yaml.safe_load(ref.config.read_text())
    rules = {key: stage["rules"] for key, stage in data["stages"].items()}
    canon = json.dumps({"stages": rules, **{k: data.get(k) for k in ref.parts}}, sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def rules_drift(configs: list[str] | None = None) -> list[str]:
    """A warning per config whose rules no longer match those written into its SQL."""
    out = []
    for name in configs or list(SQL):
        ref = SQL[name]
        if ref is None or (digest := rules_digest(ref)) == ref.digest:
            continue
        out.append(
            f"{os.path.relpath(ref.config, REPO)} changed since "
            f"{os.path.relpath(ref.sql, REPO)} was written "
            f"(rules digest {digest}, SQL written for {ref.digest}): update the SQL to the new "
            f"rules, then the digest of {name!r} in SQL in benchmarks/run.py; until then a "
            "disagreement may be the SQL's, not fivea's"
        )
    return out


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
        """The median wall time of the runs (the best of 2 before issue #21)."""
        return statistics.median(self.walls)

    @property
    def best_wall(self) -> float:
        return self.walls[self.best]

    @property
    def cpu(self) -> float:
        """The median CPU time (user + system) of the runs."""
        return statistics.median(self.cpus)

    @property
    def other(self) -> float:
        """The most CPU other processes used during one of the runs, in cores."""
        return max(self.others)

    @property
    def rss_mb(self) -> float:
        """The highest peak RSS of the runs, MiB."""
        return max(self.rss_kb) / 1024

    @property
    def median_rss_mb(self) -> float:
        """The median peak RSS of the runs, MiB (the figure the targets of issue #21 read)."""
        return statistics.median(self.rss_kb) / 1024


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
    measured = {name: Measurement() for name in commands}
    for _ in range(STARTUP_RUNS):  # interleaved: a drift in the machine's speed hits each alike
        for name, cmd in commands.items():
            timed(cmd, env, measured[name], max_wait=min(IDLE_WAIT, 10.0))  # short: best of 5
    return {name: m.best_wall for name, m in measured.items()}


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
    subfunnels = {
        sub["name"]: {
            str(k): {"reached": step["reached"], "median_seconds": step["median_seconds"]}
            for k, step in enumerate(sub["steps"], start=1)
        }
        for sub in report.get("subfunnels") or []
    }
    return {
        "persons": report["persons"],
        "events": events,
        "stages": stages,
        "transitions": transitions,
        "channels": channels,
        "subfunnels": subfunnels,
    }


def metrics_of_duckdb(result: dict) -> dict:
    """The same numbers from the JSON of a config's DuckDB query (benchmarks/duckdb_5a.py)."""
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
    out = {
        "persons": result["persons"],
        "events": result["events"],
        "stages": stages,
        "transitions": transitions,
        "channels": channels,
    }
    if "subfunnels" in result:
        out["subfunnels"] = {
            sub["name"]: {str(k): step for k, step in enumerate(sub["steps"], start=1)}
            for sub in result["subfunnels"]
        }
    return out


def compared(report: dict, result: dict) -> tuple[dict, dict]:
    """The numbers of fivea's report and of a DuckDB result that ``diff`` compares.

    Sub-funnels only when the SQL computes them (both SQL files of the benchmark do).
    """
    f, d = metrics_of_fivea(report), metrics_of_duckdb(result)
    if "subfunnels" not in d:
        del f["subfunnels"]
    return f, d


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
    """Figures of one (config, size, format)."""

    label: str
    fmt: str
    config: str = "preset"
    events: int | None = None
    persons: int | None = None
    file_mb: float | None = None
    fivea: Measurement | None = None
    duckdb: Measurement | None = None  # None: no DuckDB SQL for this config
    differences: list[str] = field(default_factory=list)
    json_changes: list[str] = field(default_factory=list)  # --compare-json
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.fivea and self.duckdb and self.fivea.walls and self.duckdb.walls:
            return self.fivea.wall / self.duckdb.wall
        return None

    @property
    def agreed(self) -> bool:
        return self.error is None and not self.differences and not self.json_changes


def run_case(
    data_dir: Path,
    events: int,
    fmt: str,
    threads: int,
    config: str = "preset",
    runs: int = RUNS,
    compare_dir: Path | None = None,
) -> Case:
    """Generate (if needed), time both engines and compare their numbers."""
    case = Case(size_label(events), fmt, config)
    print(f"\n== {config}: {case.label} events, {fmt}", flush=True)
    try:
        config_file = CONFIGS[config]
        if config_file is None:
            path = ensure_data(data_dir, events, fmt)
        else:
            path = ensure_rules_data(data_dir, events, fmt)
        case.file_mb = path.stat().st_size / 2**20
        env = base_env(threads)
        fv_cmd = [*fivea_cmd(), "diagnose", str(path), "--format", "json", "--segment", "channel"]
        if config_file is not None:
            # relative to the working directory (the repository root): the report names the
            # config as given, so --compare-json across two checkouts sees the same text
            fv_cmd += ["--config", os.path.relpath(config_file)]
        duck_cmd = [sys.executable, str(DUCKDB_RUNNER), str(path), fmt, "--config", config]
        duck_cmd += ["--threads", str(threads)]
        case.fivea = Measurement()
        case.duckdb = Measurement() if SQL[config] is not None else None
        for i in range(runs):  # alternate the engines so both see the same page cache
            timed(fv_cmd, env, case.fivea)
            fv, dk = case.fivea, case.duckdb
            line = (
                f"  run {i + 1}: fivea {fv.walls[-1]:.2f} s {fv.rss_kb[-1] / 1024:.0f} MB "
                f"{fv.cpus[-1]:.2f} CPU s (others {fv.others[-1]:.2f} cores)"
            )
            if dk is not None:
                timed(duck_cmd, env, dk)
                line += (
                    f" | duckdb {dk.walls[-1]:.2f} s {dk.rss_kb[-1] / 1024:.0f} MB "
                    f"{dk.cpus[-1]:.2f} CPU s (others {dk.others[-1]:.2f} cores)"
                )
            print(line, flush=True)
        report = json.loads(case.fivea.stdout)
        case.events, case.persons = report["quality"]["rows_used"], report["persons"]
        if compare_dir is not None:
            name = f"{config}-{case.label}.{fmt}"
            case.json_changes = compare_json(compare_dir, name, case.fivea.stdout)
        if case.duckdb is not None:
            f, d = compared(report, json.loads(case.duckdb.stdout))
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
    if case.json_changes:
        print(f"  JSON CHANGED against --compare-json ({len(case.json_changes)} paths):")
        for line in case.json_changes[:50]:
            print(f"    {line}")
    if case.agreed:
        ratio = f"ratio {case.ratio:.2f}" if case.ratio is not None else "fivea only"
        print(f"  ok: {case.events:,} events, {case.persons:,} persons; {ratio}")
    return case


# --------------------------------------------------------------------------------------------
# Reporting


def fmt_num(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


def results_table(cases: list[Case]) -> list[str]:
    head = (
        "| config | size | format | events | fivea s | fivea RSS MB | duckdb s | duckdb RSS MB "
        "| ratio fivea/duckdb | fivea CPU s | duckdb CPU s | other load | agree |"
    )
    rows = [head, "|" + "---|" * 13]
    for c in cases:
        fv, dk = c.fivea, c.duckdb
        fv_ok = fv is not None and bool(fv.walls)
        dk_ok = dk is not None and bool(dk.walls)
        if c.error:
            agree = "ERROR"
        elif c.differences or c.json_changes:
            agree = "NO" + (" (JSON changed)" if c.json_changes else "")
        else:
            agree = "yes" if dk_ok else "– (no SQL)"
        others = [m.other for m in (fv, dk) if m is not None and m.walls]
        rows.append(
            "| "
            + " | ".join(
                [
                    c.config,
                    c.label,
                    c.fmt,
                    fmt_num(c.events, ","),
                    fmt_num(fv.wall if fv_ok else None, ".2f"),
                    fmt_num(fv.median_rss_mb if fv_ok else None, ".0f"),
                    fmt_num(dk.wall if dk_ok else None, ".2f"),
                    fmt_num(dk.median_rss_mb if dk_ok else None, ".0f"),
                    fmt_num(c.ratio, ".2f"),
                    fmt_num(fv.cpu if fv_ok else None, ".2f"),
                    fmt_num(dk.cpu if dk_ok else None, ".2f"),
                    fmt_num(max(others) if others else None, ".2f"),
                    agree,
                ]
            )
            + " |"
        )
    return rows


def scaling(cases: list[Case]) -> list[tuple[str, str, str, str, float, float | None]]:
    """Exponent e of time ~ events^e between consecutive sizes, per config, format and engine."""
    out = []
    for config, fmt in dict.fromkeys((c.config, c.fmt) for c in cases):
        ok = [c for c in cases if (c.config, c.fmt) == (config, fmt) and c.agreed and c.events]
        ok.sort(key=lambda c: c.events or 0)
        for a, b in itertools.pairwise(ok):
            if not (a.fivea and b.fivea and a.events and b.events):
                continue
            span = math.log(b.events / a.events)
            e_f = math.log(b.fivea.wall / a.fivea.wall) / span
            e_d = None
            if a.duckdb and b.duckdb:
                e_d = math.log(b.duckdb.wall / a.duckdb.wall) / span
            out.append((config, fmt, a.label, b.label, e_f, e_d))
    return out


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(cases: list[Case], start: dict[str, float] | None) -> list[str]:
    """One line per target of issue #21: met, missed or not measured (medians of the runs)."""
    lines = []
    by = {(c.config, c.label, c.fmt): c for c in cases}
    for config in dict.fromkeys(c.config for c in cases):
        for (label, fmt), limit in TARGET_RATIO.items():
            c = by.get((config, label, fmt))
            what = f"- {config}, {label} {fmt}: wall ≤ {limit}× DuckDB's"
            if c is None or c.ratio is None:
                why = "no DuckDB SQL for this config" if c and c.duckdb is None else "not run"
                lines.append(f"{what} — not measured ({why})")
            else:
                lines.append(f"{what} — {_verdict(c.ratio <= limit)} ({c.ratio:.2f}×)")
        for fmt in ("parquet", "csv"):
            c = by.get((config, "10M", fmt))
            what = f"- {config}, 10M {fmt}: peak RSS ≤ {TARGET_RSS_VS_DUCKDB}× DuckDB's"
            if c is None or not (c.fivea and c.fivea.walls and c.duckdb and c.duckdb.walls):
                lines.append(f"{what} — not measured")
            else:
                share = c.fivea.median_rss_mb / c.duckdb.median_rss_mb
                lines.append(
                    f"{what} — {_verdict(share <= TARGET_RSS_VS_DUCKDB)} ({share:.2f}×: "
                    f"{c.fivea.median_rss_mb:.0f} MB against {c.duckdb.median_rss_mb:.0f} MB)"
                )
        for (label, fmt), limit in TARGET_RSS_MB.items():
            c = by.get((config, label, fmt))
            what = f"- {config}, {label} {fmt}: peak RSS ≤ {limit} MB"
            if c is None or c.fivea is None or not c.fivea.walls:
                lines.append(f"{what} — not measured")
            else:
                rss = c.fivea.median_rss_mb
                lines.append(f"{what} — {_verdict(rss <= limit)} ({rss:.0f} MB)")
    exps = scaling(cases)
    for config, fmt, a, b, e_f, _ in exps:
        if (a, b) == ("10M", "50M"):
            lines.append(
                f"- {config}, scaling {fmt} {a}→{b}: exponent ≤ {TARGET_EXPONENT} — "
                f"{_verdict(e_f <= TARGET_EXPONENT)} (time ∝ events^{e_f:.2f})"
            )
    if not any((a, b) == ("10M", "50M") for _, _, a, b, _, _ in exps):
        lines.append(f"- scaling 10M→50M: exponent ≤ {TARGET_EXPONENT} — not measured")
    if start:
        net = start["fivea diagnose (1 row)"] - start["import polars"]
        lines.append(
            f"- start-up ≤ {TARGET_STARTUP_S} s beyond `import polars` — "
            f"{_verdict(net <= TARGET_STARTUP_S)} ({net:.2f} s)"
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


def _spread(m: Measurement) -> str:
    """The range of a measurement's runs: wall, CPU and peak RSS."""
    return (
        f"{min(m.walls):.2f}-{max(m.walls):.2f} s, CPU {min(m.cpus):.2f}-{max(m.cpus):.2f} s, "
        f"RSS {min(m.rss_kb) / 1024:.0f}-{max(m.rss_kb) / 1024:.0f} MB"
    )


def notes(cases: list[Case], sources: tuple[str, str]) -> list[str]:
    """Derived observations: CPU-time ratios, a projected 50M RSS, engine changes mid-run."""
    out = []
    for c in cases:
        if c.fivea and c.fivea.walls and len(c.fivea.walls) > 1:
            out.append(
                f"- {c.config}, {c.label} {c.fmt}: fivea's runs {_spread(c.fivea)}"
                + (f"; DuckDB's {_spread(c.duckdb)}" if c.duckdb and c.duckdb.walls else "")
            )
        if c.fivea and c.duckdb and c.fivea.cpus and c.duckdb.cpus:
            out.append(
                f"- {c.config}, {c.label} {c.fmt}: CPU time fivea/DuckDB {c.fivea.cpu / c.duckdb.cpu:.2f}× "
                f"(less sensitive to other load than wall time); fivea used "
                f"{c.fivea.cpu / c.fivea.wall:.2f} cores on average, DuckDB "
                f"{c.duckdb.cpu / c.duckdb.wall:.2f}"
            )
    parquet = sorted(
        (c.events, c.fivea.median_rss_mb, c.label)
        for c in cases
        if c.config == "preset" and c.fmt == "parquet" and c.events and c.fivea and c.fivea.rss_kb
    )
    if len(parquet) >= 2 and not any(label == "50M" for *_, label in parquet):
        (n_a, rss_a, label_a), (n_b, rss_b, label_b) = parquet[-2:]
        slope = (rss_b - rss_a) / (n_b - n_a)
        projected = rss_b + slope * (50_000_000 - n_b)
        out.append(
            f"- 50M parquet was not run; fivea's peak RSS grew {slope * 1e6:.0f} MB per million "
            f"events from {label_a} to {label_b}, which projects to about {projected:,.0f} MB "
            f"at 50M (target {TARGET_RSS_MB[('50M', 'parquet')]} MB) if nothing changes"
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
    drift: list[str],
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
        "Config `preset`: `fivea diagnose FILE --format json --segment channel` (the default "
        "preset) against `duckdb_5a.py --config preset` (its DuckDB query: `--print preset`) on "
        f"the same files (`fivea sample --archetype {ARCHETYPE} --seed {SEED}`). Config `rules`: "
        "the same command with `--config benchmarks/config_rules.yaml` (`min_count` with "
        "`within`, `where`, `gap`, a sub-funnel) on the sample's columns "
        f"{', '.join(RULES_COLUMNS)}, against `duckdb_5a.py --config rules`. Each engine ran "
        f"{args.runs} times in its own process under `/usr/bin/time`, the two engines "
        "alternating: wall, RSS (peak) and CPU (user + system) are the medians of the runs. "
        "Ratio = fivea wall / DuckDB wall. Both include process start-up (Python, imports). "
        "Other load = the most CPU cores other processes used "
        f"during one run (each run waited up to {IDLE_WAIT:.0f} s for the machine to be quiet).",
        "",
        *results_table(cases),
        "",
    ]
    for warning in drift:
        lines += [f"**Warning:** {warning}.", ""]
    bad = [c for c in cases if not c.agreed]
    if bad:
        lines += ["### Disagreements and errors", ""]
        for c in bad:
            lines.append(f"- {c.config}, {c.label} {c.fmt}: {c.error or ''}")
            lines += [f"  - `{d}`" for d in c.differences[:50]]
            lines += [f"  - JSON changed: `{d}`" for d in c.json_changes[:50]]
        lines.append("")
    else:
        lines += [
            "All numbers agreed: reached and path per stage, "
            "converted/reversed and the four time-to-convert quantiles (within 1e-6 s) of each "
            "transition, persons and reached per first-touch channel, the sub-funnel's persons and median "
            "time (within 1e-6 s) per step."
            + (
                f" fivea's JSON was the same as the stored one (`--compare-json {args.compare_json}`)"
                " on every log."
                if args.compare_json
                else ""
            ),
            "",
        ]
    exps = scaling(cases)
    if exps:
        lines += ["## Scaling", ""]
        lines.append("| config | format | from | to | fivea exponent | duckdb exponent |")
        lines.append("|---|---|---|---|---|---|")
        for config, fmt, a, b, e_f, e_d in exps:
            lines.append(f"| {config} | {fmt} | {a} | {b} | {e_f:.2f} | {fmt_num(e_d, '.2f')} |")
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
    lines += ["## Targets (issue #21, on a 2-core, 24 GB machine)", ""]
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
    parser.add_argument(
        "--runs", type=int, default=RUNS, help=f"runs per engine, alternating (default {RUNS})"
    )
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        help="preset and/or rules (default both)",
    )
    parser.add_argument(
        "--compare-json",
        type=Path,
        default=None,
        metavar="DIR",
        help="store fivea's JSON per log in DIR, or compare with the one stored there",
    )
    args = parser.parse_args(argv)
    for config in args.configs:
        if config not in CONFIGS:
            parser.error(f"unknown config {config!r} ({', '.join(CONFIGS)})")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    for fmt in args.formats:
        if fmt not in ("parquet", "csv"):
            parser.error(f"unknown format {fmt!r} (parquet, csv)")
    if not Path(TIME).exists():
        parser.error(f"{TIME} (GNU time) is needed to measure peak RSS")
    args.data_dir.mkdir(parents=True, exist_ok=True)

    info = machine()
    print(" | ".join(f"{k} {v}" for k, v in info.items()))
    IDLE_WAIT = args.idle_wait
    drift = rules_drift(args.configs)
    sources_start = source_digest()
    for warning in drift:
        print(f"WARNING: {warning}")

    cases = [
        run_case(args.data_dir, events, fmt, args.threads, config, args.runs, args.compare_json)
        for events in args.sizes
        for config in args.configs
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
        f"\nwall, RSS, CPU = medians of {args.runs} runs; ratio = fivea/duckdb; "
        "other load = the most cores other processes used during one run"
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
        names = ", ".join(f"{c.config} {c.label} {c.fmt}" for c in failed)
        print(f"\nFAILED: {names} (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
