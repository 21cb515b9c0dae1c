"""The result of ``fivea stages`` (what each rule catches): the authoring -> render contract.

Built by ``fivea.authoring.stages``; read by ``fivea.render.table_stages`` and ``to_dict`` (the
JSON document). Result-level types, so the renderer needs nothing of the layers that compute them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from fivea.funnel import STAGE_KEYS
from fivea.result import NameCount, SourceInfo


@dataclass(frozen=True)
class Example:
    """One event a rule hit: who, when, what, and the columns the rule looks at."""

    user: str
    time: str  # ISO-8601 UTC
    event: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class RuleMatch:
    """What one rule (or sub-funnel step) catches."""

    key: str  # stages.appeal.rules[0], subfunnels.checkout.steps[1]
    defined_at: str  # file:line, or preset NAME:line
    words: str  # the rule in words
    columns: tuple[str, ...]  # property columns its where: uses
    counted: bool  # min_count > 1 or gap: hits are the n-th and later matches (occasion starts)
    matched_events: int
    matched_persons: int
    hit_events: int
    hit_persons: int
    examples: tuple[Example, ...]  # hits: the earliest hit of the earliest persons
    occasions: int | None = None  # with gap: the matching events' occasions (None without)


@dataclass(frozen=True)
class StageMatch:
    """A 5A stage: the union of its rules' hits, and each rule."""

    key: str
    label: str
    hit_events: int
    persons: int  # reached: distinct persons with a hit (as diagnose counts them)
    rules: tuple[RuleMatch, ...]


@dataclass(frozen=True)
class SubfunnelMatch:
    """A sub-funnel's steps, each matched on its own (not the ordered path)."""

    name: str
    window_seconds: float
    steps: tuple[RuleMatch, ...]


@dataclass(frozen=True)
class StageInspection:
    """The result of ``fivea stages``: the core -> render contract."""

    source: SourceInfo
    events: int
    persons: int
    stages: tuple[StageMatch, ...]
    overlap: tuple[tuple[int, ...], ...]  # [i][j]: persons with hits of stage i and of stage j
    subfunnels: tuple[SubfunnelMatch, ...]
    unmatched_events: int  # matched by no rule other than an unconditioned any_event
    unmatched_names: int
    unmatched_top: tuple[NameCount, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``fivea stages --format json``)."""
        out = dataclasses.asdict(self)
        out["overlap"] = {
            row: dict(zip(STAGE_KEYS, counts, strict=True))
            for row, counts in zip(STAGE_KEYS, self.overlap, strict=True)
        }
        return out
