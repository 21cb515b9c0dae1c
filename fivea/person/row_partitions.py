"""Person partitions in one pass over the events (docs/performance.md, "Person partitions in
one pass").

Above the memory budget the persons are split into partitions. Instead of reading the log once
per partition, the kernel input of the whole log streams once: each batch's rows go to the
``RowStream`` of their person's partition (a 64-bit hash of the person key), whose staging
chunks and other columns are written to the run's temp folder as they fill, so the pass holds
one chunk per partition and the person tables. The data-quality counts, trends and the epoch
check come from the same pass over the whole log. Each partition is then grouped on its own
(``grouped``), its rows read back from disk, and freed before the next.
"""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import Future
from pathlib import Path

import polars as pl

from fivea.io.scratch import scratch_folder
from fivea.person.row_stream import KEY, Gate, RowStream, readonly

_PART = "__person_part"
_PART_SEED = 0x5EED_9A27  # any seed: the partitions of one pass need only agree with each other


class PartitionedStream:
    """The kernel input split by person into ``count`` partitions as it streams: polars adds
    each row's partition (a hash of the person key), one callback splits each batch (a
    counting sort: input order kept within a partition) among the partitions' streams."""

    def __init__(self, count: int, duplicates: bool, loading: Future[object] | None = None) -> None:
        import tempfile

        self.count = count
        self._folder = Path(tempfile.mkdtemp(prefix="persons-", dir=scratch_folder()))
        self._streams = []
        for k in range(count):
            (self._folder / str(k)).mkdir()
            self._streams.append(RowStream(duplicates, spill=self._folder / str(k)))
        self._gate = Gate(loading)
        self._lock = threading.Lock()

    def sinks(self, lazy: pl.LazyFrame) -> list[pl.LazyFrame]:
        """The one sink of the kernel input (collect it in the run's ``collect_all``).

        One filtered sink a partition held the scan's batches for each (50M events, 4
        partitions: peak 2.4 GB with callbacks that do nothing, against 1.0 GB for one sink).
        """
        part = (pl.col(KEY).hash(_PART_SEED) % self.count).cast(pl.Int64).alias(_PART)
        for stream in self._streams:
            stream.sink(lazy.head(0))  # each partition knows the columns, rows or not
        return [lazy.with_columns(part).sink_batches(self.take, lazy=True, maintain_order=True)]

    def take(self, batch: pl.DataFrame) -> None:
        """One batch of the kernel input (polars calls this from its threads, in order)."""
        with self._lock:
            for admitted in self._gate.admit(batch):
                self._split(admitted)

    def _split(self, batch: pl.DataFrame) -> None:
        from fivea.person.kernel_grouping import split_rows

        order, bounds = split_rows(readonly(batch.get_column(_PART)), self.count)
        batch = batch.drop(_PART)
        for k, stream in enumerate(self._streams):
            if bounds[k + 1] > bounds[k]:
                stream.take(batch, order[bounds[k] : bounds[k + 1]])

    def part(self, index: int) -> RowStream:
        """The stream of partition ``index``, every batch taken (``Grouped.streamed`` groups
        it, reading its rows back from disk); this object lets go of it."""
        for batch in self._gate.drain():
            self._split(batch)
        stream = self._streams[index]
        self._streams[index] = RowStream(stream.duplicates)
        return stream

    def close(self) -> None:
        """Remove what is left on disk (a failed or repeated run)."""
        shutil.rmtree(self._folder, ignore_errors=True)
