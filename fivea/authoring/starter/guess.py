"""Guessing the 5A stage an event name feeds, from the words in the name (``fivea init``)."""

from __future__ import annotations

import re

# Checked in this order, so that the most specific evidence wins: "review_post" is Advocate
# before "review" is Ask, "product_view" is Appeal before "view" is Aware (README.md#the-5a-path-in-five-lines's table).
# Each entry is a token or a run of tokens of the name (split at _, -, spaces and camelCase).
GUESS_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "advocate",
        (
            "review_post", "post_review", "review_posted", "write_review", "review_written",
            "review_submitted", "submit_review", "reviewed", "refer", "referral", "referred",
            "invite", "invited", "invitation", "share", "shared", "rating", "rated", "recommend",
            "recommended", "testimonial", "renewal", "renewed", "renew", "upgrade", "upgraded",
        ),
    ),
    (
        "act",
        (
            "purchase", "purchased", "order", "ordered", "checkout_completed",
            "checkout_complete", "complete_checkout", "completed_checkout", "subscribe",
            "subscribed", "subscription", "paid", "activate", "activated", "activation", "buy",
            "bought",
        ),
    ),
    (
        "ask",
        (
            "search", "searched", "review_read", "read_review", "reviews_viewed", "review_view",
            "review", "reviews", "compare", "compared", "comparison", "faq", "chat", "contact",
            "demo", "trial", "lead", "quote", "question", "support", "help", "guide",
        ),
    ),
    (
        "appeal",
        (
            "product", "item", "pricing", "price", "wishlist", "save_for_later", "feature",
            "features", "plan",
        ),
    ),
    (
        "aware",
        (
            "view", "viewed", "visit", "impression", "open", "opened", "session", "page",
            "screen", "landing", "click", "clicked", "scroll",
        ),
    ),
)  # fmt: skip
# names that say something went wrong or was undone are never guessed into a stage
NEGATIVE_WORDS = frozenset(
    {
        "fail", "failed", "failure", "error", "cancel", "cancelled", "canceled", "refund",
        "refunded", "remove", "removed", "abandon", "abandoned", "delete", "deleted",
        "unsubscribe", "unsubscribed", "declined", "denied", "expired",
    }
)  # fmt: skip
_STEP_WORDS = frozenset({"cart", "basket", "checkout", "shipping", "payment"})


def name_tokens(name: str) -> list[str]:
    """``"Product Viewed"``, ``productViewed``, ``product-viewed`` -> ``[product, viewed]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def guess_stage(name: str) -> tuple[str, str] | None:
    """(stage, the words that decided it) from an event name, or None when it gives no clue."""
    tokens = name_tokens(name)
    if NEGATIVE_WORDS & set(tokens):
        return None
    for stage, words in GUESS_WORDS:
        for word in words:
            run = word.split("_")
            for start in range(len(tokens) - len(run) + 1):
                if tokens[start : start + len(run)] == run:
                    return stage, word.replace("_", " ")
    return None


def is_step_like(name: str) -> bool:
    """Cart and checkout steps belong in a sub-funnel inside Act, not in a stage (README.md#the-5a-path-in-five-lines)."""
    return bool(_STEP_WORDS & set(name_tokens(name)))
