"""Thousands of counted rules (issue "rule resources"): the plan must not grow per rule.

One sub-plan per ``min_count`` rule took 3.5 MB each (1,000 rules: 8 GB; 10,000: killed at
23 GB). Counted rules are now rows of a table joined into one plan (fivea/rules/counted.py); each run
here is a real process under the error corpus's 4 GiB address space and 60 s (tests/limits.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REAL_DATA
from tests.limits import run_limited

REES46 = REAL_DATA / "rees46-oct2019-head" / "events.csv"
RULES = 2_000


def _config(tmp_path: Path, rules: list[str]) -> Path:
    lines = ["version: 1", "preset: 5a-default", "columns: {event: event_type}", "stages:"]
    lines += ["  appeal: {rules: [{event: view}]}", "  act: {rules: [{event: purchase}]}"]
    lines += ["  advocate:", "    rules:", *[f"      - {rule}" for rule in rules]]
    path = tmp_path / "many.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "shape",
    [
        # distinct event names: one series each (names join in, never one is_in per rule)
        "{{event: [purchase, e{i}], min_count: 2}}",
        # one match, thousands of thresholds, windows and gaps
        "{{event: purchase, min_count: {n}, within: {i}m, gap: {g}s}}",
        # where: conditions, each its own match (on purchases: 2,000 thresholds over all
        # 17k views are 4.9M (event, rule) matches, a test of output size, not of the plan)
        '{{event: purchase, where: "price > {i}", min_count: 2}}',
    ],
)
@pytest.mark.parametrize("command", ["diagnose", "stages"])
def test_two_thousand_counted_rules_run_in_bounded_memory(
    tmp_path: Path, shape: str, command: str
) -> None:
    rules = [shape.format(i=i + 1, n=2 + i % 3, g=1 + i % 7) for i in range(RULES)]
    config = _config(tmp_path, rules)
    result = run_limited(command, str(REES46), "--config", str(config), "--format", "json")
    data = json.loads(result.stdout)
    if command == "diagnose":
        reached = {s["key"]: s["reached"] for s in data["stages"]}
        assert reached["act"] == 193
        assert 0 < reached["advocate"] <= 193
    else:
        advocate = next(s for s in data["stages"] if s["key"] == "advocate")
        assert len(advocate["rules"]) == RULES


def test_more_counted_matches_than_kernel_bits_fall_back_to_the_plan(tmp_path: Path) -> None:
    """The compiled kernel holds 63 counted matches per event; beyond, phase 1 runs polars."""
    rules = [f"{{event: [purchase, e{i}], min_count: 2, gap: 1h}}" for i in range(100)]
    config = str(_config(tmp_path, rules))
    runs = [
        run_limited(
            "diagnose", str(REES46), "--config", config, "--format", "json", env={"FIVEA_KERNEL": k}
        )
        for k in ("compiled", "polars")
    ]
    reached = [{s["key"]: s["reached"] for s in json.loads(r.stdout)["stages"]} for r in runs]
    assert reached[0] == reached[1]
    assert (reached[0]["act"], reached[0]["advocate"]) == (193, 0)
