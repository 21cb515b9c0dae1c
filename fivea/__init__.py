"""fivea: diagnose a customer funnel along Kotler's 5A path (Aware, Appeal, Ask, Act, Advocate)."""

from __future__ import annotations

__version__ = "0.1.0"
