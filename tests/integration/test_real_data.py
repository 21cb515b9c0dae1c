"""Known counts of the real public excerpts in tests/fixtures/real-data (see its README)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REAL_DATA, ROOT, run_cli

CONFIGS = ROOT / "tests" / "fixtures" / "configs"
REES46 = REAL_DATA / "rees46-oct2019-head"
OTTO = REAL_DATA / "otto-20-sessions"


def _diagnose(path: str, config: str) -> dict:
    out = run_cli("diagnose", path, "-c", str(CONFIGS / config), "-f", "json")
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", ["events.csv", "events.parquet"])
def test_rees46_known_counts(name: str) -> None:
    result = _diagnose(str(REES46 / name), "rees46.yaml")
    stages = {s["key"]: s for s in result["stages"]}
    assert result["persons"] == 4504
    assert stages["appeal"]["reached"] == 4504  # users with a view
    assert stages["act"]["reached"] == 193  # users with a purchase
    steps = [s["reached"] for s in result["subfunnels"][0]["steps"]]
    assert steps == [4504, 111, 62]  # 131 buyers have no cart: only 62 on the ordered path
    quality = result["quality"]
    assert quality["rows_read"] == 17434
    assert quality["duplicates"] == 5
    assert quality["dropped"] == []
    assert quality["time_min"] == "2019-10-01T00:00:00Z"
    assert quality["time_max"] == "2019-10-01T02:50:00Z"


def test_rees46_act_exceeds_ask_only_with_cart_in_ask() -> None:
    result = _diagnose(str(REES46 / "events.csv"), "rees46-cart-in-ask.yaml")
    stages = {s["key"]: s["reached"] for s in result["stages"]}
    assert (stages["ask"], stages["act"]) == (111, 193)
    commitment = next(t for t in result["transitions"] if t["name"] == "commitment")
    assert commitment["ratio"] == pytest.approx(193 / 111)
    assert commitment["flow"] == pytest.approx(62 / 111)


def test_otto_ordered_path() -> None:
    result = _diagnose(str(OTTO / "events.csv"), "otto.yaml")
    stages = {s["key"]: s for s in result["stages"]}
    assert result["persons"] == 20
    assert result["quality"]["rows_read"] == 862
    assert stages["ask"]["reached"] == 7
    assert stages["act"]["reached"] == 3
    assert [s["reached"] for s in result["subfunnels"][0]["steps"]] == [20, 7, 2]
    # session 4 orders before its first cart: on the stage path too, only 2 reach Act
    assert [stages[k]["path"] for k in ("aware", "appeal", "ask", "act")] == [20, 20, 7, 2]
