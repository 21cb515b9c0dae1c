"""``fivea validate`` against data: columns exist, every rule matches something (issue 7)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import polars as pl

from fivea.config.loader import LoadedConfig
from fivea.errors import ConfigError
from fivea.io.events import EVENT, USER, scan_events
from fivea.io.readers import READ_ERRORS, explain_read_error
from fivea.io.sources import resolve_sources
from fivea.rules.expressions import rule_match, rules_with_keys
from fivea.rules.where import numeric_casts


@dataclass(frozen=True)
class DataCheck:
    """What the data says about a config."""

    rows: int
    persons: int
    matches: dict[str, int]  # rule key path -> matching events
    warnings: tuple[str, ...]


def _describe(rule: object) -> str:
    event = getattr(rule, "event", None)
    if event:
        shown = ", ".join(event[:3]) + (", ..." if len(event) > 3 else "")
        return f"event: [{shown}]"
    if getattr(rule, "event_matches", None):
        return f"event_matches: {rule.event_matches}"  # type: ignore[attr-defined]
    return f"where: {getattr(rule, 'where', '')}"


def check_against_data(
    paths: list[str], loaded: LoadedConfig, input_format: str | None
) -> DataCheck:
    """Scan the events once: per-rule match counts and the warnings they imply."""
    config = loaded.config
    scan = scan_events(resolve_sources(paths, input_format or config.input.format), config)
    try:
        keyed = rules_with_keys(config)
        exprs = {}
        numeric: set[str] = set()
        for key, _, rule in keyed:
            try:
                expr, cols = rule_match(rule, key, EVENT, scan.properties, scan.property_types)
            except ConfigError as exc:
                raise loaded.relocate(exc) from exc
            numeric |= cols
            exprs[key] = expr.sum().alias(key)
        frame = scan.frame.with_columns(numeric_casts(frozenset(numeric), scan.property_types))
        try:
            counts, names = pl.collect_all(
                [
                    frame.select(
                        pl.len().alias("__rows"),
                        pl.col(USER).n_unique().alias("__persons"),
                        *exprs.values(),
                    ),
                    frame.group_by(EVENT)
                    .len()
                    .sort(["len", EVENT], descending=[True, False])
                    .head(500),
                ]
            )
        except READ_ERRORS as exc:  # raised at collect time: name the file (and the line)
            raise explain_read_error(scan.sources, exc) from exc
    finally:
        scan.cleanup()
    row = counts.row(0, named=True)
    event_names = [str(n) for n in names[EVENT].to_list()]
    warnings = []
    for key, _, rule in keyed:
        if row[key] == 0:
            wanted = list(rule.event or ())
            close: list[str] = []
            for name in wanted or [rule.event_matches or ""]:
                for match in difflib.get_close_matches(name, event_names, n=2, cutoff=0.6):
                    if match not in close:
                        close.append(match)
            hint = f"; closest event names: {', '.join(close[:3])}" if close else ""
            warnings.append(
                f"{loaded.locate(key)}: {key} ({_describe(rule)}) matches no event" + hint
            )
    for column in config.segments:
        if column not in scan.properties:
            warnings.append(f"segments: column '{column}' is not in the data")
    for index, check in enumerate(config.checks):
        if check.segment:
            column = next(iter(check.segment))
            if column not in scan.properties:
                warnings.append(f"checks[{index}].segment: column '{column}' is not in the data")
    return DataCheck(
        int(row["__rows"]),
        int(row["__persons"]),
        {key: int(row[key]) for key, _, _ in keyed},
        tuple(warnings),
    )
