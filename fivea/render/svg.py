"""Inline SVG charts for the HTML report: plain strings, no JavaScript, no external references.

Every chart carries ``<title>``/``<desc>`` for screen readers, every text from data is escaped and
every number is written with fixed precision, so the same result gives the same bytes.
"""

from __future__ import annotations

import math
from html import escape

from fivea.render import text as fmt
from fivea.result import Result, StageCount, Transition, Trend

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#e3e7ec"
GRADE_COLOUR = {
    "ok": "#2e7d32",
    "watch": "#d98e04",
    "critical": "#c62828",
    "not_judged": "#9aa5b1",
    "not_measured": "#9aa5b1",
}
STAGE_COLOUR = {
    "aware": "#9ec5e8",
    "appeal": "#6fa8dc",
    "ask": "#3d85c6",
    "act": "#1f5f99",
    "advocate": "#123d66",
}
HALO = {"stroke": "#fff", "stroke_width": "4", "paint_order": "stroke"}
SERIES = ("#1f5f99", "#d9480f", "#2e7d32", "#7048e8", "#c2255c")


def _n(value: float) -> str:
    """A coordinate with at most one decimal, '-0' never written."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(x: float, y: float, body: str, size: int = 12, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    fill = "" if "fill" in attrs else f' fill="{INK}"'
    return f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}"{fill}{extra}>{escape(body)}</text>'


def _svg(uid: str, width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{uid}-t {uid}-d" class="chart">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (> 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10 * power  # pragma: no cover


def axis(top: float, whole: bool = False) -> tuple[float, list[float], int]:
    """A rounded maximum for values up to ``top``, its ticks (at most five) and their decimals."""
    step = nice_ceiling(max(top, 1e-9) / 4)
    if whole and step != int(step):
        step = nice_ceiling(step * 1.01) if step > 1 else 1.0  # counts: whole-number ticks
    count = max(1, math.ceil(top / step - 1e-9))
    decimals = len(f"{step:g}".partition(".")[2])
    return round(step * count, 9), [round(step * k, 9) for k in range(count + 1)], decimals


def _legend(items: list[tuple[str, str, str]], x: float, y: float) -> list[str]:
    """Swatches in a row: (kind, colour, label) with kind rect, line, dash or band."""
    out = []
    for kind, colour, label in items:
        if kind == "line":
            out.append(
                f'<line x1="{_n(x)}" y1="{_n(y - 4)}" x2="{_n(x + 16)}" y2="{_n(y - 4)}" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        elif kind == "dash":
            out.append(
                f'<rect x="{_n(x)}" y="{_n(y - 10)}" width="16" height="11" fill="none" '
                f'stroke="{colour}" stroke-width="1.3" stroke-dasharray="3 2"/>'
            )
        elif kind == "marker":
            out.append(
                f'<line x1="{_n(x + 8)}" y1="{_n(y - 12)}" x2="{_n(x + 8)}" y2="{_n(y + 2)}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        else:
            out.append(
                f'<rect x="{_n(x)}" y="{_n(y - 10)}" width="16" height="11" rx="2" '
                f'fill="{colour}"/>'
            )
        out.append(_text(x + 22, y, label, 11, fill=MUTED))
        x += 30 + 6.2 * len(label)
    return out


def shape_chart(stages: tuple[StageCount, ...], uid: str = "shape") -> str:
    """Centred horizontal bars of reached per stage over a dashed bow-tie reference outline."""
    reached = {s.key: s.reached for s in stages}
    reference = dict(reached)
    if "act" in reference and "appeal" in reached:
        reference["act"] = reached["appeal"]
    if "advocate" in reference and "aware" in reached:
        reference["advocate"] = reached["aware"]
    top = max([*reached.values(), *reference.values(), 1])
    aware = reached.get("aware") or 0
    width, left, right, row, pad = 960, 110, 170, 46, 38
    span = width - left - right
    centre = left + span / 2
    body = _legend(
        [("rect", STAGE_COLOUR["appeal"], "reached"), ("dash", INK, "bow-tie reference")], left, 18
    )
    for i, stage in enumerate(stages):
        y = pad + i * row
        ref = reference.get(stage.key, 0) * span / top
        bar = stage.reached * span / top
        body.append(_text(left - 12, y + 24, stage.label, 13, text_anchor="end", font_weight="600"))
        colour = STAGE_COLOUR.get(stage.key, STAGE_COLOUR["ask"])
        if stage.reached:
            body.append(
                f'<rect x="{_n(centre - max(bar, 2) / 2)}" y="{_n(y + 6)}" '
                f'width="{_n(max(bar, 2))}" height="{row - 12}" rx="3" fill="{colour}">'
                f"<title>{escape(stage.label)}: {fmt.count(stage.reached)}</title></rect>"
            )
        if ref:
            body.append(
                f'<rect x="{_n(centre - ref / 2)}" y="{_n(y + 3)}" width="{_n(ref)}" '
                f'height="{row - 6}" rx="4" fill="none" stroke="{INK}" stroke-width="1.3" '
                'stroke-dasharray="5 3"/>'
            )
        share = f"{fmt.percent(stage.reached / aware, 0)} of aware" if aware else ""
        body.append(
            _text(width - right + 14, y + 24, fmt.count(stage.reached), 13, font_weight="600")
        )
        body.append(_text(width - right + 14, y + 38, share, 11, fill=MUTED))
    height = pad + row * len(stages) + 8
    desc = "; ".join(f"{s.label} {s.reached}" for s in stages) + (
        ". Dashed outline: bow-tie reference with Act equal to Appeal and Advocate equal to Aware."
    )
    return _svg(uid, width, height, "5A shape: persons reached per stage", desc, body)


def _target_range(target: float | tuple[float, float] | list[float] | None) -> tuple[float, float]:
    if target is None:
        return (math.nan, math.nan)
    if isinstance(target, tuple | list):
        return (float(target[0]), float(target[1]))
    return (float(target), float(target))


def conversion_chart(transitions: tuple[Transition, ...], uid: str = "conversion") -> str:
    """Each ratio as a bar coloured by grade, against its target marker (curiosity: a band)."""
    highs = [_target_range(t.target)[1] for t in transitions if t.target is not None]
    ratios = [t.ratio for t in transitions if t.ratio is not None]
    xmax, ticks, decimals = axis(min(max([*ratios, *highs, 0.1]) * 1.05, 2.0))
    width, left, right, row, pad = 960, 200, 100, 48, 46
    span = width - left - right

    def x_of(value: float) -> float:
        return left + min(value, xmax) / xmax * span

    body = _legend(
        [
            ("rect", GRADE_COLOUR["ok"], "ok"),
            ("rect", GRADE_COLOUR["watch"], "watch"),
            ("rect", GRADE_COLOUR["critical"], "critical"),
            ("rect", GRADE_COLOUR["not_measured"], "ungraded"),
            ("marker", INK, "target"),
            ("rect", "#dbe9d6", "target band"),
        ],
        left,
        18,
    )
    bottom = pad + row * len(transitions)
    for value in ticks:
        x = x_of(value)
        body.append(
            f'<line x1="{_n(x)}" y1="{pad - 6}" x2="{_n(x)}" y2="{bottom}" stroke="{GRID}"/>'
        )
        label = f"{value:.{decimals}f}"
        body.append(_text(x, bottom + 16, label, 10, text_anchor="middle", fill=MUTED))
    for i, t in enumerate(transitions):
        y = pad + i * row
        label = f"{fmt.words(t.name)}"
        body.append(_text(left - 12, y + 18, label, 13, text_anchor="end", font_weight="600"))
        body.append(
            _text(left - 12, y + 32, f"{t.from_stage} → {t.to_stage}", 10, text_anchor="end",
                  fill=MUTED)
        )  # fmt: skip
        low, high = _target_range(t.target)
        if not math.isnan(low) and low != high:
            body.append(
                f'<rect x="{_n(x_of(low))}" y="{_n(y + 2)}" width="{_n(x_of(high) - x_of(low))}" '
                f'height="{row - 8}" fill="#dbe9d6"/>'
            )
        if t.ratio is None:
            reason = fmt.reason(t.ratio_reason) or "undefined"
            texts = [_text(left + 6, y + 25, f"— {reason}", 11, fill=MUTED, **HALO)]
        else:
            colour = GRADE_COLOUR.get(t.grade or "", GRADE_COLOUR["not_measured"])
            end = x_of(t.ratio)
            body.append(
                f'<rect x="{left}" y="{_n(y + 9)}" width="{_n(max(end - left, 1.5))}" '
                f'height="{row - 22}" rx="2" fill="{colour}"><title>{escape(t.name)} '
                f"{fmt.ratio(t.ratio)} ({escape(fmt.words(t.grade or 'ungraded'))})</title></rect>"
            )
            clipped = t.ratio > xmax
            value = f"{fmt.ratio(t.ratio)}{' ▸' if clipped else ''}"
            tx = end + 6 if not clipped else width - right + 8
            for mark in [] if math.isnan(low) or clipped else (low, high):
                if end - 3 <= x_of(mark) <= end + 40:  # keep the value clear of the marker
                    tx = max(tx, x_of(mark) + 6)
            texts = [_text(tx, y + 26, value, 12, font_weight="600", **HALO)]
        for mark in [] if math.isnan(low) else sorted({low, high}):
            body.append(
                f'<line x1="{_n(x_of(mark))}" y1="{_n(y + 3)}" x2="{_n(x_of(mark))}" '
                f'y2="{_n(y + row - 5)}" stroke="{INK}" stroke-width="2"/>'
            )
        body.extend(texts)  # values above the target markers
    desc = "; ".join(
        f"{t.name} {fmt.ratio(t.ratio)} target {_target_text(t.target)} "
        f"{fmt.words(t.grade or 'ungraded')}"
        for t in transitions
    )
    return _svg(uid, width, bottom + 26, "Conversion by transition against target", desc, body)


def _target_text(target: float | tuple[float, float] | list[float] | None) -> str:
    low, high = _target_range(target)
    if math.isnan(low):
        return "none"
    return fmt.ratio(low) if low == high else f"{low:.2f}–{high:.2f}"


def line_chart(
    title: str,
    periods: list[str],
    series: list[tuple[str, list[float | None]]],
    uid: str,
    as_ratio: bool,
    hollow: list[bool] | None = None,
) -> str:
    """Lines over calendar buckets; a missing value breaks its line.

    Points are filled, except where ``hollow`` flags a bucket (a small sample).
    """
    hollow = hollow or [False] * len(periods)
    width, height, left, right, top, bottom = 960, 280, 60, 40, 42, 40
    values = [v for _, vs in series for v in vs if v is not None]
    ymax, ticks, decimals = axis(max([*values, 0.1 if as_ratio else 4.0]), whole=not as_ratio)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(periods) - 1, 1)

    def at(i: int, v: float) -> tuple[float, float]:
        x = left + (i * step if len(periods) > 1 else plot_w / 2)
        return x, top + plot_h - v / ymax * plot_h

    body = _legend([("line", SERIES[k], name) for k, (name, _) in enumerate(series)], left, 18)
    for value in ticks:
        y = top + plot_h - plot_h * value / ymax
        label = f"{value:.{decimals}f}" if as_ratio else fmt.count(round(value))
        body.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 8, y + 4, label, 10, text_anchor="end", fill=MUTED))
    every = max(1, math.ceil(len(periods) / 12))
    for i, period in enumerate(periods):
        if i % every == 0 or i == len(periods) - 1:
            x, _ = at(i, 0)
            body.append(
                _text(x, height - bottom + 18, period, 10, text_anchor="middle", fill=MUTED)
            )
    for k, (name, vs) in enumerate(series):
        colour, runs, run = SERIES[k % len(SERIES)], [], []
        for i, v in enumerate(vs):
            if v is None:
                runs, run = ([*runs, run] if run else runs), []
            else:
                run.append(at(i, v))
        runs = [*runs, run] if run else runs
        for points in runs:
            if len(points) > 1:
                coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
                body.append(
                    f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.2" '
                    'stroke-linejoin="round" stroke-linecap="round"/>'
                )
        for i, v in enumerate(vs):
            if v is not None:
                x, y = at(i, v)
                shown = fmt.ratio(v) if as_ratio else fmt.count(round(v))
                fill, note = ("#fff", " (small sample)") if hollow[i] else (colour, "")
                body.append(
                    f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{fill}" stroke="{colour}" '
                    f'stroke-width="2"><title>{escape(name)} {escape(periods[i])}: {shown}'
                    f"{note}</title></circle>"
                )
    texts = [", ".join("—" if v is None else f"{v:.3g}" for v in vs) for _, vs in series]
    desc = "; ".join(f"{name}: {text}" for (name, _), text in zip(series, texts, strict=True))
    return _svg(uid, width, height, title, desc, body)


def trend_charts(trend: Trend, labels: dict[str, str]) -> tuple[str, str]:
    """PAR and BAR per bucket, and reached per stage per bucket."""
    periods = [row.period for row in trend.rows]
    ratios = line_chart(
        f"PAR and BAR by {trend.period}",
        periods,
        [("PAR", [r.par for r in trend.rows]), ("BAR", [r.bar for r in trend.rows])],
        "trend-ratios",
        as_ratio=True,
        hollow=[r.small_sample for r in trend.rows],
    )
    keys = list(trend.rows[0].reached) if trend.rows else list(labels)
    counts = line_chart(
        f"Reached per stage by {trend.period}",
        periods,
        [(labels.get(k, k), [float(r.reached.get(k, 0)) for r in trend.rows]) for k in keys],
        "trend-reached",
        as_ratio=False,
        hollow=[r.small_sample for r in trend.rows],
    )
    return ratios, counts


def _figure(title: str, chart: str, caption: str) -> str:
    return (
        f"<figure><h3>{escape(title)}</h3>{chart}<figcaption>{escape(caption)}</figcaption>"
        "</figure>"
    )


def figures(result: Result) -> list[str]:
    """The report's charts, each a captioned ``<figure>``: shape, conversion, and the trend."""
    out = [
        _figure(
            "The 5A shape",
            shape_chart(result.stages),
            "Persons reached per stage, centred. The dashed outline is a bow-tie reference, not a "
            "target: Aware, Appeal and Ask as observed, Act drawn equal to Appeal and Advocate "
            "equal to Aware.",
        ),
        _figure(
            "Conversion by transition",
            conversion_chart(result.transitions),
            "Each ratio coloured by its grade against its target marker; curiosity's green band is "
            "its healthy range. Ratios beyond the axis are clipped and marked ▸.",
        ),
    ]
    if result.trend is not None and result.trend.rows:
        period = result.trend.period
        ratios, counts = trend_charts(result.trend, {s.key: s.label for s in result.stages})
        hollow = " Hollow points: small samples (fewer aware persons than min_stage)."
        caption = f"PAR = act / aware and BAR = advocate / aware within each {period}." + hollow
        out.append(_figure(f"PAR and BAR by {period}", ratios, caption))
        counted = f"Persons per {period}, by the calendar time of each stage's hit." + hollow
        out.append(_figure(f"Reached per stage by {period}", counts, counted))
    return out
