"""``--drivers`` on diagnose and report (docs/metrics.md "Drivers")."""

from __future__ import annotations

import json

from tests.conftest import ROOT
from tests.limits import error_line, run_limited

SAMPLE = str(ROOT / "sample_data" / "events.csv")


def test_unknown_transition_is_a_usage_error() -> None:
    line = error_line(SAMPLE, "--drivers", "checkout")
    assert line == (
        "Invalid value for '--drivers': 'checkout' is not one of 'attraction', 'curiosity', "
        "'commitment', 'affinity', 'all', 'none'. (see `fivea diagnose --help`)"
    )


def test_drivers_all_none_and_default_in_json() -> None:
    every = json.loads(run_limited("diagnose", SAMPLE, "--drivers", "all", "-f", "json").stdout)
    assert [d["transition"] for d in every["drivers"]] == [
        "attraction",
        "curiosity",
        "commitment",
        "affinity",
    ]
    attraction = every["drivers"][0]
    assert attraction["status"] == "ok"
    assert attraction["population"] == 2618
    assert attraction["converted"] == 992
    shown = attraction["features"]
    assert shown
    assert all(f["q_value"] < 0.05 for f in shown)
    assert set(shown[0]) == {
        "kind", "name", "value", "persons", "converted_with", "converted_without",
        "odds_ratio", "low", "high", "p_value", "q_value", "direction",
    }  # fmt: skip
    off = json.loads(run_limited("diagnose", SAMPLE, "--drivers", "none", "-f", "json").stdout)
    assert off["drivers"] == []
    default = json.loads(run_limited("diagnose", SAMPLE, "-f", "json").stdout)
    assert [d["transition"] for d in default["drivers"]] == [default["bottleneck"]["transition"]]


def test_report_writes_the_forest_plot(tmp_path) -> None:
    out = tmp_path / "r.html"
    run_limited("report", SAMPLE, "--drivers", "attraction", "-o", str(out))
    html = out.read_text(encoding="utf-8")
    assert 'id="drivers"' in html
    assert '<svg class="forest"' in html
    assert "associations, not causes" in html


def test_unknown_drivers_property_is_one_line(tmp_path) -> None:
    path = tmp_path / "fivea.yaml"
    path.write_text("preset: 5a-default\ndrivers:\n  properties: [chanel]\n", encoding="utf-8")
    line = error_line(SAMPLE, "-c", str(path))
    assert line.startswith(
        "drivers.properties: no property column 'chanel' of plain values; did you mean 'channel'?"
    )
