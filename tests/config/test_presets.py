"""The shipped presets: each loads, states its targets, and its names reach the designed stages."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
import yaml

from fivea.api import diagnose
from fivea.config.loader import (
    DEFAULT_PRESET,
    STAGE_KEYS,
    load_config,
    parse_duration,
    preset_names,
    preset_text,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["5a-default", "amplitude", "ecommerce", "ga4", "leadgen", "mixpanel", "saas", "segment"]


def test_shipped_presets_are_listed() -> None:
    assert preset_names() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_preset_loads_and_validates(name: str) -> None:
    loaded = load_config(None, name)
    config = loaded.config
    assert loaded.source.preset == name
    assert config.version == 1
    assert config.description
    assert "\n" not in config.description
    assert [key for key, _ in config.stages.items()] == list(STAGE_KEYS)
    for _, stage in config.stages.items():
        assert stage.label
        assert stage.rules
        assert all(rule.where is None for rule in stage.rules)  # data may lack the column
    assert config.stages.aware.rules[0].is_any_event
    low, high = config.targets.curiosity
    assert 0 < low < high
    assert config.subfunnels
    assert all(step.where is None for sub in config.subfunnels.values() for step in sub.steps)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_preset_file_states_its_targets_and_guards(name: str) -> None:
    text = preset_text(name)
    raw = yaml.safe_load(text)
    assert raw["version"] == 1
    assert set(raw["targets"]) == {"attraction", "curiosity", "commitment", "affinity"}
    assert len(raw["targets"]["curiosity"]) == 2
    assert {"min_aware", "min_stage"} <= set(raw["diagnosis"])
    if name != DEFAULT_PRESET:
        assert "starting point" in text  # the comment says where the numbers come from


def test_configs_folder_is_a_relative_link_to_the_presets() -> None:
    link = ROOT / "configs"
    assert link.is_symlink()
    assert os.readlink(link) == "fivea/presets"
    assert sorted(p.stem for p in link.glob("*.yaml")) == SHIPPED


def test_cart_and_checkout_are_never_ask() -> None:
    cart_like = {"add_to_cart", "begin_checkout", "Product Added", "Checkout Started"}
    for name in SHIPPED:
        ask = load_config(None, name).config.stages.ask
        names = {n for rule in ask.rules for n in rule.event or ()}
        assert not names & cart_like, name


def test_vendor_presets_set_their_export_columns() -> None:
    columns = {n: load_config(None, n).config.columns for n in SHIPPED}
    assert columns["ga4"].user == ("user_pseudo_id",)
    assert (columns["ga4"].time, columns["ga4"].event, columns["ga4"].time_unit) == (
        "event_timestamp",
        "event_name",
        "us",
    )
    assert columns["segment"].user == ("userId", "anonymousId")
    assert (columns["segment"].time, columns["segment"].event) == ("timestamp", "event")
    assert columns["amplitude"].user == ("user_id", "device_id")
    assert (columns["amplitude"].time, columns["amplitude"].event) == ("event_time", "event_type")
    assert columns["mixpanel"].user == ("distinct_id",)
    assert (columns["mixpanel"].time, columns["mixpanel"].time_unit) == ("time", "s")


def test_business_presets_windows_and_subfunnels() -> None:
    saas = load_config(None, "saas").config
    leadgen = load_config(None, "leadgen").config
    shop = load_config(None, "ecommerce").config
    assert saas.funnel.window == parse_duration("60d")
    assert leadgen.funnel.window == parse_duration("180d")
    assert leadgen.subfunnels["leads"].window == parse_duration("365d")
    assert leadgen.subfunnels["leads"].steps[0].event == ("mql", "qualify_lead")
    assert [s.event[0] for s in saas.subfunnels["trial"].steps] == [
        "trial_start",
        "activation",
        "subscription_start",
    ]
    assert [s.event[0] for s in shop.subfunnels["checkout"].steps] == [
        "add_to_cart",
        "begin_checkout",
        "purchase",
    ]


# --- each preset's vocabulary reaches the stages it was designed for ---------------------------

BASE = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
Row = tuple[str | None, str | None, str, int]  # (id, second id, event, hours after BASE)


def _time_column(name: str, hours: list[int]) -> pl.Series:
    stamps = [BASE + dt.timedelta(hours=h) for h in hours]
    if name == "ga4":  # event_timestamp: integer µs
        return pl.Series([int(s.timestamp()) * 1_000_000 for s in stamps], dtype=pl.Int64)
    if name == "mixpanel":  # time: integer s
        return pl.Series([int(s.timestamp()) for s in stamps], dtype=pl.Int64)
    if name == "amplitude":  # event_time: "2024-03-01 09:00:00.000000" (UTC)
        return pl.Series([s.strftime("%Y-%m-%d %H:%M:%S.%f") for s in stamps])
    return pl.Series([s.isoformat().replace("+00:00", "Z") for s in stamps])


def events_frame(preset: str, people: dict[str, list[Row]]) -> pl.DataFrame:
    """Each person's rows in the preset's own column names and time encoding.

    Ids are prefixed with the person's case name; a ``case`` column names the case, so one run
    per preset can report every person through a segment breakdown.
    """
    rows = [(case, r) for case, person_rows in people.items() for r in person_rows]

    def ident(case: str, value: str | None) -> str | None:
        return None if value is None else f"{case}:{value}"

    columns = load_config(None, preset).config.columns
    users = list(columns.user or ("user_id",))
    time_name = columns.time or "timestamp"
    event_name = columns.event or "event"
    data: dict[str, pl.Series] = {
        users[0]: pl.Series([ident(c, r[0]) for c, r in rows], dtype=pl.String),
        time_name: _time_column(preset, [r[3] for _, r in rows]).alias(time_name),
        event_name: pl.Series([r[2] for _, r in rows], dtype=pl.String),
        "case": pl.Series([c for c, _ in rows], dtype=pl.String),
    }
    if len(users) > 1:
        data[users[1]] = pl.Series([ident(c, r[1]) for c, r in rows], dtype=pl.String)
    return pl.DataFrame(data)


def person(*events: str, gap_hours: int = 1) -> list[Row]:
    return [("p", None, name, i * gap_hours) for i, name in enumerate(events)]


A, P, K, T, V = "aware", "appeal", "ask", "act", "advocate"

# preset -> case id -> (rows of one person, the stages that person must reach)
VOCABULARY: dict[str, dict[str, tuple[list[Row], set[str]]]] = {
    "ecommerce": {
        "visitor": (person("page_view", "view_item_list"), {A}),
        "one-product-view": (person("view_item"), {A}),
        "second-product-view": (person("product_view", "view_item"), {A, P}),
        "wishlist": (person("add_to_wishlist"), {A, P}),
        "third-session": (person("session_start", "session_start", "session_start"), {A, P}),
        "search": (person("search"), {A, K}),
        "reviews-and-size-guide": (person("review_read", "size_guide_view"), {A, K}),
        "cart-is-not-ask": (person("add_to_cart", "begin_checkout"), {A}),
        "purchase": (person("purchase"), {A, T}),
        "review-post": (person("review_post"), {A, V}),
        "referral": (person("referral_sent"), {A, V}),
        "repeat-purchase": (person("purchase", "purchase"), {A, T, V}),
        "one-app-order-logged-twice": (person("purchase", "in_app_purchase"), {A, T}),
    },
    "saas": {
        "visitor-signs-up": (person("page_view", "sign_up"), {A}),
        "pricing": (person("pricing_view"), {A, P}),
        "docs": (person("docs_view"), {A, P}),
        "trial": (person("trial_start"), {A, K}),
        "demo": (person("demo_request"), {A, K}),
        "contact-sales": (person("contact_sales"), {A, K}),
        "subscription": (person("subscription_start"), {A, T}),
        "activation": (person("activation"), {A, T}),
        "invite": (person("invite_sent"), {A, V}),
        "renewal": (person("subscription_renewed"), {A, V}),
        "second-payment": (person("payment_succeeded", "payment_succeeded"), {A, T, V}),
    },
    "leadgen": {
        "reader": (person("page_view", "blog_view"), {A}),
        "whitepaper": (person("whitepaper_download"), {A, P}),
        "lead-form": (person("lead_form_submit"), {A, K}),
        "mql": (person("mql"), {A, K}),
        "demo": (person("demo_request"), {A, K}),
        "won": (person("closed_won"), {A, T}),
        "contract": (person("contract_signed"), {A, T}),
        "referral": (person("referral_sent"), {A, V}),
        "case-study": (person("case_study_published"), {A, V}),
        "renewal": (person("contract_renewed"), {A, V}),
    },
    "ga4": {
        "visitor": (person("first_visit", "session_start", "page_view"), {A}),
        "view-item": (person("view_item"), {A, P}),
        "wishlist": (person("add_to_wishlist"), {A, P}),
        "site-search": (person("view_search_results"), {A, K}),
        "lead": (person("generate_lead"), {A, K}),
        "cart-is-not-ask": (person("add_to_cart", "begin_checkout"), {A}),
        "purchase": (person("purchase"), {A, T}),
        "won-lead": (person("close_convert_lead"), {A, T}),
        "share": (person("share"), {A, V}),
        "repeat-purchase": (person("purchase", "purchase"), {A, T, V}),
        "app-order-logged-twice": (person("purchase", "in_app_purchase"), {A, T}),
    },
    "segment": {
        "page": (person("Page Viewed", "Product List Viewed"), {A}),
        "product": (person("Product Viewed"), {A, P}),
        "promotion": (person("Promotion Clicked"), {A, P}),
        "search": (person("Products Searched"), {A, K}),
        "cart-is-not-ask": (person("Product Added", "Checkout Started"), {A}),
        "order": (person("Order Completed"), {A, T}),
        "review": (person("Product Reviewed"), {A, V}),
        "share": (person("Cart Shared"), {A, V}),
        "repeat-order": (person("Order Completed", "Order Completed"), {A, T, V}),
        "lowercase-is-another-event": (person("order completed"), {A}),
        "anonymous-then-identified": (
            [
                (None, "anon-1", "Product Viewed", 0),
                ("user-1", "anon-1", "Signed In", 1),
                ("user-1", None, "Order Completed", 2),
            ],
            {A, P, T},
        ),
    },
    "amplitude": {
        "session": (person("session_start", "[Amplitude] Page Viewed"), {A}),
        "product": (person("Product Viewed"), {A, P}),
        "search": (person("Search"), {A, K}),
        "purchase": (person("Complete Purchase"), {A, T}),
        "revenue-event": (person("revenue_amount"), {A, T}),
        "order-with-revenue-event": (person("Complete Purchase", "revenue_amount"), {A, T}),
        "repeat-purchase": (person("Purchase", "Purchase"), {A, T, V}),
        "invite": (person("Invite Sent"), {A, V}),
        "snake-case-project": (person("view_item", "purchase", "purchase"), {A, P, T, V}),
        "device-then-user": (
            [
                (None, "device-1", "Product Viewed", 0),
                ("user-1", "device-1", "Sign Up", 1),
                ("user-1", None, "Order Completed", 2),
            ],
            {A, P, K, T},
        ),
    },
    "mixpanel": {
        "autocapture": (person("$mp_web_page_view", "$mp_click"), {A}),
        "product": (person("Product Viewed"), {A, P}),
        "sign-up": (person("Sign Up"), {A, K}),
        "purchase": (person("Purchase"), {A, T}),
        "in-app-purchase": (person("$ae_iap"), {A, T}),
        "order-logged-twice": (person("Purchase", "$ae_iap"), {A, T}),
        "repeat-purchase": (person("Order Completed", "Order Completed"), {A, T, V}),
        "share": (person("Share"), {A, V}),
        "snake-case-project": (person("sign_up", "purchase"), {A, K, T}),
    },
    "5a-default": {
        "visitor": (person("page_view"), {A}),
        "product": (person("product_view"), {A, P}),
        "search": (person("search"), {A, K}),
        "purchase": (person("purchase"), {A, T}),
        "share": (person("social_share"), {A, V}),
    },
}

# preset -> (sub-funnel, rows of a person walking every step)
JOURNEYS: dict[str, tuple[str, list[Row]]] = {
    "ecommerce": ("checkout", person("add_to_cart", "begin_checkout", "order_completed")),
    "saas": ("trial", person("trial_started", "activated", "first_payment", gap_hours=100)),
    "leadgen": ("leads", person("mql", "sql", "closed_won", gap_hours=24 * 150)),
    "ga4": ("checkout", person("add_to_cart", "begin_checkout", "purchase")),
    "segment": ("checkout", person("Product Added", "Checkout Started", "Order Completed")),
    "amplitude": ("checkout", person("Add to Cart", "Checkout Started", "Purchase")),
    "mixpanel": ("checkout", person("Add to Cart", "Checkout Started", "Checkout Completed")),
    "5a-default": ("checkout", person("add_to_cart", "begin_checkout", "purchase")),
}


def test_every_preset_has_designed_people_for_every_stage() -> None:
    assert set(VOCABULARY) == set(SHIPPED) == set(JOURNEYS)
    for cases in VOCABULARY.values():
        assert set().union(*(stages for _, stages in cases.values())) == set(STAGE_KEYS)


@pytest.mark.parametrize("preset", list(VOCABULARY))
def test_preset_vocabulary_reaches_the_designed_stages(preset: str) -> None:
    cases = VOCABULARY[preset]
    frame = events_frame(preset, {case: rows for case, (rows, _) in cases.items()})
    result = diagnose(frame, load_config(None, preset), segments=["case"])
    assert result.quality.rows_used == frame.height  # columns and time encoding read right
    assert result.persons == len(cases)  # the two-id people were stitched into one
    (breakdown,) = result.segments
    reached = {row.value: {k for k, n in row.reached.items() if n} for row in breakdown.rows}
    assert reached == {case: stages for case, (_, stages) in cases.items()}
    assert {row.value: row.persons for row in breakdown.rows} == dict.fromkeys(cases, 1)


@pytest.mark.parametrize("preset", list(JOURNEYS))
def test_preset_subfunnel_follows_a_full_journey(preset: str) -> None:
    name, rows = JOURNEYS[preset]
    result = diagnose(events_frame(preset, {"journey": rows}), load_config(None, preset))
    sub = next(s for s in result.subfunnels if s.name == name)
    assert [step.reached for step in sub.steps] == [1] * len(sub.steps)


def test_the_docs_list_every_preset_with_its_description() -> None:
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    for name in SHIPPED:
        description = load_config(None, name).config.description
        assert f"| `{name}` |" in text
        assert f"| {description} |" in text, name
