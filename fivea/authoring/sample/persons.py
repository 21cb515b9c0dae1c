"""Drawing synthetic persons and their sessions: reached stages, times, channels, products."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from fivea.authoring.sample.profiles import (
    ACT,
    APPEAL,
    ASK,
    CAMPAIGN_P,
    CAMPAIGNS,
    CART,
    CHANNELS,
    COUNTRIES,
    COUNTRY_P,
    DEVICE_P,
    DEVICES,
    FIRST,
    FIRST_TOUCH_P,
    FREE,
    KEEP_CHANNEL_P,
    KEEP_DEVICE_P,
    N_PRODUCTS,
    REPEAT,
    REPEAT_AND_WORD,
    REPEAT_ONLY,
    RETURN_P,
    RHO,
    SESSION_GAP_US,
    US_PER_DAY,
    VISIT,
    WORD,
    Profile,
)


@dataclass(frozen=True)
class Persons:
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
class Sessions:
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
class Catalogue:
    """Products: popularity and price."""

    popularity: np.ndarray
    price: np.ndarray


def draw_catalogue(rng: np.random.Generator) -> Catalogue:
    """Draw product popularity (Zipf-like, a few bestsellers) and log-normal prices."""
    rank = rng.permutation(N_PRODUCTS) + 1
    popularity = 1.0 / rank**1.1
    price = np.round(np.exp(rng.normal(3.6, 0.8, N_PRODUCTS)), 2) + 0.99
    return Catalogue(popularity=popularity / popularity.sum(), price=price)


def _days_us(rng: np.random.Generator, mean_days: float, size: int) -> np.ndarray:
    """Draw exponential waiting times in whole microseconds, at least a session gap long."""
    return (rng.exponential(mean_days * US_PER_DAY, size)).astype(np.int64) + SESSION_GAP_US


def draw_persons(
    rng: np.random.Generator,
    n: int,
    profile: Profile,
    catalogue: Catalogue,
    start_us: int,
    days: int,
) -> Persons:
    """Draw each person's reached stages, attributes and stage times."""
    # Gaussian copula: a person reaches stage k when a correlated latent falls below the
    # quantile of its marginal rate, so each marginal is exact in expectation.
    rates = np.array([profile.appeal, profile.ask, profile.act, profile.advocate])
    cut = np.array([NormalDist().inv_cdf(p) for p in rates])
    latent = np.sqrt(RHO) * rng.standard_normal(n) + np.sqrt(1 - RHO) * rng.standard_normal((4, n))
    appeal, ask, act, advocate = latent < cut[:, None]

    mode = rng.random(n)
    repeat = advocate & act & (mode < REPEAT_ONLY + REPEAT_AND_WORD)
    word = advocate & ~(act & (mode < REPEAT_ONLY))
    # Abandoned carts mostly come from people who liked a product.
    cart = ~act & (rng.random(n) < np.where(appeal, 0.30, 0.06))
    free = repeat & (rng.random(n) < 0.12)
    appeal_in_first = appeal & (rng.random(n) < 0.5)
    # Impulse buys straight from the landing page.
    act_in_first = act & ~appeal & ~ask & (rng.random(n) < 0.5)
    # Fans share on the spot; buyers share or refer from the order confirmation page.
    word_early = word & (rng.random(n) < 0.45)

    t_first = start_us + rng.integers(0, days * US_PER_DAY, n, dtype=np.int64)
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

    return Persons(
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
        channel=rng.choice(len(CHANNELS), n, p=FIRST_TOUCH_P).astype(np.int8),
        device=rng.choice(len(DEVICES), n, p=DEVICE_P).astype(np.int8),
        country=rng.choice(len(COUNTRIES), n, p=COUNTRY_P / COUNTRY_P.sum()).astype(np.int8),
        product=rng.choice(N_PRODUCTS, n, p=catalogue.popularity).astype(np.int32),
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


def draw_sessions(
    rng: np.random.Generator, persons: Persons, profile: Profile, catalogue: Catalogue
) -> Sessions:
    """Lay out every person's sessions by kind, with channel, campaign, device and product."""
    n = persons.appeal.size
    ones = np.ones(n, dtype=np.int64)
    appeal_extra = rng.poisson(0.5, n)
    blocks = [
        (FIRST, *_block(rng, ones, persons.t_first, 0.0)),
        # Return visits without intent, spread over the following weeks.
        (VISIT, *_block(rng, rng.poisson(0.35, n), persons.t_first, 5.0, first_gap=ones > 0)),
        (
            APPEAL,
            *_block(
                rng,
                persons.appeal * (~persons.appeal_in_first + appeal_extra),
                persons.t_appeal,
                2.0,
                first_gap=persons.appeal_in_first,
            ),
        ),
        (
            ASK,
            *_block(
                rng,
                persons.ask * (1 + rng.poisson(profile.extra_ask_sessions, n)),
                persons.t_ask,
                max(1.0, profile.research_days / 2),
            ),
        ),
        (ACT, *_block(rng, persons.act & ~persons.act_in_first, persons.t_act, 0.0)),
        (CART, *_block(rng, persons.cart, persons.t_act, 0.0)),
        (
            WORD,
            *_block(
                rng,
                persons.word * (~persons.word_early + rng.poisson(0.15, n)),
                persons.t_advocate,
                5.0,
                first_gap=persons.word_early,
            ),
        ),
        (
            REPEAT,
            *_block(
                rng,
                persons.repeat * (1 + rng.poisson(0.3, n)),
                persons.t_advocate,
                20.0,
                first_gap=ones > 0,
            ),
        ),
        (FREE, *_block(rng, persons.free, persons.t_advocate, 30.0, first_gap=ones > 0)),
    ]
    kind = np.concatenate([np.full(b[1].size, b[0], dtype=np.int8) for b in blocks])
    person = np.concatenate([b[1] for b in blocks])
    first_of_kind = np.concatenate([b[2] == 0 for b in blocks])
    time = np.concatenate([b[3] for b in blocks])
    s = person.size

    # First touch keeps the person's channel; later sessions often come back another way.
    channel = np.where(
        (kind == FIRST) | (rng.random(s) < KEEP_CHANNEL_P),
        persons.channel[person],
        rng.choice(len(CHANNELS), s, p=RETURN_P).astype(np.int8),
    )
    cumulative = np.cumsum(CAMPAIGN_P, axis=1)[channel]
    campaign = np.minimum((rng.random(s)[:, None] >= cumulative).sum(axis=1), len(CAMPAIGNS) - 1)
    device = np.where(
        rng.random(s) < KEEP_DEVICE_P,
        persons.device[person],
        rng.choice(len(DEVICES), s, p=DEVICE_P).astype(np.int8),
    )
    # Repeat purchases are often of another product.
    product = np.where(
        (kind == REPEAT) & (rng.random(s) < 0.5),
        rng.choice(N_PRODUCTS, s, p=catalogue.popularity),
        persons.product[person],
    )
    return Sessions(
        person=person,
        kind=kind,
        first_of_kind=first_of_kind,
        time=time,
        channel=channel.astype(np.int8),
        campaign=campaign.astype(np.int8),
        device=device.astype(np.int8),
        product=product.astype(np.int32),
    )
