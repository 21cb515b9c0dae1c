"""The export signatures fivea knows (GA4, Segment, Amplitude, Mixpanel): data shared by the
column detection (fivea/io/columns.py) and the report header's words (docs/input.md, "Column
detection")."""

from __future__ import annotations

# whole export signatures first: (name, required columns, user, time, event, time unit)
SIGNATURES: tuple[tuple[str, frozenset[str], tuple[str, ...], str, str, str | None], ...] = (
    (
        "ga4",
        frozenset({"user_pseudo_id", "event_name", "event_timestamp"}),
        ("user_pseudo_id",),
        "event_timestamp",
        "event_name",
        "us",
    ),
    (
        "segment",
        frozenset({"userId", "anonymousId", "event", "timestamp"}),
        ("userId", "anonymousId"),
        "timestamp",
        "event",
        None,
    ),
    (
        "amplitude",
        frozenset({"user_id", "device_id", "event_type", "event_time"}),
        ("user_id", "device_id"),
        "event_time",
        "event_type",
        None,
    ),
    (
        # `time` is in seconds, or ms from exports with time_in_ms: the magnitude rule decides
        "mixpanel",
        frozenset({"distinct_id", "event", "time"}),
        ("distinct_id",),
        "time",
        "event",
        None,
    ),
)
EXPORT_NAMES = {"ga4": "a GA4", "segment": "a Segment", "amplitude": "an Amplitude"}
EXPORT_NAMES["mixpanel"] = "a Mixpanel"


def export_signature(names: list[str]) -> str | None:
    """The export whose whole column signature the data has: ga4, segment, amplitude, mixpanel."""
    present = set(names)
    return next((sig[0] for sig in SIGNATURES if sig[1] <= present), None)


def export_reason(export: str) -> str:
    """Why an export was detected: 'an Amplitude export: user_id + device_id, event_type, ...'."""
    _, _, user, time, event, _ = next(sig for sig in SIGNATURES if sig[0] == export)
    return f"{EXPORT_NAMES[export]} export: {' + '.join(user)}, {event}, {time}"
