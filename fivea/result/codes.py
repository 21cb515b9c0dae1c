"""The closed vocabularies of the result: null-number reason codes, grades, verdict statuses.

``Grade`` and ``VerdictStatus`` are ``str`` enums: a member compares equal to its value and
serialises as it (``to_dict`` and the JSON are the same as with bare strings). The result's
fields stay annotated ``str``: the JSON schema is generated from the annotations and lists the
closed sets itself (fivea/schema.py), and a report read back from JSON (``--baseline``) holds
plain strings, which compare equal to the members.
"""

from __future__ import annotations

import enum

# reason codes of null numbers (docs/metrics.md "Not measured, not judged"); the text formats
# print them as sentences (fivea.render.text.REASONS)
NOT_MEASURED = "not_measured"
NOT_OBSERVABLE = "not_observable"
NONE_SETTLED = "none_settled"
TOO_FEW_SETTLED = "too_few_settled"
NO_ONE_AT_STAGE = "no_one_at_stage"
WINDOW_TOO_SHORT = "window_too_short"
LAST_STAGE = "last_stage"


class Grade(enum.StrEnum):
    """A transition's or PAR/BAR's grade against its target (docs/metrics.md "Grades")."""

    OK = "ok"
    WATCH = "watch"  # below target, at least half of it
    CRITICAL = "critical"  # below half of the target
    NOT_JUDGED = "not_judged"  # the window is too short to judge advocacy
    NOT_MEASURED = "not_measured"  # a stage of the transition has no hit


# the grades that count: measured against a target (bottleneck, verdict)
GRADED = (Grade.OK, Grade.WATCH, Grade.CRITICAL)


class VerdictStatus(enum.StrEnum):
    """The verdict (docs/metrics.md "Verdict"), worst first after ``not_judged``."""

    HEALTHY = "healthy"
    NEEDS_ATTENTION = "needs_attention"
    AT_RISK = "at_risk"
    NOT_JUDGED = "not_judged"
