"""Which raw columns hold the user, the time and the event (docs/input.md auto-detection)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fivea.config.loader import Columns
from fivea.errors import InputError, clip, quote_data
from fivea.exports import SIGNATURES, export_signature

if TYPE_CHECKING:
    from fivea.io.readers import FileColumns


@dataclass(frozen=True)
class ColumnMap:
    """The resolved logical columns and how they were found."""

    user: tuple[str, ...]
    time: str
    event: str
    time_unit: str | None
    time_format: str | None
    export: str | None  # "ga4", "segment", "amplitude", "mixpanel" or None


_PLAIN = {
    "user": ("user_id", "userid", "user"),
    "event": ("event", "event_name", "event_type"),
    "time": ("timestamp", "event_time", "time", "ts"),
}
_HINT = {"user": "columns.user", "event": "columns.event", "time": "columns.time"}


def _shown(names: list[str]) -> str:
    # names are data (a header line): each is clipped, and at most 12 are listed
    return ", ".join(clip(n, 40) for n in names[:12]) + (", ..." if len(names) > 12 else "")


def _record_fields(name: str, names: list[str]) -> list[str]:
    """The flattened fields of a record column ``name`` (``user_id.id``, ...): docs/input.md."""
    return [n for n in names if n.startswith(f"{name}.")]


def _record_error(role: str, name: str, fields: list[str], origin: str) -> InputError:
    """A role column that holds a record in every row: name the field that may be the value."""
    msg = (
        f"{origin}: the {role} column '{name}' holds records, not values (fields: "
        f"{_shown(fields)}); set the field that holds the {role} in the config, e.g. "
        f"columns: {{{role}: {fields[0]}}}"
    )
    return InputError(msg)


def _plain(role: str, names: list[str], origin: str) -> str:
    found = [n for c in _PLAIN[role] for n in names if n.lower() == c]
    if not found:
        for candidate in _PLAIN[role]:
            fields = _record_fields(candidate, names)
            if fields:
                raise _record_error(role, candidate, fields, origin)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        msg = (
            f"{origin}: ambiguous {role} column: {', '.join(quote_data(f, 40) for f in found)} all fit; "
            f"set {_HINT[role]} in the config to the right one"
        )
        raise InputError(msg)
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(role, list(lowered), n=1, cutoff=0.5)
    hint = f"; {quote_data(lowered[close[0]], 40)} looks close" if close else ""
    expected = "/".join(_PLAIN[role])
    msg = (
        f"{origin}: no {role} column found (looked for {expected}{hint}; columns: "
        f"{_shown(names)}); set {_HINT[role]} in the config"
    )
    raise InputError(msg)


def _require(name: str, names: list[str], role: str, origin: str) -> str:
    if name in names:
        return name
    if f"data.{name}" in names and name.startswith("__"):
        return f"data.{name}"  # renamed on read: it looked like an internal column
    fields = _record_fields(name, names)
    if fields:
        raise _record_error(role, name, fields, origin)
    close = [n for n in names if n.lower() == name.lower()]
    close = close or difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {quote_data(close[0], 40)}? " if close else ""
    msg = (
        f"{origin}: column {quote_data(name, 40)} (columns.{role} in the config) not found; {hint}"
        f"columns: {_shown(names)}"
    )
    raise InputError(msg)


def resolve_columns(names: list[str], configured: Columns, origin: str) -> ColumnMap:
    """Configured columns win; the rest come from an export signature or plain names."""
    data_names = [n for n in names if not n.startswith("__")]
    export = export_signature(data_names)
    detected: dict[str, object] = {}
    for name, _, user, time, event, unit in SIGNATURES:
        if name == export:
            detected = {"user": user, "time": time, "event": event, "unit": unit}
    if configured.user:
        user = tuple(_require(u, data_names, "user", origin) for u in configured.user)
    elif export:
        user = detected["user"]  # type: ignore[assignment]
    else:
        user = (_plain("user", data_names, origin),)
    time = (
        _require(configured.time, data_names, "time", origin)
        if configured.time
        else detected.get("time") or _plain("time", data_names, origin)
    )
    event = (
        _require(configured.event, data_names, "event", origin)
        if configured.event
        else detected.get("event") or _plain("event", data_names, origin)
    )
    unit = configured.time_unit or (detected.get("unit") if not configured.time else None)
    roles = {"time": time, "event": event}
    for role, column in roles.items():
        if column in user:
            msg = f"{origin}: column {quote_data(column, 40)} is used both as user and {role}; set columns.{role}"
            raise InputError(msg)
    if time == event:
        msg = f"{origin}: column {quote_data(time, 40)} is used both as time and event; set columns.time"
        raise InputError(msg)
    return ColumnMap(
        user=tuple(user),
        time=str(time),
        event=str(event),  # type: ignore[arg-type]
        time_unit=unit,
        time_format=configured.time_format,  # type: ignore[arg-type]
        export=export,
    )


def resolve_file_columns(
    files: list[FileColumns], names: list[str], configured: Columns, origin: str
) -> ColumnMap:
    """The columns of an input of several files: detected on the first, then checked in each.

    Detection reads the first file in input order (docs/input.md, "Folders and globs"); a later
    file that lacks the user, time or event column is an error naming it, never rows dropped
    as "unparsable time". With a ``user`` list, each file needs at least one of its columns.
    Files known to hold no rows are not checked. ``names`` are the columns of all files.
    """
    if len(files) <= 1:
        return resolve_columns(names, configured, origin)
    first = files[0]
    present = set(names)
    # a configured user list is checked per file below (at least one each), not on the first
    listed = [u for u in configured.user or () if u in present and u not in first.names]
    columns = resolve_columns([*first.names, *listed], configured, first.name)
    for file in files[1:]:
        if file.has_rows:
            _check_file(file, columns, first.name)
    return columns


def _check_file(file: FileColumns, columns: ColumnMap, first: str) -> None:
    held = set(file.names)
    missing: list[tuple[str, tuple[str, ...]]] = []
    if not held.intersection(columns.user):
        missing.append(("user", columns.user))
    missing += [
        (r, (c,)) for r, c in (("time", columns.time), ("event", columns.event)) if c not in held
    ]
    if not missing:
        return
    role, wanted = missing[0]
    what = " or ".join(quote_data(w, 40) for w in wanted)
    close = difflib.get_close_matches(wanted[0], list(file.names), n=1)
    hint = f"did you mean {quote_data(close[0], 40)}? " if close else ""
    msg = (
        f"{file.name}: no {role} column {what} in this file (it is in {first}; columns here: "
        f"{_shown(list(file.names))}); {hint}the files of one input need the same user, time "
        "and event columns: rename the column in this file, or leave the file out"
    )
    raise InputError(msg)
