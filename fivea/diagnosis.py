"""Business health diagnosis from the 5A counts (SPEC §4): PAR/BAR, grades, bottleneck,
archetype, verdict, and the direction against the previous period.

Pure functions over phase-2 results; nothing here reads events or prints.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from fivea.aggregate import StageTable, safe_ratio
from fivea.config import Actions, Config, Targets
from fivea.result import (
    Archetype,
    Bottleneck,
    ExpectedGain,
    Finding,
    Inversion,
    Ratio,
    Transition,
    Verdict,
)
from fivea.stats import wilson

EPS = 0.05  # an inversion must exceed 1 by this much (SPEC §4.3)
TOL = 0.15  # bow-tie tolerance, and the distance change that counts as improving (§4.5)
ULP = 1e-9  # inclusive boundaries in decimal terms: 1 - 0.85 is 0.15000000000000002
ULP = 1e-9  # boundaries are inclusive in decimal terms: 1 - 0.85 is 0.15000000000000002
DOOR_KNOB_BLIND = 0.95  # share of buyers with Ask evidence above which door knob can't show
WINDOW_TOO_SHORT = "window too short to judge advocacy"
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
_INVERSIONS = (  # (archetype, transition index, larger stage, smaller stage)
    ("goldfish", 1, "ask", "appeal"),
    ("door_knob", 2, "act", "ask"),
    ("trumpet", 3, "advocate", "act"),
)


SHOP_BUSINESSES = ("ecommerce", "generic")  # the kinds of business a cart warning fits


@cache
def default_actions(business: str = "generic") -> dict[str, dict]:
    """The shipped actions per transition for a kind of business (fivea/data/actions.yaml)."""
    text = (resources.files("fivea") / "data" / "actions.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)[business]


def _target(targets: Targets, name: str) -> float:
    """The single number a ratio is measured against (curiosity: its band's low end)."""
    value = getattr(targets, name)
    return value[0] if isinstance(value, tuple) else value


def bar_target(targets: Targets) -> float:
    """BAR's target: the product of the four targets, curiosity at its band's low (§4.4)."""
    return math.prod(
        _target(targets, n) for n in ("attraction", "curiosity", "commitment", "affinity")
    )


def _productivity(name: str, numerator: int, aware: int, target: float, noun: str) -> Ratio:
    value = safe_ratio(numerator, aware)
    if value is None:
        return Ratio(
            None,
            None,
            None,
            "not observable: nobody reached Aware",
            f"{name} not observable",
            target,
        )
    interval = wilson(numerator, aware) if value <= 1 else None
    if value > 1:
        reading = f"{name} {value:.2f}: more people {noun} than were aware (stages are not nested)"
        return Ratio(value, None, None, "not a proportion", reading, target)
    reading = f"{name} {value:.2f}: {1 - value:.0%} of aware people did not {noun}"
    low, high = interval if interval else (None, None)
    return Ratio(value, low, high, None, reading, target)


def productivity(table: StageTable, targets: Targets) -> tuple[Ratio, Ratio]:
    """PAR = Act / Aware and BAR = Advocate / Aware with Wilson intervals (SPEC §4.1)."""
    reached = {s.key: s.reached for s in table.stages}
    par_target = math.prod(_target(targets, n) for n in ("attraction", "curiosity", "commitment"))
    par = _productivity("PAR", reached["act"], reached["aware"], par_target, "buy")
    bar = _productivity(
        "BAR", reached["advocate"], reached["aware"], bar_target(targets), "advocate"
    )
    return par, bar


def _grade_value(ratio: float, target: float) -> str:
    if ratio >= target:
        return "ok"
    return "watch" if ratio >= target / 2 else "critical"


@dataclass(frozen=True)
class GradeContext:
    """What grading needs beyond the ratios."""

    measured: dict[str, bool]  # stage -> had any hit in the input
    span_too_short: bool  # observed span shorter than funnel.window
    target_source: str
    actions: Actions | None = None  # the config's advice overrides
    business: str = "generic"  # picks the action catalogue (docs/metrics.md#actions)


def grade(
    transitions: tuple[Transition, ...], targets: Targets, ctx: GradeContext
) -> tuple[tuple[Transition, ...], list[Finding]]:
    """Grade each transition against its target (SPEC §4.2); returns findings too."""
    graded = []
    findings: list[Finding] = []
    for t in transitions:
        target_value = getattr(targets, t.name)
        target = tuple(target_value) if isinstance(target_value, tuple) else target_value
        base = {"target": target, "target_source": ctx.target_source}
        unmeasured = [s for s in (t.from_stage, t.to_stage) if not ctx.measured[s]]
        if unmeasured:
            reason = f"stage {' and '.join(unmeasured)} not measured (no event matches its rules)"
            graded.append(dataclasses.replace(t, grade="not_measured", grade_reason=reason, **base))
            continue
        if t.ratio is None:
            graded.append(dataclasses.replace(t, grade=None, grade_reason=t.ratio_reason, **base))
            continue
        low = _target(targets, t.name)
        uplift = low / t.ratio if t.ratio > 0 else None
        if t.name == "curiosity" and t.ratio > targets.curiosity[1]:
            value = "watch"
            findings.append(
                Finding(
                    "over_curiosity",
                    f"curiosity {t.ratio:.2f} is above its band's top {targets.curiosity[1]:.2f}: "
                    "the message may be unclear and questions pile up",
                    tuple(advice("curiosity_high", ctx.actions, ctx.business)["actions"]),
                )
            )
        else:
            value = _grade_value(t.ratio, low)
        reason = None
        if t.name == "affinity" and value != "ok" and ctx.span_too_short:
            value, reason = "not_judged", WINDOW_TOO_SHORT
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
    reached = {s.key: s.reached for s in table.stages}
    competing = [t for t in transitions if t.grade in ("ok", "watch", "critical")]
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
    unit, base = (
        ("advocates", reached["advocate"])
        if chosen.name == "affinity"
        else ("buyers", reached["act"])
    )
    gain = None if chosen.uplift is None else base * (chosen.uplift - 1)
    target = chosen.target[0] if isinstance(chosen.target, tuple) else chosen.target
    return Bottleneck(
        transition=chosen.name,
        ratio=chosen.ratio,
        target=float(target or 0),
        uplift=chosen.uplift,
        expected_gain=ExpectedGain(unit, gain),
        problem=str(entry["problem"]),
        actions=tuple(entry["actions"]),
    )


def _inversion_z(larger: int, smaller: int) -> float:
    total = larger + smaller
    return (larger - smaller) / math.sqrt(total) if total else 0.0


def archetype(table: StageTable, config: Config) -> Archetype:
    """The funnel's shape from reached counts (SPEC §4.3)."""
    settings = config.diagnosis
    r = {s.key: s.reached for s in table.stages}
    expected = settings.expected_archetype
    if r["aware"] < settings.min_aware or any(
        r[k] < settings.min_stage for k in ("appeal", "ask", "act")
    ):
        small = [k for k in ("appeal", "ask", "act") if r[k] < settings.min_stage]
        reason = (
            f"aware {r['aware']} < min_aware {settings.min_aware}"
            if r["aware"] < settings.min_aware
            else f"{', '.join(small)} below min_stage {settings.min_stage}"
        )
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
    for name, index, high, low in _INVERSIONS:
        ratio = table.transitions[index].ratio
        if ratio is not None and ratio > 1 + EPS + ULP:
            z = _inversion_z(r[high], r[low])
            found.append(
                (math.log(ratio), index, Inversion(name, ratio, z, "strong" if z >= 2 else "weak"))
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
    act = table.stages[3].reached
    both = table.transitions[2].flow_count
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


def verdict(
    par: Ratio,
    bar: Ratio,
    transitions: tuple[Transition, ...],
    targets: Targets,
    shape: Archetype,
    neck: Bottleneck | None,
    extra_reasons: list[str],
    span_too_short: bool,
    advocate_measured: bool,
) -> Verdict:
    """healthy / needs_attention / at_risk with the reasons (SPEC §4.4)."""
    critical = [t for t in transitions if t.grade == "critical"]
    target = bar_target(targets)
    bar_judged = (
        bar.value is not None and advocate_measured and not (span_too_short and bar.value < target)
    )
    bar_low = bar_judged and bar.value is not None and bar.value < target
    bar_very_low = bar_judged and bar.value is not None and bar.value < target / 2
    if critical or bar_very_low:
        status = "at_risk"
    elif not bar_low:
        status = "healthy"
    else:
        status = "needs_attention"
    reasons: list[str] = []
    for t in critical:
        reasons.append(
            f"{t.name} {t.ratio:.2f} is critical (target {_target(targets, t.name):.2f})"
        )
    reasons += [
        f"{t.name} {t.ratio:.2f} not judged: {t.grade_reason}"
        for t in transitions
        if t.grade == "not_judged"
    ]
    if bar.value is not None:
        if not advocate_measured:
            reasons.append("BAR not judged: the Advocate stage is not measured")
        elif span_too_short and bar.value < target:
            reasons.append(f"BAR {bar.value:.2f} not judged: {WINDOW_TOO_SHORT}")
        else:
            side = "below" if bar.value < target else "at or above"
            reasons.append(f"BAR {bar.value:.3f} is {side} its target {target:.3f}")
    shape_text = shape.primary.replace("_", " ")
    reasons.append(
        f"shape: {shape_text}"
        + (f" ({shape.reason})" if shape.reason else f" — {shape.implication}")
    )
    if neck is not None:
        gain = neck.expected_gain
        gain_text = (
            "unbounded (nobody converts yet)"
            if gain.value is None
            else f"about {gain.value:,.0f} more {gain.unit}"
        )
        reasons.append(f"bottleneck: {neck.transition} — reaching its target would add {gain_text}")
    else:
        reasons.append("no bottleneck: every graded transition meets its target")
    reasons.extend(extra_reasons)
    return Verdict(status, tuple(reasons))
