"""CSV keeps --segment and --trend: further blocks after the stage table, each with its header."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import SAMPLE_DATA, run_cli

SAMPLE = str(SAMPLE_DATA / "events.csv")


def _blocks(text: str) -> list[list[list[str]]]:
    blocks: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(text)):
        if not row:
            blocks.append([])
        else:
            blocks[-1].append(row)
    return blocks


def test_plain_csv_is_the_stage_table_alone() -> None:
    blocks = _blocks(run_cli("diagnose", SAMPLE, "-f", "csv").stdout)
    assert len(blocks) == 1
    assert [row[0] for row in blocks[0][1:]] == ["aware", "appeal", "ask", "act", "advocate"]


def test_segments_and_trend_follow_as_blocks_with_the_json_numbers() -> None:
    args = ("diagnose", SAMPLE, "--segment", "channel", "--trend", "month")
    stages, segments, trend = _blocks(run_cli(*args, "-f", "csv").stdout)
    data = json.loads(run_cli(*args, "-f", "json").stdout)
    assert len(stages) == 6
    assert segments[0][:3] == ["segment", "value", "persons"]
    expected = [(r["value"], str(r["persons"])) for r in data["segments"][0]["rows"]]
    assert [(row[1], row[2]) for row in segments[1:]] == expected
    assert trend[0] == [
        "month",
        *[f"reached_{k}" for k in ("aware", "appeal", "ask", "act", "advocate")],
        "par",
        "bar",
    ]
    got = {row[0]: int(row[4]) for row in trend[1:]}
    assert got == {r["period"]: r["reached"]["act"] for r in data["trend"]["rows"]}
