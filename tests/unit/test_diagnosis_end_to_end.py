"""The diagnosis on whole logs: synthetic archetypes, the real REES46 excerpt, segments."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fivea.analysis import WindowRequest, diagnose
from fivea.config import load_config
from fivea.diagnosis import advice
from fivea.sample import generate_sample
from tests.conftest import REAL_DATA, ROOT

DEFAULT = load_config(None, None)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("shape", ["funnel", "door_knob", "goldfish", "trumpet", "bow_tie"])
def test_sample_archetype_is_recognised(shape: str, seed: int) -> None:
    result = diagnose(generate_sample(people=3000, archetype=shape, seed=seed), DEFAULT)
    assert result.archetype is not None
    assert result.archetype.primary == shape


def test_rees46_short_window_is_said_not_scored() -> None:
    path = REAL_DATA / "rees46-oct2019-head" / "events.csv"
    config = load_config(ROOT / "tests" / "fixtures" / "configs" / "rees46-cart-in-ask.yaml")
    result = diagnose([str(path)], config)
    affinity = next(t for t in result.transitions if t.name == "affinity")
    assert affinity.grade == "not_judged"
    assert affinity.grade_reason == "window too short to judge advocacy"
    assert any("window too short to judge advocacy" in r for r in result.verdict.reasons)
    assert result.archetype.primary == "door_knob"  # Act 193 exceeds Ask 111


def _segment_log() -> pl.DataFrame:
    """Two channels: email converts appeal -> act far less often than the others."""
    rows = []
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for i in range(600):
        channel = ["email", "search", "social"][i % 3]
        user = f"u{i:04d}"
        t = start + dt.timedelta(hours=i)
        rows.append((user, t, "page_view", channel))
        rows.append((user, t + dt.timedelta(minutes=1), "product_view", channel))
        buys = (i % 10 < 1) if channel == "email" else (i % 10 < 6)
        if buys:
            rows.append((user, t + dt.timedelta(minutes=5), "search", channel))
            rows.append((user, t + dt.timedelta(minutes=9), "purchase", channel))
    return pl.DataFrame(rows, schema=["user_id", "timestamp", "event", "channel"], orient="row")


def test_lagging_segment_is_flagged() -> None:
    result = diagnose(_segment_log(), DEFAULT, segments=["channel"])
    (channel,) = result.segments
    rows = {r.value: r for r in channel.rows}
    assert set(rows) == {"email", "search", "social"}
    assert rows["email"].persons == 200
    assert [lag.transition for lag in rows["email"].lagging] == ["curiosity", "par"]
    assert rows["search"].lagging == ()
    assert [lead.transition for lead in rows["search"].leading] == ["curiosity", "par"]
    assert channel.tests_run > 0
    assert (
        "lagging segment by channel: email: fewer reach Ask, curiosity 10% vs 60% for the rest; "
        "fewer buyers, PAR 0.100 vs 0.600"
    ) in result.verdict.reasons


def test_first_touch_and_other_grouping() -> None:
    frame = _segment_log().with_columns(
        pl.format("c{}", pl.col("user_id").str.slice(1).cast(pl.Int64) % 30).alias("campaign")
    )
    # the first touch decides: a later event with another campaign does not move the person
    later = frame.head(1).with_columns(
        pl.col("timestamp") + pl.duration(days=400), pl.lit("zz").alias("campaign")
    )
    result = diagnose(pl.concat([frame, later]), DEFAULT, segments=["campaign"])
    rows = result.segments[0].rows
    assert len(rows) == 21
    assert rows[-1].value == "(other)"
    assert rows[-1].persons == 10 * 20  # 30 campaigns of 20 persons: the top 20 by persons
    # ties in persons are broken by value
    assert [r.value for r in rows[:3]] == ["c0", "c1", "c10"]
    assert "zz" not in [r.value for r in rows]


def test_compare_previous_needs_since() -> None:
    from fivea.errors import UsageError

    with pytest.raises(UsageError, match="--compare previous needs --since"):
        diagnose(_segment_log(), DEFAULT, WindowRequest(compare="previous"))


def test_config_overrides_the_actions(tmp_path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text(
        "version: 1\npreset: 5a-default\n"
        "actions:\n  affinity:\n    actions: [Call every buyer a week after delivery]\n"
    )
    sample = ROOT / "sample_data" / "events.parquet"
    result = diagnose([str(sample)], load_config(config))
    assert result.bottleneck.transition == "affinity"
    assert result.bottleneck.actions == ("Call every buyer a week after delivery",)
    # the shipped text of the preset's business (generic) is kept where the config sets none
    assert result.bottleneck.problem == advice("affinity", None, "generic")["problem"]


def test_unknown_action_key_is_a_config_error(tmp_path) -> None:
    from fivea.errors import ConfigError

    config = tmp_path / "fivea.yaml"
    config.write_text("version: 1\npreset: 5a-default\nactions:\n  afinity: {actions: [x]}\n")
    with pytest.raises(
        ConfigError,
        match=r"fivea.yaml:4: actions.afinity: unknown key; did you "
        r"mean 'affinity'\?",
    ):
        load_config(config)
