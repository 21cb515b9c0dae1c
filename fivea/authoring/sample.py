"""Synthetic 5A event logs (``fivea sample``): realistic, reproducible, shaped by archetype.

Each person first draws which of the five 5A stages they reach (SPEC §1), with per-archetype
marginal rates relative to Aware and a shared latent "engagement" factor, so that stages are
correlated but not nested: impulse buyers skip Ask, fans advocate without buying, browsers leave
without Appeal. Events are then emitted in sessions that agree with the reached set under the
default fivea rules, so the reached counts of a diagnosis equal the drawn ones exactly:

- Aware: every person (``session_start``, ``page_view``, ``ad_click``).
- Appeal: ``product_view`` (at least two in the first appeal session, which satisfies the
  default rule ``min_count: 2, within: 30d``) or ``wishlist_add``; nobody else views a product.
- Ask: at least one of ``search``/``review_read``/``faq_view``/``chat_start``;
  ``compare_products`` only ever comes on top of those.
- Act: exactly one paid purchase (revenue > 0); ``add_to_cart`` and ``begin_checkout`` are steps
  inside Act and are also left behind by some non-buyers (abandoned carts).
- Advocate: ``review_post``/``referral_sent``/``social_share``, or repeat purchases (two or more
  paid purchases in total, so a repeat buyer is also an Act person).

A few orders are free (revenue 0.0, e.g. a loyalty reward). Only repeat buyers place them, so
the stages come out the same whether a config counts every ``purchase`` or only paid ones.

Everything is vectorised over persons, sessions and events with numpy; the only Python loops run
over the handful of session kinds and event types, never over rows.

Example::

    df = generate_sample(people=1000, archetype="door_knob", seed=7)
    write_sample(df, Path("events.parquet"))
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import IO

import numpy as np
import polars as pl

from fivea.io.output import write_atomic  # the one atomic writer (docs/errors.md, Outputs)

__all__ = [
    "ARCHETYPES",
    "COLUMNS",
    "STAGE_EVENTS",
    "generate_sample",
    "write_sample",
]

ARCHETYPES: tuple[str, ...] = ("funnel", "door_knob", "goldfish", "trumpet", "bow_tie")
_ALIASES: dict[str, str] = {"doorknob": "door_knob", "bowtie": "bow_tie"}

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

# A fixed past default keeps frames reproducible across days and keeps every event (they run a
# few weeks past the last first touch) out of the future, which fivea would flag as bad data.
_DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US_PER_S = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_S
# Analytics tools cut a session after 30 minutes of inactivity, so sessions of one person start
# at least that far apart and never interleave (the first touch is then unambiguous).
_SESSION_GAP_US = 30 * 60 * _US_PER_S


@dataclass(frozen=True)
class _Profile:
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


# Marginal rates relative to Aware (SPEC §4.3 shapes); each archetype shows only its own
# inversion so that a diagnosis names it as primary with a wide margin.
_PROFILES: dict[str, _Profile] = {
    # Orderly narrowing: every ratio < 1.
    "funnel": _Profile(appeal=0.55, ask=0.33, act=0.20, advocate=0.10),
    # Act/Ask = 3: people buy without asking (consumer goods), short research.
    "door_knob": _Profile(
        appeal=0.50, ask=0.10, act=0.30, advocate=0.08, research_days=0.5, extra_ask_sessions=0.2
    ),
    # Ask/Appeal = 1.8: long research (B2B), many research sessions over weeks.
    "goldfish": _Profile(
        appeal=0.30, ask=0.55, act=0.15, advocate=0.05, research_days=6.0, extra_ask_sessions=1.5
    ),
    # Advocate/Act = 2.5: admired more than bought (luxury).
    "trumpet": _Profile(appeal=0.50, ask=0.30, act=0.10, advocate=0.25),
    # Advocate/Aware = 0.97, Act/Appeal = 1.0, Ask/Appeal = 0.6 < 1.
    "bow_tie": _Profile(appeal=0.50, ask=0.30, act=0.50, advocate=0.97),
}

# Correlation of the latent engagement behind the four stage draws: high enough that most
# buyers also liked and asked, low enough for visible skips.
_RHO = 0.5

# Among buying advocates: share advocating by repeat purchase only, by both repeat purchase and
# word of mouth; the rest only by word of mouth. Non-buyers can only use word of mouth.
_REPEAT_ONLY = 0.35
_REPEAT_AND_WORD = 0.25

# Event types in the order they happen inside one session.
_EVENTS: tuple[str, ...] = (
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
_E = {name: i for i, name in enumerate(_EVENTS)}
# Event types that carry a product id; the others get null.
_PRODUCT_EVENTS = (
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
_ASK_PRIMARY = (("search", "review_read", "faq_view", "chat_start"), (0.45, 0.25, 0.18, 0.12))
_WORD_OF_MOUTH = ("review_post", "social_share", "referral_sent")
_WORD_P_BUYER = (0.45, 0.35, 0.20)
_WORD_P_FAN = (0.15, 0.70, 0.15)

_CHANNELS: tuple[str, ...] = (
    "organic_search",
    "paid_search",
    "social",
    "email",
    "direct",
    "referral",
    "display",
)
_FIRST_TOUCH_P = (0.30, 0.20, 0.15, 0.08, 0.12, 0.07, 0.08)
# Returning visits come more from direct and email than first touches do.
_RETURN_P = (0.18, 0.10, 0.06, 0.22, 0.34, 0.04, 0.06)
_KEEP_CHANNEL_P = 0.55

_CAMPAIGNS: tuple[str | None, ...] = (
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
# P(campaign | channel), rows in _CHANNELS order, columns in _CAMPAIGNS order. Organic search
# and direct traffic carry no campaign; organic social and most referrals neither.
_CAMPAIGN_P = np.array(
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
_AD_CHANNELS = np.array([False, True, True, False, False, False, True])
_AD_CLICK_P = 0.85

_DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet")
_DEVICE_P = (0.60, 0.33, 0.07)
_KEEP_DEVICE_P = 0.85

_COUNTRIES: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "SE", "PL", "BR", "IN", "JP", "MX",
)  # fmt: skip
_COUNTRY_P = np.array([30, 12, 10, 7, 6, 4, 4, 4, 4, 3, 3, 4, 4, 3, 2], dtype=float)

_N_PRODUCTS = 600

# Session kinds: one block of sessions each, built in this order.
_FIRST, _VISIT, _APPEAL, _ASK, _ACT, _CART, _WORD, _REPEAT, _FREE = range(9)


@dataclass(frozen=True)
class _Persons:
    """Per-person draws, one array element per person."""

    appeal: np.ndarray
    ask: np.ndarray
    act: np.ndarray
    advocate: np.ndarray
    repeat: np.ndarray  # advocates by repeat purchase (all are buyers)
    word: np.ndarray  # advocates by review, share or referral
    cart: np.ndarray  # non-buyers who leave a cart behind
    free: np.ndarray  # repeat buyers who also place a free order
    appeal_in_first: np.ndarray  # product views already in the first session
    act_in_first: np.ndarray  # impulse purchase in the first session
    word_early: np.ndarray  # first word of mouth in the first visit (fans) or at checkout (buyers)
    channel: np.ndarray
    device: np.ndarray
    country: np.ndarray
    product: np.ndarray  # the product the person is interested in
    t_first: np.ndarray  # first touch, µs since the epoch
    t_appeal: np.ndarray
    t_ask: np.ndarray
    t_act: np.ndarray
    t_advocate: np.ndarray


@dataclass(frozen=True)
class _Sessions:
    """Per-session attributes, one array element per session."""

    person: np.ndarray
    kind: np.ndarray
    first_of_kind: np.ndarray
    time: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray
    device: np.ndarray
    product: np.ndarray


@dataclass(frozen=True)
class _Catalogue:
    """Products: popularity and price."""

    popularity: np.ndarray
    price: np.ndarray


def generate_sample(
    people: int = 5000,
    archetype: str = "funnel",
    seed: int = 0,
    start: datetime | None = None,
    days: int = 90,
) -> pl.DataFrame:
    """Generate a synthetic 5A event log whose stage counts have the archetype's shape.

    Args:
        people: Number of persons (all of them reach Aware). About ten events each.
        archetype: One of ``ARCHETYPES`` (``doorknob`` and ``bowtie`` are accepted too).
        seed: Random seed; the same arguments give an identical frame.
        start: Earliest first touch; naive datetimes are read as UTC. Defaults to
            2025-01-01 00:00 UTC.
        days: First touches are uniform over ``[start, start + days)``; later sessions follow
            over the next days and weeks, so the log runs a few weeks past that.

    Returns:
        A frame with the columns of ``COLUMNS`` in that order, rows shuffled (as exports are).

    Raises:
        ValueError: For an unknown archetype, ``people < 1`` or ``days < 1``.
    """
    profile = _PROFILES[_archetype_key(archetype)]
    if people < 1:
        msg = f"people must be at least 1, got {people}"
        raise ValueError(msg)
    if days < 1:
        msg = f"days must be at least 1, got {days}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    catalogue = _draw_catalogue(rng)
    persons = _draw_persons(rng, people, profile, catalogue, _epoch_us(start), days)
    sessions = _draw_sessions(rng, persons, profile, catalogue)
    return _draw_events(rng, persons, sessions, catalogue)


def write_sample(df: pl.DataFrame, path: Path) -> None:
    """Write a frame atomically, in the format its file extension names.

    ``.csv``, ``.csv.gz``, ``.parquet``, ``.ndjson`` or ``.jsonl``. The data goes to a temporary
    file in the same folder, which then replaces ``path`` in one step, so readers never see a
    half-written file and a failed write leaves any earlier file intact.

    Args:
        df: The frame to write (usually from ``generate_sample``).
        path: Destination; its folder must exist.

    Raises:
        ValueError: For an extension that is not one of the above.
        UsageError: When the file cannot be written (a folder, a full disk, no permission).
    """
    path = Path(path)
    fmt = _format_of(path)
    write_atomic(path, lambda fh: _write(df, fh, fmt))


def _archetype_key(archetype: str) -> str:
    """Return the canonical archetype name, accepting aliases, case and dashes."""
    key = archetype.strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key not in _PROFILES:
        msg = f"unknown archetype {archetype!r}; choose one of {', '.join(ARCHETYPES)}"
        raise ValueError(msg)
    return key


def _epoch_us(start: datetime | None) -> int:
    """Return ``start`` (naive = UTC) as integer microseconds since the Unix epoch."""
    if start is None:
        start = _DEFAULT_START
    elif start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return (start - _EPOCH) // timedelta(microseconds=1)


def _draw_catalogue(rng: np.random.Generator) -> _Catalogue:
    """Draw product popularity (Zipf-like, a few bestsellers) and log-normal prices."""
    rank = rng.permutation(_N_PRODUCTS) + 1
    popularity = 1.0 / rank**1.1
    price = np.round(np.exp(rng.normal(3.6, 0.8, _N_PRODUCTS)), 2) + 0.99
    return _Catalogue(popularity=popularity / popularity.sum(), price=price)


def _days_us(rng: np.random.Generator, mean_days: float, size: int) -> np.ndarray:
    """Draw exponential waiting times in whole microseconds, at least a session gap long."""
    return (rng.exponential(mean_days * _US_PER_DAY, size)).astype(np.int64) + _SESSION_GAP_US


def _draw_persons(
    rng: np.random.Generator,
    n: int,
    profile: _Profile,
    catalogue: _Catalogue,
    start_us: int,
    days: int,
) -> _Persons:
    """Draw each person's reached stages, attributes and stage times."""
    # Gaussian copula: a person reaches stage k when a correlated latent falls below the
    # quantile of its marginal rate, so each marginal is exact in expectation.
    rates = np.array([profile.appeal, profile.ask, profile.act, profile.advocate])
    cut = np.array([NormalDist().inv_cdf(p) for p in rates])
    latent = np.sqrt(_RHO) * rng.standard_normal(n) + np.sqrt(1 - _RHO) * rng.standard_normal(
        (4, n)
    )
    appeal, ask, act, advocate = latent < cut[:, None]

    mode = rng.random(n)
    repeat = advocate & act & (mode < _REPEAT_ONLY + _REPEAT_AND_WORD)
    word = advocate & ~(act & (mode < _REPEAT_ONLY))
    # Abandoned carts mostly come from people who liked a product.
    cart = ~act & (rng.random(n) < np.where(appeal, 0.30, 0.06))
    free = repeat & (rng.random(n) < 0.12)
    appeal_in_first = appeal & (rng.random(n) < 0.5)
    # Impulse buys straight from the landing page.
    act_in_first = act & ~appeal & ~ask & (rng.random(n) < 0.5)
    # Fans share on the spot; buyers share or refer from the order confirmation page.
    word_early = word & (rng.random(n) < 0.45)

    t_first = start_us + rng.integers(0, days * _US_PER_DAY, n, dtype=np.int64)
    # Some people come back to the product the same day, others days later.
    soon = rng.random(n) < 0.3
    t_appeal = t_first + np.where(soon, _days_us(rng, 2 / 24, n), _days_us(rng, 1.5, n))
    t_appeal = np.where(appeal_in_first, t_first, t_appeal)
    t_ask = t_appeal + _days_us(rng, profile.research_days, n)
    t_act = np.maximum(t_ask, t_appeal) + _days_us(rng, 2.0, n)
    t_act = np.where(act_in_first, t_first, t_act)
    # Out-of-order research: some buyers read FAQs or chat with support after buying.
    after = ask & act & (rng.random(n) < 0.15)
    t_ask = np.where(after, t_act + _days_us(rng, 1.0, n), t_ask)
    t_advocate = t_act + _days_us(rng, 8.0, n)
    t_advocate = np.where(word_early, np.where(act, t_act, t_first), t_advocate)

    return _Persons(
        appeal=appeal,
        ask=ask,
        act=act,
        advocate=advocate,
        repeat=repeat,
        word=word,
        cart=cart,
        free=free,
        appeal_in_first=appeal_in_first,
        act_in_first=act_in_first,
        word_early=word_early,
        channel=rng.choice(len(_CHANNELS), n, p=_FIRST_TOUCH_P).astype(np.int8),
        device=rng.choice(len(_DEVICES), n, p=_DEVICE_P).astype(np.int8),
        country=rng.choice(len(_COUNTRIES), n, p=_COUNTRY_P / _COUNTRY_P.sum()).astype(np.int8),
        product=rng.choice(_N_PRODUCTS, n, p=catalogue.popularity).astype(np.int32),
        t_first=t_first,
        t_appeal=t_appeal,
        t_ask=t_ask,
        t_act=t_act,
        t_advocate=t_advocate,
    )


def _block(
    rng: np.random.Generator,
    counts: np.ndarray,
    anchor: np.ndarray,
    mean_gap_days: float,
    first_gap: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay out ``counts[p]`` sessions per person, one after another from ``anchor[p]``.

    Args:
        rng: Random generator.
        counts: Sessions per person.
        anchor: Time of each person's first session of this kind, µs.
        mean_gap_days: Mean wait between consecutive sessions of this kind.
        first_gap: Per person, whether the first session also waits after the anchor
            (default: it starts at the anchor).

    Returns:
        Person index, position within the person (0 = first) and time of each session.
    """
    counts = counts.astype(np.int64)
    person = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(person.size) - starts[person]
    gaps = _days_us(rng, mean_gap_days, person.size)
    first = position == 0
    if first_gap is None:
        gaps[first] = 0
    else:
        gaps[first & ~first_gap[person]] = 0
    # Offsets are running sums of gaps within each person: inclusive cumsum minus the
    # exclusive cumsum at the person's first session.
    running = np.cumsum(gaps)
    offset = running - (running - gaps)[starts[person]]
    return person, position, anchor[person] + offset


def _draw_sessions(
    rng: np.random.Generator, persons: _Persons, profile: _Profile, catalogue: _Catalogue
) -> _Sessions:
    """Lay out every person's sessions by kind, with channel, campaign, device and product."""
    n = persons.appeal.size
    ones = np.ones(n, dtype=np.int64)
    appeal_extra = rng.poisson(0.5, n)
    blocks = [
        (_FIRST, *_block(rng, ones, persons.t_first, 0.0)),
        # Return visits without intent, spread over the following weeks.
        (_VISIT, *_block(rng, rng.poisson(0.35, n), persons.t_first, 5.0, first_gap=ones > 0)),
        (
            _APPEAL,
            *_block(
                rng,
                persons.appeal * (~persons.appeal_in_first + appeal_extra),
                persons.t_appeal,
                2.0,
                first_gap=persons.appeal_in_first,
            ),
        ),
        (
            _ASK,
            *_block(
                rng,
                persons.ask * (1 + rng.poisson(profile.extra_ask_sessions, n)),
                persons.t_ask,
                max(1.0, profile.research_days / 2),
            ),
        ),
        (_ACT, *_block(rng, persons.act & ~persons.act_in_first, persons.t_act, 0.0)),
        (_CART, *_block(rng, persons.cart, persons.t_act, 0.0)),
        (
            _WORD,
            *_block(
                rng,
                persons.word * (~persons.word_early + rng.poisson(0.15, n)),
                persons.t_advocate,
                5.0,
                first_gap=persons.word_early,
            ),
        ),
        (
            _REPEAT,
            *_block(
                rng,
                persons.repeat * (1 + rng.poisson(0.3, n)),
                persons.t_advocate,
                20.0,
                first_gap=ones > 0,
            ),
        ),
        (_FREE, *_block(rng, persons.free, persons.t_advocate, 30.0, first_gap=ones > 0)),
    ]
    kind = np.concatenate([np.full(b[1].size, b[0], dtype=np.int8) for b in blocks])
    person = np.concatenate([b[1] for b in blocks])
    first_of_kind = np.concatenate([b[2] == 0 for b in blocks])
    time = np.concatenate([b[3] for b in blocks])
    s = person.size

    # First touch keeps the person's channel; later sessions often come back another way.
    channel = np.where(
        (kind == _FIRST) | (rng.random(s) < _KEEP_CHANNEL_P),
        persons.channel[person],
        rng.choice(len(_CHANNELS), s, p=_RETURN_P).astype(np.int8),
    )
    cumulative = np.cumsum(_CAMPAIGN_P, axis=1)[channel]
    campaign = np.minimum((rng.random(s)[:, None] >= cumulative).sum(axis=1), len(_CAMPAIGNS) - 1)
    device = np.where(
        rng.random(s) < _KEEP_DEVICE_P,
        persons.device[person],
        rng.choice(len(_DEVICES), s, p=_DEVICE_P).astype(np.int8),
    )
    # Repeat purchases are often of another product.
    product = np.where(
        (kind == _REPEAT) & (rng.random(s) < 0.5),
        rng.choice(_N_PRODUCTS, s, p=catalogue.popularity),
        persons.product[person],
    )
    return _Sessions(
        person=person,
        kind=kind,
        first_of_kind=first_of_kind,
        time=time,
        channel=channel.astype(np.int8),
        campaign=campaign.astype(np.int8),
        device=device.astype(np.int8),
        product=product.astype(np.int32),
    )


def _one_hot(
    rng: np.random.Generator,
    counts: np.ndarray,
    where: np.ndarray,
    names: tuple[str, ...],
    p: np.ndarray | tuple[float, ...],
) -> None:
    """Add one event, picked from ``names`` with probabilities ``p``, to the ``where`` rows.

    ``p`` is one probability vector, or one per row (shape rows x names).
    """
    rows = np.flatnonzero(where)
    weights = np.asarray(p, dtype=float)
    if weights.ndim == 1:
        pick = rng.choice(len(names), rows.size, p=weights)
    else:
        cumulative = np.cumsum(weights[rows], axis=1)
        pick = np.minimum(
            (rng.random(rows.size)[:, None] >= cumulative).sum(axis=1), len(names) - 1
        )
    columns = np.array([_E[name] for name in names])[pick]
    counts[rows, columns] += 1


def _event_counts(rng: np.random.Generator, persons: _Persons, sessions: _Sessions) -> np.ndarray:
    """Count events of each type in each session (sessions x event types)."""
    s = sessions.person.size
    p = sessions.person
    kind = sessions.kind
    counts = np.zeros((s, len(_EVENTS)), dtype=np.int16)

    is_first = kind == _FIRST
    appeal_here = (kind == _APPEAL) | (is_first & persons.appeal_in_first[p])
    first_appeal = appeal_here & sessions.first_of_kind & (is_first | ~persons.appeal_in_first[p])
    ask_here = kind == _ASK
    first_buy = (kind == _ACT) | (is_first & persons.act_in_first[p])
    buy_here = first_buy | (kind == _REPEAT)
    cart_here = kind == _CART
    free_here = kind == _FREE
    early = persons.word_early[p] & np.where(persons.act[p], first_buy, is_first)
    word_here = (kind == _WORD) | early

    counts[:, _E["session_start"]] = 1
    paid = _AD_CHANNELS[sessions.channel] & (sessions.campaign > 0)
    counts[:, _E["ad_click"]] = paid & (rng.random(s) < _AD_CLICK_P)
    browse = is_first | (kind == _VISIT)
    counts[:, _E["page_view"]] = browse + rng.poisson(np.where(browse, 0.6, 0.3), s)

    # Only Appeal persons ever view a product: two or more views in their first appeal session,
    # and more on later visits (loops back to the product).
    liked = persons.appeal[p]
    revisit = liked & (ask_here | buy_here | cart_here | free_here)
    counts[:, _E["product_view"]] = appeal_here * (
        1 + first_appeal + rng.poisson(0.5, s)
    ) + revisit * rng.poisson(0.4, s)
    counts[:, _E["wishlist_add"]] = appeal_here & (rng.random(s) < 0.12)

    _one_hot(rng, counts, ask_here, _ASK_PRIMARY[0], _ASK_PRIMARY[1])
    counts[:, _E["search"]] += ask_here * rng.poisson(0.4, s)
    counts[:, _E["review_read"]] += ask_here * rng.poisson(0.3, s)
    counts[:, _E["compare_products"]] = ask_here & (rng.random(s) < 0.25)

    carted = buy_here | cart_here | free_here
    counts[:, _E["add_to_cart"]] = carted * (1 + (rng.random(s) < 0.2))
    counts[:, _E["begin_checkout"]] = buy_here | free_here | (cart_here & (rng.random(s) < 0.35))
    counts[:, _E["purchase"]] = buy_here | free_here

    word_p = np.where(persons.act[p][:, None], _WORD_P_BUYER, _WORD_P_FAN)
    _one_hot(rng, counts, word_here, _WORD_OF_MOUTH, word_p)
    counts[:, _E["social_share"]] += word_here * rng.poisson(0.2, s)
    return counts


def _draw_events(
    rng: np.random.Generator, persons: _Persons, sessions: _Sessions, catalogue: _Catalogue
) -> pl.DataFrame:
    """Expand sessions into shuffled event rows and build the output frame."""
    counts = _event_counts(rng, persons, sessions)
    per_session = counts.sum(axis=1, dtype=np.int64)
    n_events = int(per_session.sum())
    n_sessions = per_session.size
    # Rows of one session follow _EVENTS order: repeat each (session, type) cell by its count.
    # np.repeat over per_session is the cheap, sequential form of "attribute of my session".
    session = np.repeat(np.arange(n_sessions, dtype=np.int32), per_session)
    event = np.repeat(np.tile(np.arange(len(_EVENTS), dtype=np.int8), n_sessions), counts.ravel())
    del counts

    # Seconds to minutes between events; the session start, its ad click and some other
    # consecutive events share the exact microsecond (real logs have such ties).
    offset = rng.exponential(40 * _US_PER_S, n_events).astype(np.int64)
    starts = np.cumsum(per_session) - per_session
    offset[starts] = 0
    offset[event == _E["ad_click"]] = 0
    offset[rng.random(n_events, dtype=np.float32) < 0.03] = 0
    # Running sum within each session: global running sum minus its value at the session start.
    np.cumsum(offset, out=offset)
    offset -= np.repeat(offset[starts], per_session)
    time = np.repeat(sessions.time, per_session) + offset
    del offset

    # Product views wander around the catalogue; the other product events stay on the session's
    # product; events about no product get the null code.
    product = np.repeat(sessions.product, per_session)
    views = np.flatnonzero(event == _E["product_view"])
    views = views[rng.random(views.size) < 0.5]
    product[views] = rng.choice(_N_PRODUCTS, views.size, p=catalogue.popularity)
    product[~np.isin(event, [_E[name] for name in _PRODUCT_EVENTS])] = _N_PRODUCTS

    buys = np.flatnonzero(event == _E["purchase"])
    quantity = 1 + (rng.random(buys.size) < 0.12) + (rng.random(buys.size) < 0.03)
    discount = np.where(rng.random(buys.size) < 0.2, rng.uniform(0.7, 0.95, buys.size), 1.0)
    amount = np.round(catalogue.price[product[buys]] * quantity * discount, 2)
    amount[sessions.kind[session[buys]] == _FREE] = 0.0
    revenue = np.full(n_events, np.nan)
    revenue[buys] = amount

    # Exports are unsorted: shuffle rows before turning codes into text.
    order = rng.permutation(n_events)
    session, event, time = session[order], event[order], time[order]
    product, revenue = product[order], revenue[order]
    person = sessions.person[session]

    n_people = persons.appeal.size
    width = max(7, len(str(n_people - 1)))
    user_ids = pl.Series(np.arange(n_people), dtype=pl.Int64).cast(pl.String).str.zfill(width)
    session_width = max(8, len(str(sessions.person.size - 1)))
    # Session numbers are shuffled too, so ids do not reveal kind or order.
    session_ids = (
        pl.Series(rng.permutation(sessions.person.size), dtype=pl.Int64)
        .cast(pl.String)
        .str.zfill(session_width)
    )
    product_ids = pl.Series([f"p{i:05d}" for i in range(_N_PRODUCTS)] + [None], dtype=pl.String)

    codes = pl.DataFrame(
        {
            "user_id": person,
            "event_time": time,
            "event": event,
            "session_id": session,
            "channel": sessions.channel[session],
            "campaign": sessions.campaign[session],
            "device": sessions.device[session],
            "country": persons.country[person],
            "product_id": product,
            "revenue": revenue,
        }
    )

    def text(name: str, labels: pl.Series) -> pl.Expr:
        return pl.lit(labels).gather(pl.col(name)).alias(name)

    # One select turns every code column into text; polars runs the lookups in parallel.
    return codes.select(
        text("user_id", "u" + user_ids),
        pl.col("event_time").cast(COLUMNS["event_time"]),
        text("event", pl.Series(_EVENTS, dtype=pl.String)),
        text("session_id", "s" + session_ids),
        text("channel", pl.Series(_CHANNELS, dtype=pl.String)),
        text("campaign", pl.Series(_CAMPAIGNS, dtype=pl.String)),
        text("device", pl.Series(_DEVICES, dtype=pl.String)),
        text("country", pl.Series(_COUNTRIES, dtype=pl.String)),
        text("product_id", product_ids),
        pl.col("revenue").fill_nan(None),
    )


def _format_of(path: Path) -> str:
    """Return the output format named by the file extension."""
    name = path.name.lower()
    for suffix, fmt in (
        (".csv.gz", "csv.gz"),
        (".csv", "csv"),
        (".parquet", "parquet"),
        (".ndjson", "ndjson"),
        (".jsonl", "ndjson"),
    ):
        if name.endswith(suffix):
            return fmt
    msg = (
        f"{path}: cannot tell the output format from the file name; "
        "use .csv, .csv.gz, .parquet, .ndjson or .jsonl"
    )
    raise ValueError(msg)


# ISO-8601 with 'Z': the most widely read spelling of a UTC instant (polars' default is +0000).
_CSV_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.6fZ"


def _write(df: pl.DataFrame, fh: IO[bytes], fmt: str) -> None:
    """Write ``df`` to an open binary file in format ``fmt``."""
    if fmt == "csv":
        df.write_csv(fh, datetime_format=_CSV_TIME_FORMAT)
    elif fmt == "csv.gz":
        # mtime=0 and no file name in the header: the same frame gives the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
            df.write_csv(gz, datetime_format=_CSV_TIME_FORMAT)
    elif fmt == "parquet":
        df.write_parquet(fh)
    else:
        df.write_ndjson(fh)
