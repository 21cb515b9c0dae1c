"""Analytics exports in their real shapes (docs/input.md): detection, flattening, stitching, counts.

The fixtures in tests/fixtures/exports/ are tiny hand-made files in each export's shape:
GA4 BigQuery export (NDJSON, nested event_params/user_properties, µs timestamps), Segment
(userId + anonymousId, page/track/identify calls), Amplitude (CSV export columns) and Mixpanel
(event + nested properties with epoch seconds).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fivea.config.loader import resolve_config
from fivea.io.events import scan_events
from fivea.io.sources import resolve_sources
from tests.conftest import ROOT, run_cli

EXPORTS = ROOT / "tests" / "fixtures" / "exports"


def report(*args: str) -> dict:
    return json.loads(run_cli("diagnose", *args, "-f", "json").stdout)


def reached(data: dict) -> dict[str, int]:
    return {s["key"]: s["reached"] for s in data["stages"]}


def scan(path: Path, tmp_path: Path):
    loaded = resolve_config(None, "5a-default", tmp_path, {})
    return scan_events(resolve_sources([str(path)]), loaded.config)


@pytest.mark.parametrize(
    ("name", "export", "columns"),
    [
        (
            "ga4.ndjson",
            "ga4",
            {"user": ["user_pseudo_id"], "time": "event_timestamp", "event": "event_name"},
        ),
        (
            "segment.ndjson",
            "segment",
            {"user": ["userId", "anonymousId"], "time": "timestamp", "event": "event"},
        ),
        (
            "amplitude.csv",
            "amplitude",
            {"user": ["user_id", "device_id"], "time": "event_time", "event": "event_type"},
        ),
        (
            "mixpanel.ndjson",
            "mixpanel",
            {"user": ["distinct_id"], "time": "time", "event": "event"},
        ),
    ],
)
def test_detection(name: str, export: str, columns: dict) -> None:
    data = report(str(EXPORTS / name))
    assert data["source"]["export"] == export
    assert data["source"]["columns"] == columns


def test_ga4_counts_ignore_user_id() -> None:
    data = report(str(EXPORTS / "ga4.ndjson"))
    # three pseudo ids; the one event with a user_id ("crm-77") does not make a fourth person
    assert data["persons"] == 3
    assert data["quality"]["rows_read"] == 8
    assert data["quality"]["dropped"] == []
    assert data["quality"]["time_min"] == "2024-05-01T12:00:00Z"  # event_timestamp in µs
    assert reached(data) == {"aware": 3, "appeal": 1, "ask": 0, "act": 2, "advocate": 0}


def test_ga4_params_become_columns(tmp_path: Path) -> None:
    props = scan(EXPORTS / "ga4.ndjson", tmp_path).properties
    for name in ("ga_session_id", "page_location", "value", "currency", "transaction_id", "source"):
        assert name in props  # event_params keys, bare
    assert "plan" in props  # a user property, bare
    assert "user.value" in props  # a user property whose name an event parameter took
    assert {"geo.country", "device.category", "traffic_source.source"} <= set(props)
    assert "event_params" not in props
    assert "user_properties" not in props


def test_ga4_param_values_are_text_and_compare_as_numbers(tmp_path: Path) -> None:
    frame = scan(EXPORTS / "ga4.ndjson", tmp_path).frame.collect()
    assert frame.schema["value"] == pl.String
    assert frame.filter(pl.col("value").is_not_null())["value"].to_list() == ["25.0", "8.5"]
    assert frame["ga_session_id"][0] == "1714564800"
    cfg = tmp_path / "fivea.yaml"
    cfg.write_text(
        "version: 1\npreset: 5a-default\n"
        'stages:\n  act: {rules: [{event: purchase, where: "value > 20"}]}\n',
        encoding="utf-8",
    )
    assert reached(report(str(EXPORTS / "ga4.ndjson"), "-c", str(cfg)))["act"] == 1


def test_ga4_parquet_export(tmp_path: Path) -> None:
    path = tmp_path / "events_20240501.parquet"
    pl.read_ndjson(EXPORTS / "ga4.ndjson", infer_schema_length=None).write_parquet(path)
    data = report(str(path), "--segment", "geo.country")
    assert data["source"]["export"] == "ga4"
    assert data["persons"] == 3
    rows = {r["value"]: r["persons"] for r in data["segments"][0]["rows"]}
    assert rows == {"Germany": 2, "France": 1}


def test_segment_stitching_joins_anonymous_history() -> None:
    data = report(str(EXPORTS / "segment.ndjson"))
    # anon-1 signs up as user-42 (on a track call), anon-3 becomes user-7 through an identify
    # call; anon-2 never logs in: three persons, two anonymous ids stitched
    assert data["persons"] == 3
    assert data["quality"]["stitched_ids"] == 2
    assert data["quality"]["rows_read"] == 10
    # the identify call has no event name: dropped (but still used to link the ids)
    assert data["quality"]["dropped"] == [{"reason": "missing_event", "rows": 1}]
    # page calls count as "Page Viewed" touches; user-42's first touch is the anonymous page view
    assert reached(data)["aware"] == 3
    assert reached(data)["act"] == 2


def test_segment_without_stitching(tmp_path: Path) -> None:
    cfg = tmp_path / "fivea.yaml"
    cfg.write_text("version: 1\npreset: 5a-default\nidentity: {stitch: false}\n", encoding="utf-8")
    data = report(str(EXPORTS / "segment.ndjson"), "-c", str(cfg))
    # user-42, anon-1, anon-2, anon-3, user-7
    assert data["persons"] == 5
    assert data["quality"]["stitched_ids"] == 0


def test_segment_nested_records_flatten(tmp_path: Path) -> None:
    props = scan(EXPORTS / "segment.ndjson", tmp_path).properties
    assert {"revenue", "product_id", "price", "path"} <= set(props)  # properties.*, bare
    assert {"context.campaign.source", "context.page.url", "traits.email"} <= set(props)


def test_amplitude_counts() -> None:
    data = report(str(EXPORTS / "amplitude.csv"))
    # dev-a's anonymous events join acct-1; dev-c stays anonymous
    assert data["persons"] == 2
    assert data["quality"]["stitched_ids"] == 1
    assert data["quality"]["time_min"] == "2024-05-01T12:00:00.123456Z"
    assert reached(data)["act"] == 1


def test_mixpanel_counts(tmp_path: Path) -> None:
    data = report(str(EXPORTS / "mixpanel.ndjson"))
    assert data["persons"] == 2
    assert data["quality"]["time_min"] == "2024-05-01T12:00:00Z"  # properties.time in seconds
    props = scan(EXPORTS / "mixpanel.ndjson", tmp_path).properties
    assert {"$insert_id", "mp_country_code", "price"} <= set(props)


def test_mixpanel_time_in_ms(tmp_path: Path) -> None:
    lines = (EXPORTS / "mixpanel.ndjson").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    for row in rows:
        row["properties"]["time"] *= 1000  # exports with time_in_ms
    path = tmp_path / "ms.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert report(str(path))["quality"]["time_min"] == "2024-05-01T12:00:00Z"
