"""The compiled kernel's drivers tables (fivea.person.drivers_compiled) give the drivers of the
polars plan (fivea.person.drivers.driver_frames), feature for feature (docs/metrics.md "Drivers")."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fivea
from fivea.config.models import TRANSITION_NAMES
from tests.aggregate.test_drivers import CONFIG, planted_log

START = datetime(2025, 1, 1, tzinfo=UTC)
DAY = 86400


def _both(
    monkeypatch: pytest.MonkeyPatch, log: object, config: dict[str, object], **options: object
) -> tuple[object, object]:
    out = []
    for kernel in ("polars", "compiled"):
        monkeypatch.setenv("FIVEA_KERNEL", kernel)
        out.append(fivea.diagnose(log, config, **options).drivers)
    return out[0], out[1]


def _with_properties(log: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Text with blanks and nulls, numbers with NaN, and a segment column."""
    rng = random.Random(seed)
    n = log.height
    return log.with_columns(
        pl.Series("plan", [rng.choice(["free", "pro", " pro ", "  ", None]) for _ in range(n)]),
        pl.Series("score", [rng.choice([1.0, 2.5, math.nan, None]) for _ in range(n)]),
        pl.Series("seats", [rng.choice([1, 2, 3, None]) for _ in range(n)], pl.Int64),
    )


@pytest.mark.parametrize("attribution", ["first", "last"])
def test_the_kernel_gives_the_polars_drivers(
    monkeypatch: pytest.MonkeyPatch, attribution: str
) -> None:
    log = _with_properties(planted_log(1, persons=900), 1)
    config = {**CONFIG, "segment_attribution": attribution, "segments": ["channel"]}
    polars_drivers, compiled = _both(monkeypatch, log, config, drivers="all")
    assert compiled == polars_drivers
    assert any(d.features for d in compiled)
    assert any(f.kind == "property" for d in compiled for f in d.features)


def test_the_kernel_gives_the_polars_drivers_across_partitions(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    path = tmp_path / "log.parquet"
    _with_properties(planted_log(2, persons=900), 2).write_parquet(path)
    polars_drivers, compiled = _both(monkeypatch, path, CONFIG, drivers="all", partitions=3)
    assert compiled == polars_drivers
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    assert fivea.diagnose(path, CONFIG, drivers="all", partitions=1).drivers == compiled


@pytest.mark.parametrize("choice", ["all", None])
def test_person_partitions_with_default_landmarks_give_the_one_pass_drivers(
    monkeypatch: pytest.MonkeyPatch, tmp_path, choice: str | None
) -> None:
    """Each person partition keeps every transition's offsets up to the funnel window (no
    landmark is known yet), but none a population never reads: from reach_t on, of a person
    who reached t first, or of a name the rules of s or t list (docs/metrics.md "Drivers");
    the drivers are those of one pass and of the polars plan."""
    path = tmp_path / "log.parquet"
    _graded_log(6).write_parquet(path)
    config = {key: value for key, value in CONFIG.items() if key != "drivers"}
    polars_drivers, parted = _both(monkeypatch, path, config, drivers=choice, partitions=3)
    assert parted == polars_drivers
    assert fivea.diagnose(path, config, drivers=choice, partitions=1).drivers == parted
    assert parted
    assert all(d.landmark_seconds != 3600 for d in parted)  # quantiles, not a set landmark
    assert any(f.kind == "event" for d in parted for f in d.features)


def test_person_partitions_keep_no_offset_a_population_never_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """What each partition keeps until phase 2 (every transition's offsets): none of a name
    the rules of s or t list, none from reach_t on, none of a person who reached t first, and
    no row without an offset (docs/metrics.md "Drivers")."""
    import fivea.person.drivers_compiled as compiled_drivers
    from fivea.person.drivers import (
        DRIVER_EVENTS,
        DRIVER_PERSONS,
        KEY,
        NAME,
        OFFSET,
        TRANSITION,
    )

    kept: list[tuple[object, dict[str, pl.DataFrame]]] = []
    computed = compiled_drivers.driver_tables

    def recording(grouped: object, plan: object, *args: object) -> dict[str, pl.DataFrame]:
        tables = computed(grouped, plan, *args)
        if grouped.rows > 2:  # not the two-row run that loads the kernel
            kept.append((plan, tables))
        return tables

    monkeypatch.setattr(compiled_drivers, "driver_tables", recording)
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    path = tmp_path / "log.parquet"
    _graded_log(7).write_parquet(path)
    config = {key: value for key, value in CONFIG.items() if key != "drivers"}
    fivea.diagnose(path, config, drivers="all", partitions=3)
    assert len(kept) == 3
    listed = {s: {r["event"][0] for r in CONFIG["stages"][s]["rules"]} for s in CONFIG["stages"]}
    keys = list(CONFIG["stages"])
    offsets = 0
    for plan, tables in kept:
        events = tables[DRIVER_EVENTS].join(tables[DRIVER_PERSONS], on=KEY)
        assert events.height == tables[DRIVER_EVENTS].height
        assert events.filter(pl.col(OFFSET).is_null()).is_empty()
        assert events.select(KEY, NAME, TRANSITION).is_duplicated().sum() == 0
        for i, (s, t) in enumerate(plan.transitions):
            rs, rt = pl.col(f"reach_{keys[s]}"), pl.col(f"reach_{keys[t]}")
            names = pl.Series(sorted(listed[keys[s]] | listed[keys[t]])).hash(0xE7E)
            done = events.filter(pl.col(TRANSITION) == i)
            offsets += done.height
            assert done.filter(pl.col(NAME).is_in(names.implode())).is_empty()
            assert done.filter(rt.is_not_null() & (rs + pl.col(OFFSET) >= rt)).is_empty()
    assert offsets > 0


def test_a_partition_rerun_on_the_ids_mixes_both_layouts_of_the_events_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """A partition whose person hashes collide is rerun on the ids, through the polars plan
    (one offset column per transition) while the others keep the kernel's long rows: the
    combined table holds both and phase 2 reads either (``before_landmark``)."""
    import fivea.person.phase1 as phase1
    import fivea.person.spilled as spilled

    path = tmp_path / "log.parquet"
    _graded_log(8).write_parquet(path)
    config = {key: value for key, value in CONFIG.items() if key != "drivers"}
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    expected = fivea.diagnose(path, config, drivers="all", partitions=1).drivers
    calls: list[bool] = []
    collided = phase1.collided

    def second_collides(frames: dict[str, pl.DataFrame]) -> bool:
        calls.append(True)
        return len(calls) == 2 or collided(frames)

    planned = []
    polars_plan = phase1.driver_frames

    def recording(*args: object) -> dict[str, pl.LazyFrame]:
        planned.append(True)
        return polars_plan(*args)

    monkeypatch.setattr(phase1, "collided", second_collides)
    monkeypatch.setattr(spilled, "collided", second_collides)  # the partitions' check
    monkeypatch.setattr(phase1, "driver_frames", recording)
    assert fivea.diagnose(path, config, drivers="all", partitions=3).drivers == expected
    assert (len(calls), len(planned)) == (3, 1)  # the rerun does not test the ids again
    assert expected


def test_a_set_landmark_bounds_the_offsets_phase_1_keeps() -> None:
    """A set drivers.landmark is every transition's: phase 1 keeps no offset beyond it, even
    in person partitions; else the funnel window (no default landmark is longer)."""
    from fivea.api import _loaded
    from fivea.person.drivers import plan_drivers

    hour, window = 3600 * 10**6, 30 * DAY * 10**6
    default = {key: value for key, value in CONFIG.items() if key != "drivers"}
    bounds = []
    for config in (CONFIG, default):
        plan = plan_drivers(_loaded(config, None).config, None, (), [])
        assert plan is not None
        bounds.append(plan.bound_us)
    assert bounds == [hour, window]


rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.sampled_from([0, 30, 60, 3600, 7200, 86400, 5 * 86400]),  # ties at one instant too
        st.sampled_from(["visit", "view", "question", "x", "y"]),
        st.sampled_from(["p", "q", " ", None]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_random_logs_give_the_same_drivers(rows: list[tuple[str, int, str, str | None]]) -> None:
    rows = [*rows, ("z", 20 * DAY, "x", None)]  # as_of well after every start
    log = pl.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event_time": [START + timedelta(seconds=r[1]) for r in rows],
            "event": [r[2] for r in rows],
            "channel": [r[3] for r in rows],
        }
    )
    config = {
        **CONFIG,
        "diagnosis": {"min_stage": 0},
        "drivers": {"landmark": "1h", "horizon": "3d"},
    }
    with pytest.MonkeyPatch.context() as patch:
        polars_drivers, compiled = _both(patch, log, config, drivers="all")
    assert compiled == polars_drivers


@pytest.mark.parametrize("attribution", ["first", "last"])
def test_blank_first_touches_move_on_to_the_next_value(
    monkeypatch: pytest.MonkeyPatch, attribution: str
) -> None:
    """Text of white space only (Unicode too) is no value, however many rows hold it: the
    kernel moves past blank touch rows, a few rounds, then tests every row."""
    rows = []
    for i in range(80):
        user, t0 = f"p{i}", i * 10.0
        blanks = i % 7  # 0..6 blank rows around the value: more than the rounds before the test
        value = "A" if i % 2 == 0 else "B"
        pads = [" ", "\u00a0", "\u2003 ", "\t", "  ", "\u3000", ""]
        texts = [pads[k % len(pads)] for k in range(blanks)]
        texts = [*texts, f" {value} ", *texts] if attribution == "last" else [*texts, value]
        rows += [(user, t0 + k, "visit" if k == 0 else "other", t) for k, t in enumerate(texts)]
        if not texts:
            rows.append((user, t0, "visit", None))
        if value == "A" or i % 5 == 0:
            rows.append((user, t0 + 2 * 3600, "view", None))
    rows.append(("last", 40 * DAY, "other", None))
    log = pl.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event_time": [START + timedelta(seconds=r[1]) for r in rows],
            "event": [r[2] for r in rows],
            "label": [r[3] for r in rows],
        }
    )
    config = {
        **CONFIG,
        "segment_attribution": attribution,
        "drivers": {"landmark": "1h", "horizon": "10d", "properties": ["label"]},
    }
    polars_drivers, compiled = _both(monkeypatch, log, config, drivers="attraction")
    assert compiled == polars_drivers
    values = {f.value for f in compiled[0].features if f.kind == "property"}
    assert values <= {"A", "B"}
    assert values


def _graded_log(seed: int) -> pl.DataFrame:
    """A planted log whose every stage is measured (no second pass for the ordered path,
    which asks for every transition), with properties."""
    planted = planted_log(seed, persons=900)
    later = [
        (f"u{i}", START + timedelta(days=d), e)
        for i in range(0, 300, 3)
        for d, e in ((6, "question"), (7, "purchase"), (8, "review"))
        if i % 2 or e != "review"
    ]
    extra = pl.DataFrame(
        {
            "user_id": [u for u, _, _ in later],
            "event_time": [t for _, t, _ in later],
            "event": [e for _, _, e in later],
            "channel": ["email"] * len(later),
        }
    )
    return _with_properties(pl.concat([planted, extra]).sort("event_time"), seed)


def test_phase_1_computes_the_drivers_of_the_analysed_transitions_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One run of whole persons leaves the drivers tables to phase 2's request, for the
    transitions it analyses (docs/metrics.md "Drivers", cost); the drivers are the same."""
    import fivea.person.drivers_compiled as compiled_drivers

    asked: list[tuple[tuple[int, int], ...]] = []
    computed = compiled_drivers.driver_tables

    def recording(grouped: object, plan: object, *args: object) -> object:
        if grouped.rows > 2:  # not the two-row run that loads the kernel
            asked.append(plan.transitions)
        return computed(grouped, plan, *args)

    monkeypatch.setattr(compiled_drivers, "driver_tables", recording)
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    log = _graded_log(3)
    every = fivea.diagnose(log, CONFIG, drivers="all").drivers
    assert len(every) >= 2
    graded = tuple((s, s + 1) for s in (TRANSITION_NAMES.index(d.transition) for d in every))
    assert asked == [graded]
    for one in every:
        asked.clear()
        alone = fivea.diagnose(log, CONFIG, drivers=one.transition).drivers
        assert alone == (one,)
        assert len(asked) == 1
        assert len(asked[0]) == 1
    asked.clear()
    assert fivea.diagnose(log, CONFIG, drivers="none").drivers == ()
    assert asked == []


def test_many_event_names_and_property_columns_give_the_polars_drivers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """300 event names (the kernel's name table grows from 64 slots) and eleven text columns
    (the touch walk reads them eight to a byte); some names and values planted to matter."""
    rng = random.Random(11)
    rows = []
    for i in range(1200):
        user, t0 = f"u{i}", rng.uniform(0, 20 * DAY)
        colours = [rng.choice(["red", "blue", " red", "", None]) for _ in range(11)]
        rows.append((user, t0, "visit", *colours))
        names = rng.sample(range(300), 6)
        for name in names:
            rows.append((user, t0 + rng.uniform(1, 3000), f"e{name}", *colours))
        boost = sum(n < 30 for n in names) + (colours[9] == "red")
        if rng.random() < 0.1 + 0.15 * boost:
            rows.append((user, t0 + rng.uniform(2 * 3600, 5 * DAY), "view", *colours))
    rows.append(("last", 40 * DAY, "visit", *[None] * 11))
    columns = [f"c{k}" for k in range(11)]
    log = pl.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event_time": [START + timedelta(seconds=r[1]) for r in rows],
            "event": [r[2] for r in rows],
            **{c: [r[3 + k] for r in rows] for k, c in enumerate(columns)},
        }
    )
    polars_drivers, compiled = _both(monkeypatch, log, CONFIG, drivers="attraction")
    assert compiled == polars_drivers
    (drivers,) = compiled
    assert drivers.tested > 200
    assert {f.kind for f in drivers.features} == {"event", "property"}


def _hashing_names_with(monkeypatch: pytest.MonkeyPatch, hashing: object) -> None:
    """Phase 1's event-name hash (every module that hashes names) replaced by ``hashing``."""
    import fivea.person.drivers as drivers
    import fivea.person.name_hashes as kernel_side
    import fivea.person.quality as quality

    for module in (drivers, kernel_side, quality):
        monkeypatch.setattr(module, "name_hash", hashing)


@pytest.mark.parametrize("kernel", ["polars", "compiled"])
def test_a_name_whose_hash_another_shares_is_not_tested(
    monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    """Phase 1 keeps event names as 64-bit hashes; two names of one hash (never seen in
    practice) would be one feature, so neither is tested (docs/metrics.md "Drivers")."""
    monkeypatch.setenv("FIVEA_KERNEL", kernel)
    log = _with_properties(planted_log(4, persons=900), 4)
    (honest,) = fivea.diagnose(log, CONFIG, drivers="attraction").drivers
    assert "read_reviews" in {f.name for f in honest.features}

    def colliding(names: pl.Expr) -> pl.Expr:  # a name's length; noise takes read_reviews' 12
        length = names.str.len_chars()
        return pl.when(names == "noise").then(12).otherwise(length).cast(pl.UInt64)

    _hashing_names_with(monkeypatch, colliding)
    (collided,) = fivea.diagnose(log, CONFIG, drivers="attraction").drivers
    names = {f.name for f in collided.features if f.kind == "event"}
    assert "read_reviews" not in names
    assert collided.tested == honest.tested - 2


@pytest.mark.parametrize("kernel", ["polars", "compiled"])
def test_phase_2_finds_names_by_the_hash_phase_1_made(
    monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    """The event counts carry each name's hash from the process that made the drivers tables
    (a Spark executor, whose polars may hash otherwise than the driver's): phase 2 never hashes
    a name itself."""
    monkeypatch.setenv("FIVEA_KERNEL", kernel)
    log = _with_properties(planted_log(5, persons=900), 5)
    (expected,) = fivea.diagnose(log, CONFIG, drivers="attraction").drivers
    _hashing_names_with(monkeypatch, lambda names: names.hash(seed=12345))
    (other,) = fivea.diagnose(log, CONFIG, drivers="attraction").drivers
    assert other == expected
    assert "read_reviews" in {f.name for f in other.features}


def _walk(
    times: list[list[int]],
    names: list[list[int]],
    reach: list[list[int]],
    pairs: list[tuple[int, int]],
    excluded: dict[int, int] | None = None,
    chunk_rows: int = 1 << 20,
) -> list[tuple[list[int], list[int], list[list[int]]]]:
    """``event_offsets`` over persons of these rows (times, name hashes; reach: by stage, a
    time per person or None), bound 10,000, every row before until: its chunks."""
    import numpy as np

    from fivea.person import kernel_drivers
    from fivea.person.kernel import NULL
    from fivea.person.kernel_grouping import PACKED, ROW_AND_HASH, TIME

    rows = sum(map(len, times))
    packed = np.zeros((rows, PACKED), np.int64)
    packed[:, TIME] = [t for person in times for t in person]
    packed[:, ROW_AND_HASH] = np.arange(rows)
    starts = np.cumsum([0, *map(len, times)]).astype(np.int64)
    hashes = np.array([h for person in names for h in person], np.int64)
    at = np.array([[NULL if r is None else r for r in stage] for stage in reach], np.int64)
    skipped = sorted((excluded or {}).items())
    chunks = kernel_drivers.event_offsets(
        starts,
        packed,
        hashes,
        np.zeros(len(times), np.int64),
        at,
        np.array(pairs, np.int64).reshape(-1, 2),
        10_000,
        10**12,
        (np.array([h for h, _ in skipped], np.int64), np.array([m for _, m in skipped], np.int64)),
        chunk_rows,
    )
    out = []
    for persons, found, offsets in chunks:
        for array in (persons, found, offsets):
            # its own memory, not a slice of room for every window row
            assert not isinstance(array.base, np.ndarray)
        offsets = np.where(offsets == NULL, -1, offsets)
        out.append((persons.tolist(), found.tolist(), offsets.tolist()))
    return out


def test_the_walk_gives_one_row_a_name_each_of_its_exact_size() -> None:
    """One name done 1,000 times is one row; the arrays are their own (a frame on a slice of
    room for every window row would hold that room until phase 2 is done)."""
    assert _walk([list(range(1000))], [[7] * 1000], [[0], [None]], [(0, 1)]) == [([0], [7], [[0]])]


def test_the_walk_goes_chunk_by_chunk_of_persons_and_gives_the_same_rows() -> None:
    """The room of a walk is bounded by a chunk of persons' rows (docs/performance.md
    "Drivers"), and the chunks together are the rows of one walk."""
    times = [[10 * p + k for k in range(5)] for p in range(7)]
    names = [[k % 3 for k in range(5)] for _ in range(7)]
    reach = [[10 * p for p in range(7)], [None] * 7]
    whole = _walk(times, names, reach, [(0, 1)])
    chunked = _walk(times, names, reach, [(0, 1)], chunk_rows=12)
    assert len(whole) == 1
    assert [len(c[0]) for c in chunked] == [6, 6, 6, 3]  # two persons (10 rows) a chunk
    merged = tuple([x for c in chunked for x in c[k]] for k in range(2))
    assert merged == tuple(whole[0][:2])
    assert [o for c in chunked for o in c[2][0]] == whole[0][2][0]


def test_the_walk_keeps_no_offset_a_population_never_reads() -> None:
    """A transition s -> t reads a person's offsets only if t did not come before s nor before
    reach_s + L, as offset < L (docs/metrics.md "Drivers"): so none from reach_t on, none at all
    for a person who reached t first, and none of a name the rules of s or t list."""
    times = [[0, 5, 10, 20], [0, 5, 10, 20], [0, 5, 10, 20]]
    names = [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]
    reach = [[0, 0, 5], [10, None, 0]]  # reach_s, reach_t by person
    assert _walk(times, names, reach, [(0, 1)]) == [
        # person 0 converted at 10: rows before it only; person 1: every row; person 2:
        # reached t first, no rows at all
        ([0, 0, 1, 1, 1, 1], [1, 2, 1, 2, 3, 4], [[0, 5, 0, 5, 10, 20]])
    ]
    assert _walk(times, names, reach, [(0, 1)], excluded={2: 1, 4: 2}) == [
        ([0, 1, 1, 1], [1, 1, 3, 4], [[0, 0, 10, 20]])  # name 2 listed by s's rules
    ]
