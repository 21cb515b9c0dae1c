"""`fivea stages`: the rule debugger (matches, hits, examples, overlap, unmatched names)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fivea.api import diagnose
from fivea.authoring.rule_words import rule_words
from fivea.authoring.stages import inspect_stages, overlap_matrix
from fivea.config.loader import STAGE_KEYS, load_config
from fivea.render.json import render_stages_json
from tests.conftest import ROOT, run_cli

SAMPLE = "sample_data/events.csv"
MICROS_DAY = 86_400_000_000


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fivea.yaml"
    path.write_text(text, encoding="utf-8")
    return path


TINY_CONFIG = """\
version: 1
stages:
  aware: {rules: [{any_event: true}]}
  appeal: {rules: [{event: product_view}]}
  ask: {rules: [{event: search}]}
  act: {rules: [{event: purchase, where: "revenue > 0"}]}
  advocate: {rules: [{event: purchase, min_count: 2, within: 7d}]}
subfunnels:
  checkout: [add_to_cart, purchase]
"""


def tiny_frame() -> pl.DataFrame:
    """Four persons whose stages are known by hand (times in days from 2025-01-01)."""
    rows = [
        # u1: aware, appeal, act
        ("u1", 0, "page_view", None),
        ("u1", 1, "product_view", None),
        ("u1", 2, "purchase", 10.0),
        # u2: aware, ask; a zero-revenue purchase is no Act, but still counts for min_count
        ("u2", 0, "page_view", None),
        ("u2", 1, "search", None),
        ("u2", 2, "purchase", 0.0),
        # u3: every stage; the 2nd purchase exactly 7 days after the 1st (inclusive window)
        ("u3", 0, "product_view", None),
        ("u3", 1, "search", None),
        ("u3", 2, "add_to_cart", None),
        ("u3", 3, "purchase", 5.0),
        ("u3", 10, "purchase", 7.0),
        # u4: aware only, with a name no rule knows
        ("u4", 0, "[summer] banner", None),
        # u2's 2nd purchase 8 days after the 1st: outside the window, no advocate
        ("u2", 10, "purchase", 3.0),
    ]
    return pl.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "timestamp": [1_735_689_600_000_000 + r[1] * MICROS_DAY for r in rows],
            "event": [r[2] for r in rows],
            "revenue": [r[3] for r in rows],
        },
        schema_overrides={"timestamp": pl.Int64},
    )


@pytest.fixture
def tiny(tmp_path: Path):
    loaded = load_config(config_file(tmp_path, TINY_CONFIG + "columns: {time_unit: us}\n"))
    return inspect_stages(tiny_frame(), loaded, examples=5)


def test_overlap_counted_by_hand(tiny) -> None:
    # persons per stage: aware u1-u4, appeal u1 u3, ask u2 u3, act u1 u2 u3, advocate u3
    assert tiny.overlap == (
        (4, 2, 2, 3, 1),
        (2, 2, 1, 2, 1),
        (2, 1, 2, 2, 1),
        (3, 2, 2, 3, 1),
        (1, 1, 1, 1, 1),
    )
    assert [s.persons for s in tiny.stages] == [4, 2, 2, 3, 1]
    assert tiny.events == 13
    assert tiny.persons == 4


def test_overlap_matrix_from_masks() -> None:
    masks = pl.DataFrame({"__mask": [0b00001, 0b00011, 0b11111], "len": [5, 3, 2]})
    matrix = overlap_matrix(masks)
    assert matrix[0] == (10, 5, 2, 2, 2)
    assert matrix[1][1] == 5
    assert matrix[4] == (2, 2, 2, 2, 2)
    assert all(matrix[i][j] == matrix[j][i] for i in range(5) for j in range(5))


def test_rules_matches_hits_and_examples(tiny) -> None:
    act = tiny.stages[3].rules[0]
    assert (act.matched_events, act.matched_persons) == (4, 3)  # revenue > 0: not u2's 0.0
    assert (act.hit_events, act.hit_persons) == (4, 3)
    assert act.columns == ("revenue",)
    assert [e.properties for e in act.examples] == [
        {"revenue": 10.0},
        {"revenue": 5.0},
        {"revenue": 3.0},
    ]
    assert [e.user for e in act.examples] == ["u1", "u3", "u2"]  # one per person, earliest first
    assert act.examples[0].time == "2025-01-03T00:00:00Z"
    # min_count: every purchase matches; only u3's second, exactly 7 days later, is a hit
    advocate = tiny.stages[4].rules[0]
    assert advocate.counted
    assert (advocate.matched_events, advocate.matched_persons) == (5, 3)
    assert (advocate.hit_events, advocate.hit_persons) == (1, 1)
    assert [(e.user, e.time) for e in advocate.examples] == [("u3", "2025-01-11T00:00:00Z")]
    assert advocate.words == "event is purchase; hits: the 2nd and later matching events within 7d"
    assert advocate.defined_at.endswith("fivea.yaml:7")


def test_subfunnel_steps_and_unmatched(tiny) -> None:
    (checkout,) = tiny.subfunnels
    assert checkout.name == "checkout"
    assert checkout.window_seconds == 30 * 86_400
    assert [(s.matched_events, s.matched_persons) for s in checkout.steps] == [(1, 1), (5, 3)]
    assert [(n.name, n.events) for n in tiny.unmatched_top] == [
        ("page_view", 2),
        ("[summer] banner", 1),
    ]
    assert (tiny.unmatched_events, tiny.unmatched_names) == (3, 2)


def test_stage_totals_equal_diagnose() -> None:
    loaded = load_config(None, "ecommerce")
    result = inspect_stages([SAMPLE], loaded, examples=0)
    report = diagnose([SAMPLE], loaded)
    assert [s.persons for s in result.stages] == [s.reached for s in report.stages]
    assert result.persons == report.persons
    assert result.unmatched_events == report.quality.unmatched_events
    assert all(not r.examples for s in result.stages for r in s.rules)


def test_min_count_rule_shows_matches_and_hits() -> None:
    out = json.loads(run_cli("stages", SAMPLE, "--preset", "ecommerce", "-f", "json").stdout)
    appeal = out["stages"][1]["rules"][0]
    assert appeal["key"] == "stages.appeal.rules[0]"
    assert appeal["counted"] is True
    assert appeal["words"].endswith("hits: the 2nd and later matching events within 30d")
    assert appeal["matched_events"] == 5500
    assert appeal["hit_events"] < appeal["matched_events"]
    assert appeal["hit_persons"] <= appeal["matched_persons"]
    # the line of the rule's first key in the shipped preset
    preset = (ROOT / "fivea" / "presets" / "ecommerce.yaml").read_text(encoding="utf-8")
    lines = preset.splitlines()
    appeal_at = lines.index("  appeal:")
    line = next(i for i in range(appeal_at, len(lines)) if lines[i].lstrip().startswith("- "))
    assert appeal["defined_at"] == f"preset ecommerce:{line + 1}"
    # the default's repeat purchase: 1,072 purchases of 917 buyers, 155 second (and later)
    # orders of 107 (the sample logs one row per order: the 1h gap changes nothing)
    out = json.loads(run_cli("stages", SAMPLE, "-f", "json").stdout)
    repeat = out["stages"][4]["rules"][1]
    assert repeat["words"] == (
        "event is purchase; hits: the first events of the 2nd and later occasions"
        " (a match 1h or more after the previous starts one)"
    )
    assert (repeat["matched_events"], repeat["matched_persons"]) == (1072, 917)
    assert (repeat["hit_events"], repeat["hit_persons"]) == (155, 107)


def test_json_equals_library_call() -> None:
    cli = run_cli("stages", SAMPLE, "-f", "json", "--examples", "2").stdout
    library = render_stages_json(inspect_stages([SAMPLE], load_config(None, None), examples=2))
    assert cli == library
    data = json.loads(cli)
    assert data["source"]["preset"] == "5a-default"
    assert sorted(data["overlap"]) == sorted(STAGE_KEYS)
    assert all(len(r["examples"]) <= 2 for s in data["stages"] for r in s["rules"])


def test_table_golden(golden) -> None:
    out = run_cli("stages", SAMPLE)
    golden("stages_sample.txt", out.stdout)
    assert out.stderr == ""
    assert "\x1b[" not in out.stdout
    assert all(len(line) <= 100 for line in out.stdout.splitlines())


def test_data_values_are_not_markup(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    frame = tiny_frame().with_columns(pl.col("timestamp").cast(pl.String))
    frame.write_csv(events)
    config = config_file(tmp_path, TINY_CONFIG)
    out = run_cli("stages", str(events), "-c", str(config)).stdout
    assert "[summer] banner" in out
    assert "Events matched by no rule: 3 (23.1%) in 2 names" in out


def test_config_errors_name_the_file_and_line(tmp_path: Path) -> None:
    config = config_file(
        tmp_path,
        "version: 1\npreset: 5a-default\nstages:\n  act: {rules: [{where: 'revnue > 0'}]}\n",
    )
    result = run_cli("stages", SAMPLE, "-c", str(config), code=2)
    assert f"{config}:4: stages.act.rules[0].where: where uses unknown column 'revnue'" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "markdown"], "'--format' / '-f': 'markdown' is not one of 'table', 'json'"),
        (["--examples", "-1"], "--examples -1: must be 0 or more"),
        (["--input-format", "xls"], "'--input-format': 'xls' is not one of 'csv', 'parquet'"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = run_cli("stages", SAMPLE, *args, code=2)
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_help_has_an_example() -> None:
    assert "Example: fivea stages events.csv -c fivea.yaml" in run_cli("stages", "--help").stdout


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"any_event": True}, "every event"),
        ({"event": "a"}, "event is a"),
        ({"event": ["a", "b"]}, "event is one of a, b"),
        ({"event_matches": "faq_.*"}, "event matches /faq_.*/ (whole name)"),
        ({"event": "a", "where": "x > 1"}, "event is a and where x > 1"),
        ({"any_event": True, "where": "x > 1"}, "every event with where x > 1"),
        ({"event": "a", "min_count": 3}, "event is a; hits: the 3rd and later matching events"),
        ({"event": "a", "min_count": 1}, "event is a"),
    ],
)
def test_rule_words(rule: dict, words: str) -> None:
    from fivea.config.loader import Rule

    assert rule_words(Rule(**rule)) == words
