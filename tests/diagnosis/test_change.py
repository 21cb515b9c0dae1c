"""What changed (docs/metrics.md#what-changed): both splits add up to the change they split,
on logs where the answer is known by construction."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fivea.diagnosis.change import (
    BAR_TRANSITIONS,
    PAR_TRANSITIONS,
    funnel_split,
    mix_rate,
    shown_parts,
)
from tests.conftest import run_cli
from tests.diagnosis.test_diagnosis import make_table

ALL = dict.fromkeys(("aware", "appeal", "ask", "act", "advocate"), True)
COUNTS = st.lists(st.integers(1, 5000), min_size=5, max_size=5)


@settings(deadline=None)  # the machine may be loaded: no timing in unit tests
@given(COUNTS, COUNTS)
def test_funnel_split_sums_to_the_log_change(now: list[int], before: list[int]) -> None:
    for names, last in ((PAR_TRANSITIONS, 3), (BAR_TRANSITIONS, 4)):
        split = funnel_split(make_table(now), make_table(before), names, ALL)
        assert split.status == "ok"
        expected = math.log((now[last] / now[0]) / (before[last] / before[0]))
        assert sum(split.by_transition.values()) == pytest.approx(expected, abs=1e-9)
        assert split.log_change == pytest.approx(expected, abs=1e-9)
        shown = sum(shown_parts(split).values())  # rescaled parts add to the relative change
        assert shown == pytest.approx(split.after / split.before - 1, abs=1e-9)


def test_a_zero_ratio_or_an_unmeasured_stage_is_not_judged() -> None:
    zero = funnel_split(
        make_table([100, 50, 0, 10, 5]), make_table([100, 50, 20, 10, 5]), PAR_TRANSITIONS, ALL
    )
    assert zero.status == "not_judged"
    assert "curiosity" in zero.status_reason
    unmeasured = funnel_split(
        make_table([100, 50, 20, 10, 5]),
        make_table([100, 50, 20, 12, 5]),
        PAR_TRANSITIONS,
        {**ALL, "ask": False},
    )
    assert (unmeasured.status, unmeasured.status_reason) == ("not_judged", "not measured: ask")


@settings(deadline=None)  # the machine may be loaded: no timing in unit tests
@given(
    st.dictionaries(
        st.sampled_from(["email", "social", "search", "(none)"]),
        st.tuples(st.integers(0, 400), st.integers(0, 400)).map(lambda t: (max(t), min(t))),
        min_size=1,
    ),
    st.dictionaries(
        st.sampled_from(["email", "social", "search", "(none)"]),
        st.tuples(st.integers(0, 400), st.integers(0, 400)).map(lambda t: (max(t), min(t))),
        min_size=1,
    ),
)
def test_mix_and_rate_sum_to_the_change_of_par(now: dict, before: dict) -> None:
    total_now = sum(a for a, _ in now.values())
    total_before = sum(a for a, _ in before.values())
    split = mix_rate("channel", now, before, aware_is_every_event=True)
    if not total_now or not total_before:
        assert split.status == "not_judged"
        return
    par_now = sum(b for _, b in now.values()) / total_now
    par_before = sum(b for _, b in before.values()) / total_before
    assert split.mix + split.rate == pytest.approx(par_now - par_before, abs=1e-9)
    assert sum(g.mix for g in split.groups) == pytest.approx(split.mix, abs=1e-12)


def test_buyers_outside_aware_make_the_split_not_judged() -> None:
    split = mix_rate("channel", {"a": (10, 2)}, {"a": (10, 1)}, aware_is_every_event=False)
    assert split.status == "not_judged"


def _two_periods(
    tmp_path: Path, before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]
) -> Path:
    """Per channel (persons, product viewers, buyers) in January (before) and February (after);
    every buyer and viewer is also aware, nobody asks (Ask unmeasured is avoided by a searcher)."""
    rows = ["user_id,event,timestamp,channel"]
    for month, spec in (("01", before), ("02", after)):
        for channel, (persons, viewers, buyers) in spec.items():
            for i in range(persons):
                user = f"{month}-{channel}-{i}"
                rows.append(f"{user},page_view,2025-{month}-10T10:00:00,{channel}")
                if i < viewers:
                    rows.append(f"{user},product_view,2025-{month}-10T10:01:00,{channel}")
                if i < viewers // 2:
                    rows.append(f"{user},search,2025-{month}-10T10:02:00,{channel}")
                if i < buyers:
                    rows.append(f"{user},purchase,2025-{month}-10T10:03:00,{channel}")
        rows.append(f"{month}-edge,page_view,2025-{month}-01T00:00:00,email")
        rows.append(f"{month}-edge,page_view,2025-{month}-28T23:59:00,email")
    path = tmp_path / "events.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _change(path: Path) -> dict:
    args = (
        "diagnose",
        str(path),
        "--since",
        "2025-02-01",
        "--until",
        "2025-02-28",
        "--compare",
        "previous",
        "--segment",
        "channel",
        "-f",
        "json",
    )
    return json.loads(run_cli(*args).stdout)


def test_only_the_channel_mix_moves(tmp_path: Path) -> None:
    """Email converts at 10% and social at 50% in both months; social's share grows."""
    before = {"email": (400, 200, 40), "social": (100, 50, 50)}
    after = {"email": (100, 50, 10), "social": (400, 200, 200)}
    data = _change(_two_periods(tmp_path, before, after))
    split = data["change"]["mix_rate"]
    delta = data["change"]["par"]["after"] - data["change"]["par"]["before"]
    assert split["mix"] + split["rate"] == pytest.approx(delta, abs=1e-9)
    assert abs(split["rate"]) < 0.002  # only the one-visit edge persons move within email
    assert split["mix"] == pytest.approx(delta, abs=0.002)
    assert any("the mix moved towards social" in r for r in data["verdict"]["reasons"])


def test_only_commitment_moves(tmp_path: Path) -> None:
    before = {"email": (400, 200, 40)}
    after = {"email": (400, 200, 80)}
    data = _change(_two_periods(tmp_path, before, after))
    par = data["change"]["par"]
    assert par["status"] == "ok"
    parts = par["by_transition"]
    assert parts["commitment"] == pytest.approx(math.log(2), abs=1e-9)
    assert parts["attraction"] == pytest.approx(0, abs=1e-9)
    assert parts["curiosity"] == pytest.approx(0, abs=1e-9)
    assert sum(parts.values()) == pytest.approx(math.log(par["after"] / par["before"]), abs=1e-9)
    assert (
        "PAR +100%: commitment +100 points of it, attraction +0, curiosity +0"
        in data["verdict"]["reasons"]
    )
