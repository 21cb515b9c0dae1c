"""Number and duration formatting shared by the text renderers, and ``safe_text`` (no terminal code).

``safe_text`` is the one place where data reaching a text format is made inert: every renderer
but JSON passes its input through ``sanitised`` (docs/errors.md, "Outputs").
"""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from fivea.result import Bottleneck, Delta, Result, SourceInfo, Transition


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


T = TypeVar("T")

# C0 controls (ESC, BEL, CR, LF, TAB...), DEL and C1 controls: a terminal runs them (titles,
# clearing the screen, hyperlinks); a newline or tab breaks a table row, an annotation or an
# XML attribute. Also the Unicode line and paragraph separators and the bidirectional
# overrides and isolates, which reorder what a reader sees ("Trojan Source", CVE-2021-42574).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: object) -> str:
    """A data value as inert text: control characters shown as escapes (ESC -> ``\\x1b``).

    Ordinary text, including any printable Unicode, comes back unchanged, so applying it twice
    changes nothing. Backslashes are kept as they are (Windows paths), so a name that holds the
    four characters ``\\x1b`` looks the same as one holding ESC: JSON output tells them apart.
    """
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def sanitised(value: T) -> T:
    """``value`` with every string inside it (dataclass fields, lists, tuples, dict keys and
    values) passed through ``safe_text``; the same object when nothing needed escaping."""
    if isinstance(value, str):
        return safe_text(value)  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        items = [sanitised(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        if hasattr(value, "_fields"):  # a named tuple
            return type(value)(*items)  # type: ignore[return-value]
        return type(value)(items)  # type: ignore[return-value]
    if isinstance(value, dict):
        pairs = [(sanitised(k), sanitised(v)) for k, v in value.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items(), strict=True)):
            return value
        return type(value)(pairs)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            old = getattr(value, field.name)
            new = sanitised(old)
            if new is not old:
                changes[field.name] = new
        if not changes:
            return value
        clone = copy.copy(value)  # not dataclasses.replace: init=False fields stay
        for name, new in changes.items():
            object.__setattr__(clone, name, new)  # frozen dataclasses too
        return clone
    return value


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


def uplift(value: float | None, grade: str | None, ratio: float | None) -> str:
    """The uplift to target: only where a ratio is below its target (u > 1); "∞" for a ratio of
    0 between measured stages; "—" otherwise (an ok ratio has nothing to lift)."""
    if grade == "critical" and ratio == 0:
        return "∞"
    return f"×{value:.2f}" if value is not None and value > 1 else "—"


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
    return files, config_label(src)


def columns_line(src: SourceInfo) -> str:
    """'columns: user=uid, time=ts, event=name · segment export': which column is which."""
    columns = ", ".join(
        f"{k}={'+'.join(v) if isinstance(v, list) else v}" for k, v in src.columns.items()
    )
    export = f" · {src.export} export" if src.export else ""
    return f"columns: {columns}{export}"


def config_reason(src: SourceInfo) -> str | None:
    """How the config was chosen, in words (docs/config.md, "Where the config comes from");
    None when the user named it (``-c``, ``--preset``, the Python API)."""
    if src.config_from == "detected" and src.export:
        from fivea.exports import export_reason

        return f"detected {export_reason(src.export)}"
    return {
        "env": "from FIVEA_CONFIG",
        "discovered": "found from the working directory",
        "default": "default",
    }.get(src.config_from)


def config_label(
    src: SourceInfo, *, prefix: bool = True, show_preset: bool = True, mark_default: bool = True
) -> str:
    """'config fivea.yaml (preset saas)', 'preset amplitude (detected an Amplitude export: ...)'."""
    details = []
    if src.config:
        label = f"config {src.config}" if prefix else src.config
        if src.preset and show_preset:
            details.append(f"preset {src.preset}")
    else:
        label = f"preset {src.preset}"
    reason = config_reason(src)
    if reason and (mark_default or src.config_from != "default"):
        details.append(reason)
    return label + (f" ({'; '.join(details)})" if details else "")


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


def expected_gain(neck: Bottleneck) -> str:
    """'≈ 120 more persons at target', or why the gain is unknown."""
    gain = neck.expected_gain
    if gain.value is None:
        return "gain unknown: nobody is at that stage yet"
    return "≈ " + plural(int(gain.value), gain.unit, "more ") + " at target"


def delta_values(delta: Delta) -> tuple[str, str]:
    """A comparison row's now and before: counts whole, proportions at their precision."""
    if delta.metric.startswith("reached."):
        now, before = (None if v is None else round(v) for v in (delta.current, delta.previous))
        return count(now), count(before)
    if delta.counts is None:
        return ratio(delta.current), ratio(delta.previous)
    x1, n1, x2, n2 = delta.counts
    return proportion(delta.current, x1, n1), proportion(delta.previous, x2, n2)
