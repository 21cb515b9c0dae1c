"""Phase 1's kernel input grouped by person while polars streams it (docs/performance.md,
"The kernel input, streamed").

polars hands the kernel input to ``RowStream.take`` batch by batch (``sink_batches``, in the
same ``collect_all`` as the data-quality frames: the events are still read once). Each batch's
rows are coded by person and written, 32 bytes each, into staging chunks, and the batch is
dropped: the input is never held whole, neither by polars nor as numpy copies (10M events: it
was 544 MiB in polars, then 460 MiB of copies). When the stream ends, a counting sort moves the
rows next to their person's other rows chunk by chunk, freeing each chunk once moved, and each
person's rows are ordered by time on one thread per part of the persons.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from fivea.io.events import TIME
from fivea.io.sources import ORDER
from fivea.person.drivers import NAME
from fivea.person.quality import ROW_HASH

KEY, CHECK, SIMPLE, COUNTED = "__key", "__check", "__simple", "__counted"
# the columns packed into the staging chunks; the others (segments, the drivers' columns) are
# kept as polars frames by input row
PACKED_COLUMNS = (KEY, CHECK, ORDER, TIME, SIMPLE, COUNTED, ROW_HASH)
# rows of a staging chunk: 32 MiB of packed rows, above glibc's largest threshold for mapping
# an allocation on its own, so a chunk goes back to the system as soon as it is freed
CHUNK_ROWS = 1 << 20
ROWS_PER_PART = 100_000  # below this a thread costs more than it saves
WAIT_ROWS = 1 << 21  # rows that may wait for the compiled functions (about 120 MB)
_LOW = np.iinfo(np.int64).min
_MAX_ROWS = 1 << 32  # a packed row keeps its input row number in 32 bits


def readonly(column: pl.Series) -> np.ndarray:
    """A column as numpy (no copy for one chunk without nulls), always read-only.

    numba compiles one variant per argument type and read-only is part of the type: always
    read-only, the variant the loading thread loads is the one the run calls.
    """
    values = column.to_numpy()
    values.setflags(write=False)
    return values


@dataclass(frozen=True)
class Streamed:
    """The kernel input grouped by person: what ``fivea.person.compiled.Grouped`` holds."""

    rows: int
    rest: pl.DataFrame  # the input's other columns (segments, drivers), by input row
    names: np.ndarray | None  # each input row's event-name hash (int64), for the drivers
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (starts, packed, collided)
    keys: list[np.ndarray]  # per part, each person's key
    distinct: pl.DataFrame | None  # the ``distinct`` quality partial, with ``duplicates``


class Gate:
    """Batches that arrive before the compiled functions are loaded (on another thread, while
    polars reads: ``loading``) wait here as they came, so polars is not held up; past
    ``WAIT_ROWS`` rows polars waits instead (a loaded machine once took seconds to load, and
    50M events' batches piled up to 4 GB)."""

    def __init__(self, loading: Future[object] | None) -> None:
        self._loading = loading
        self._waiting: list[pl.DataFrame] = []
        self._rows = 0

    def admit(self, batch: pl.DataFrame) -> list[pl.DataFrame]:
        """The batches to take now, in order (none while this one waits)."""
        if self._loading is not None and not self._loading.done():
            if self._rows + batch.height <= WAIT_ROWS:
                self._waiting.append(batch)
                self._rows += batch.height
                return []
            wait([self._loading])
        return [*self.drain(), batch]

    def drain(self) -> list[pl.DataFrame]:
        """The waiting batches, in order; none wait after."""
        waiting, self._waiting, self._rows = self._waiting, [], 0
        return waiting


class OutOfOrder(Exception):
    """The rows did not arrive in input order: group them from an ordered input instead."""


class RowStream:
    """Takes the kernel input batch by batch; ``finish`` groups it (``Streamed``).

    ``duplicates``: the input's row hashes are real and ``finish`` counts the duplicate rows.
    ``loading``: the compiled functions being loaded (batches wait for it at a ``Gate``).
    """

    def __init__(
        self,
        duplicates: bool,
        loading: Future[object] | None = None,
        spill: Path | None = None,
    ) -> None:
        self.duplicates = duplicates
        # a folder: full staging chunks and the other columns are written there as they fill
        # (one partition of many: fivea.person.row_partitions)
        self._spill = spill
        self._spilled = 0
        self._sizes = np.zeros(0, np.int64)  # rows per person of the sealed chunks
        self.rows = 0
        self._gate = Gate(loading)
        self._lock = threading.Lock()
        self._table = np.zeros((1 << 16, 3), np.uint64)
        # person count, table bits, last input order, out of order
        self._meta = np.array([0, 16, _LOW, 0], np.int64)
        self._persons = (np.zeros(1 << 10, np.bool_), np.zeros(1 << 10, np.uint64))
        self._chunks: list[tuple[np.ndarray, ...] | Path] = []  # a Path: spilled
        self._at = CHUNK_ROWS  # rows used in the last chunk (full: none yet)
        self._rest: list[pl.DataFrame | Path] = []
        self._rest_rows = 0  # rows of the frames in ``_rest``, not spilled
        self._names: list[np.ndarray | Path] = []
        self._schema: pl.Schema | None = None  # of the input (it may send no batch)

    def sink(self, lazy: pl.LazyFrame) -> pl.LazyFrame:
        """``lazy`` sent to ``take`` in input order (collect it in the run's ``collect_all``)."""
        self._schema = lazy.collect_schema()
        return lazy.sink_batches(self.take, lazy=True, maintain_order=True)

    def sinks(self, lazy: pl.LazyFrame) -> list[pl.LazyFrame]:
        """``[sink(lazy)]``, as ``PartitionedStream.sinks``."""
        return [self.sink(lazy)]

    def take(self, batch: pl.DataFrame, rows: np.ndarray | None = None) -> None:
        """One batch of the kernel input (polars calls this from its threads, in order), or
        its ``rows`` only (in that order)."""
        with self._lock:
            if self._schema is None:
                self._schema = batch.schema
            if rows is not None:
                self._add(batch, rows)  # from a PartitionedStream: past its own gate
                return
            for admitted in self._gate.admit(batch):
                self._add(admitted)

    def close(self) -> None:
        """Nothing on disk to remove (one partition: its rows stay in memory)."""

    def _flush(self) -> None:
        for batch in self._gate.drain():
            self._add(batch)

    def _add(self, batch: pl.DataFrame, rows: np.ndarray | None = None) -> None:
        from fivea.person import kernel_grouping

        n = batch.height if rows is None else rows.shape[0]
        if self.rows + n >= _MAX_ROWS:
            msg = "more than 2^32 events in one person partition: lower --memory"
            raise OverflowError(msg)
        columns = (readonly(batch.get_column(c)) for c in PACKED_COLUMNS)
        if rows is not None:  # a partition's rows of the batch (fivea.person.row_partitions)
            columns = (_readonly(c[rows]) for c in columns)
        keys, check, order, t, simple, counted, row_hash = columns
        row_hash = row_hash.view(np.int64)
        i = 0
        while i < n:
            if self._at == CHUNK_ROWS:
                if self._chunks:
                    self._seal(CHUNK_ROWS)
                self._chunks.append(
                    (
                        np.empty((CHUNK_ROWS, kernel_grouping.PACKED), np.int64),
                        np.empty(CHUNK_ROWS, np.int32),
                        np.empty(CHUNK_ROWS, np.uint32),
                    )
                )
                self._at = 0
            end = kernel_grouping.stage_rows(
                keys,
                check,
                order,
                t,
                simple,
                counted,
                row_hash,
                i,
                self.rows,
                self._table,
                self._meta,
                *self._persons,
                *self._chunks[-1],
                self._at,
            )
            persons, bits = self._meta[0], self._meta[1]
            if persons >= ((1 << bits) - 1) // 2:  # keep the table's load under a half
                self._table = kernel_grouping.grown_table(self._table, self._meta)
            if persons == self._persons[0].shape[0]:
                self._persons = tuple(_doubled(a) for a in self._persons)
            self._at += end - i
            i = end
        self.rows += n
        rest = batch.drop(PACKED_COLUMNS)
        if rows is not None and rest.width:
            rest = rest[rows]
        if NAME in rest.columns:
            self._names.append(rest.get_column(NAME).to_numpy().view(np.int64))
            rest = rest.drop(NAME)
        self._rest.append(rest)
        self._rest_rows += n
        if self._spill is not None and self._rest_rows >= CHUNK_ROWS:
            self._spill_rest()

    def _seal(self, rows: int, spill: bool = True) -> None:
        """The last chunk is done (``rows`` used): count its persons' rows; spill it."""
        chunk = self._chunks[-1]
        assert not isinstance(chunk, Path)
        counts = np.bincount(chunk[1][:rows], minlength=int(self._meta[0]))
        counts[: self._sizes.shape[0]] += self._sizes
        self._sizes = counts
        if self._spill is not None and spill:
            self._chunks[-1] = self._write(tuple(a[:rows] for a in chunk))

    def _spill_rest(self) -> None:
        frames = [f for f in self._rest if isinstance(f, pl.DataFrame)]
        path = self._path()
        pl.concat(frames, how="vertical").write_ipc(path, compression="uncompressed")
        self._rest = [f for f in self._rest if isinstance(f, Path)] + [path]
        names = [a for a in self._names if isinstance(a, np.ndarray)]
        if names:
            self._names = [a for a in self._names if isinstance(a, Path)]
            self._names.append(self._write((np.concatenate(names),)))
        self._rest_rows = 0

    def _path(self) -> Path:
        assert self._spill is not None
        self._spilled += 1
        return self._spill / f"{self._spilled}"

    def _write(self, arrays: tuple[np.ndarray, ...]) -> Path:
        path = self._path()
        with path.open("wb") as out:
            for array in arrays:
                np.save(out, array)
        return path

    def finish(self, threads: int) -> Streamed:
        """Group the rows taken: ``parts`` of the persons (by key) for up to ``threads``.

        Raises ``OutOfOrder`` when the rows did not arrive in input order (ties in time keep
        input order, which the counting sort takes from the arrival order).
        """
        from fivea.person import kernel_grouping

        self._flush()
        if self._meta[3]:
            raise OutOfOrder
        count = max(1, min(threads, self.rows // ROWS_PER_PART))
        persons = int(self._meta[0])
        self._table = np.zeros((0, 3), np.uint64)  # no more rows to code
        collided, keys = (a[:persons] for a in self._persons)
        used = [CHUNK_ROWS] * (len(self._chunks) - 1) + [self._at] * bool(self._chunks)
        if self._chunks:
            self._seal(self._at, spill=False)  # read at once: no need to write it
        sizes = np.zeros(persons, np.int64)
        sizes[: self._sizes.shape[0]] += self._sizes
        part = kernel_grouping.parts_of(keys, count)
        # persons part by part, each part's in order of first appearance (a stable sort)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(count + 1))
        starts = np.zeros(persons + 1, np.int64)
        np.cumsum(sizes[order], out=starts[1:])
        fill = np.empty(persons, np.int64)
        fill[order] = starts[:-1]
        packed = np.empty((self.rows, kernel_grouping.PACKED), np.int64)
        highs = []
        with ThreadPoolExecutor(count) as pool:
            for rows in used:  # each chunk freed once its rows are moved
                chunk, codes, high = _read(self._chunks.pop(0))
                moves = [(chunk, codes, rows, fill, packed, part, k) for k in range(count)]
                list(pool.map(lambda a: kernel_grouping.scatter_rows(*a), moves))
                highs.append(high[:rows])
                del chunk, codes, moves
        del fill
        parts = []
        for k in range(count):
            lo, hi = bounds[k], bounds[k + 1]
            first, end = starts[lo], starts[hi]
            parts.append((starts[lo : hi + 1] - first, packed[first:end], collided[order[lo:hi]]))

        def ordered(k: int) -> None:
            kernel_grouping.order_persons(parts[k][0], parts[k][1])

        with ThreadPoolExecutor(count) as pool:
            list(pool.map(ordered, range(count)))
        distinct = None
        if self.duplicates:
            distinct = _distinct(starts, packed, self.rows, highs)
        del highs
        schema = self._schema or pl.Schema()
        rest = [pl.DataFrame(schema=schema).drop(PACKED_COLUMNS, NAME, strict=False)]
        names = [np.zeros(0, np.int64)] if NAME in schema else []
        frames = [pl.read_ipc(f) if isinstance(f, Path) else f for f in self._rest]
        names += [_read(a)[0] if isinstance(a, Path) else a for a in self._names]
        return Streamed(
            rows=self.rows,
            rest=pl.concat(frames or rest, how="vertical", rechunk=False),
            names=np.concatenate(names) if names else None,
            parts=parts,
            keys=[keys[order[bounds[k] : bounds[k + 1]]] for k in range(count)],
            distinct=distinct,
        )


def _readonly(values: np.ndarray) -> np.ndarray:
    values.setflags(write=False)
    return values


def _read(chunk: tuple[np.ndarray, ...] | Path) -> tuple[np.ndarray, ...]:
    """A staging chunk (or spilled arrays), read back and its file removed."""
    if not isinstance(chunk, Path):
        return chunk
    with chunk.open("rb") as source:
        arrays = []
        while source.peek(1):
            arrays.append(np.load(source))
    chunk.unlink()
    return tuple(arrays)


def _doubled(values: np.ndarray) -> np.ndarray:
    grown = np.zeros(2 * values.shape[0], values.dtype)
    grown[: values.shape[0]] = values
    return grown


def _distinct(
    starts: np.ndarray, packed: np.ndarray, rows: int, highs: list[np.ndarray]
) -> pl.DataFrame:
    """The ``distinct`` quality partial: the rows, less the repeats among shared instants.

    Identical rows share person, time and row hash, so only rows sharing those with another
    row (a few per cent at most) are compared: by person, time and the full 64-bit row hash
    (the packed row keeps its low 32 bits, the staging chunks its high 32 bits by input row).
    """
    from fivea.person.kernel_grouping import LOW32, ROW_AND_HASH, TIME, shared_instants

    at, owners = shared_instants(starts, packed)
    word = packed[at, ROW_AND_HASH]
    high = np.concatenate(highs)[word & LOW32] if at.shape[0] else np.zeros(0, np.uint32)
    full = (high.astype(np.uint64) << np.uint64(32)) | ((word >> 32) & LOW32).astype(np.uint64)
    candidates = pl.DataFrame([owners, packed[at, TIME], full])
    return pl.DataFrame({"distinct": [rows - at.shape[0] + candidates.n_unique()]})
