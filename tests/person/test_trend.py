"""--trend (docs/metrics.md#trend): every bucket present, flows per bucket, small samples."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.conftest import run_cli


def _log(tmp_path: Path) -> Path:
    """30 persons in ISO week 2025-W02 and 5 in W05; nothing in W03 and W04."""
    rows = ["user_id,event,timestamp"]
    for i in range(30):
        day = dt.date(2025, 1, 6) + dt.timedelta(days=i % 5)
        rows.append(f"a{i},page_view,{day}T10:00:00")
        if i % 2 == 0:
            rows.append(f"a{i},product_view,{day}T10:05:00")
        if i % 3 == 0:
            rows.append(f"a{i},purchase,{day}T10:10:00")
    for i in range(5):
        rows.append(f"b{i},page_view,2025-01-28T10:00:00")
        rows.append(f"b{i},purchase,2025-01-28T10:01:00")
    path = tmp_path / "events.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_every_week_appears_with_flows_and_small_samples(tmp_path: Path) -> None:
    out = run_cli("diagnose", str(_log(tmp_path)), "--trend", "week", "-f", "json")
    rows = json.loads(out.stdout)["trend"]["rows"]
    assert [r["period"] for r in rows] == ["2025-W02", "2025-W03", "2025-W04", "2025-W05"]
    first, gap, _, last = rows
    assert first["reached"]["aware"] == 30
    assert first["reached"]["appeal"] == 15
    assert first["reached"]["act"] == 10
    assert first["flows"]["attraction"] == 0.5  # 15 of 30 aware persons also reached Appeal
    assert first["ratios"]["attraction"] == 0.5
    assert first["par"] == 10 / 30
    assert first["small_sample"] is False
    assert gap["reached"] == dict.fromkeys(("aware", "appeal", "ask", "act", "advocate"), 0)
    assert gap["par"] is None
    assert gap["flows"]["attraction"] is None
    assert gap["small_sample"] is True
    assert last["reached"]["aware"] == 5
    assert last["small_sample"] is True  # 5 aware < min_stage 20


def test_buckets_are_clipped_to_the_window(tmp_path: Path) -> None:
    out = run_cli(
        "diagnose", str(_log(tmp_path)), "--trend", "week", "--since", "2025-01-20", "-f", "json"
    )
    rows = json.loads(out.stdout)["trend"]["rows"]
    assert [r["period"] for r in rows] == ["2025-W04", "2025-W05"]


def test_small_samples_are_marked_in_text_and_hollow_in_charts(tmp_path: Path) -> None:
    log = str(_log(tmp_path))
    table = run_cli("diagnose", log, "--trend", "week").stdout
    rows = {
        line.split()[0]: line for line in table.splitlines() if line.strip().startswith("2025-W")
    }
    assert rows["2025-W05"].endswith("small sample")
    assert not rows["2025-W02"].endswith("small sample")
    assert "small sample: fewer aware persons than diagnosis.min_stage" in table
    html = run_cli("diagnose", log, "--trend", "week", "-f", "html").stdout
    # PAR in the one small week with persons (BAR is null: no rule sees Advocate in this log)
    # + 3 small weeks x 5 stage lines
    assert html.count("(small sample)</title>") == 1 + 3 * 5
