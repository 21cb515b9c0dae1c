"""config_fingerprint (docs/metrics.md#baseline): the rules that produced a report's numbers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.conftest import SAMPLE_DATA, run_cli

SAMPLE = str(SAMPLE_DATA / "events.csv")


def _report(tmp_path: Path, extra: str = "") -> dict:
    config = tmp_path / "fivea.yaml"
    config.write_text("version: 1\npreset: 5a-default\n" + extra, encoding="utf-8")
    return json.loads(run_cli("diagnose", SAMPLE, "-c", str(config), "-f", "json").stdout)


def test_fingerprint_is_the_sha256_of_the_canonical_resolved_parts(tmp_path: Path) -> None:
    data = _report(tmp_path)
    canonical = json.dumps(
        data["config_resolved"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert data["config_fingerprint"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert sorted(data["config_resolved"]) == [
        "columns",
        "dedupe",
        "funnel",
        "identity",
        "stages",
        "subfunnels",
        "time",
    ]
    assert data["config_resolved"]["funnel"] == {"window": 30 * 86_400 * 10**6}  # µs
    assert data["config_resolved"]["columns"]["time"] == "event_time"  # as detected


def test_targets_and_segments_do_not_change_it_rules_do(tmp_path: Path) -> None:
    base = _report(tmp_path)["config_fingerprint"]
    assert (
        _report(tmp_path, "targets: {affinity: 0.5}\nsegments: [channel]\n")["config_fingerprint"]
        == base
    )
    assert _report(tmp_path, "funnel: {window: 7d}\n")["config_fingerprint"] != base
    assert (
        _report(tmp_path, "stages:\n  act: {rules: [{event: purchase}]}\n")["config_fingerprint"]
        != base
    )
