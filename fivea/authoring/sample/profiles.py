"""The synthetic log's archetype profiles and vocabularies: rates, events, channels, devices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

ARCHETYPES: tuple[str, ...] = ("funnel", "door_knob", "goldfish", "trumpet", "bow_tie")
ALIASES: dict[str, str] = {"doorknob": "door_knob", "bowtie": "bow_tie"}

#: The event names per 5A stage, as the default fivea config maps them. A second paid purchase
#: is also Advocate evidence (repeat purchase); cart and checkout are steps inside Act.
STAGE_EVENTS: dict[str, tuple[str, ...]] = {
    "aware": ("page_view", "session_start", "ad_click"),
    "appeal": ("product_view", "wishlist_add"),
    "ask": ("search", "review_read", "faq_view", "chat_start", "compare_products"),
    "act": ("add_to_cart", "begin_checkout", "purchase"),
    "advocate": ("review_post", "referral_sent", "social_share"),
}

#: Output columns, in order, with their polars dtypes.
COLUMNS: dict[str, pl.DataType] = {
    "user_id": pl.String(),
    "event_time": pl.Datetime("us", "UTC"),
    "event": pl.String(),
    "session_id": pl.String(),
    "channel": pl.String(),
    "campaign": pl.String(),
    "device": pl.String(),
    "country": pl.String(),
    "product_id": pl.String(),
    "revenue": pl.Float64(),
}

US_PER_S = 1_000_000
US_PER_DAY = 86_400 * US_PER_S
# Analytics tools cut a session after 30 minutes of inactivity, so sessions of one person start
# at least that far apart and never interleave (the first touch is then unambiguous).
SESSION_GAP_US = 30 * 60 * US_PER_S


@dataclass(frozen=True)
class Profile:
    """Per-archetype person-level rates and rhythm.

    Attributes:
        appeal: Share of aware people who reach Appeal.
        ask: Share who reach Ask.
        act: Share who reach Act (one paid purchase).
        advocate: Share who reach Advocate.
        research_days: Mean days from Appeal to the first Ask session.
        extra_ask_sessions: Mean number of Ask sessions beyond the first (research loops).
    """

    appeal: float
    ask: float
    act: float
    advocate: float
    research_days: float = 2.0
    extra_ask_sessions: float = 0.5


# Marginal rates relative to Aware (docs/metrics.md#diagnosis shapes); each archetype shows only its own
# inversion so that a diagnosis names it as primary with a wide margin.
PROFILES: dict[str, Profile] = {
    # Orderly narrowing: every ratio < 1.
    "funnel": Profile(appeal=0.55, ask=0.33, act=0.20, advocate=0.10),
    # Act/Ask = 3: people buy without asking (consumer goods), short research.
    "door_knob": Profile(
        appeal=0.50, ask=0.10, act=0.30, advocate=0.08, research_days=0.5, extra_ask_sessions=0.2
    ),
    # Ask/Appeal = 1.8: long research (B2B), many research sessions over weeks.
    "goldfish": Profile(
        appeal=0.30, ask=0.55, act=0.15, advocate=0.05, research_days=6.0, extra_ask_sessions=1.5
    ),
    # Advocate/Act = 2.5: admired more than bought (luxury).
    "trumpet": Profile(appeal=0.50, ask=0.30, act=0.10, advocate=0.25),
    # Advocate/Aware = 0.97, Act/Appeal = 1.0, Ask/Appeal = 0.6 < 1.
    "bow_tie": Profile(appeal=0.50, ask=0.30, act=0.50, advocate=0.97),
}

# Correlation of the latent engagement behind the four stage draws: high enough that most
# buyers also liked and asked, low enough for visible skips.
RHO = 0.5

# Among buying advocates: share advocating by repeat purchase only, by both repeat purchase and
# word of mouth; the rest only by word of mouth. Non-buyers can only use word of mouth.
REPEAT_ONLY = 0.35
REPEAT_AND_WORD = 0.25

# Event types in the order they happen inside one session.
EVENTS: tuple[str, ...] = (
    "session_start",
    "ad_click",
    "page_view",
    "product_view",
    "wishlist_add",
    "search",
    "review_read",
    "faq_view",
    "compare_products",
    "chat_start",
    "add_to_cart",
    "begin_checkout",
    "purchase",
    "review_post",
    "social_share",
    "referral_sent",
)
EVENT_INDEX = {name: i for i, name in enumerate(EVENTS)}
# Event types that carry a product id; the others get null.
PRODUCT_EVENTS = (
    "product_view",
    "wishlist_add",
    "compare_products",
    "add_to_cart",
    "begin_checkout",
    "purchase",
    "review_post",
)
# One Ask event from this list is guaranteed, so the default config (which has no
# compare_products) sees every Ask person.
ASK_PRIMARY = (("search", "review_read", "faq_view", "chat_start"), (0.45, 0.25, 0.18, 0.12))
WORD_OF_MOUTH = ("review_post", "social_share", "referral_sent")
WORD_P_BUYER = (0.45, 0.35, 0.20)
WORD_P_FAN = (0.15, 0.70, 0.15)

CHANNELS: tuple[str, ...] = (
    "organic_search",
    "paid_search",
    "social",
    "email",
    "direct",
    "referral",
    "display",
)
FIRST_TOUCH_P = (0.30, 0.20, 0.15, 0.08, 0.12, 0.07, 0.08)
# Returning visits come more from direct and email than first touches do.
RETURN_P = (0.18, 0.10, 0.06, 0.22, 0.34, 0.04, 0.06)
KEEP_CHANNEL_P = 0.55

CAMPAIGNS: tuple[str | None, ...] = (
    None,
    "brand_search",
    "generic_search",
    "spring_sale",
    "brand_awareness",
    "retargeting_q2",
    "influencer_collab",
    "newsletter_weekly",
    "cart_recovery",
    "partner_program",
)
# P(campaign | channel), rows in CHANNELS order, columns in CAMPAIGNS order. Organic search
# and direct traffic carry no campaign; organic social and most referrals neither.
CAMPAIGN_P = np.array(
    [
        [1.00, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0.40, 0.30, 0.20, 0, 0.10, 0, 0, 0, 0],
        [0.35, 0, 0, 0.20, 0.30, 0, 0.15, 0, 0, 0],
        [0, 0, 0, 0.30, 0, 0, 0, 0.50, 0.20, 0],
        [1.00, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0.70, 0, 0, 0, 0, 0, 0, 0, 0, 0.30],
        [0, 0, 0, 0.20, 0.45, 0.35, 0, 0, 0, 0],
    ]
)
# Channels whose campaign sessions start with a click on an ad.
AD_CHANNELS = np.array([False, True, True, False, False, False, True])
AD_CLICK_P = 0.85

DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet")
DEVICE_P = (0.60, 0.33, 0.07)
KEEP_DEVICE_P = 0.85

COUNTRIES: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "SE", "PL", "BR", "IN", "JP", "MX",
)  # fmt: skip
COUNTRY_P = np.array([30, 12, 10, 7, 6, 4, 4, 4, 4, 3, 3, 4, 4, 3, 2], dtype=float)

N_PRODUCTS = 600

# Session kinds: one block of sessions each, built in this order.
FIRST, VISIT, APPEAL, ASK, ACT, CART, WORD, REPEAT, FREE = range(9)
