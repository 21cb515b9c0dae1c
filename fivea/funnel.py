"""The 5A funnel's fixed names and its one ratio rule, shared by every layer (docs/metrics.md).

The lowest layer (docs/architecture.md): config, phase 1, phase 2, the schema and the renderers
all read these, so they live below all of them.
"""

from __future__ import annotations

STAGE_KEYS: tuple[str, ...] = ("aware", "appeal", "ask", "act", "advocate")
TRANSITION_NAMES: tuple[str, ...] = ("attraction", "curiosity", "commitment", "affinity")


def safe_ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is zero (never 0 or infinity)."""
    return numerator / denominator if denominator else None
