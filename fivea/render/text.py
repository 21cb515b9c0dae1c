"""Number and duration formatting shared by the text renderers (no terminal code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fivea.result import Delta, Result, SourceInfo, Transition


# reason codes of null numbers as words (docs/metrics.md "Not measured, not judged")
REASONS = {
    "not_measured": "not measured",
    "not_observable": "not observable",
    "none_settled": "nobody settled yet",
    "too_few_settled": "too few settled",
    "no_one_at_stage": "nobody at the stage yet",
    "window_too_short": "window too short",
    "not_a_proportion": "not a proportion",
    "last_stage": "",
    "zero_base": "zero base",
    "partial_period": "partial period",
    "small_sample": "small sample",
}


def reason(code: str | None) -> str:
    """A reason code as words ('not_measured' -> 'not measured')."""
    if not code:
        return ""
    return REASONS.get(code, code.replace("_", " "))


def null(value_text: str, code: str | None) -> str:
    """'—' with its reason when the number is null ('— not measured')."""
    if value_text != "—" or not code or not reason(code):
        return value_text
    return f"— {reason(code)}"


def proportion(value: float | None, count: int | None = None, base: int | None = None) -> str:
    """A proportion ≤ 1 at the precision its Wilson interval allows (0.997, never 1.00).

    Without counts (or above 1): two decimals.
    """
    if value is None:
        return "—"
    if count is not None and base and count <= base:
        from fivea.precision import shown_proportion

        shown = shown_proportion(count, base)
        if shown is not None:
            return shown.text
    return f"{value:.2f}"


def share(value: float | None, count: int | None = None, base: int | None = None) -> str:
    """A proportion as a percent at the precision its interval allows (99.7%, never 100.0%)."""
    if value is None:
        return "—"
    if count is not None and base and count <= base:
        from fivea.precision import shown_proportion

        shown = shown_proportion(count, base)
        if shown is not None and shown.decimals is not None:
            # percent digits = fraction decimals - 2, at least the usual one
            return f"{value * 100:.{max(1, shown.decimals - 2)}f}%"
        if shown is not None:
            return "< 0.01%" if value < 0.5 else "> 99.99%"
    return percent(value)


def bound(value: float) -> str:
    """An interval bound: three decimals, four below 0.001 or above 0.999."""
    return f"{value:.4f}" if 0 < value < 0.001 or 0.999 < value < 1 else f"{value:.3f}"


def plural(n: int, noun: str, before: str = "") -> str:
    """'1 buyer', '787 buyers', '1 more buyer' (the noun given in the plural)."""
    return f"{n:,} {before}{noun.removesuffix('s') if n == 1 else noun}"


def count(value: int | None) -> str:
    """1234567 -> '1,234,567'."""
    return "—" if value is None else f"{value:,}"


def percent(value: float | None, digits: int = 1) -> str:
    """0.1234 -> '12.3%'; None -> '—'."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def ratio(value: float | None) -> str:
    """A ratio as a plain decimal: 0.556 -> '0.56'."""
    return "—" if value is None else f"{value:.2f}"


def duration(seconds: float | None) -> str:
    """Seconds -> a short human duration: '45s', '12m 5s', '3h 20m', '2d 4h'."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds:.1f}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def words(identifier: str) -> str:
    """snake_case identifier -> words: 'door_knob' -> 'door knob'."""
    return identifier.replace("_", " ")


def signed_percent(value: float | None, digits: int = 1) -> str:
    """0.05 -> '+5.0%'; None -> '—'."""
    return "—" if value is None else f"{value * 100:+.{digits}f}%"


def moment(iso_text: str | None) -> str:
    """'2025-01-01T00:52:36.651783Z' -> '2025-01-01 00:52' for headers."""
    if not iso_text:
        return "?"
    return iso_text.replace("T", " ")[:16]


def source_labels(src: SourceInfo) -> tuple[str, str]:
    """The header's 'what was read' and 'with which config', shared by every report."""
    files = src.files[0] if len(src.files) == 1 else f"{src.files[0]} (+{len(src.files) - 1} files)"
    if src.config:
        config = f"config {src.config}" + (f" (preset {src.preset})" if src.preset else "")
    else:
        config = f"preset {src.preset}" + (" (default)" if src.config_from == "default" else "")
    return files, config


def path_step(t: Transition) -> str:
    """Step conversion into t's stage, from the previous measured stage when one was skipped."""
    text = null(share(t.path_conversion, t.path_count, t.path_base), t.path_conversion_reason)
    if t.path_from and t.path_from != t.from_stage and t.path_conversion is not None:
        text += f" from {t.path_from}"
    return text


def settled(t: Transition) -> str:
    """Settled conversion, or '—' with why it is not shown."""
    return null(
        share(t.settled_conversion, t.path_count, t.settled_base), t.settled_conversion_reason
    )


def path_note(result: Result) -> str:
    """The overall path conversion, first to last measured stage, and the stages skipped."""
    measured = [s for s in result.stages if s.measured]
    if len(measured) < 2:
        text = "Overall path conversion — (fewer than two stages measured)."
    else:
        first, last = measured[0], measured[-1]
        value = share(result.path_conversion, last.path, first.path)
        text = f"Overall path conversion {null(value, result.path_conversion_reason)}"
        text += f" ({first.label} → {last.label})."
    if result.path_skipped:
        text += f" Skipped, not measured: {', '.join(result.path_skipped)}."
    return text


def bottleneck_ratio(result: Result) -> str:
    """The bottleneck's ratio at the precision its interval allows."""
    neck = result.bottleneck
    if neck is None:
        return "—"
    t = next(t for t in result.transitions if t.name == neck.transition)
    return proportion(t.ratio, t.ratio_count, t.flow_base)


def delta_values(delta: Delta) -> tuple[str, str]:
    """A comparison row's now and before: counts whole, proportions at their precision."""
    if delta.metric.startswith("reached."):
        now, before = (None if v is None else round(v) for v in (delta.current, delta.previous))
        return count(now), count(before)
    if delta.counts is None:
        return ratio(delta.current), ratio(delta.previous)
    x1, n1, x2, n2 = delta.counts
    return proportion(delta.current, x1, n1), proportion(delta.previous, x2, n2)
