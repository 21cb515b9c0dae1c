"""The diagnosis on whole logs: synthetic archetypes, the real REES46 excerpt, segments."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fivea.api import diagnose
from fivea.authoring.sample import generate_sample
from fivea.config.loader import load_config
from fivea.diagnosis.grading import advice
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
    # one basket is one occasion (gap: 1h): in a 3-hour log nobody ordered twice, so the
    # repeat-purchase rule hits nobody and Advocate is not measured, never "BAR 0.00"
    affinity = next(t for t in result.transitions if t.name == "affinity")
    assert (affinity.grade, affinity.ratio) == ("not_measured", None)
    assert result.bar.value is None
    assert "the data spans less than the funnel window: advocacy may not have had time to show" in (
        result.verdict.reasons
    )
    assert result.archetype.primary == "door_knob"  # Act 193 exceeds Ask 111
    # a 3-hour log and a 30-day window: nobody has settled, no "100%" settled conversion
    assert {t.settled_conversion_reason for t in result.transitions[:3]} == {"none_settled"}
    assert all(t.settled_conversion is None for t in result.transitions)
    # the gain adds up: at most the 4,504 - 111 aware people without Ask can be won, and only
    # the share of askers who buy (62 of 111) turns into buyers; never 787 out of 193 buyers
    neck = result.bottleneck
    assert neck is not None
    assert neck.transition == "curiosity"
    assert neck.expected_gain.value == 315
    assert result.verdict.status == "at_risk"  # curiosity 0.025 is critical


def test_rees46_default_preset_sees_only_aware_and_act() -> None:
    result = diagnose([str(REAL_DATA / "rees46-oct2019-head" / "events.csv")], DEFAULT)
    measured = {s.key: s.measured for s in result.stages}
    # no second order an hour after a first in a 3-hour log (gap: 1h): Advocate unseen
    assert measured == {
        "aware": True,
        "appeal": False,
        "ask": False,
        "act": True,
        "advocate": False,
    }
    assert result.verdict.status == "not_judged"
    assert result.verdict.not_judged == ("too_few_graded", "unmatched_events")
    # the path skips Appeal and Ask: buyers are on it (never "Act 0 on path")
    assert [s.path for s in result.stages] == [4504, None, None, 193, None]
    commitment = result.transitions[2]
    assert (commitment.path_from, commitment.ratio, commitment.ratio_reason) == (
        "aware",
        None,
        "not_measured",
    )
    assert result.path_skipped == ("appeal", "ask", "advocate")
    assert result.path_conversion == pytest.approx(193 / 4504)


def test_otto_without_config_is_not_judged_and_never_shows_fake_zeros() -> None:
    result = diagnose([str(REAL_DATA / "otto-20-sessions" / "events.csv")], DEFAULT)
    assert result.verdict.status == "not_judged"
    assert "act_not_measured" in result.verdict.not_judged
    assert all(t.ratio is None and t.grade == "not_measured" for t in result.transitions)
    assert (result.par.value, result.par.reason) == (None, "not_measured")
    assert (result.bar.value, result.bar.reason) == (None, "not_measured")
    assert result.bottleneck is None


def test_three_persons_are_not_judged_never_at_risk() -> None:
    result = diagnose([str(ROOT / "sample_data" / "events.csv")], DEFAULT, since="28d")
    assert result.persons == 3
    assert result.verdict.status == "not_judged"
    assert result.verdict.not_judged == ("below_min_aware",)


def test_shown_par_agrees_with_its_interval() -> None:
    # CDNOW-like: 23,502 of 23,570 aware persons bought, 68 did not: never "1.00 ... 0%"
    rows = []
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for i in range(23570):
        t = start + dt.timedelta(seconds=10 * i)
        rows.append((f"u{i}", t, "page_view"))
        if i >= 68:
            rows.append((f"u{i}", t + dt.timedelta(seconds=1), "purchase"))
    frame = pl.DataFrame(rows, schema=["user_id", "timestamp", "event"], orient="row")
    par = diagnose(frame, DEFAULT).par
    assert par.shown == "0.997"
    assert par.reading == "PAR 0.997: 0.3% of aware people did not buy"
    assert par.low is not None
    assert par.high is not None
    assert par.low <= 0.997 <= par.high


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
        diagnose(_segment_log(), DEFAULT, compare="previous")


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


def test_trend_has_every_bucket_and_flags_small_samples() -> None:
    # January and March have events, February none: February is still a row, empty
    rows = []
    for month, people in ((1, 30), (3, 5)):
        for i in range(people):
            t = dt.datetime(2025, month, 10, tzinfo=dt.UTC) + dt.timedelta(hours=i)
            rows.append((f"u{month}-{i}", t, "page_view"))
            rows.append((f"u{month}-{i}", t + dt.timedelta(minutes=1), "purchase"))
    frame = pl.DataFrame(rows, schema=["user_id", "timestamp", "event"], orient="row")
    trend = diagnose(frame, DEFAULT, trend="month").trend
    assert trend is not None
    assert [r.period for r in trend.rows] == ["2025-01", "2025-02", "2025-03"]
    empty = trend.rows[1]
    assert empty.reached == dict.fromkeys(("aware", "appeal", "ask", "act", "advocate"), 0)
    assert (empty.par, empty.small_sample) == (None, True)
    assert [r.small_sample for r in trend.rows] == [False, True, True]  # min_stage 20
    # no rule sees Appeal, Ask or Advocate here: their rates are null in every bucket
    assert trend.rows[0].par == 1.0
    assert trend.rows[0].bar is None
    assert trend.rows[0].ratios["attraction"] is None
    assert trend.rows[0].flows["attraction"] is None
    assert trend.rows[1].flows == dict.fromkeys(trend.rows[1].flows)  # empty: no rate


def test_trend_rows_carry_flows() -> None:
    result = diagnose([str(ROOT / "sample_data" / "events.csv")], DEFAULT, trend="month")
    assert result.trend is not None
    january = result.trend.rows[0]
    assert january.flows["attraction"] is not None
    assert 0 < january.flows["attraction"] <= 1
    # with any_event Aware, everyone with an Appeal hit in the month is aware in it
    assert january.flows["attraction"] == pytest.approx(
        january.reached["appeal"] / january.reached["aware"]
    )


def test_lead_log_under_leadgen_is_not_judged_when_it_speaks_another_vocabulary() -> None:
    # an Olist-like B2B lead log: MQLs, then "deal_closed", which the leadgen preset does not know
    rows = []
    start = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
    for i in range(300):
        t = start + dt.timedelta(hours=i)
        rows.append((f"lead{i}", t, "mql"))
        if i % 7 == 0:
            rows.append((f"lead{i}", t + dt.timedelta(days=20), "deal_closed"))
    frame = pl.DataFrame(rows, schema=["user_id", "timestamp", "event"], orient="row")
    result = diagnose(frame, load_config(None, "leadgen"))
    assert result.verdict.status == "not_judged"
    assert result.verdict.not_judged == ("act_not_measured", "too_few_graded")
    assert result.par.value is None
    assert result.par.reason == "not_measured"


def test_where_people_live_now_never_shows_a_fake_zero(tmp_path) -> None:
    from tests.conftest import run_cli

    log = str(REAL_DATA / "rees46-oct2019-head" / "events.csv")
    table = run_cli("diagnose", log).stdout
    section = table[table.index("Where people live now") :]
    appeal = next(line for line in section.splitlines() if line.strip().startswith("Appeal"))
    assert appeal.split()[1:] == ["—", "not", "measured"]
    markdown = run_cli("diagnose", log, "-f", "markdown").stdout
    assert "| appeal | — not measured |" in markdown
    html = run_cli("diagnose", log, "-f", "html").stdout
    assert "<th scope=row>Appeal</th><td class=num>—</td><td class=num>not measured</td>" in html
