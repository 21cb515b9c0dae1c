"""``generate_sample``: a synthetic 5A event log of one archetype, from a seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from fivea.authoring.sample.events import draw_events
from fivea.authoring.sample.persons import draw_catalogue, draw_persons, draw_sessions
from fivea.authoring.sample.profiles import ALIASES, ARCHETYPES, PROFILES

# A fixed past default keeps frames reproducible across days and keeps every event (they run a
# few weeks past the last first touch) out of the future, which fivea would flag as bad data.
_DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    profile = PROFILES[_archetype_key(archetype)]
    if people < 1:
        msg = f"people must be at least 1, got {people}"
        raise ValueError(msg)
    if days < 1:
        msg = f"days must be at least 1, got {days}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    catalogue = draw_catalogue(rng)
    persons = draw_persons(rng, people, profile, catalogue, _epoch_us(start), days)
    sessions = draw_sessions(rng, persons, profile, catalogue)
    return draw_events(rng, persons, sessions, catalogue)


def _archetype_key(archetype: str) -> str:
    """Return the canonical archetype name, accepting aliases, case and dashes."""
    key = archetype.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    if key not in PROFILES:
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
