"""The analysis window from the CLI flags (docs/config.md#segments-and-segment_attribution): since / until / as_of in µs UTC."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl

from fivea.config.loader import parse_duration
from fivea.errors import InputError, UsageError
from fivea.io.events import TIME, EventScan
from fivea.person.table import Window

_RELATIVE = re.compile(r"^\d+\s*[smhdw]$")
# the instants a window bound can name (docs/input.md, "Decisions"): 0001-01-01T00:00:00Z to
# the last µs of 9999; a bound beyond them (`--until 9999-12-31`, `--since 99999999999d`) is
# clamped to them
MIN_US = -62_135_596_800_000_000
MAX_US = 253_402_300_799_999_999


def _clamped(micros: int) -> int:
    return max(MIN_US, min(MAX_US, micros))


@dataclass(frozen=True)
class WindowRequest:
    """The window flags as typed: ISO times, dates, or (for since) a duration before as_of."""

    since: str | None = None
    until: str | None = None
    as_of: str | None = None
    compare: str | None = None  # "previous"


def iso(micros: int | None) -> str | None:
    """µs since the epoch -> ISO-8601 UTC with a ``Z`` (None stays None)."""
    if micros is None:
        return None
    stamp = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)
    return stamp.isoformat().replace("+00:00", "Z")


def parse_instant(text: str, timezone: str, flag: str, *, end_of_date: bool = False) -> int:
    """A CLI time: ISO-8601 (zone optional, read in ``timezone``) or a date (00:00 there)."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.date.fromisoformat(value)
            if end_of_date and day == dt.date.max:
                return MAX_US  # the whole last date there is
            if end_of_date:  # --until DATE includes that whole date
                day += dt.timedelta(days=1)
            stamp = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(timezone))
        else:
            stamp = dt.datetime.fromisoformat(value.replace(" UTC", "+00:00"))
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=ZoneInfo(timezone))
    except ValueError as exc:
        msg = f"{flag} {text!r}: not a date or time; use 2024-05-01, 2024-05-01T12:00:00Z or 28d"
        raise UsageError(msg) from exc
    delta = stamp - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return _clamped((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def _max_time(scan: EventScan) -> int | None:
    return scan.frame.select(pl.col(TIME).max()).collect().item()


def resolve_window(
    request: WindowRequest,
    timezone: str,
    scan: EventScan,
    max_time: Callable[[], int | None] | None = None,
) -> tuple[Window, int | None]:
    """Turn the flags into µs bounds; as_of defaults to the latest valid event time.

    ``max_time`` computes that time when it is needed (default: read it from ``scan``; another
    engine passes its own).
    """
    as_of = parse_instant(request.as_of, timezone, "--as-of") if request.as_of else None
    until = (
        parse_instant(request.until, timezone, "--until", end_of_date=True)
        if request.until
        else None
    )
    relative = request.since is not None and _RELATIVE.match(request.since.strip())
    latest: int | None = None
    if request.compare is not None and request.since is None:
        msg = "--compare previous needs --since (the previous period has the same length)"
        raise UsageError(msg)
    if as_of is None and (relative or until is not None or request.compare is not None):
        latest = max_time() if max_time is not None else _max_time(scan)
        if latest is None:
            msg = f"{scan.sources[0].name}: no valid events (every row was dropped); see the data quality counts"
            raise InputError(msg)
        as_of = latest if until is None else min(latest, until - 1)
    if until is None and as_of is not None and (request.as_of or request.compare):
        until = _clamped(as_of + 1)
    since = None
    if request.since:
        if relative:
            assert as_of is not None
            since = _clamped(as_of - parse_duration(request.since.strip()))
        else:
            since = parse_instant(request.since, timezone, "--since")
    if since is not None and until is not None and since >= until:
        if request.until:
            msg = f"--since {request.since} is not before --until {request.until}; swap them"
        elif request.as_of:
            msg = f"--since {request.since} is not before --as-of {request.as_of}; pick an earlier --since"
        else:  # the end is the log's last event
            msg = (
                f"--since {request.since} is after the log's last event ({iso(as_of)}); "
                "pick an earlier --since"
            )
        raise UsageError(msg)
    return Window(since=since, until=until, as_of=as_of if as_of is not None else 0), latest


def previous_window(window: Window) -> Window:
    """[since - L, since) where L is the window's length (``--compare previous``)."""
    assert window.since is not None
    assert window.until is not None
    length = window.until - window.since
    since = _clamped(window.since - length)  # a window from year 1 has no previous period
    return Window(since=since, until=window.since, as_of=max(since, window.since - 1))
