"""Where one ``fivea diagnose`` run spends its time and memory, phase by phase, in process.

Usage (from the repository root, this checkout on ``PYTHONPATH``)::

    POLARS_MAX_THREADS=2 python benchmarks/phases.py FILE [diagnose options...] > report.json

Runs ``fivea diagnose FILE ...`` in this process with timers around the phases of the local
engine (phase 1's ``collect_all``, the kernel's grouping, the per-person facts), a thread that
samples the resident set size every 10 ms, and prints to stderr one row per phase: start, wall
and CPU seconds (``resource.getrusage``: the whole process, every thread), RSS in and out and
the highest RSS sampled during it, then the total and a coarse RSS timeline. The kernel input's
columns (type, MiB, chunks) are printed as they reach the grouping.

Peak RSS is the figure to trust for memory: tracemalloc does not see polars' (Rust) allocations.
Record the machine's load (``uptime``) with every figure; CPU seconds and peak RSS vary much less
with other load than wall time. ``_RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0`` makes
polars' allocator return freed memory at once, so RSS then follows the live data (slower: only
for measuring). See docs/performance.md, "Where the time and memory go (10M events)".
"""

from __future__ import annotations

import functools
import os
import resource
import runpy
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")
T0 = time.perf_counter()
#: (label, start, end, cpu at start, cpu at end, rss at start, rss at end)
marks: list[tuple[str, float, float, float, float, int, int]] = []
samples: list[tuple[float, int]] = []


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def sampler() -> None:
    while True:
        samples.append((time.perf_counter(), rss()))
        time.sleep(0.01)


def timed(label: str, call: Callable[[], Any]) -> Any:
    t0, c0, r0 = time.perf_counter(), cpu(), rss()
    try:
        return call()
    finally:
        marks.append((label, t0, time.perf_counter(), c0, cpu(), r0, rss()))


def wrap(owner: object, name: str, label: str) -> None:
    """Time ``owner.name`` (a plain function) under ``label``."""
    function = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return timed(label, lambda: function(*args, **kwargs))

    setattr(owner, name, wrapper)


def install() -> None:
    import polars as pl

    import fivea.engines.local as local
    import fivea.person.compiled as compiled
    import fivea.person.kernel_grouping as grouping
    import fivea.person.phase1 as phase1

    wrap(pl, "collect_all", "collect_all (scan, rule marks, kernel input, quality)")
    wrap(grouping, "group_persons", "  group_persons (one part, on a thread)")
    wrap(phase1, "_compiled_persons", "person facts (kernel) and person frames")
    wrap(local, "run_phase1", "run_phase1 (all of phase 1)")
    grouped_of = compiled.Grouped.of.__func__

    def of(cls: type, frame: pl.DataFrame, duplicates: bool) -> object:
        if frame.height > 1000:  # not the two-row frame that loads the kernel
            columns = {
                c: (
                    str(frame[c].dtype),
                    round(frame[c].estimated_size() / 2**20),
                    frame[c].n_chunks(),
                )
                for c in frame.columns
            }
            print(
                f"kernel input: {frame.height:,} rows; (type, MiB, chunks) {columns}",
                file=sys.stderr,
            )
        box = [frame]
        # this wrapper must not keep the input alive: Grouped.of frees it column by column
        # (holding it here adds the whole input to the peak: a measuring artefact of 0.4 GB)
        del frame
        label = "Grouped.of (numpy copies, grouping, duplicates)"
        return timed(label, lambda: grouped_of(cls, box.pop(), duplicates))

    compiled.Grouped.of = classmethod(of)


def report() -> None:
    end = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = sys.stderr
    head = f"{'phase':<56} {'start':>6} {'wall s':>7} {'cpu s':>6} {'RSS in':>7} {'RSS out':>7} {'peak':>6}"
    print("\n" + head + "  (RSS in MiB)", file=out)
    for label, t0, t1, c0, c1, r0, r1 in sorted(marks, key=lambda m: m[1]):
        peak = max((r for t, r in samples if t0 <= t <= t1), default=r1)
        print(
            f"{label:<56} {t0 - T0:6.2f} {t1 - t0:7.2f} {c1 - c0:6.2f} {r0 / 2**20:7.0f} "
            f"{r1 / 2**20:7.0f} {peak / 2**20:6.0f}",
            file=out,
        )
    print(
        f"total: wall {end - T0:.2f} s, CPU {usage.ru_utime + usage.ru_stime:.2f} s, "
        f"peak RSS {usage.ru_maxrss / 1024:.0f} MiB; load {os.getloadavg()[0]:.2f}",
        file=out,
    )
    step = max(1, len(samples) // 40)
    timeline = " ".join(f"{t - T0:.1f}:{r / 2**20:.0f}" for t, r in samples[::step])
    print(f"RSS timeline (s:MiB) {timeline}", file=out)


def main() -> None:
    threading.Thread(target=sampler, daemon=True).start()
    install()
    real_exit = os._exit

    def exit_after_report(code: int) -> None:  # the CLI ends with os._exit
        sys.stdout.flush()
        report()
        sys.stderr.flush()
        real_exit(code)

    os._exit = exit_after_report
    sys.argv = ["fivea", "diagnose", *sys.argv[1:]]
    try:
        runpy.run_module("fivea", run_name="__main__")
    finally:
        report()


if __name__ == "__main__":
    main()
