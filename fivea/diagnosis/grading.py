"""Business health diagnosis from the 5A counts (docs/metrics.md "Diagnosis"): grades,
bottleneck and expected gain, archetype; re-exports PAR/BAR and the verdict (fivea.diagnosis.verdict) and
the period comparison (fivea.diagnosis.compare).

Pure functions over phase-2 results; nothing here reads events or prints.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fivea.aggregate.measures import StageTable
from fivea.config.loader import Actions, Config, Targets
from fivea.diagnosis.compare import (  # compare, bow_tie_distance: re-exported
    TOL,
    ULP,
    bow_tie_distance,
    compare,
)
from fivea.diagnosis.verdict import (  # re-exported: the diagnosis API
    Evidence,
    bar_target,
    grade_against,
    par_target,
    productivity,
    target_of,
    verdict,
)
from fivea.result import (
    GRADED,
    NO_ONE_AT_STAGE,
    NOT_MEASURED,
    WINDOW_TOO_SHORT,
    Archetype,
    Bottleneck,
    ExpectedGain,
    Finding,
    Grade,
    Inversion,
    Transition,
)

__all__ = [
    "Evidence",
    "GradeContext",
    "archetype",
    "bar_target",
    "bottleneck",
    "bow_tie_distance",
    "compare",
    "grade",
    "par_target",
    "productivity",
    "shape_findings",
    "verdict",
]

EPS = 0.05  # an inversion must exceed 1 by this much (docs/metrics.md#diagnosis)
DOOR_KNOB_BLIND = 0.95  # share of buyers with Ask evidence above which door knob can't show
IMPLICATIONS = {
    "door_knob": "people buy without asking: build affinity after the purchase "
    "(onboarding, review requests, loyalty) so buyers turn into advocates",
    "goldfish": "people research at length (typical of B2B and considered purchases): "
    "optimise curiosity with content, then fix commitment and affinity",
    "trumpet": "the brand is admired more than it is bought (typical of luxury): "
    "raise commitment through affordability and access",
    "funnel": "an orderly narrowing (typical of durables and services): "
    "work on commitment and affinity together",
    "bow_tie": "most aware people buy and recommend: protect it (service quality, "
    "advocate programmes) and keep feeding awareness",
    "insufficient_data": "too few people to read the shape; ratios are still shown",
}
_INVERSIONS = (  # (archetype, transition, larger stage, smaller stage), in stage order
    ("goldfish", "curiosity", "ask", "appeal"),
    ("door_knob", "commitment", "act", "ask"),
    ("trumpet", "affinity", "advocate", "act"),
)


SHOP_BUSINESSES = ("ecommerce", "generic")  # the kinds of business a cart warning fits


@cache
def default_actions(business: str = "generic") -> dict[str, dict]:
    """The shipped actions per transition for a kind of business (fivea/data/actions.yaml)."""
    import yaml  # when actions are advised, not at every start (docs/performance.md, "Start-up")

    text = (resources.files("fivea") / "data" / "actions.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)[business]


@dataclass(frozen=True)
class GradeContext:
    """What grading needs beyond the ratios."""

    measured: dict[str, bool]  # stage -> has a hit before until (docs/metrics.md "Not measured")
    span_too_short: bool  # observed span shorter than funnel.window
    target_source: str
    actions: Actions | None = None  # the config's advice overrides
    expected_archetype: str | None = None
    business: str = "generic"  # picks the action catalogue (docs/metrics.md#actions)


def grade(
    transitions: tuple[Transition, ...], targets: Targets, ctx: GradeContext
) -> tuple[tuple[Transition, ...], list[Finding]]:
    """Grade each transition against its target (docs/metrics.md#diagnosis); returns findings too."""
    graded = []
    findings: list[Finding] = []
    for t in transitions:
        target_value = getattr(targets, t.name)
        target = tuple(target_value) if isinstance(target_value, tuple) else target_value
        base = {"target": target, "target_source": ctx.target_source}
        unmeasured = [s for s in (t.from_stage, t.to_stage) if not ctx.measured[s]]
        if unmeasured:
            graded.append(
                dataclasses.replace(t, grade=Grade.NOT_MEASURED, grade_reason=NOT_MEASURED, **base)
            )
            continue
        if t.ratio is None:
            graded.append(dataclasses.replace(t, grade=None, grade_reason=t.ratio_reason, **base))
            continue
        low = target_of(targets, t.name)
        uplift = low / t.ratio if t.ratio > 0 else None
        if t.name == "curiosity" and t.ratio > targets.curiosity[1]:
            # a long research phase is the expected shape of a goldfish or a bow tie
            expected = ctx.expected_archetype in ("goldfish", "bow_tie")
            value = Grade.OK if expected else Grade.WATCH
            findings.append(
                Finding(
                    "over_curiosity",
                    f"curiosity {t.ratio:.2f} is above its band's top {targets.curiosity[1]:.2f}: "
                    "the message may be unclear and questions pile up",
                    tuple(advice("curiosity_high", ctx.actions, ctx.business)["actions"]),
                )
            )
        else:
            value = grade_against(t.ratio, low)
        reason = None
        if t.name == "affinity" and value != Grade.OK and ctx.span_too_short:
            value, reason, uplift = Grade.NOT_JUDGED, WINDOW_TOO_SHORT, None
        graded.append(
            dataclasses.replace(t, grade=value, grade_reason=reason, uplift=uplift, **base)
        )
    return tuple(graded), findings


def advice(key: str, overrides: Actions | None = None, business: str = "generic") -> dict:
    """The business's shipped advice for a transition key, with the config's overrides on top."""
    return {**default_actions(business)[key], **(overrides.for_key(key) if overrides else {})}


def bottleneck(
    transitions: tuple[Transition, ...],
    table: StageTable,
    overrides: Actions | None = None,
    business: str = "generic",
) -> Bottleneck | None:
    """The graded transition with the largest uplift to target; ratio 0 wins (unbounded)."""
    competing = [t for t in transitions if t.grade in GRADED]
    zero = [t for t in competing if t.ratio == 0]
    chosen = zero[0] if zero else None
    if chosen is None:
        best = None
        for t in competing:  # ties go to the earlier stage: strict > keeps the first
            if t.uplift is not None and t.uplift > 1 and (best is None or t.uplift > best.uplift):
                best = t
        chosen = best
    if chosen is None:
        return None
    key = chosen.name if chosen.name != "curiosity" else "curiosity_low"
    entry = advice(key, overrides, business)
    target = chosen.target[0] if isinstance(chosen.target, tuple) else chosen.target
    return Bottleneck(
        transition=chosen.name,
        ratio=chosen.ratio,
        target=float(target or 0),
        uplift=chosen.uplift,
        expected_gain=expected_gain(chosen, table),
        problem=str(entry["problem"]),
        actions=tuple(entry["actions"]),
    )


def expected_gain(t: Transition, table: StageTable) -> ExpectedGain:
    """What reaching the target would add, all else equal (docs/metrics.md "Expected gain").

    Raising s→t to its target adds extra_t = reached[s]·target − reached[t] persons at t, of
    whom the share c_t = |t ∧ Act| / reached[t] buy; never more than the N persons who reached s
    but neither t nor Act. Affinity: extra advocates, at most the buyers who do not advocate.
    """
    reached = {s.key: s.reached for s in table.stages}
    unit = "advocates" if t.name == "affinity" else "buyers"
    if not reached[t.to_stage]:
        return ExpectedGain(unit, None, NO_ONE_AT_STAGE)
    target = t.target[0] if isinstance(t.target, tuple) else t.target
    extra = reached[t.from_stage] * float(target or 0) - reached[t.to_stage]
    counts = table.gain_counts
    if t.name == "affinity":
        room = reached["act"] - counts.get("act_and_advocate", 0)
        return ExpectedGain(unit, math.floor(max(0.0, min(extra, room))))
    share = (
        1.0 if t.to_stage == "act" else counts.get(f"act_and_{t.to_stage}", 0) / reached[t.to_stage]
    )
    room = counts.get(f"lost_{t.name}", 0)
    return ExpectedGain(unit, math.floor(max(0.0, min(extra * share, room))))


def _inversion_z(larger: int, smaller: int) -> float:
    total = larger + smaller
    return (larger - smaller) / math.sqrt(total) if total else 0.0


def archetype(table: StageTable, config: Config) -> Archetype:
    """The funnel's shape from reached counts (docs/metrics.md#diagnosis)."""
    settings = config.diagnosis
    r = {s.key: s.reached for s in table.stages}
    expected = settings.expected_archetype
    if r["aware"] < settings.min_aware or any(
        r[k] < settings.min_stage for k in ("appeal", "ask", "act")
    ):
        unmeasured = [s.key for s in table.stages if not s.measured]
        small = [
            k for k in ("appeal", "ask", "act") if r[k] < settings.min_stage and k not in unmeasured
        ]
        parts = [f"aware {r['aware']} < min_aware {settings.min_aware}"] * (
            r["aware"] < settings.min_aware
        )
        if small:
            parts.append(f"{', '.join(small)} below min_stage {settings.min_stage}")
        if unmeasured:
            parts.append(f"{', '.join(unmeasured)} not measured")
        reason = "; ".join(parts)
        return Archetype(
            "insufficient_data", (), (), IMPLICATIONS["insufficient_data"], reason, expected
        )
    ratios = {t.name: t.ratio for t in table.transitions}
    curiosity = ratios["curiosity"]
    if (
        abs(r["advocate"] / r["aware"] - 1) <= TOL + ULP
        and abs(r["act"] / r["appeal"] - 1) <= TOL + ULP
        and curiosity is not None
        and curiosity < 1
    ):
        return Archetype("bow_tie", (), (), IMPLICATIONS["bow_tie"], None, expected)
    found = []
    for order, (name, transition, high, low) in enumerate(_INVERSIONS):
        ratio = table.transition(transition).ratio
        if ratio is not None and ratio > 1 + EPS + ULP:
            z = _inversion_z(r[high], r[low])
            found.append(
                (math.log(ratio), order, Inversion(name, ratio, z, "strong" if z >= 2 else "weak"))
            )
    if not found:
        return Archetype("funnel", (), (), IMPLICATIONS["funnel"], None, expected)
    found.sort(key=lambda item: (-item[0], item[1]))  # largest ln(ratio); ties in stage order
    inversions = tuple(item[2] for item in found)
    primary = inversions[0].archetype
    return Archetype(
        primary,
        tuple(i.archetype for i in inversions[1:]),
        inversions,
        IMPLICATIONS[primary],
        None,
        expected,
    )


def shape_findings(table: StageTable, shape: Archetype, business: str = "generic") -> list[Finding]:
    """Expected-archetype mismatch and a config that hides the door knob (issue "Diagnosis")."""
    findings = []
    if shape.expected and shape.primary not in (shape.expected, "insufficient_data"):
        findings.append(
            Finding(
                "unexpected_archetype",
                f"expected a {shape.expected.replace('_', ' ')} but the shape is a "
                f"{shape.primary.replace('_', ' ')}: authentic differentiation or a hidden "
                "customer-experience problem",
            )
        )
    act = table.stage("act").reached
    both = table.transition("commitment").flow_count
    # Only a shop has carts to misplace: a lead or a trial must come before every deal
    # (docs/metrics.md#actions).
    if business in SHOP_BUSINESSES and act >= 20 and both / act >= DOOR_KNOB_BLIND:
        findings.append(
            Finding(
                "door_knob_undetectable",
                f"{both / act:.0%} of buyers also have Ask evidence: if a step inside Act (cart, "
                "checkout) is mapped to Ask, the door knob shape cannot show; move it to a sub-funnel",
            )
        )
    return findings
