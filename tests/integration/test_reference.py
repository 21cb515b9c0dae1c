"""Hand-checked cases proving the pure-Python oracle (tests/reference.py) right.

Every expected number below is worked out by hand from the definitions in docs/metrics.md; the property tests at
the end compare the greedy path / sub-funnel searches with exhaustive enumeration.
"""

from __future__ import annotations

import itertools
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference import (
    STAGES,
    TRANSITIONS,
    RefConfig,
    RefRule,
    compute,
    path_level_and_in_window,
    quantile7,
    subfunnel_person,
)

S = 1_000_000  # µs per second
M = 60 * S
H = 60 * M
D = 24 * H


def ev(user: str, time: int, event: str, **props) -> dict:
    return {"user": user, "time": time, "event": event, **props}


def letters_config(window_us: int = H, **subfunnels) -> RefConfig:
    """aware=A, appeal=B, ask=C, act=D, advocate=E (one exact name per stage)."""
    return RefConfig(
        stages={
            stage: [RefRule(event=[name])] for stage, name in zip(STAGES, "ABCDE", strict=True)
        },
        window_us=window_us,
        subfunnels=dict(subfunnels),
    )


# --------------------------------------------------------------------------------------------
# ordered path
# --------------------------------------------------------------------------------------------


def test_mixpanel_example_reaches_three_steps():
    # docs/metrics.md#ordered-path: A 13:00, A 13:30, B 13:45, C 14:15 with W = 1 h: 3 steps (Mixpanel says 2).
    t0 = 13 * H
    events = [
        ev("u", t0, "A"),
        ev("u", t0 + 30 * M, "A"),
        ev("u", t0 + 45 * M, "B"),
        ev("u", t0 + 75 * M, "C"),
        ev("z", 0, "D"),  # keeps D and E measured
        ev("z", 0, "E"),
    ]
    r = compute(events, letters_config(H))
    assert r.path_level == {"u": 3, "z": 0}
    assert r.path == [1, 1, 1, 0, 0]
    # as_of = 14:15; the start reaching level 3 is 13:30, 45 min < 1 h before as_of.
    assert r.in_window == [0, 0, 1, 0]
    # Stage counts ignore order: reach times are the earliest hits.
    assert r.reach_time["aware"] == {"u": t0}
    assert r.reached == {"aware": 1, "appeal": 1, "ask": 1, "act": 1, "advocate": 1}  # u and z
    assert r.current["ask"] == 1


def test_path_window_edge_is_inclusive_to_the_microsecond():
    exactly = [ev("u", 0, "A"), ev("u", H, "B")]
    one_more = [ev("u", 0, "A"), ev("u", H + 1, "B")]
    assert compute(exactly, letters_config(H)).path_level == {"u": 2}
    assert compute(one_more, letters_config(H)).path_level == {"u": 1}
    # The whole chain h1..hk counts from h1: A 0, B 30m, C 1h+1µs is only level 2.
    chain = [ev("u", 0, "A"), ev("u", 30 * M, "B"), ev("u", H + 1, "C")]
    assert compute(chain, letters_config(H)).path_level == {"u": 2}


def test_path_later_start_restarts_the_window():
    events = [ev("u", 0, "A"), ev("u", 2 * H, "A"), ev("u", 2 * H + 1, "B")]
    assert compute(events, letters_config(H)).path_level == {"u": 2}


def test_path_ties_in_time_in_any_input_order_and_one_event_serves_many_steps():
    # B listed before A at the same time: h1 <= h2 holds on times, so level 2.
    tie = [ev("u", 5, "B"), ev("u", 5, "A")]
    assert compute(tie, letters_config(H)).path_level == {"u": 2}
    # B strictly before A: order matters on times, level 1.
    before = [ev("u", 4, "B"), ev("u", 5, "A")]
    assert compute(before, letters_config(H)).path_level == {"u": 1}
    # A single event hitting all five stages walks the whole path.
    cfg = RefConfig(stages={s: [RefRule(any_event=True)] for s in STAGES}, window_us=0)
    r = compute([ev("u", 7, "x")], cfg)
    assert r.path == [1, 1, 1, 1, 1]
    assert r.in_window == [0, 0, 0, 0]  # level 5 is never "in window"


# a person with hits of C, D and E only (path level 0) keeps every stage measured
MEASURE_ALL = [ev("z", 0, "C"), ev("z", 0, "D"), ev("z", 0, "E")]


def test_in_window_edge_is_strict():
    events = [ev("u", 0, "A"), ev("u", 10, "B"), *MEASURE_ALL]
    cfg = letters_config(H)
    assert compute(events, cfg, as_of_us=H - 1).in_window == [0, 1, 0, 0]
    assert compute(events, cfg, as_of_us=H).in_window == [0, 0, 0, 0]
    # Level-1 person: only the starts reaching level 1 count; a later A restarts.
    lone = [ev("v", 0, "A"), ev("v", 2 * H, "A"), ev("z", 0, "B"), *MEASURE_ALL]
    assert compute(lone, cfg, as_of_us=2 * H).in_window == [1, 0, 0, 0]
    assert compute(lone, cfg, as_of_us=3 * H).in_window == [0, 0, 0, 0]


def test_in_window_uses_a_start_reaching_the_level_not_any_start():
    # A at 0 reaches level 2 (B at 10); A at 50m reaches only level 1.
    events = [ev("u", 0, "A"), ev("u", 10, "B"), ev("u", 50 * M, "A"), *MEASURE_ALL]
    r = compute(events, letters_config(H), as_of_us=H + 5)
    assert r.path_level == {"u": 2, "z": 0}
    # as_of - 0 = 1h+5 >= W: not in window, although the later start is within W.
    assert r.in_window == [0, 0, 0, 0]


# --------------------------------------------------------------------------------------------
# rule hits
# --------------------------------------------------------------------------------------------


def appeal_views(min_count: int, within_us: int | None = None) -> RefConfig:
    stages = {s: [RefRule(event=["never"])] for s in STAGES}
    stages["aware"] = [RefRule(any_event=True)]
    stages["appeal"] = [RefRule(event=["view"], min_count=min_count, within_us=within_us)]
    return RefConfig(stages=stages, window_us=30 * D)


def test_min_count_ties_in_time():
    events = [ev("u", 100, "view"), ev("u", 100, "view")]
    r = compute(events, appeal_views(2))
    assert r.reach_time["appeal"] == {"u": 100}
    assert compute(events[:1], appeal_views(2)).reached["appeal"] == 0


def test_min_count_ties_broken_by_input_order_in_a_subfunnel():
    # Step 2 is the 2nd view. All rows at the same time: only input order separates them.
    steps = [RefRule(event=["x"]), RefRule(event=["view"], min_count=2)]
    cfg = letters_config(H, s=(steps, H))
    after = [ev("u", 0, "view"), ev("u", 0, "x"), ev("u", 0, "view")]
    assert compute(after, cfg).subfunnels["s"]["levels"] == {"u": 2}
    before = [ev("u", 0, "view"), ev("u", 0, "view"), ev("u", 0, "x")]
    assert compute(before, cfg).subfunnels["s"]["levels"] == {"u": 1}


def test_min_count_within_edge_is_inclusive():
    w = 7 * D
    exactly = [ev("u", 0, "view"), ev("u", w, "view")]
    assert compute(exactly, appeal_views(2, w)).reach_time["appeal"] == {"u": w}
    one_more = [ev("u", 0, "view"), ev("u", w + 1, "view")]
    assert compute(one_more, appeal_views(2, w)).reached["appeal"] == 0
    # Sliding: views at 0, w+1, w+2 -> first hit at w+2 (pair w+1, w+2).
    sliding = [*one_more, ev("u", w + 2, "view")]
    assert compute(sliding, appeal_views(2, w)).reach_time["appeal"] == {"u": w + 2}
    # Without within: the 3rd view ever, however far apart.
    spread = [ev("u", 0, "view"), ev("u", 100 * D, "view"), ev("u", 200 * D, "view")]
    assert compute(spread, appeal_views(3)).reach_time["appeal"] == {"u": 200 * D}


def test_min_count_counts_only_matching_events_and_duplicates_count():
    events = [ev("u", 0, "view"), ev("u", 1, "other"), ev("u", 2, "view")]
    assert compute(events, appeal_views(2)).reach_time["appeal"] == {"u": 2}
    dup = [ev("u", 5, "view"), ev("u", 5, "view")]  # identical rows are separate events
    assert compute(dup, appeal_views(2)).reach_time["appeal"] == {"u": 5}


def test_rule_keys_exact_fullmatch_and_null_where():
    stages = {s: [RefRule(event=["never"])] for s in STAGES}
    stages["aware"] = [RefRule(event_matches="view")]
    stages["appeal"] = [RefRule(event=["View"])]
    stages["ask"] = [RefRule(event_matches="pro.*", where=lambda e: e.get("rev"))]
    cfg = RefConfig(stages=stages, window_us=H)
    events = [
        ev("a", 0, "preview"),  # regex must match the whole name
        ev("b", 0, "view"),  # case-sensitive exact name
        ev("c", 0, "product", rev=None),  # where -> None counts as false
        ev("d", 0, "product", rev=3),
    ]
    r = compute(events, cfg)
    assert r.reach_time["aware"] == {"b": 0}
    assert r.reached["appeal"] == 0
    assert r.reach_time["ask"] == {"d": 0}
    assert r.persons == 4
    assert r.current == {"none": 2, "aware": 1, "appeal": 0, "ask": 1, "act": 0, "advocate": 0}


def test_rule_without_keys_is_an_error():
    cfg = letters_config()
    cfg.stages["ask"] = [RefRule(min_count=2)]
    with pytest.raises(ValueError, match="at least one"):
        compute([], cfg)


# --------------------------------------------------------------------------------------------
# counts, flow, current, time to convert
# --------------------------------------------------------------------------------------------


def test_flow_current_and_skips():
    events = [
        ev("a", 0, "A"),
        ev("a", 1, "B"),
        ev("b", 0, "B"),  # appeal without aware
        ev("c", 0, "E"),  # advocate only: current advocate
        ev("d", 0, "zzz"),  # person with no hit
        ev("e", 5, "B"),
        ev("e", 9, "A"),  # reversed order still flows
    ]
    r = compute(events, letters_config(H))
    assert r.persons == 5
    assert r.reached == {"aware": 2, "appeal": 3, "ask": 0, "act": 0, "advocate": 1}
    assert r.flow == {"attraction": 2, "curiosity": 0, "commitment": 0, "affinity": 0}
    assert r.current == {"none": 1, "aware": 0, "appeal": 3, "ask": 0, "act": 0, "advocate": 1}
    assert r.path == [2, 1, None, None, 0]  # e: B before A is only level 1


def test_time_to_convert_reversed_zero_and_quantiles():
    events = [
        ev("a", 0, "A"), ev("a", 10 * S, "B"),
        ev("b", 0, "A"), ev("b", 20 * S, "B"),
        ev("c", 0, "A"), ev("c", 40 * S, "B"),
        ev("d", 5 * S, "A"), ev("d", 5 * S, "B"),  # zero is included
        ev("e", 9 * S, "A"), ev("e", 3 * S, "B"),  # reversed
    ]  # fmt: skip
    r = compute(events, letters_config(H))
    t = r.ttc["attraction"]
    # sample (s) = [0, 10, 20, 40], n = 4
    assert t["n"] == 4
    assert t["reversed"] == 1
    assert t["p25"] == pytest.approx(7.5)  # h = 0.75 -> 0 + 0.75 * 10
    assert t["median"] == pytest.approx(15.0)  # h = 1.5
    assert t["p75"] == pytest.approx(25.0)  # h = 2.25 -> 20 + 0.25 * 20
    assert t["p90"] == pytest.approx(34.0)  # h = 2.7 -> 20 + 0.7 * 20
    assert r.ttc["curiosity"] == {
        "n": 0, "reversed": 0, "p25": None, "median": None, "p75": None, "p90": None,
    }  # fmt: skip


def test_reversed_only_gives_null_quantiles():
    events = [ev("u", 10, "A"), ev("u", 5, "B")]
    t = compute(events, letters_config(H)).ttc["attraction"]
    assert (t["n"], t["reversed"], t["median"], t["p90"]) == (0, 1, None, None)


def test_quantile7_by_hand():
    assert quantile7([], 0.5) is None
    assert quantile7([7], 0.9) == 7.0
    assert quantile7([4, 1, 3, 2], 0.25) == pytest.approx(1.75)
    assert quantile7([1, 2, 3, 4], 0.5) == pytest.approx(2.5)
    assert quantile7([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert quantile7([1, 2, 3, 4], 1.0) == 4.0
    assert quantile7([1, 2, 3, 4], 0.0) == 1.0
    assert quantile7([0, 10], 0.5) == 5.0


@given(st.lists(st.integers(-(10**12), 10**12), min_size=2, max_size=30))
def test_quantile7_matches_statistics_inclusive(values):
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    tol = {"rel": 1e-9, "abs": 1e-3}
    assert quantile7(values, 0.25) == pytest.approx(quartiles[0], **tol)
    assert quantile7(values, 0.5) == pytest.approx(quartiles[1], **tol)
    assert quantile7(values, 0.75) == pytest.approx(quartiles[2], **tol)
    assert quantile7(values, 0.9) == pytest.approx(deciles[8], **tol)


# --------------------------------------------------------------------------------------------
# sub-funnels
# --------------------------------------------------------------------------------------------


def test_subfunnel_purchase_three_times():
    buy = RefRule(event=["purchase"])
    cfg = letters_config(H, p=([buy, buy, buy], 30 * D))
    events = [ev("one", 0, "purchase")]
    events += [ev("two", t, "purchase") for t in (0, 1)]
    events += [ev("three", t, "purchase") for t in (0, 0, 0)]  # ties and duplicates
    events += [ev("four", t, "purchase") for t in (0, 1, 2, 3)]
    events += [ev("none", 0, "view")]
    sf = compute(events, cfg).subfunnels["p"]
    assert sf["counts"] == [4, 3, 2]
    assert sf["levels"] == {"one": 1, "two": 2, "three": 3, "four": 3, "none": 0}
    # step diffs: two: 1µs; three: 0, 0; four: 1µs, 1µs
    assert sf["median_step_seconds"] == [None, pytest.approx(1e-6), pytest.approx(0.5e-6)]


def test_subfunnel_single_event_never_advances_two_steps():
    steps = [RefRule(any_event=True), RefRule(event=["cart"])]
    cfg = letters_config(H, s=(steps, H))
    assert compute([ev("u", 0, "cart")], cfg).subfunnels["s"]["levels"] == {"u": 1}
    two = [ev("u", 0, "cart"), ev("u", 0, "cart")]
    assert compute(two, cfg).subfunnels["s"]["levels"] == {"u": 2}
    # The same single event does serve two steps of the stage path (docs/metrics.md#ordered-path).
    stage_cfg = RefConfig(
        stages={s: [RefRule(any_event=True)] if s == "aware" else [RefRule(event=["cart"])]
                for s in STAGES},
        window_us=H,
    )  # fmt: skip
    assert compute([ev("u", 0, "cart")], stage_cfg).path_level == {"u": 5}


def test_subfunnel_window_inclusive_and_step_times_from_earliest_start():
    steps = [RefRule(event=["A"]), RefRule(event=["B"])]
    cfg = letters_config(H, s=(steps, H))
    edge = [ev("u", 0, "A"), ev("u", H, "B"), ev("v", 0, "A"), ev("v", H + 1, "B")]
    assert compute(edge, cfg).subfunnels["s"]["levels"] == {"u": 2, "v": 1}
    # Earliest start that reaches level 2 is A@0, so the step time is 30 min, not 20.
    early = [ev("u", 0, "A"), ev("u", 10 * M, "A"), ev("u", 30 * M, "B")]
    assert compute(early, cfg).subfunnels["s"]["median_step_seconds"] == [None, 1800.0]
    # A@0 cannot reach B@2h30 within 1 h; the restart at A@2h can: 30 min.
    restart = [ev("u", 0, "A"), ev("u", 2 * H, "A"), ev("u", 2 * H + 30 * M, "B")]
    sf = compute(restart, cfg).subfunnels["s"]
    assert sf["levels"] == {"u": 2}
    assert sf["median_step_seconds"] == [None, 1800.0]


def test_subfunnel_step_takes_earliest_event_after_previous():
    steps = [RefRule(event=["A"]), RefRule(event=["B"]), RefRule(event=["C"])]
    cfg = letters_config(H, s=(steps, D))
    events = [
        ev("u", 0, "A"), ev("u", 5 * M, "B"), ev("u", 6 * M, "B"), ev("u", 20 * M, "C"),
        ev("v", 0, "A"), ev("v", 1 * M, "B"), ev("v", 4 * M, "C"),
        ev("w", 0, "A"), ev("w", 2 * M, "B"),
    ]  # fmt: skip
    sf = compute(events, cfg).subfunnels["s"]
    assert sf["counts"] == [3, 3, 2]
    # step 1 diffs: u 5m, v 1m, w 2m -> median 2m; step 2 diffs: u 15m, v 3m -> 9m
    assert sf["median_step_seconds"] == [None, 120.0, 540.0]


# --------------------------------------------------------------------------------------------
# analysis window
# --------------------------------------------------------------------------------------------


def test_since_until_with_min_count_pair_straddling_since():
    since, until = 10 * D, 20 * D
    events = [
        ev("u", since - 10, "view"),  # before since: counts toward min_count only
        ev("u", since + 10, "view"),  # 2nd view, in window: a hit
        ev("old", since - 5, "view"),
        ev("old", since - 4, "view"),  # hit before since: not counted, not a person
        ev("late", until - 1, "view"),
        ev("late", until, "view"),  # at until: excluded (half-open), even for counting
        ev("edge", since, "view"),
        ev("edge", since, "view"),  # exactly at since: included
    ]
    r = compute(events, appeal_views(2, 7 * D), since_us=since, until_us=until)
    assert r.persons == 3  # u, late, edge
    assert r.reach_time["appeal"] == {"u": since + 10, "edge": since}
    assert r.reach_time["aware"] == {"u": since + 10, "late": until - 1, "edge": since}
    assert r.current["appeal"] == 2
    assert r.current["aware"] == 1
    assert r.path == [3, 2, None, None, None]


def test_hits_before_since_do_not_count_for_path_or_subfunnels():
    steps = [RefRule(event=["A"]), RefRule(event=["B"])]
    cfg = letters_config(H, s=(steps, H))
    events = [ev("u", 0, "A"), ev("u", 100, "B"), ev("u", 200, "C")]
    r = compute(events, cfg, since_us=50)
    assert r.reached["aware"] == 0
    assert r.path_level == {"u": 0}
    assert r.subfunnels["s"]["levels"] == {"u": 0}
    assert r.subfunnels["s"]["counts"] == [0, 0]


def test_default_bounds_include_the_latest_event():
    events = [ev("u", 0, "A"), ev("u", 50, "B")]
    r = compute(events, letters_config(H))  # as_of = 50, until = 51
    assert r.reach_time["appeal"] == {"u": 50}
    assert compute(events, letters_config(H), as_of_us=49).reached["appeal"] == 0
    assert compute(events, letters_config(H), until_us=50).reached["appeal"] == 0


def test_unmeasured_stage_is_skipped_by_the_path():
    # nobody hits C (Ask): the path runs A -> B -> D -> E, C's path and in_window are None
    events = [ev("u", 0, "A"), ev("u", 1, "B"), ev("u", 2, "D"), ev("v", 0, "A"), ev("v", 5, "E")]
    r = compute(events, letters_config(H))
    assert r.measured == {
        "aware": True,
        "appeal": True,
        "ask": False,
        "act": True,
        "advocate": True,
    }
    assert r.path_level == {"u": 3, "v": 1}
    assert r.path == [2, 1, None, 1, 0]
    assert r.in_window == [1, 0, None, 1]
    # a stage hit only before --since is still measured (one decision per run)
    r = compute([*events, ev("w", -5, "C")], letters_config(H), since_us=0)
    assert r.measured["ask"] is True
    assert r.path == [2, 1, 0, 0, 0]


def test_zero_denominators_and_empty_input():
    steps = [RefRule(event=["A"]), RefRule(event=["B"])]
    cfg = letters_config(H, s=(steps, H))
    r = compute([], cfg)
    assert r.persons == 0
    assert r.reached == dict.fromkeys(STAGES, 0)
    assert r.flow == dict.fromkeys(TRANSITIONS, 0)
    assert r.current == {"none": 0, **dict.fromkeys(STAGES, 0)}
    assert all(r.ttc[t]["n"] == 0 and r.ttc[t]["median"] is None for t in TRANSITIONS)
    assert r.path == [None] * 5  # nothing measured
    assert r.in_window == [None] * 4
    assert r.subfunnels["s"] == {"counts": [0, 0], "median_step_seconds": [None, None],
                                 "levels": {}}  # fmt: skip
    # Persons but nobody aware: everything downstream zero / null.
    r = compute([ev("u", 0, "zzz")], cfg)
    assert r.persons == 1
    assert r.current["none"] == 1
    assert r.path == [None] * 5  # nothing measured
    assert r.path_level == {"u": 0}


# --------------------------------------------------------------------------------------------
# Greedy searches vs exhaustive enumeration
# --------------------------------------------------------------------------------------------


def exhaustive_path_level(stage_times: list[list[int]], window_us: int) -> int:
    best = 0
    for k in range(1, len(stage_times) + 1):
        for chain in itertools.product(*stage_times[:k]):
            ordered = all(chain[i] <= chain[i + 1] for i in range(k - 1))
            if ordered and chain[-1] - chain[0] <= window_us:
                best = max(best, k)
    return best


small_times = st.lists(st.integers(0, 12), max_size=4)


@settings(max_examples=300)
@given(st.lists(small_times, min_size=5, max_size=5), st.integers(0, 8))
def test_path_greedy_equals_exhaustive(stage_times, window_us):
    level, _ = path_level_and_in_window(stage_times, window_us, as_of_us=100)
    assert level == exhaustive_path_level(stage_times, window_us)


def exhaustive_subfunnel(times, step_hits, window_us):
    """Longest valid chain of strictly increasing positions; on ties the lexicographically
    smallest positions (earliest start, then earliest step after step)."""
    n, m = len(times), len(step_hits)
    for k in range(m, 0, -1):
        for chain in itertools.combinations(range(n), k):  # lexicographic order
            if all(step_hits[j][p] for j, p in enumerate(chain)) and (
                times[chain[-1]] - times[chain[0]] <= window_us
            ):
                return k, [times[p] for p in chain]
    return 0, []


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 7)), max_size=8),
    st.integers(1, 4),
    st.integers(0, 5),
)
def test_subfunnel_greedy_equals_exhaustive(rows, n_steps, window_us):
    # each row: (time, bitmask of steps it hits); positions sorted by time (stable)
    rows = sorted(rows, key=lambda r: r[0])
    times = [t for t, _ in rows]
    step_hits = [[bool(mask >> j & 1) for _, mask in rows] for j in range(n_steps)]
    assert subfunnel_person(times, step_hits, window_us) == exhaustive_subfunnel(
        times, step_hits, window_us
    )
