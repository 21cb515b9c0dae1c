"""Expanding synthetic sessions into event rows: counts per type, times, products, revenue."""

from __future__ import annotations

import numpy as np
import polars as pl

from fivea.authoring.sample.persons import Catalogue, Persons, Sessions
from fivea.authoring.sample.profiles import (
    ACT,
    AD_CHANNELS,
    AD_CLICK_P,
    APPEAL,
    ASK,
    ASK_PRIMARY,
    CAMPAIGNS,
    CART,
    CHANNELS,
    COLUMNS,
    COUNTRIES,
    DEVICES,
    EVENT_INDEX,
    EVENTS,
    FIRST,
    FREE,
    N_PRODUCTS,
    PRODUCT_EVENTS,
    REPEAT,
    US_PER_S,
    VISIT,
    WORD,
    WORD_OF_MOUTH,
    WORD_P_BUYER,
    WORD_P_FAN,
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
    columns = np.array([EVENT_INDEX[name] for name in names])[pick]
    counts[rows, columns] += 1


def _event_counts(rng: np.random.Generator, persons: Persons, sessions: Sessions) -> np.ndarray:
    """Count events of each type in each session (sessions x event types)."""
    s = sessions.person.size
    p = sessions.person
    kind = sessions.kind
    counts = np.zeros((s, len(EVENTS)), dtype=np.int16)

    is_first = kind == FIRST
    appeal_here = (kind == APPEAL) | (is_first & persons.appeal_in_first[p])
    first_appeal = appeal_here & sessions.first_of_kind & (is_first | ~persons.appeal_in_first[p])
    ask_here = kind == ASK
    first_buy = (kind == ACT) | (is_first & persons.act_in_first[p])
    buy_here = first_buy | (kind == REPEAT)
    cart_here = kind == CART
    free_here = kind == FREE
    early = persons.word_early[p] & np.where(persons.act[p], first_buy, is_first)
    word_here = (kind == WORD) | early

    counts[:, EVENT_INDEX["session_start"]] = 1
    paid = AD_CHANNELS[sessions.channel] & (sessions.campaign > 0)
    counts[:, EVENT_INDEX["ad_click"]] = paid & (rng.random(s) < AD_CLICK_P)
    browse = is_first | (kind == VISIT)
    counts[:, EVENT_INDEX["page_view"]] = browse + rng.poisson(np.where(browse, 0.6, 0.3), s)

    # Only Appeal persons ever view a product: two or more views in their first appeal session,
    # and more on later visits (loops back to the product).
    liked = persons.appeal[p]
    revisit = liked & (ask_here | buy_here | cart_here | free_here)
    counts[:, EVENT_INDEX["product_view"]] = appeal_here * (
        1 + first_appeal + rng.poisson(0.5, s)
    ) + revisit * rng.poisson(0.4, s)
    counts[:, EVENT_INDEX["wishlist_add"]] = appeal_here & (rng.random(s) < 0.12)

    _one_hot(rng, counts, ask_here, ASK_PRIMARY[0], ASK_PRIMARY[1])
    counts[:, EVENT_INDEX["search"]] += ask_here * rng.poisson(0.4, s)
    counts[:, EVENT_INDEX["review_read"]] += ask_here * rng.poisson(0.3, s)
    counts[:, EVENT_INDEX["compare_products"]] = ask_here & (rng.random(s) < 0.25)

    carted = buy_here | cart_here | free_here
    counts[:, EVENT_INDEX["add_to_cart"]] = carted * (1 + (rng.random(s) < 0.2))
    counts[:, EVENT_INDEX["begin_checkout"]] = (
        buy_here | free_here | (cart_here & (rng.random(s) < 0.35))
    )
    counts[:, EVENT_INDEX["purchase"]] = buy_here | free_here

    word_p = np.where(persons.act[p][:, None], WORD_P_BUYER, WORD_P_FAN)
    _one_hot(rng, counts, word_here, WORD_OF_MOUTH, word_p)
    counts[:, EVENT_INDEX["social_share"]] += word_here * rng.poisson(0.2, s)
    return counts


def draw_events(
    rng: np.random.Generator, persons: Persons, sessions: Sessions, catalogue: Catalogue
) -> pl.DataFrame:
    """Expand sessions into shuffled event rows and build the output frame."""
    counts = _event_counts(rng, persons, sessions)
    per_session = counts.sum(axis=1, dtype=np.int64)
    n_events = int(per_session.sum())
    n_sessions = per_session.size
    # Rows of one session follow EVENTS order: repeat each (session, type) cell by its count.
    # np.repeat over per_session is the cheap, sequential form of "attribute of my session".
    session = np.repeat(np.arange(n_sessions, dtype=np.int32), per_session)
    event = np.repeat(np.tile(np.arange(len(EVENTS), dtype=np.int8), n_sessions), counts.ravel())
    del counts

    # Seconds to minutes between events; the session start, its ad click and some other
    # consecutive events share the exact microsecond (real logs have such ties).
    offset = rng.exponential(40 * US_PER_S, n_events).astype(np.int64)
    starts = np.cumsum(per_session) - per_session
    offset[starts] = 0
    offset[event == EVENT_INDEX["ad_click"]] = 0
    offset[rng.random(n_events, dtype=np.float32) < 0.03] = 0
    # Running sum within each session: global running sum minus its value at the session start.
    np.cumsum(offset, out=offset)
    offset -= np.repeat(offset[starts], per_session)
    time = np.repeat(sessions.time, per_session) + offset
    del offset

    # Product views wander around the catalogue; the other product events stay on the session's
    # product; events about no product get the null code.
    product = np.repeat(sessions.product, per_session)
    views = np.flatnonzero(event == EVENT_INDEX["product_view"])
    views = views[rng.random(views.size) < 0.5]
    product[views] = rng.choice(N_PRODUCTS, views.size, p=catalogue.popularity)
    product[~np.isin(event, [EVENT_INDEX[name] for name in PRODUCT_EVENTS])] = N_PRODUCTS

    buys = np.flatnonzero(event == EVENT_INDEX["purchase"])
    quantity = 1 + (rng.random(buys.size) < 0.12) + (rng.random(buys.size) < 0.03)
    discount = np.where(rng.random(buys.size) < 0.2, rng.uniform(0.7, 0.95, buys.size), 1.0)
    amount = np.round(catalogue.price[product[buys]] * quantity * discount, 2)
    amount[sessions.kind[session[buys]] == FREE] = 0.0
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
    product_ids = pl.Series([f"p{i:05d}" for i in range(N_PRODUCTS)] + [None], dtype=pl.String)

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
        text("event", pl.Series(EVENTS, dtype=pl.String)),
        text("session_id", "s" + session_ids),
        text("channel", pl.Series(CHANNELS, dtype=pl.String)),
        text("campaign", pl.Series(CAMPAIGNS, dtype=pl.String)),
        text("device", pl.Series(DEVICES, dtype=pl.String)),
        text("country", pl.Series(COUNTRIES, dtype=pl.String)),
        text("product_id", product_ids),
        pl.col("revenue").fill_nan(None),
    )
