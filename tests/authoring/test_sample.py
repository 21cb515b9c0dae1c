"""Tests for the synthetic 5A event-log generator (fivea.authoring.sample)."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fivea.authoring.sample import ARCHETYPES, COLUMNS, STAGE_EVENTS, generate_sample, write_sample

ASK_EVENTS = ["search", "review_read", "faq_view", "chat_start", "compare_products"]
WORD_EVENTS = ["review_post", "referral_sent", "social_share"]
PAID = (pl.col("event") == "purchase") & (pl.col("revenue") > 0)


def person_table(df: pl.DataFrame) -> pl.DataFrame:
    """One row per person: which stages they reached, by the plain definitions of the brief."""
    return df.group_by("user_id").agg(
        appeal=pl.col("event").is_in(["product_view", "wishlist_add"]).any(),
        ask=pl.col("event").is_in(ASK_EVENTS).any(),
        act=PAID.any(),
        paid=PAID.sum(),
        word=pl.col("event").is_in(WORD_EVENTS).any(),
    )


def reached(df: pl.DataFrame) -> dict[str, int]:
    """Reached counts per 5A stage."""
    persons = person_table(df).with_columns(
        advocate=pl.col("word") | (pl.col("paid") >= 2), aware=pl.lit(value=True)
    )
    return {k: int(persons[k].sum()) for k in ("aware", "appeal", "ask", "act", "advocate")}


@pytest.fixture(scope="module")
def funnel() -> pl.DataFrame:
    return generate_sample(people=3000, archetype="funnel", seed=11)


def test_same_seed_gives_identical_frame() -> None:
    assert_frame_equal(
        generate_sample(800, "goldfish", seed=3), generate_sample(800, "goldfish", 3)
    )


def test_different_seeds_differ() -> None:
    assert not generate_sample(800, seed=1).equals(generate_sample(800, seed=2))


def test_schema_and_dtypes(funnel: pl.DataFrame) -> None:
    assert funnel.schema == pl.Schema(COLUMNS)
    assert list(funnel.columns) == [
        "user_id",
        "event_time",
        "event",
        "session_id",
        "channel",
        "campaign",
        "device",
        "country",
        "product_id",
        "revenue",
    ]
    for column in ("user_id", "event_time", "event", "session_id", "channel", "device", "country"):
        assert funnel[column].null_count() == 0, column


def test_values_are_plausible(funnel: pl.DataFrame) -> None:
    assert funnel["user_id"].str.contains(r"^u\d{7}$").all()
    assert funnel["country"].str.contains(r"^[A-Z]{2}$").all()
    assert set(funnel["device"].unique()) == {"mobile", "desktop", "tablet"}
    assert set(funnel["channel"].unique()) == {
        "organic_search",
        "paid_search",
        "social",
        "email",
        "direct",
        "referral",
        "display",
    }
    vocabulary = {name for names in STAGE_EVENTS.values() for name in names}
    assert set(funnel["event"].unique()) == vocabulary
    untargeted = funnel.filter(pl.col("channel").is_in(["organic_search", "direct"]))
    assert untargeted["campaign"].null_count() == untargeted.height
    assert funnel["campaign"].drop_nulls().n_unique() >= 5
    # About ten events per person on average.
    assert 8 <= funnel.height / funnel["user_id"].n_unique() <= 13


def test_revenue_only_on_purchase_rows(funnel: pl.DataFrame) -> None:
    purchases = funnel.filter(pl.col("event") == "purchase")
    others = funnel.filter(pl.col("event") != "purchase")
    assert others["revenue"].null_count() == others.height
    assert purchases["revenue"].null_count() == 0
    assert (purchases["revenue"] >= 0).all()
    # Real logs hold a few fully discounted orders, never many.
    zero = (purchases["revenue"] == 0).sum()
    assert 0 < zero < purchases.height * 0.1


def test_product_id_only_on_product_events(funnel: pl.DataFrame) -> None:
    product_events = ["product_view", "wishlist_add", "add_to_cart", "purchase", "review_post"]
    with_product = funnel.filter(pl.col("event").is_in(product_events))
    assert with_product["product_id"].null_count() == 0
    no_product = funnel.filter(pl.col("event").is_in(["session_start", "page_view", "search"]))
    assert no_product["product_id"].null_count() == no_product.height


def test_stage_consistency(funnel: pl.DataFrame) -> None:
    persons = person_table(funnel)
    # The default config maps fewer events (no compare_products) and asks for two product
    # views: the sample must read the same under it as under the plain stage definitions.
    default_ask = funnel.group_by("user_id").agg(
        any_ask=pl.col("event").is_in(ASK_EVENTS).any(),
        default_ask=pl.col("event").is_in(ASK_EVENTS[:4]).any(),
        views=(pl.col("event") == "product_view").sum(),
        wishlist=(pl.col("event") == "wishlist_add").any(),
    )
    # compare_products never stands alone: the default config (without it) sees every Ask person.
    assert (default_ask["any_ask"] == default_ask["default_ask"]).all()
    # Appeal persons satisfy the default rule (two product views, or a wishlist add).
    liked = default_ask.filter((pl.col("views") > 0) | pl.col("wishlist"))
    assert ((liked["views"] >= 2) | liked["wishlist"]).all()
    # Skips exist: buyers who never asked, advocates who never bought.
    assert persons.filter(pl.col("act") & ~pl.col("ask")).height > 0
    assert persons.filter(pl.col("word") & ~pl.col("act")).height > 0
    # Repeat buyers exist (two or more paid purchases).
    assert persons.filter(pl.col("paid") >= 2).height > 0


def test_free_orders_change_no_stage(funnel: pl.DataFrame) -> None:
    # Whether a config counts every purchase or only paid ones, Act and repeat-purchase
    # Advocate come out the same (the shipped preset has no revenue condition).
    purchases = funnel.group_by("user_id").agg(
        any_=(pl.col("event") == "purchase").sum(), paid=PAID.sum()
    )
    assert ((purchases["any_"] > 0) == (purchases["paid"] > 0)).all()
    assert ((purchases["any_"] >= 2) == (purchases["paid"] >= 2)).all()


def test_first_touch_is_a_session_start_in_the_window() -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    df = generate_sample(1500, "door_knob", seed=4, start=start, days=30)
    first = df.filter(pl.col("event_time") == pl.col("event_time").min().over("user_id"))
    # The earliest instant of each person belongs to one session, which starts right then (a
    # page view or ad click may share the microsecond, as in GA4 exports), so the first-touch
    # channel is unambiguous.
    per_person = first.group_by("user_id").agg(
        sessions=pl.col("session_id").n_unique(),
        starts=(pl.col("event") == "session_start").any(),
        channels=pl.col("channel").n_unique(),
    )
    assert per_person.height == 1500
    assert (per_person["sessions"] == 1).all()
    assert per_person["starts"].all()
    assert (per_person["channels"] == 1).all()
    assert first["event_time"].min() >= start
    assert first["event_time"].max() < start + timedelta(days=30)
    # Later events follow the first touch over the next days and weeks.
    assert df["event_time"].max() > start + timedelta(days=30)


def test_naive_start_is_utc() -> None:
    naive = generate_sample(200, seed=9, start=datetime(2024, 6, 1))
    aware = generate_sample(200, seed=9, start=datetime(2024, 6, 1, tzinfo=UTC))
    assert_frame_equal(naive, aware)


def test_times_have_microseconds_and_ties(funnel: pl.DataFrame) -> None:
    assert (funnel["event_time"].dt.microsecond() % 1000 != 0).any()
    per_person = funnel.group_by("user_id", "event_time").len()
    assert (per_person["len"] > 1).any()


def test_rows_are_shuffled(funnel: pl.DataFrame) -> None:
    assert not funnel["event_time"].is_sorted()
    assert not funnel["user_id"].is_sorted()
    # Not merely unsorted: one person's rows are scattered, not in one block.
    runs = (funnel["user_id"] != funnel["user_id"].shift(1)).sum()
    assert runs > 0.8 * funnel.height


SEEDS = (0, 1, 2)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_archetype_shape(archetype: str, seed: int) -> None:
    r = reached(generate_sample(people=4000, archetype=archetype, seed=seed))
    aware, appeal, ask, act, advocate = (
        r[k] for k in ("aware", "appeal", "ask", "act", "advocate")
    )
    assert aware == 4000
    if archetype == "funnel":
        assert aware > appeal > ask > act > advocate
        assert advocate / act < 1
    elif archetype == "door_knob":
        assert act / ask > 1.05
        assert ask / appeal < 1
        assert advocate / act < 1
    elif archetype == "goldfish":
        assert ask / appeal > 1.05
        assert act / ask < 1
        assert advocate / act < 1
    elif archetype == "trumpet":
        assert advocate / act > 1.05
        assert ask / appeal < 1
        assert act / ask < 1
    else:
        assert archetype == "bow_tie"
        assert abs(advocate / aware - 1) <= 0.15
        assert abs(act / appeal - 1) <= 0.15
        assert ask / appeal < 1


@pytest.mark.parametrize(("alias", "name"), [("doorknob", "door_knob"), ("bowtie", "bow_tie")])
def test_aliases(alias: str, name: str) -> None:
    assert_frame_equal(generate_sample(300, alias, seed=5), generate_sample(300, name, seed=5))


def test_unknown_archetype_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown archetype 'hourglass'") as info:
        generate_sample(10, "hourglass")
    for name in ARCHETYPES:
        assert name in str(info.value)


@pytest.mark.parametrize("people", [0, -5])
def test_people_must_be_positive(people: int) -> None:
    with pytest.raises(ValueError, match="people must be at least 1"):
        generate_sample(people)


def test_one_person() -> None:
    df = generate_sample(1, seed=0)
    assert df["user_id"].unique().to_list() == ["u0000000"]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_write_csv_round_trip(tmp_path: Path, suffix: str) -> None:
    df = generate_sample(500, "trumpet", seed=2)
    path = tmp_path / f"events{suffix}"
    write_sample(df, path)
    back = pl.read_csv(path, try_parse_dates=True)
    assert_frame_equal(back, df)
    # Ids stay zero-padded text even when read back without a schema.
    assert back["user_id"].str.starts_with("u000").all()


def test_write_parquet_round_trip(tmp_path: Path) -> None:
    df = generate_sample(500, "bow_tie", seed=2)
    path = tmp_path / "events.parquet"
    write_sample(df, path)
    assert_frame_equal(pl.read_parquet(path), df)


@pytest.mark.parametrize("suffix", [".ndjson", ".jsonl"])
def test_write_ndjson(tmp_path: Path, suffix: str) -> None:
    df = generate_sample(200, seed=2)
    path = tmp_path / f"events{suffix}"
    write_sample(df, path)
    back = pl.read_ndjson(path).with_columns(
        pl.col("event_time").str.to_datetime(time_unit="us", time_zone="UTC")
    )
    assert_frame_equal(back, df)


def test_write_replaces_atomically_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("old")
    write_sample(generate_sample(50, seed=1), path)
    assert path.read_text().startswith("user_id,event_time,event")
    assert [p.name for p in tmp_path.iterdir()] == ["events.csv"]


def test_write_uses_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_sample(generate_sample(20, seed=1), tmp_path / "events.parquet")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "events.parquet").stat().st_mode) == 0o640


def test_csv_gz_is_reproducible(tmp_path: Path) -> None:
    df = generate_sample(100, seed=1)
    write_sample(df, tmp_path / "a.csv.gz")
    write_sample(df, tmp_path / "b.csv.gz")
    assert (tmp_path / "a.csv.gz").read_bytes() == (tmp_path / "b.csv.gz").read_bytes()


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.csv, \.csv\.gz, \.parquet, \.ndjson or \.jsonl"):
        write_sample(generate_sample(10), tmp_path / "events.xlsx")
    assert list(tmp_path.iterdir()) == []
