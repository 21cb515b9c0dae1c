"""Phase 1's person table through the compiled kernel (``fivea.person.kernel``) instead of the polars
plan of ``fivea.person.table``: the same table, from one grouping of the events and one pass.

The polars side selects the few columns the kernel reads (person keys, time, input order, the
rule masks) in the same ``collect_all`` as the data-quality frames, so the scan is still read
once. The kernel groups the rows by person and reduces each person; persons are split by key
into one part per thread (the kernel releases the GIL). With ``--compare`` the grouping is
shared: the previous window is one more pass. The grouping also finds the only rows that can
be duplicates (same person, same instant), so the duplicate count compares just those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import polars as pl

from fivea.config.loader import STAGE_KEYS
from fivea.io.canonical import person_partition
from fivea.io.events import TIME, USER
from fivea.io.sources import ORDER
from fivea.person.coded_text import CodedText, raw_text
from fivea.person.drivers import NAME, DriverPlan
from fivea.person.drivers_compiled import driver_inputs
from fivea.person.name_hashes import NameHashes
from fivea.person.quality import ROW_HASH
from fivea.person.table import (
    CHECK_SEED,
    ID_COLLISION,
    KEY_SEED,
    PathSpec,
    Window,
    person_columns,
)
from fivea.rules.expressions import RuleSet

_KEY, _CHECK, _SIMPLE, _COUNTED = "__key", "__check", "__simple", "__counted"
PART = "__part"  # a row's person partition, in kernel rows written per partition
_LOW, _HIGH = np.iinfo(np.int64).min, np.iinfo(np.int64).max
_ROWS_PER_PART = 100_000  # below this a thread costs more than it saves
T = TypeVar("T")


def kernel_input(
    events: pl.LazyFrame,
    rules: RuleSet,
    segments: list[str],
    hash_ids: bool,
    duplicates: bool,
    drivers: DriverPlan | None = None,
    partitions: int | None = None,
) -> pl.LazyFrame:
    """The columns the kernel reads, for every valid event.

    With ``duplicates`` the events carry ``ROW_HASH`` (a hash of every property) and the
    kernel counts the duplicate rows; otherwise polars does. ``partitions``: and ``PART``.
    """
    if hash_ids:
        keys = [
            pl.col(USER).hash(KEY_SEED).alias(_KEY),
            pl.col(USER).hash(CHECK_SEED).alias(_CHECK),
        ]
    else:  # after a hash collision: exact dense codes of the ids
        keys = [
            pl.col(USER).rank("dense").cast(pl.UInt64).alias(_KEY),
            pl.lit(0, pl.UInt64).alias(_CHECK),
        ]
    schema = events.collect_schema() if segments or drivers else pl.Schema()
    # the drivers' event names and property values (fivea.person.drivers_compiled)
    extra = driver_inputs(drivers, segments, schema) if drivers is not None else []
    simple_type, counted_type = mask_types(rules)
    counted = pl.lit(0, counted_type)
    for r, column in enumerate(rules.counted_matches.values()):
        counted = counted | pl.when(column).then(pl.lit(1 << r, counted_type)).otherwise(
            pl.lit(0, counted_type)
        )
    return events.select(
        *keys,
        pl.col(TIME).cast(pl.Int64),
        pl.col(ORDER).cast(pl.Int64),
        rules.simple_mask.cast(simple_type).alias(_SIMPLE),
        counted.cast(counted_type).alias(_COUNTED),
        (pl.col(ROW_HASH) if duplicates else pl.lit(0, pl.UInt64)).alias(ROW_HASH),
        # codes of the raw text: trimmed and tested once per distinct value (CodedText)
        *[raw_text(c, schema[c]).alias(f"seg_{c}") for c in segments],
        *extra,
        *([] if partitions is None else [person_partition(pl.col(USER), partitions).alias(PART)]),
    )


def mask_types(rules: RuleSet) -> tuple[type[pl.DataType], type[pl.DataType]]:
    """The narrowest of UInt32 / UInt64 for the stage/step mask and the counted-match mask.

    Most configs use far fewer than 32 bits of each: 32-bit masks take 8 bytes per event off
    the kernel input, both in polars and in its numpy copies (docs/performance.md, "Where the
    time and memory go"). The bits are the same; the kernel widens them to 64 when it packs.
    """
    simple_bits = len(rules.stage_bits) + sum(len(b) for b in rules.step_bits.values())
    simple = pl.UInt32 if simple_bits <= 32 else pl.UInt64
    counted = pl.UInt32 if len(rules.counted_matches) <= 32 else pl.UInt64
    return simple, counted


def tiny_input(schema: pl.Schema) -> pl.DataFrame:
    """Two rows of one person with the kernel input's columns (to load the kernel on)."""
    columns = []
    for name, dtype in schema.items():
        if dtype.is_numeric():
            columns.append(pl.Series(name, [0, 1]).cast(dtype))
        elif dtype in (pl.String, pl.Categorical):  # values: every compiled pass loads
            columns.append(pl.Series(name, ["", "x"]).cast(dtype))
        else:
            columns.append(pl.Series(name, [None, None], dtype=dtype))
    return pl.DataFrame(columns)


def _array(column: pl.Series) -> np.ndarray:
    """A column as numpy (no copy for one chunk without nulls), always read-only.

    numba compiles one variant per argument type and read-only is part of the type: always
    read-only, the variant the loading thread loads is the one the run calls.
    """
    values = column.to_numpy()
    values.setflags(write=False)
    return values


def _bits(values: np.ndarray) -> np.ndarray:
    """A UInt64 bit or hash column as the kernel's int64 (the same bits, no copy).

    A UInt32 mask stays as it is: the kernel widens each value to int64 (same bits).
    """
    return values.view(np.int64) if values.dtype == np.uint64 else values


def _each_part(task: Callable[[int], T], parts: int) -> list[T]:
    if parts <= 1:
        return [task(0)] if parts else []
    with ThreadPoolExecutor(min(parts, max(1, pl.thread_pool_size()))) as pool:
        return list(pool.map(task, range(parts)))


@dataclass(frozen=True)
class Grouped:
    """The kernel input with its rows grouped by person (per part), by (time, input order)."""

    segments: pl.DataFrame  # the input's segment columns (``seg_*``), by input row
    rows: int
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (starts, packed, collided)
    distinct: pl.DataFrame | None  # the ``distinct`` quality partial, when the input hashes rows
    keys: Sequence[np.ndarray] | None = None  # per part, each person's key (for the drivers)
    # the drivers' event names, as read until a transition is analysed (``drivers_inputs``)
    _names: dict[str, NameHashes | pl.Series] = field(default_factory=dict, compare=False)
    _texts: dict[str, CodedText] = field(default_factory=dict, compare=False, repr=False)

    def texts(self, columns: Sequence[str]) -> list[CodedText]:
        """Categorical text columns of the input, each decoded once (segments, drivers)."""
        return self.drivers_inputs(columns, names=False)[1]

    def drivers_inputs(
        self, columns: Sequence[str], names: bool = True
    ) -> tuple[NameHashes | None, list[CodedText]]:
        """The event-name hashes (with ``names``: only when a transition is analysed,
        docs/performance.md "Drivers") and the text ``columns`` decoded, on parallel threads."""
        new = [c for c in dict.fromkeys(columns) if c not in self._texts]
        column = self._names.get(NAME)
        copy = names and isinstance(column, pl.Series)

        def task(k: int) -> CodedText | NameHashes:
            if k == len(new):
                assert isinstance(column, pl.Series)
                return NameHashes.of(column)
            return CodedText.of(self.segments.get_column(new[k]))

        done = _each_part(task, len(new) + copy)
        if copy:
            self._names[NAME] = done.pop()
        self._texts.update(zip(new, done, strict=True))  # type: ignore[arg-type]
        hashes = self._names.get(NAME) if names else None
        return hashes, [self._texts[c] for c in columns]  # type: ignore[return-value]

    @classmethod
    def of(cls, frame: pl.DataFrame, duplicates: bool) -> Grouped:
        """Group the kernel input; pass the only reference to ``frame`` (``of(d.pop(k))``).

        Each column is freed once it is a numpy array (a copy: collected columns come in
        chunks), so the input is not held twice (10M events: peak RSS 2.0 -> 1.9 GB, 2.0 with
        the copies on two threads). With ``duplicates`` the input's row hashes are real and
        the duplicate rows are counted here (``distinct``); otherwise polars counts them.
        """
        rows = frame.height
        names = (ORDER, _KEY, _CHECK, TIME, _SIMPLE, _COUNTED, ROW_HASH)
        columns = {name: frame.get_column(name) for name in names}
        frame = frame.drop(names)  # the only reference but ``columns``: freed one by one below
        count = max(1, min(pl.thread_pool_size(), rows // _ROWS_PER_PART))
        # two steps: the person keys and their check are freed before the packed rows are
        # allocated, which is phase 1's peak (docs/performance.md, "Where the time and memory go")
        drivers = NAME in frame.columns  # the drivers need each person's key
        # the drivers' event names, not grouped with the rows (0.4 s of CPU at 10M events,
        # analysed or not; docs/performance.md "Drivers"): read by input row when analysed
        names: dict[str, NameHashes | pl.Series] = {}
        if drivers:
            names[NAME] = frame.get_column(NAME)
            frame = frame.drop(NAME)
        sequence, coded, keys = _person_codes(columns, count, drivers)
        parts, times, row_hash = _packed(columns, coded, sequence)
        codes = [c for c, _, _ in coded]
        distinct = _distinct_rows(parts, codes, rows, times, row_hash) if duplicates else None
        return cls(frame, rows, parts, distinct, keys, names)


def _person_codes(
    columns: dict[str, pl.Series], count: int, with_keys: bool
) -> tuple[np.ndarray, list[tuple[np.ndarray, int, np.ndarray]], list[np.ndarray] | None]:
    """The input sequence and each part's ``(codes, persons, collided)``; keys freed after.

    ``with_keys``: also each part's key of each person (by person code; the drivers' key, one
    per person, not per row).
    """
    from fivea.person import kernel_grouping

    arrays = _copies(columns, (ORDER, _KEY, _CHECK))
    sequence = kernel_grouping.input_sequence(arrays[ORDER])
    keys, check = arrays[_KEY], arrays[_CHECK]
    coded = _each_part(lambda k: kernel_grouping.person_codes(keys, check, k, count), count)
    if not with_keys:
        return sequence, coded, None
    person_keys = _each_part(lambda k: kernel_grouping.person_keys(*coded[k][:2], keys), count)
    return sequence, coded, person_keys


def _packed(
    columns: dict[str, pl.Series],
    coded: list[tuple[np.ndarray, int, np.ndarray]],
    sequence: np.ndarray,
) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    """Each part's ``(starts, packed, collided)``, and the times and row hashes (for
    duplicates)."""
    from fivea.person import kernel_grouping

    arrays = _copies(columns, (TIME, _SIMPLE, _COUNTED, ROW_HASH))
    times, row_hash = arrays[TIME], _bits(arrays[ROW_HASH])
    simple, counted = _bits(arrays[_SIMPLE]), _bits(arrays[_COUNTED])

    def pack(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        codes, persons, collided = coded[k]
        starts, packed = kernel_grouping.pack_persons(
            codes, persons, sequence, times, simple, counted, row_hash
        )
        return starts, packed, collided

    return _each_part(pack, len(coded)), times, row_hash


def _copies(columns: dict[str, pl.Series], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """numpy copies of the columns ``names``, each removed from ``columns`` once copied.

    Copies of fresh memory are bound by page faults: on every thread (10M: 0.30 -> 0.17 s).
    """
    arrays: dict[str, np.ndarray] = {}
    with ThreadPoolExecutor(max(1, min(len(names), pl.thread_pool_size()))) as pool:
        copies = {pool.submit(_array, columns[name]): name for name in names}
        for copy in as_completed(copies):
            name = copies[copy]
            arrays[name] = copy.result()
            del columns[name]
    return arrays


def _distinct_rows(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    codes: Sequence[np.ndarray],
    rows: int,
    times: np.ndarray,
    row_hash: np.ndarray,
) -> pl.DataFrame:
    """The ``distinct`` quality partial: the rows, less the repeats among shared instants.

    Identical rows share person, time and row hash, so only rows sharing those with another
    row (found while grouping, a few per cent at most) are compared: by person, time and
    the full 64-bit row hash, one more independent 64 bits besides the two the person key and
    time already match on. A person is its part and its code in the part (``codes``, by input
    row), which tell person keys apart exactly as the keys do: the part is a function of the
    key and the codes of a part are its distinct keys.
    """
    from fivea.person import kernel_grouping

    found = [kernel_grouping.shared_instants(s, packed) for s, packed, _ in parts]
    shared = np.concatenate(found)
    persons = np.concatenate(
        [codes[k][rows_k].astype(np.int64) * len(parts) + k for k, rows_k in enumerate(found)]
    )
    candidates = pl.DataFrame([persons, times[shared], row_hash[shared]])
    return pl.DataFrame({"distinct": [rows - shared.shape[0] + candidates.n_unique()]})


def person_table_compiled(
    grouped: Grouped,
    rules: RuleSet,
    window: Window,
    paths: list[PathSpec],
    segments: list[str],
    last_touch: bool,
    facts_out: list[tuple[np.ndarray, ...]] | None = None,
) -> pl.DataFrame:
    """The person table of ``fivea.person.table.person_table``, computed by the kernel.

    ``facts_out`` receives the kernel's facts of each part (the drivers read them).
    """
    from fivea.person import kernel

    frame = grouped.segments
    steps = max((len(s.bits) for s in paths), default=1)
    path_bits = np.zeros((len(paths), steps), np.int64)
    for q, spec in enumerate(paths):
        path_bits[q, : len(spec.bits)] = spec.bits
    counted = rules.counted
    # which rows carry a non-empty value of each segment column (row by row: the kernel reads
    # a row's flags together): the kernel picks per column the person's first (or last) such row
    texts = grouped.texts([f"seg_{c}" for c in segments])
    present = np.zeros((max(frame.height, 1), len(texts)), np.uint8)
    for s, text in enumerate(texts):
        present[: frame.height, s] = text.present()
    present.setflags(write=False)
    arguments = (
        _LOW if window.since is None else window.since,
        _HIGH if window.until is None else window.until,
        np.array([c.bit for c in counted], np.int64),
        np.array([c.min_count for c in counted], np.int64),
        np.array([-1 if c.within_us is None else c.within_us for c in counted], np.int64),
        np.array([list(rules.counted_matches).index(c.column) for c in counted], np.int64),
        np.array([-1 if c.gap_us is None else c.gap_us for c in counted], np.int64),
        path_bits,
        np.array([len(s.bits) for s in paths], np.int64),
        np.array([s.window_us for s in paths], np.int64),
        np.array([s.distinct_rows for s in paths], np.bool_),
        rules.aware_is_any_event,
        last_touch,
        present,
    )

    def facts(k: int) -> pl.DataFrame:
        starts, packed, collided = grouped.parts[k]
        facts = kernel.person_facts(starts, packed, *arguments)
        return facts, _facts_frame(facts, collided, paths, segments, texts)

    results = _each_part(facts, len(grouped.parts))
    if facts_out is not None:
        facts_out.extend(f for f, _ in results)
    table = pl.concat([t for _, t in results])
    if rules.aware_is_any_event:
        # persons whose only events are aware-only still stand at level 1, latest start = last
        level = pl.max_horizontal(pl.col("path_level"), pl.lit(1, pl.Int32))
        table = table.with_columns(
            level.alias("path_level"),
            pl.when(level == 1)
            .then(pl.col("last_time"))
            .otherwise(pl.col("path_start"))
            .alias("path_start"),
        )
    return table.select(person_columns(paths, segments, hash_ids=True))


def _facts_frame(
    facts: tuple[np.ndarray, ...],
    collided: np.ndarray,
    paths: list[PathSpec],
    segments: list[str],
    texts: Sequence[CodedText],
) -> pl.DataFrame:
    """The kernel's arrays as person rows (persons with an event in the window)."""
    from fivea.person.kernel import NULL

    first, last, reach, touch, levels, starts, times = facts
    kept = first != NULL
    columns: dict[str, np.ndarray] = {"first_time": first, "last_time": last}
    for b, stage in enumerate(STAGE_KEYS):
        columns[f"reach_{stage}"] = reach[b]
    for q, spec in enumerate(paths):
        if spec.distinct_rows:
            prefix = f"sub_{spec.name}"
            columns[f"{prefix}_level"] = levels[q]
            for k in range(len(spec.bits)):
                columns[f"{prefix}_t{k}"] = times[q, k]
        else:
            columns["path_level"] = levels[q]
            columns["path_start"] = starts[q]
    table = pl.DataFrame({k: v[kept] for k, v in columns.items()})
    table = table.with_columns(
        pl.when(pl.col(c) != NULL).then(pl.col(c)).alias(c)
        for c, dtype in table.schema.items()
        if dtype == pl.Int64
    )
    if segments:
        picked = []
        for s, column in enumerate(segments):
            # -1: no non-empty value, "(none)"
            picked.append(texts[s].values(touch[s][kept]).alias(f"seg_{column}"))
        table = pl.concat([table, pl.DataFrame(picked)], how="horizontal")
    return table.with_columns(pl.Series(ID_COLLISION, collided[kept]))
