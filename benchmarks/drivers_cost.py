"""What the drivers (on by default) cost a plain ``fivea diagnose``: runs with ``--drivers none``
and with the default, alternating, on two generated 10M-event logs, and prints medians.

Usage (from the repository root)::

    python benchmarks/drivers_cost.py [--events 10M] [--runs 3] [--threads 2]

The logs are ``fivea sample`` ones, cached in ``benchmarks/data``: the benchmark's ``funnel``
archetype (no bottleneck, so no transition is analysed), ``door_knob`` (the bottleneck is
affinity: the buyers, about a quarter of the persons, are the drivers' population) and
``goldfish`` (the bottleneck is attraction: every aware person is in the population, the most
expensive case). Issue #20's budget: at most +10% wall time with the drivers on, 0% when off
(docs/metrics.md "Drivers", cost; docs/performance.md "Drivers (on by default)").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (the benchmark's own measuring helpers)

ARCHETYPES = ("funnel", "door_knob", "goldfish")
# events per person of each archetype's sample (about 10M events from each log)
EVENTS_PER_PERSON = {"door_knob": 9.08}
BUDGET = 0.10


def ensure_log(data_dir: Path, events: int, archetype: str) -> Path:
    """A ``fivea sample`` Parquet log of about ``events`` rows (generated once)."""
    path = data_dir / f"drivers-{archetype}-{run.size_label(events)}.parquet"
    if not path.exists():
        people = round(events / EVENTS_PER_PERSON.get(archetype, run.EVENTS_PER_PERSON))
        print(f"  generating {path} ({people:,} people) ...", flush=True)
        cmd = [*run.fivea_cmd(), "sample", "-o", str(path), "-n", str(people), "-a", archetype]
        subprocess.run([*cmd, "-q"], check=True, env=run.base_env())
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="10M", help="events per log (e.g. 1M, 10M)")
    parser.add_argument("--runs", type=int, default=3, help="runs per setting, alternating")
    parser.add_argument("--threads", type=int, default=None, help="POLARS_MAX_THREADS")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    parser.add_argument("--idle-wait", type=float, default=30.0)
    args = parser.parse_args()
    run.IDLE_WAIT = args.idle_wait
    args.data_dir.mkdir(parents=True, exist_ok=True)
    env = run.base_env(args.threads)
    events = run.parse_size(args.events)
    missed = []
    for archetype in ARCHETYPES:
        log = ensure_log(args.data_dir, events, archetype)
        base = [*run.fivea_cmd(), "diagnose", str(log), "-f", "json", "-q", "--segment", "channel"]
        off, on = run.Measurement(), run.Measurement()
        for _ in range(args.runs):
            run.timed([*base, "--drivers", "none"], env, off)
            run.timed(base, env, on)
        extra = on.wall / off.wall - 1
        if extra > BUDGET:
            missed.append(archetype)
        print(
            f"{archetype:9} --drivers none {off.wall:5.2f} s, {off.cpu:5.2f} s CPU, "
            f"{off.median_rss_mb:6.0f} MiB | default {on.wall:5.2f} s, {on.cpu:5.2f} s CPU, "
            f"{on.median_rss_mb:6.0f} MiB | {extra:+.0%} wall, {on.cpu - off.cpu:+.2f} s CPU, "
            f"{on.median_rss_mb - off.median_rss_mb:+.0f} MiB (medians of {args.runs})"
        )
    verdict = f"missed on {', '.join(missed)}" if missed else "met on every log"
    print(f"budget (+{BUDGET:.0%} wall with the drivers on): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
