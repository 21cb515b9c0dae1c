"""Occasions (``gap: D`` on a rule, docs/metrics.md "Occasions"): config errors, hits, REES46.

The error cases run in their own process under the error corpus's limits (tests/limits.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REAL_DATA, ROOT
from tests.limits import run_limited

REES46 = REAL_DATA / "rees46-oct2019-head" / "events.csv"
REES46_CONFIG = ROOT / "tests" / "fixtures" / "configs" / "rees46.yaml"

_HEAD = "version: 1\npreset: 5a-default\n"


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "fivea.yaml"
    path.write_text(_HEAD + body)
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "stages:\n  advocate: {rules: [{event: purchase, min_count: 2, gap: 0h}]}\n",
            "fivea.yaml:4: stages.advocate.rules[0].gap: must be longer than zero",
        ),
        (
            "stages:\n  advocate: {rules: [{event: purchase, gap: 1x}]}\n",
            "fivea.yaml:4: stages.advocate.rules[0].gap: expected a duration like 30d",
        ),
        (
            "subfunnels:\n  checkout: [view, {event: purchase, gap: 1h}]\n",
            "fivea.yaml:4: subfunnels.checkout.steps[1].gap: a sub-funnel step takes no gap "
            "(each step is one event); remove it, got '1h'",
        ),
        (
            "stages:\n  advocate: {rules: [{event: purchase, within: 2d, gap: 1h}]}\n",
            "fivea.yaml:4: stages.advocate.rules[0]: within needs min_count",
        ),
    ],
)
def test_gap_errors_name_the_line_and_key(tmp_path: Path, body: str, message: str) -> None:
    result = run_limited("validate", str(_config(tmp_path, body)), code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def _reached(*args: str, kernel: str = "polars") -> dict[str, int]:
    env = {"FIVEA_KERNEL": kernel}
    result = run_limited("diagnose", *args, "--format", "json", env=env)
    return {s["key"]: s["reached"] for s in json.loads(result.stdout)["stages"]}


def test_a_basket_is_not_a_repeat_purchase_on_rees46(tmp_path: Path) -> None:
    """REES46 logs a purchase row per item: with gap: 1h nobody in its 3 hours ordered twice."""
    with_gap = _reached(str(REES46), "--config", str(REES46_CONFIG))
    assert "gap: 1h" in REES46_CONFIG.read_text()
    no_gap = _config(
        tmp_path,
        "stages:\n  appeal: {rules: [{event: view}]}\n  act: {rules: [{event: purchase}]}\n"
        "  advocate: {rules: [{event: purchase, min_count: 2}]}\n",
    )
    without = _reached(str(REES46), "--config", str(no_gap))
    assert (with_gap["act"], with_gap["advocate"]) == (193, 0)
    assert (without["act"], without["advocate"]) == (193, 19)


_LOG = """user,time,event
a,2024-01-01T10:00:00Z,view
a,2024-01-01T10:00:00Z,purchase
a,2024-01-01T10:30:00Z,purchase
a,2024-01-01T11:30:00Z,purchase
b,2024-01-01T10:00:00Z,view
b,2024-01-01T10:00:00Z,purchase
b,2024-01-01T10:59:59Z,purchase
b,2024-01-01T11:59:58Z,purchase
c,2024-01-01T10:00:00Z,view
c,2024-01-01T10:00:00Z,purchase
c,2024-01-01T10:00:00Z,purchase
"""


@pytest.mark.parametrize("kernel", ["polars", "compiled"])
def test_occasions_start_exactly_one_gap_after_the_previous_match(
    tmp_path: Path, kernel: str
) -> None:
    """a: 10:30 continues, 11:30 is exactly 1h after it: a 2nd order. b: a trickle of rows
    less than 1h apart stays one order. c: two rows at one instant are one order."""
    log = tmp_path / "events.csv"
    log.write_text(_LOG)
    config = _config(
        tmp_path,
        "stages:\n  appeal: {rules: [{event: purchase, gap: 1h}]}\n"
        "  act: {rules: [{event: purchase}]}\n"
        "  advocate: {rules: [{event: purchase, min_count: 2, gap: 1h, within: 90m}]}\n",
    )
    reached = _reached(str(log), "--config", str(config), kernel=kernel)
    assert reached == {"aware": 3, "appeal": 3, "ask": 0, "act": 3, "advocate": 1}
    stages = run_limited("stages", str(log), "--config", str(config), "--format", "json")
    by_key = {
        rule["key"]: rule
        for stage in json.loads(stages.stdout)["stages"]
        for rule in stage["rules"]
    }
    appeal, advocate = by_key["stages.appeal.rules[0]"], by_key["stages.advocate.rules[0]"]
    # hits: a 10:00 and 11:30, b 10:00, c 10:00; advocate: a's second order, 90m after the first
    assert (appeal["matched_events"], appeal["hit_events"], appeal["hit_persons"]) == (8, 4, 3)
    assert (advocate["hit_events"], advocate["hit_persons"]) == (1, 1)
    assert appeal["occasions"] == advocate["occasions"] == 4
    assert by_key["stages.act.rules[0]"]["occasions"] is None
    assert [e["time"] for e in advocate["examples"]] == ["2024-01-01T11:30:00Z"]
    assert advocate["words"] == (
        "event is purchase; hits: the first events of the 2nd and later occasions within 90m"
        " (a match 1h or more after the previous starts one)"
    )


def test_stages_table_shows_the_occasions_of_a_gap_rule() -> None:
    from tests.conftest import SAMPLE_DATA, run_cli

    out = run_cli("stages", str(SAMPLE_DATA / "events.csv")).stdout
    flat = " ".join(out.split())
    # the sample logs one row per order: 1,072 purchases are 1,072 occasions
    assert "1,072 occasions among the matching events" in flat
    assert "0 occasions" not in flat  # rules that match nothing say so, not "0 occasions"
