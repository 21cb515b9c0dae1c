"""Number and duration formatting shared by the text renderers (no terminal code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fivea.result import SourceInfo


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


def config_reason(src: SourceInfo) -> str | None:
    """How the config was chosen, in words (docs/config.md, "Where the config comes from");
    None when the user named it (``-c``, ``--preset``, the Python API)."""
    if src.config_from == "detected" and src.export:
        from fivea.columns import export_reason

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
