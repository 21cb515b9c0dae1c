"""The drivers in words, as tables and as a forest plot (docs/metrics.md "Drivers").

One wording for every text format: the table, markdown and HTML reports all read it here.
"""

from __future__ import annotations

import math
from html import escape

from fivea.render import text as fmt
from fivea.result.drivers import DriverFeature, Drivers

STAGES = ("aware", "appeal", "ask", "act", "advocate")
TRANSITIONS = ("attraction", "curiosity", "commitment", "affinity")
CAVEAT = (
    "These are associations, not causes: people who do something may differ in other ways; "
    "test a change before acting on it."
)


def stages_of(transition: str) -> tuple[str, str]:
    k = TRANSITIONS.index(transition)
    return STAGES[k], STAGES[k + 1]


def feature_label(f: DriverFeature) -> str:
    """'did add_to_cart' or 'first campaign = partner_program'."""
    if f.kind == "event":
        return f"did {f.name}"
    return f"first {f.name} = {f.value}"


def sentence(f: DriverFeature) -> str:
    """'people who did read_reviews converted at 34% vs 12% without (OR 3.8 [3.1, 4.6], 2,310 persons)'."""
    who = (
        f"people who did {f.name}"
        if f.kind == "event"
        else f"people whose first {f.name} was {f.value}"
    )
    return (
        f"{who} converted at {fmt.percent(f.converted_with, 0)} vs "
        f"{fmt.percent(f.converted_without, 0)} without (OR {odds(f.odds_ratio)} "
        f"[{odds(f.low)}, {odds(f.high)}], {fmt.plural(f.persons, 'persons')})"
    )


def odds(value: float) -> str:
    """An odds ratio with two significant digits: 3.8, 0.41, 12."""
    if value <= 0 or math.isinf(value):
        return f"{value:g}"
    digits = max(0, 1 - math.floor(math.log10(value)))
    return f"{value:.{digits}f}"


def design(d: Drivers) -> str:
    """Who was watched, and for how long."""
    s, t = stages_of(d.transition)
    if d.landmark_seconds is None or d.horizon_seconds is None:
        return f"{d.transition} ({s} → {t})"
    text = (
        f"{d.transition} ({s} → {t}): {fmt.count(d.population)} persons still before {t} "
        f"{fmt.duration(d.landmark_seconds)} after reaching {s}; {fmt.count(d.converted)} reached "
        f"{t} by {fmt.duration(d.horizon_seconds)}"
    )
    if d.reversed:
        text += f" ({fmt.plural(d.reversed, 'persons')} who reached {t} before {s} left out)"
    return text


def summary(d: Drivers) -> list[str]:
    """The lines under a transition's heading: status, test count, skipped columns."""
    if d.status != "ok":
        return [f"not judged: {d.status_reason}"]
    lines = []
    shown = len(d.features)
    if shown == 0:
        lines.append(
            f"no feature stands out: {fmt.plural(d.tested, 'features')} tested, none with "
            "q < 0.05 (Benjamini–Hochberg)"
        )
    else:
        lines.append(
            f"{shown} of {fmt.plural(d.tested, 'features')} tested with q < 0.05 "
            "(Fisher exact p, Benjamini–Hochberg q); events are those done before the landmark"
        )
    if d.skipped_properties:
        lines.append(
            f"not tested (more than 50 values): {', '.join(d.skipped_properties)}; "
            "name columns in drivers.properties to choose"
        )
    return lines


def forest_svg(d: Drivers, width: int = 640) -> str:
    """A small forest plot: each shown feature's odds ratio and 95% interval on a log axis."""
    features = d.features
    if not features:
        return ""
    row, label_w, pad = 22, 260, 12
    height = row * (len(features) + 1) + pad
    lo = min(min(f.low for f in features), 0.5)
    hi = max(max(f.high for f in features), 2.0)
    span = math.log(hi) - math.log(lo)
    plot_w = width - label_w - 2 * pad

    def x(value: float) -> float:
        return label_w + pad + (math.log(value) - math.log(lo)) / span * plot_w

    parts = [
        f'<svg class="forest" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>Odds ratios of the drivers of {escape(d.transition)}, 95% intervals</title>",
        f'<line x1="{x(1):.1f}" y1="0" x2="{x(1):.1f}" y2="{height - pad:.0f}" '
        'stroke="#888" stroke-dasharray="3,3"/>',
    ]
    for i, f in enumerate(features):
        y = row * (i + 0.5) + 4
        colour = "#1a7f37" if f.direction == "positive" else "#cf222e"
        parts += [
            f'<text x="0" y="{y + 4:.0f}" font-size="12">{escape(feature_label(f))}</text>',
            f'<line x1="{x(f.low):.1f}" y1="{y:.0f}" x2="{x(f.high):.1f}" y2="{y:.0f}" '
            f'stroke="{colour}" stroke-width="2"/>',
            f'<circle cx="{x(f.odds_ratio):.1f}" cy="{y:.0f}" r="4" fill="{colour}">'
            f"<title>OR {odds(f.odds_ratio)} [{odds(f.low)}, {odds(f.high)}]</title></circle>",
        ]
    axis_y = row * len(features) + pad
    for tick in (0.1, 0.25, 0.5, 1, 2, 4, 10):
        if lo <= tick <= hi:
            parts.append(
                f'<text x="{x(tick):.1f}" y="{axis_y + 4:.0f}" font-size="10" '
                f'text-anchor="middle">{tick:g}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def markdown_lines(drivers: tuple[Drivers, ...], md: object) -> list[str]:
    """The "Drivers" section of the markdown report (``md`` escapes a value)."""
    if not drivers:
        return []
    esc = md  # type: ignore[assignment]
    lines = ["## Drivers", ""]
    for d in drivers:
        lines += [f"**{esc(design(d))}**", ""]  # type: ignore[operator]
        lines += [f"- {esc(line)}" for line in summary(d)]  # type: ignore[operator]
        lines += [f"- {esc(sentence(f))} (q {f.q_value:.2g})" for f in d.features]  # type: ignore[operator]
        lines.append("")
    if any(d.features for d in drivers):
        lines += [f"_{CAVEAT}_", ""]
    return lines


def html_section(drivers: tuple[Drivers, ...]) -> str:
    """The "Drivers" section of the HTML report: the sentences and a forest plot each."""
    if not drivers:
        return ""
    body = []
    for d in drivers:
        items = [*summary(d), *[f"{sentence(f)} (q {f.q_value:.2g})" for f in d.features]]
        body.append(
            f'<div class="block wide"><h3>{escape(design(d))}</h3><ul>'
            + "".join(f"<li>{escape(i)}</li>" for i in items)
            + f"</ul>{forest_svg(d)}</div>"
        )
    if any(d.features for d in drivers):
        body.append(f'<p class="note">{escape(CAVEAT)}</p>')
    return f'<section class="page" id="drivers"><h2>Drivers</h2>{"".join(body)}</section>'


CSV_HEADER = (
    "transition",
    "kind",
    "name",
    "value",
    "persons",
    "converted_with",
    "converted_without",
    "odds_ratio",
    "low",
    "high",
    "p_value",
    "q_value",
    "direction",
)


def csv_rows(drivers: tuple[Drivers, ...]) -> list[list[object]]:
    """The shown features, one row each (the CSV report's drivers block)."""
    return [
        [
            d.transition,
            f.kind,
            f.name,
            f.value,
            f.persons,
            f.converted_with,
            f.converted_without,
            f.odds_ratio,
            f.low,
            f.high,
            f.p_value,
            f.q_value,
            f.direction,
        ]
        for d in drivers
        for f in d.features
    ]
