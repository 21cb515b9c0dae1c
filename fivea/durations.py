"""Durations in the config's syntax (``30d``, ``12h``, ``90m``, ``45s``, ``2w``; docs/config.md).

The lowest layer: the config parses them, ``fivea stages`` and its renderer print them back.
"""

from __future__ import annotations

MICROS = {"s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}
MICROS["w"] = 7 * MICROS["d"]


def duration_text(micros: int) -> str:
    """µs -> the config's duration syntax in the largest whole unit: 30d, 12h, 90m, 45s."""
    for unit in ("d", "h", "m", "s"):
        if micros % MICROS[unit] == 0:
            return f"{micros // MICROS[unit]}{unit}"
    return f"{micros / MICROS['s']:g}s"
