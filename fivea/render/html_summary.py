"""The top of the HTML report: the header, the verdict and the cards (PAR, BAR, bottleneck, shape).

The verdict comes first: it is what a reader needs who reads nothing else.
"""

from __future__ import annotations

from html import escape

from fivea.render import text as fmt
from fivea.render.html_blocks import badge, card, html_list
from fivea.result import GRADED, Ratio, Result, VerdictStatus

GRADE_ORDER = ("critical", "watch", "ok", "not_judged", "not_measured", "ungraded")


def header(result: Result) -> str:
    """The page header: what was read, the window, the persons and the config."""
    src, window = result.source, result.window
    config = fmt.config_label(src, prefix=False)
    start = fmt.moment(window.since or result.quality.time_min)
    rows = [
        ("Files", ", ".join(src.files) + (f" ({src.export} export)" if src.export else "")),
        ("Window", f"{start} → {fmt.moment(window.until)} {window.timezone}"),
        ("Persons", fmt.count(result.persons)),
        ("Funnel window", fmt.duration(window.funnel_window_seconds)),
        ("Config", config),
        ("Generated", f"{fmt.moment(result.generated_at)} UTC"),
    ]
    meta = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (
        '<header><div class="eyebrow">fivea · 5A customer-path diagnosis</div>'
        f'<h1>Funnel report</h1><dl class="meta">{meta}</dl></header>'
    )


def _grade_summary(result: Result) -> str:
    """'Transitions: 1 critical · 1 watch · 2 ok' in order of severity."""
    grades = [t.grade or "ungraded" for t in result.transitions]
    counts = [f"{grades.count(g)} {fmt.words(g)}" for g in GRADE_ORDER if g in grades]
    return "Transitions: " + " · ".join(counts) if counts else ""


def verdict(result: Result) -> str:
    """The verdict box: the status, the grades in order of severity, the reasons."""
    if result.verdict is None:
        return ""
    status = result.verdict.status
    lead = _grade_summary(result)
    if status == VerdictStatus.NOT_JUDGED:
        lead = "Not enough evidence to judge. " + lead
    return (
        f'<div class="verdict v-{escape(status)}" aria-label="Verdict">'
        '<div class="label">Verdict</div>'
        f'<p class="status">{escape(fmt.words(status).capitalize())}</p>'
        f'<p class="lead">{escape(lead)}</p>'
        f"{html_list(result.verdict.reasons)}</div>"
    )


def _ratio_card(name: str, ratio: Ratio | None, meaning: str) -> str:
    if ratio is None:
        return ""
    if ratio.low is not None and ratio.high is not None:
        interval = f"95% CI {fmt.bound(ratio.low)}–{fmt.bound(ratio.high)}"
    else:
        interval = fmt.reason(ratio.reason) or "no interval"
    target = f" · target {ratio.target:.4g}" if ratio.target is not None else ""
    grade = f" {badge(ratio.grade)}" if ratio.grade else ""
    value = ratio.shown or fmt.ratio(ratio.value)
    return card(
        f"{escape(name)} · {escape(meaning)}",
        f"{escape(value)}<small>{escape(interval + target)}</small>{grade}",
        escape(ratio.reading),
    )


def _bottleneck(result: Result) -> str:
    neck = result.bottleneck
    if neck is None:
        graded = any(t.grade in GRADED for t in result.transitions)
        none = (
            "None: every graded transition meets its target."
            if graded
            else "None: no transition could be graded."
        )
        return f'<div class="card"><h3>Bottleneck</h3><p>{none}</p></div>'
    gain_text = fmt.expected_gain(neck)
    if neck.expected_gain.value is None:
        uplift = "∞"
    else:
        gain_text += ", all else equal"
        uplift = "—" if neck.uplift is None else f"×{neck.uplift:.2f}"
    ratio = f"{escape(fmt.bottleneck_ratio(result))} vs target {neck.target:.2f}"
    return card(
        "Bottleneck",
        f"{escape(neck.transition)}<small>{ratio} · uplift {escape(uplift)}</small>",
        f"{escape(neck.problem)}: <strong>{escape(gain_text)}</strong>.",
        html_list(neck.actions, "ol"),
    )


def _archetype(result: Result) -> str:
    shape = result.archetype
    if shape is None:
        return ""
    notes = [
        f"{fmt.words(i.archetype)}: ratio {i.ratio:.2f}, z {i.z:.1f} ({i.strength})"
        for i in shape.confidence
    ]
    if shape.secondary:
        notes.append("also: " + ", ".join(fmt.words(s) for s in shape.secondary))
    if shape.reason:
        notes.append(shape.reason)
    if shape.expected and shape.expected != shape.primary:
        notes.append(f"expected: {fmt.words(shape.expected)}")
    findings = "".join(
        f'<div class="finding"><strong>{escape(fmt.words(f.kind))}:</strong> {escape(f.message)}'
        f"{html_list(f.actions)}</div>"
        for f in result.findings
    )
    return card(
        "Shape (archetype)",
        escape(fmt.words(shape.primary)),
        escape(shape.implication),
        f"{html_list(notes)}{findings}",
    )


def summary(result: Result) -> str:
    """The verdict, then the cards: PAR, BAR, the bottleneck and the funnel's shape."""
    cards = (
        _ratio_card("PAR", result.par, "purchase action ratio")
        + _ratio_card("BAR", result.bar, "brand advocacy ratio")
        + _bottleneck(result)
        + _archetype(result)
    )
    return f'<section id="summary">{verdict(result)}<div class="cards">{cards}</div></section>'
