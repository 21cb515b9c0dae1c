"""Synthetic 5A event logs (``fivea sample``): realistic, reproducible, shaped by archetype.

Each person first draws which of the five 5A stages they reach (README.md#the-5a-path-in-five-lines), with per-archetype
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

from fivea.authoring.sample.generate import generate_sample
from fivea.authoring.sample.profiles import ARCHETYPES, COLUMNS, STAGE_EVENTS
from fivea.authoring.sample.writing import write_sample

__all__ = [
    "ARCHETYPES",
    "COLUMNS",
    "STAGE_EVENTS",
    "generate_sample",
    "write_sample",
]
