"""The local engine: phase 1 in this process, in person partitions when memory asks for it.

Phase 1 holds a partition's events in memory (parsed once, then sorted and grouped). Below the
memory budget that is the whole scan in one ``collect_all``; above it, the persons are split by
a hash of their id into partitions. With the compiled kernel one pass over the log writes each
partition's kernel rows to the run's temp folder and each partition is then computed from its
rows (``fivea.person.spilled``); with the polars plan each partition reads the log (the filter
reaches the reader, so only its rows are materialised). The outputs are put together with
``fivea.person.phase1.combine_frames`` — the same function and the same combination as the
Spark engine (docs/architecture.md#the-seam). Peak memory is then about one partition's working
set plus the person table, whatever the size of the log (docs/performance.md).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from fivea.errors import UsageError
from fivea.io.epoch_units import check_other_units
from fivea.io.events import TIME, EventScan
from fivea.io.scratch import scratch_file, scratch_folder
from fivea.io.sources import Source, head_bytes
from fivea.person.phase1 import Phase1Plan, Phase1Tables, combine, run_phase1
from fivea.person.spilled import can_spill, run_phase1_spilled

# measured peak RSS of phase 1 in one pass, per row: 185 B for the 10-column sample export
# (78 B per row in memory), 168 B for a 3-column export (35 B), 191 B for the sample as CSV
# (89 B): mostly a fixed cost per row (the kernel's columns, their numpy copies, the grouped
# rows), plus a share of the row's width. Rounded up, so 50M sample events take 4 partitions
# (peak 3.1 GB) rather than 3 (3.6 GB).
ROW_BYTES = 160
WIDTH_SHARE = 0.6
DEFAULT_BUDGET = 3 * 1024**3  # bytes; phase 1 at 10M events of a typical export fits in one go
_MEMORY_SHARE = 0.4  # of the machine's (or container's) memory, when that is smaller
_HEAD_ROWS = 2000
_HEAD_CELLS = 200_000  # a wide log's sample is fewer rows: 10,000 columns read 20 rows, not 2000
_SAMPLE_BYTES = 1 << 20  # of a text file, for its bytes per line
MAX_PARTITIONS = 1024
KERNEL_FROM_ROWS = 200_000  # below, loading the compiled kernel costs more than it saves
SPOOL_FROM = 3  # partitions from which a text source is first copied to Parquet
TEXT_SLACK = 1.5  # a text log up to this many budgets runs in one pass rather than two
# kernel rows written per partition (fivea.person.spilled): one partition's rows in memory take
# their bytes plus about this many (grouped copy, codes; measured 92 B a 68-byte row), and stay
# within this share of the budget, the rest being the person tables built so far and phase 2
# (50M events, default budget: 14 partitions, peak 1.92 GB; a quarter, 7: 2.56 GB)
SPILL_ROW_BYTES = 32
SPILL_SHARE = 0.125
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}
_SPILLS = itertools.count()  # the kernel rows' folders of this process's runs


# the smallest budget (docs/performance.md, "Tuning"): one partition then still holds ~5,000
# events of a typical export. Below it each partition costs more than its rows (a re-read and a
# collect, ~0.1 s): `--memory 1KB` split the 27,000-event sample into 1,024 partitions, 85 s
MIN_BUDGET = 1_000_000


def _where(text: str, name: str) -> str:
    return f"{name} {text!r}" if name.startswith("-") else f"{name}={text!r} (environment variable)"


def parse_size(text: str, name: str = "--memory") -> int:
    """'3GiB', '2GB', '512M', '1.5g', '1000000' -> bytes (GB = 10^9, GiB = 2^30).

    ``name`` is where the size was given (``--memory`` or ``FIVEA_MEMORY``), for the message.
    """
    where = _where(text, name)
    match = _SIZE.match(text)
    if match is None or float(match.group(1)) <= 0:
        msg = f"{where}: give a size such as 2GB, 3GiB or 512MB"
        raise UsageError(msg)
    number, power, binary = match.groups()
    base = 1024 if binary or not power else 1000
    return int(float(number) * base ** _POWERS[power.lower()])


def parse_budget(text: str, name: str = "--memory") -> int:
    """A memory budget: a size (``parse_size``) of at least ``MIN_BUDGET``."""
    size = parse_size(text, name)
    if size < MIN_BUDGET:
        where = _where(text, name)
        msg = (
            f"{where}: below the minimum of 1MB (smaller person partitions cost more "
            "than they save); give at least 1MB, e.g. 512MB"
        )
        raise UsageError(msg)
    return size


def machine_memory() -> int | None:
    """Bytes of memory this process may use: the cgroup limit (containers) or the RAM."""
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if text.isdigit():
            return int(text)
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def default_budget() -> int:
    """Phase-1 working-set target: 3 GiB, or less on a small machine."""
    memory = machine_memory()
    if memory is None:
        return DEFAULT_BUDGET
    return min(DEFAULT_BUDGET, int(memory * _MEMORY_SHARE))


def working_set(scan: EventScan) -> int:
    """Bytes phase 1 needs to hold every row of the scan at once (its peak RSS in one pass).

    From the row count and the in-memory width of the first rows. The row count is cheap on
    every format: Parquet metadata, and for a text file its size over the bytes per line of its
    first MiB (counting every newline would map the whole file into memory: 4.7 GB of RSS for a
    4.5 GB CSV before any work).
    """
    source = scan.layout.source if scan.layout is not None else scan.raw
    rows = _row_count(scan.sources)
    if rows is None:
        rows = source.select(pl.len()).collect().item()
    width_columns = max(1, len(source.collect_schema()))
    head = source.head(max(20, min(_HEAD_ROWS, _HEAD_CELLS // width_columns))).collect()
    if head.height == 0:
        return 0
    width = head.estimated_size() / head.height
    return int(rows * (ROW_BYTES + WIDTH_SHARE * width))


def _row_count(sources: list[Source]) -> int | None:
    """Rows of the sources, estimated without reading them (None: count them instead)."""
    total = 0
    for source in sources:
        if source.frame is not None:
            total += source.frame.height
        elif source.path is None or source.compression is not None:
            return None  # stdin or compressed: no size to go by
        elif source.format == "parquet":
            total += pl.scan_parquet(source.path).select(pl.len()).collect().item()
        else:
            head, whole = head_bytes(source, _SAMPLE_BYTES)
            lines = head.count(b"\n")
            if whole or lines == 0:
                total += lines + (0 if head.endswith(b"\n") else 1)
            else:
                total += math.ceil(source.path.stat().st_size * lines / len(head))
    return total


def small_log(scan: EventScan) -> bool:
    """Whether the log is small (below ``KERNEL_FROM_ROWS`` rows, by ``_row_count``)."""
    rows = _row_count(scan.sources)
    return rows is not None and rows < KERNEL_FROM_ROWS


def use_kernel(small: bool) -> bool:
    """Whether phase 1 runs the compiled kernel: on logs large enough to repay loading it
    (not ``small``).

    ``FIVEA_KERNEL=compiled|polars`` forces one implementation (the tests run both).
    """
    choice = os.environ.get("FIVEA_KERNEL", "auto").strip().lower()
    if choice in ("compiled", "polars"):
        return choice == "compiled"
    return not small


def partition_count(scan: EventScan, budget: int) -> int:
    """How many person partitions keep phase 1 under ``budget`` bytes (1 when it fits)."""
    if scan.layout is None or scan.stitching:
        # stitching maps an alias id to its person across the whole log: one partition
        return 1
    need = working_set(scan)
    count = min(MAX_PARTITIONS, max(1, math.ceil(need / budget)))
    if count == 2 and _has_text_source(scan):
        # two passes over a text log parse it twice (or copy it once to Parquet): as slow as
        # three partitions, so a text log slightly over budget runs in one pass instead
        return 1 if need <= TEXT_SLACK * budget else SPOOL_FROM
    return count


def _has_text_source(scan: EventScan) -> bool:
    return any(s.frame is None and s.format != "parquet" for s in scan.sources)


@contextmanager
def _spooled(scan: EventScan, count: int) -> Iterator[EventScan]:
    """The scan, reading a Parquet copy of its text sources when there are many partitions.

    Each partition reads the sources again; for CSV and NDJSON that is a full parse each time
    (10M events: +8 s of CPU per extra pass), while one streamed copy to Parquet costs about
    one parse and later passes read only their rows. Worth it from ``SPOOL_FROM`` partitions.
    """
    if count < SPOOL_FROM or not _has_text_source(scan):
        yield scan
        return
    handle, name = scratch_file(prefix="spool-", suffix=".parquet")
    os.close(handle)
    path = Path(name)
    try:
        yield scan.spooled(path)
    finally:
        path.unlink(missing_ok=True)


@dataclass
class LocalRunner:
    """Phase 1 in this process: one ``collect_all``, or one per person partition."""

    scan: EventScan
    budget: int | None = None  # bytes; None: ``default_budget()``
    count: int | None = None  # person partitions; None: as many as the budget needs
    on_progress: Callable[[str], None] | None = None  # told as each partition starts
    # the scan with its guessed epoch unit, made once: a second pass (docs/performance.md)
    # would read the first rows again for the same guess
    _guessed: EventScan | None = field(default=None, init=False, repr=False, compare=False)
    _small: bool | None = field(default=None, init=False, repr=False, compare=False)
    _forced: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._forced = self.count is not None

    def max_time(self) -> int | None:
        """The latest valid event time (reads the time column)."""
        return self.scan.frame.select(pl.col(TIME).max()).collect().item()

    def partitions(self) -> int:
        """The number of person partitions this run uses (estimated once)."""
        if self.count is None:
            budget = max(MIN_BUDGET, self.budget or default_budget())
            self.count = partition_count(self.scan, budget)
        return self.count

    def run(self, plan: Phase1Plan) -> Phase1Tables:
        """Phase 1 on the whole scan, partition by partition when it does not fit."""
        tables = self._run(plan)
        check_other_units(tables, self.scan)
        return tables

    def _run(self, plan: Phase1Plan) -> Phase1Tables:
        count = self.partitions()
        if self._small is None:
            self._small = small_log(self.scan)
        # the kernel holds a row's counted matches in 63 bits; more distinct ones: polars
        compiled = plan.rules.kernel_fits and use_kernel(self._small)
        # a small log's queries start faster on polars' in-memory engine (one row: 13 ms
        # instead of 26; 100,000 rows: 0.50 s instead of 0.59, less memory), a large one's run
        # faster and in less memory on the streaming one (docs/performance.md "Start-up")
        engine = "in-memory" if self._small else "auto"
        plan = dataclasses.replace(plan, compiled=compiled, engine=engine)
        if count == 1 or self.scan.layout is None or self.scan.stitching:
            # every person in one run: its grouped rows can wait for phase 2 to say which
            # transitions' drivers it analyses (docs/metrics.md "Drivers", cost)
            plan = dataclasses.replace(plan, defer_drivers=True)
            if self._guessed is None:
                self._guessed = self.scan.with_guessed_unit()
            return run_phase1(self._guessed, plan)
        if can_spill(plan) and os.environ.get("FIVEA_SPILL", "1") == "1":
            # one read of the log, its compact kernel rows written per partition
            if self._guessed is None:
                self._guessed = self.scan.with_guessed_unit()
            folder = Path(scratch_folder()) / f"parts-{next(_SPILLS)}"
            try:
                tables, self.count = run_phase1_spilled(
                    self._guessed, plan, self._spilled_count, folder, self.on_progress
                )
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            return tables
        with _spooled(self.scan, count) as scan:
            unit = scan.epoch_unit()  # the column's unit, not one partition's
            parts = []
            for k in range(count):
                if self.on_progress is not None:
                    self.on_progress(f"reading events… persons part {k + 1}/{count}")
                parts.append(run_phase1(scan.partition(k, count, unit), plan))
            return combine(parts)

    def _spilled_count(self, row_bytes: int) -> int:
        """Partitions of kernel rows of ``row_bytes`` each: as many as the budget needs for
        the rows read (``partitions``), or more, so that one partition's rows in memory (the
        rows, then their grouped copy: ``row_bytes + SPILL_ROW_BYTES`` each) stay within
        ``SPILL_SHARE`` of the budget. Given partitions (``count=``) are kept."""
        count = self.partitions()
        if self._forced:
            return count
        rows = _row_count(self.scan.sources)
        if rows is None:
            return count
        budget = max(MIN_BUDGET, self.budget or default_budget())
        need = rows * (row_bytes + SPILL_ROW_BYTES)
        return min(MAX_PARTITIONS, max(count, math.ceil(need / (budget * SPILL_SHARE))))

    def info(self) -> dict[str, object]:
        """The local engine is plain polars."""
        return {"engine": "polars", "partitions": self.partitions()}
