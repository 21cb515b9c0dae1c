"""``fivea init``: a commented starter config, from a preset alone or from a sample of the data.

Without data the file names the preset and shows every section it may override as commented
examples. With data it also writes the detected ``columns:``, describes the timestamps, and lists
the event names found (top ``TOP_NAMES`` by count) with the stage each one feeds: names the
preset's rules already place, a guess from the name for the others (written as commented-out
rules), and an "unassigned" block for the rest. Every commented block is valid YAML once the
leading ``# `` is removed, so uncommenting never breaks the file.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

import polars as pl
import yaml

from fivea.authoring.stages import duration_text, ordinal
from fivea.config.loader import (
    DEFAULT_PRESET,
    STAGE_KEYS,
    Config,
    LoadedConfig,
    Rule,
    load_config,
    preset_description,
    preset_names,
)
from fivea.errors import ConfigError, InputError
from fivea.io.columns import ColumnMap
from fivea.io.events import EVENT, USER, EventScan, scan_events
from fivea.io.readers import READ_ERRORS, explain_read_error
from fivea.io.sources import resolve_sources
from fivea.rules.expressions import numeric_casts, rule_match, rules_with_keys

SAMPLE_ROWS = 1_000_000  # valid events read by `fivea init EVENTS`
TOP_NAMES = 50
_LISTED_PROPERTIES = 24
_TIME_VALUES = 1_000  # time values classified for the header
WIDTH = 100
_STAGE_LABEL = {key: key.capitalize() for key in STAGE_KEYS}

# --- guessing a stage from an event name ------------------------------------------------------

# Checked in this order, so that the most specific evidence wins: "review_post" is Advocate
# before "review" is Ask, "product_view" is Appeal before "view" is Aware (SPEC §1's table).
# Each entry is a token or a run of tokens of the name (split at _, -, spaces and camelCase).
GUESS_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "advocate",
        (
            "review_post", "post_review", "review_posted", "write_review", "review_written",
            "review_submitted", "submit_review", "reviewed", "refer", "referral", "referred",
            "invite", "invited", "invitation", "share", "shared", "rating", "rated", "recommend",
            "recommended", "testimonial", "renewal", "renewed", "renew", "upgrade", "upgraded",
        ),
    ),
    (
        "act",
        (
            "purchase", "purchased", "order", "ordered", "checkout_completed",
            "checkout_complete", "complete_checkout", "completed_checkout", "subscribe",
            "subscribed", "subscription", "paid", "activate", "activated", "activation", "buy",
            "bought",
        ),
    ),
    (
        "ask",
        (
            "search", "searched", "review_read", "read_review", "reviews_viewed", "review_view",
            "review", "reviews", "compare", "compared", "comparison", "faq", "chat", "contact",
            "demo", "trial", "lead", "quote", "question", "support", "help", "guide",
        ),
    ),
    (
        "appeal",
        (
            "product", "item", "pricing", "price", "wishlist", "save_for_later", "feature",
            "features", "plan",
        ),
    ),
    (
        "aware",
        (
            "view", "viewed", "visit", "impression", "open", "opened", "session", "page",
            "screen", "landing", "click", "clicked", "scroll",
        ),
    ),
)  # fmt: skip
# names that say something went wrong or was undone are never guessed into a stage
NEGATIVE_WORDS = frozenset(
    {
        "fail", "failed", "failure", "error", "cancel", "cancelled", "canceled", "refund",
        "refunded", "remove", "removed", "abandon", "abandoned", "delete", "deleted",
        "unsubscribe", "unsubscribed", "declined", "denied", "expired",
    }
)  # fmt: skip
_STEP_WORDS = frozenset({"cart", "basket", "checkout", "shipping", "payment"})


def name_tokens(name: str) -> list[str]:
    """``"Product Viewed"``, ``productViewed``, ``product-viewed`` -> ``[product, viewed]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def guess_stage(name: str) -> tuple[str, str] | None:
    """(stage, the words that decided it) from an event name, or None when it gives no clue."""
    tokens = name_tokens(name)
    if NEGATIVE_WORDS & set(tokens):
        return None
    for stage, words in GUESS_WORDS:
        for word in words:
            run = word.split("_")
            for start in range(len(tokens) - len(run) + 1):
                if tokens[start : start + len(run)] == run:
                    return stage, word.replace("_", " ")
    return None


def is_step_like(name: str) -> bool:
    """Cart and checkout steps belong in a sub-funnel inside Act, not in a stage (SPEC §1)."""
    return bool(_STEP_WORDS & set(name_tokens(name)))


# --- the data sample --------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePlacement:
    """An event name found in the data and where it goes."""

    name: str
    events: int
    known: tuple[tuple[str, str], ...]  # (stage, note) for each stage whose rules match it
    steps: tuple[tuple[str, int], ...]  # (sub-funnel, step number from 1) matching it
    guess: tuple[str, str] | None  # (stage, deciding words) for names no stage rule matches


@dataclass(frozen=True)
class DataSample:
    """What ``fivea init EVENTS`` learned from the data."""

    inputs: tuple[str, ...]  # the EVENTS arguments
    files: tuple[str, ...]
    columns: ColumnMap
    time_form: str
    time_example: str | None
    naive_times: bool
    events: int
    persons: int
    complete: bool  # the whole input fit in the sample
    properties: tuple[str, ...]
    names: tuple[NamePlacement, ...]  # the top names by count
    more_names: int
    more_events: int


_FORMS = {
    "iso_z": ("ISO-8601 with Z (UTC)", False),
    "space": ("'YYYY-MM-DD HH:MM:SS' without a zone", True),
    "space_utc": ("'YYYY-MM-DD HH:MM:SS UTC'", False),
    "iso_offset": ("ISO-8601 with a UTC offset", False),
    "iso_local": ("ISO-8601 without a zone", True),
    "date": ("dates only (YYYY-MM-DD)", True),
    "other_zoned": ("times with a zone (Z, UTC, GMT or an offset)", False),
    "minutes": ("'YYYY-MM-DD HH:MM' without a zone", True),
    "iso_minutes": ("ISO-8601 to the minute without a zone", True),
    "compact_date": ("dates as YYYYMMDD", True),
}
_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def _epoch_unit(values: pl.Series, configured: str | None) -> str:
    if configured:
        return configured
    # the magnitude rule of SPEC §2: < 1e11 s, < 1e14 ms, < 1e17 µs, else ns
    median = values.cast(pl.Float64, strict=False).abs().median()
    if median is None:
        return "s"
    magnitude = float(median)  # type: ignore[arg-type]
    return (
        "s"
        if magnitude < 1e11
        else "ms"
        if magnitude < 1e14
        else "us"
        if magnitude < 1e17
        else "ns"
    )


def describe_times(values: pl.Series, unit: str | None) -> tuple[str, bool]:
    """(how the time column is written, whether some times carry no zone)."""
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            return f"typed timestamps in {dtype.time_zone}", False
        return "typed timestamps without a zone", True
    if isinstance(dtype, pl.Date):
        return "typed dates", True
    if dtype.is_numeric():
        found = _epoch_unit(values, unit)
        how = "set by columns.time_unit" if unit else "from their magnitude"
        return f"epoch {_UNIT_WORDS[found]} ({how})", False
    from fivea.io.timeparse import (
        PARSE_STEPS,  # the parser's own forms, so the words match what it reads
    )

    text = values.cast(pl.String).str.strip_chars()
    text = text.filter(text.is_not_null() & (text != ""))
    if text.len() == 0:
        return "empty", False
    # each value in the first form (in the parser's listed order) that reads it
    frame = text.rename("t").to_frame()
    counts: dict[str, int] = {}
    for name, _, parse in PARSE_STEPS:
        parsed = frame.select(parse(pl.col("t")).is_not_null().alias("ok"))["ok"]
        if parsed.any():
            counts[name] = int(parsed.sum())
        frame = frame.filter(~parsed)
    total = text.len()
    parts = []
    naive = False
    for name, n in sorted(counts.items(), key=lambda item: -item[1]):
        if name == "epoch":
            epoch = text.filter(text.str.contains(r"^[-+]?\d+(\.\d+)?$"))
            how = "set by columns.time_unit" if unit else "from their magnitude"
            words = f"epoch {_UNIT_WORDS[_epoch_unit(epoch, unit)]} ({how})"
        else:
            words, is_naive = _FORMS[name]
            naive = naive or is_naive
        parts.append((words, n))
    if frame.height:
        parts.append(("unreadable", frame.height))
    if len(parts) == 1:
        return parts[0][0], naive
    mixed = ", ".join(f"{n / total:.0%} {words}" for words, n in parts)
    return f"mixed: {mixed}", naive


def _rule_note(rule: Rule) -> str:
    notes = []
    if rule.where:
        notes.append(f"where {rule.where}")
    if rule.is_counted:
        gap = f", occasions split by a {duration_text(rule.gap)} gap" if rule.gap else ""
        notes.append(f"from the {ordinal(rule.min_count or 1)} on" + _within(rule) + gap)
    return f" ({'; '.join(notes)})" if notes else ""


def _within(rule: Rule) -> str:
    return f" within {duration_text(rule.within)}" if rule.within else ""


def sample_data(
    paths: list[str], preset: str | None, input_format: str | None
) -> tuple[str, DataSample]:
    """Read a sample of the events: (the preset to start from, what the data says).

    Columns are detected by the same loader as ``diagnose``. Without ``--preset``, a detected
    export (GA4, Segment, Amplitude, Mixpanel) picks its own preset.
    """
    name = preset or DEFAULT_PRESET
    loaded = load_config(None, name)
    sources = resolve_sources(list(paths), input_format or loaded.config.input.format)
    scan = _scan(sources, loaded)
    if preset is None and scan.columns.export in preset_names():
        scan.cleanup()
        name = str(scan.columns.export)
        loaded = load_config(None, name)
        scan = _scan(sources, loaded)
    try:
        return name, _sample(tuple(paths), scan, loaded)
    except READ_ERRORS as exc:
        raise explain_read_error(scan.sources, exc) from exc
    finally:
        scan.cleanup()


def _scan(sources: list, loaded: LoadedConfig) -> EventScan:
    try:
        return scan_events(sources, loaded.config)
    except InputError as exc:
        if "columns." not in str(exc):
            raise
        msg = f"{exc} (or run `fivea init` without EVENTS and set columns: by hand)"
        raise InputError(msg) from exc


def _sample(inputs: tuple[str, ...], scan: EventScan, loaded: LoadedConfig) -> DataSample:
    config = loaded.config
    keyed = rules_with_keys(config)
    casts = numeric_casts(
        frozenset(c for _, _, r in keyed for c in _where_columns(r)), scan.property_types
    )
    sample = scan.frame.head(SAMPLE_ROWS)
    sample = sample.with_columns(casts) if casts else sample
    matches = {}
    for index, (key, _, rule) in enumerate(keyed):
        if rule.is_any_event:
            continue
        try:
            expr, _ = rule_match(rule, key, EVENT, scan.properties, scan.property_types)
        except ConfigError as exc:
            raise loaded.relocate(exc) from exc
        matches[f"__r{index}"] = expr.sum().alias(f"__r{index}")
    by_name, totals, times = pl.collect_all(
        [
            sample.group_by(EVENT)
            .agg(pl.len().alias("__events"), *matches.values())
            .sort(["__events", EVENT], descending=[True, False]),
            sample.select(pl.len().alias("events"), pl.col(USER).n_unique().alias("persons")),
            scan.frame.head(_TIME_VALUES).select(pl.col(scan.columns.time)),
        ]
    )
    events, persons = totals.row(0)
    if not events:
        msg = (
            f"{scan.sources[0].name}: no valid events to sample (every row lacks a user, an "
            "event or a readable time); see `fivea diagnose` for the data-quality counts"
        )
        raise InputError(msg)
    placements = []
    for row in by_name.head(TOP_NAMES).iter_rows(named=True):
        known: dict[str, list[str]] = {}
        steps: list[tuple[str, int]] = []
        for index, (key, _, rule) in enumerate(keyed):
            if not row.get(f"__r{index}"):
                continue
            if key.startswith("stages."):
                stage = key.split(".")[1]
                known.setdefault(stage, []).append(_rule_note(rule))
            else:
                sub, step = re.match(r"subfunnels\.(.+)\.steps\[(\d+)\]$", key).groups()  # type: ignore[union-attr]
                steps.append((sub, int(step) + 1))
        name = str(row[EVENT])
        notes = {
            stage: "" if "" in found else " (" + "; or ".join(n.strip(" ()") for n in found) + ")"
            for stage, found in known.items()
        }
        placements.append(
            NamePlacement(
                name=name,
                events=int(row["__events"]),
                known=tuple((s, notes[s]) for s in STAGE_KEYS if s in notes),
                steps=tuple(steps),
                guess=None if known else guess_stage(name),
            )
        )
    rest = by_name.slice(TOP_NAMES)
    time_form, naive = describe_times(times.to_series(), scan.columns.time_unit)
    first_time = times.to_series().drop_nulls()
    return DataSample(
        inputs=inputs,
        files=tuple(s.name for s in scan.sources),
        columns=scan.columns,
        time_form=time_form,
        time_example=str(first_time[0]) if first_time.len() else None,
        naive_times=naive,
        events=int(events),
        persons=int(persons),
        complete=int(events) < SAMPLE_ROWS,
        properties=tuple(
            p
            for p in scan.properties
            if p not in (*scan.columns.user, scan.columns.time, scan.columns.event)
        ),
        names=tuple(placements),
        more_names=rest.height,
        more_events=int(rest["__events"].sum()) if rest.height else 0,
    )


def _where_columns(rule: Rule) -> set[str]:
    return set(pl.sql_expr(rule.where).meta.root_names()) if rule.where else set()


# --- YAML text --------------------------------------------------------------------------------

_PLAIN_SCALAR = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


def scalar(value: str) -> str:
    """A YAML scalar: plain when YAML reads it back as the same text, else JSON-quoted.

    JSON strings are valid YAML double-quoted scalars; ``010``, ``true``, ``2024-05-01`` and
    names with spaces or YAML indicators get quotes.
    """
    if _PLAIN_SCALAR.match(value):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def shown(name: str) -> str:
    """An event name inside a comment: as is, unless it could break the line or hide spaces."""
    if name != name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return json.dumps(name, ensure_ascii=False)
    return name


def _wrap_items(head: str, items: list[str], tail: str, width: int) -> list[str]:
    """``head`` + comma-separated ``items`` + ``tail``, wrapped under the first item."""
    lines: list[str] = []
    line = head
    indent = " " * len(head)
    for index, item in enumerate(items):
        piece = item + (", " if index < len(items) - 1 else tail)
        if len(line) + len(piece.rstrip()) > width and line.strip() != head.strip():
            lines.append(line.rstrip())
            line = indent
        line += piece
    lines.append(line.rstrip())
    return lines


def rule_lines(rule: Rule, indent: str, width: int = WIDTH - 2) -> list[str]:
    """One rule as a YAML list item in flow style, wrapped to ``width``."""
    parts: list[tuple[str, list[str] | str]] = []
    if rule.any_event:
        parts.append(("any_event", "true"))
    if rule.event:
        names = [scalar(n) for n in rule.event]
        parts.append(("event", names if len(names) > 1 else names[0]))
    if rule.event_matches:
        parts.append(("event_matches", json.dumps(rule.event_matches, ensure_ascii=False)))
    if rule.where:
        parts.append(("where", json.dumps(rule.where, ensure_ascii=False)))
    if rule.min_count is not None:
        parts.append(("min_count", str(rule.min_count)))
    if rule.within is not None:
        parts.append(("within", duration_text(rule.within)))
    if rule.gap is not None:
        parts.append(("gap", duration_text(rule.gap)))
    simple = ", ".join(
        f"{k}: [{', '.join(v)}]" if isinstance(v, list) else f"{k}: {v}" for k, v in parts
    )
    line = f"{indent}- {{{simple}}}"
    if len(line) <= width:
        return [line]
    # long name lists: one key per line, the list wrapped under its first name
    out = []
    for number, (key, value) in enumerate(parts):
        lead = f"{indent}- " if number == 0 else f"{indent}  "
        if isinstance(value, list):
            out += _wrap_items(f"{lead}{key}: [", value, "]", width)
        else:
            out.append(f"{lead}{key}: {value}")
    return out


def commented(lines: list[str]) -> list[str]:
    """YAML lines as a commented block: removing the leading ``# `` restores them."""
    return [f"# {line}" if line else "#" for line in lines]


def _rule(text: str) -> str:
    return f"# --- {text} " + "-" * max(3, WIDTH - len(text) - 7)


def _number(value: float) -> str:
    return f"{value:g}"


def _columns_example(config: Config) -> list[str]:
    columns = config.columns
    user = list(columns.user or ["user_id"])
    lines = [
        "columns:",
        (
            f"  user: {scalar(user[0])}"
            if len(user) == 1
            else f"  user: [{', '.join(scalar(u) for u in user)}]"
        ).ljust(34)
        + "# or a list [user_id, anonymous_id]: ids are stitched",
        f"  time: {scalar(columns.time or 'event_time')}",
        f"  event: {scalar(columns.event or 'event')}",
        f"  time_unit: {columns.time_unit or 'ms'}".ljust(34)
        + "# epoch numbers: s, ms, us or ns (unset: from their magnitude)",
        '  time_format: "%d/%m/%Y %H:%M"'.ljust(34)
        + "# only for times the automatic parser cannot read",
    ]
    return lines


def _section_columns_template(config: Config) -> list[str]:
    preset_sets = config.columns.user or config.columns.time or config.columns.event
    return [
        _rule("columns: where the person, the time and the event name are"),
        "# Unset columns are detected: export signatures (GA4, Segment, Amplitude, Mixpanel), then the",
        "# names user_id/userid/user, event/event_name/event_type, timestamp/event_time/time/ts.",
        *(
            ["# The preset sets the values shown; override them if your export differs."]
            if preset_sets
            else []
        ),
        *commented(_columns_example(config)),
        "",
    ]


def _section_columns_data(sample: DataSample, config: Config) -> list[str]:
    cols = sample.columns
    user = (
        scalar(cols.user[0])
        if len(cols.user) == 1
        else f"[{', '.join(scalar(u) for u in cols.user)}]"
    )
    lines = [
        _rule("columns: detected in the data (written out so that nothing is left to chance)"),
        "columns:",
        f"  user: {user}",
        f"  time: {scalar(cols.time)}",
        f"  event: {scalar(cols.event)}",
    ]
    if cols.time_unit:
        lines.append(f"  time_unit: {cols.time_unit}")
    else:
        lines.append(
            "  # time_unit: ms".ljust(36) + "# epoch numbers: s, ms, us or ns (unset: magnitude)"
        )
    lines.append(
        '  # time_format: "%d/%m/%Y %H:%M"'.ljust(36)
        + "# only for times the automatic parser cannot read"
    )
    lines.append("")
    return lines


def _section_time(config: Config, sample: DataSample | None) -> list[str]:
    lines = [_rule("time: the zone of times written without one, and of --since/--until dates")]
    if sample is not None and sample.naive_times:
        lines.append(
            f"# Some times in the data carry no zone: they are read in {config.time.timezone}. "
            "If they are local"
        )
        lines.append("# times, set the zone they were written in:")
    zone = "Europe/Berlin" if config.time.timezone == "UTC" else config.time.timezone
    lines += commented(["time:", f"  timezone: {zone}"])
    lines.append("")
    return lines


def _section_input() -> list[str]:
    return [
        _rule("input, identity, dedupe: reading the files"),
        *commented(
            [
                "input:",
                "  encoding: utf-8".ljust(34) + "# latin-1, cp1252, ... for CSV and NDJSON",
                '  separator: ";"'.ljust(34) + "# the CSV delimiter (unset: sniffed)",
                "identity:",
                "  stitch: true".ljust(34) + "# join the ids of a list-valued columns.user",
                "dedupe: false".ljust(34) + "# true: drop rows identical to an earlier row",
            ]
        ),
        "",
    ]


_RULE_KINDS = [
    "stages:",
    "  aware:",
    "    rules:",
    "      - any_event: true                           # every event: anyone seen at all",
    "  appeal:",
    "    label: Appeal",
    "    rules:",
    "      - event: [product_view, wishlist_add]       # exact names (case-sensitive)",
    "      - event: product_view                       # the 2nd view within 30 days",
    "        min_count: 2",
    "        within: 30d",
    "  ask:",
    "    rules:",
    '      - event_matches: "faq_.*|help_.*"           # a regex over the whole name',
    "  act:",
    "    rules:",
    "      - event: purchase                           # a SQL condition over columns",
    '        where: "revenue > 0"',
    "  advocate:",
    "    rules:",
    "      - event: [review_post, referral_sent, social_share]",
    '      - {event: purchase, where: "revenue > 0", min_count: 2, gap: 1h}  # a 2nd order',
]


def _section_stages_template(preset: str) -> list[str]:
    return [
        _rule("stages: the rules that put a person in each 5A stage"),
        "# A stage set here replaces the preset's rules for that stage (see them with",
        f"# `fivea presets {preset}`); the others are inherited. A rule matches an event when all",
        "# its keys hold; a stage's hits are the union of its rules' hits. One rule of each kind:",
        *commented(_RULE_KINDS),
        "",
    ]


def _section_rest(config: Config) -> list[str]:
    targets = config.targets
    diagnosis = config.diagnosis
    subs = list(config.subfunnels.items())
    lines = [
        _rule("subfunnels: ordered steps, e.g. cart -> checkout -> purchase inside Act"),
        "# Each step needs its own event, at or after the previous one. A name set here replaces the",
        "# preset's sub-funnel of that name; the others are inherited.",
    ]
    if subs:
        name, sub = subs[0]
        example = ["subfunnels:", f"  {scalar(name)}:", "    steps:"]
        for step in sub.steps:
            example += rule_lines(step, "      ", WIDTH - 2)
        if sub.window is not None:
            example.append(f"    window: {duration_text(sub.window)}")
        other = {
            "leads": "leads: {steps: [mql, sql, closed_won], window: 365d}",
            "trial": "trial: {steps: [trial_start, activation, first_payment], window: 30d}",
        }
        extra = next(v for k, v in other.items() if k != name)
        example.append(f"  {extra}".ljust(58) + "# its own window")
    else:
        example = [
            "subfunnels:",
            "  checkout: [add_to_cart, begin_checkout, purchase]     # within funnel.window",
            "  leads: {steps: [mql, sql, closed_won], window: 365d}   # its own window",
        ]
    lines += commented(example)
    lines += [
        "",
        _rule("funnel.window: the conversion window of the ordered 5A path"),
        *commented(
            [
                "funnel:",
                f"  window: {duration_text(config.funnel.window)}".ljust(34)
                + "# durations: 45s, 90m, 12h, 30d, 2w",
            ]
        ),
        "",
        _rule("segments: break every metric down by these property columns"),
        *commented(
            [
                f"segments: [{', '.join(config.segments) or 'channel, device'}]",
                f"segment_attribution: {config.segment_attribution}".ljust(34)
                + "# a person's value: first (or last) event",
            ]
        ),
        "",
        _rule("targets: what good looks like for each ratio (the preset's values)"),
        *commented(
            [
                "targets:",
                f"  attraction: {_number(targets.attraction)}".ljust(34) + "# Appeal / Aware",
                f"  curiosity: [{_number(targets.curiosity[0])}, {_number(targets.curiosity[1])}]".ljust(
                    34
                )
                + "# Ask / Appeal: a band [low, high]",
                f"  commitment: {_number(targets.commitment)}".ljust(34) + "# Act / Ask",
                f"  affinity: {_number(targets.affinity)}".ljust(34) + "# Advocate / Act",
            ]
        ),
        "",
        _rule("diagnosis: when the shape of the funnel is judged"),
        *commented(
            [
                "diagnosis:",
                f"  min_aware: {diagnosis.min_aware}".ljust(34)
                + "# fewer aware persons: insufficient data",
                f"  min_stage: {diagnosis.min_stage}".ljust(34) + "# nor fewer in appeal..act",
                f"  expected_archetype: {diagnosis.expected_archetype or 'door_knob'}".ljust(34)
                + "# funnel, bow_tie, goldfish, door_knob, trumpet",
            ]
        ),
        "",
        _rule("actions: your own advice for a weak transition (replaces the shipped text)"),
        *commented(
            [
                "actions:",
                "  commitment:",
                "    actions: [Offer free returns on first orders, Call back abandoned carts]",
            ]
        ),
        "",
        _rule("checks: thresholds for `fivea check` in CI (exit 1 when one fails)"),
        *commented(
            [
                "checks:",
                '  - {id: par-floor, metric: par, fail: "< 0.02", warn: "< 0.03"}',
                '  - {id: commitment, metric: ratio.commitment, fail: "< 0.2"}',
                '  - {id: unmapped-events, metric: quality.unmatched_share, warn: "> 5%"}',
            ]
        ),
    ]
    return lines


def _header(preset: str, path: str, sample: DataSample | None, asked: str | None) -> list[str]:
    events = " ".join(shlex.quote(i) for i in sample.inputs) if sample else "EVENTS"
    source = f" from {', '.join(sample.inputs)}" if sample else ""
    config = shlex.quote(path)
    lines = [
        f"# fivea config, started by `fivea init`{source}.",
        "#",
        "# It says which events put a person in each stage of Kotler's 5A path (Aware -> Appeal ->",
        "# Ask -> Act -> Advocate). It starts from the preset below and overrides only what it sets:",
        "# mappings merge key by key, lists and a stage's rules replace the preset's. Uncomment a",
        "# section to change it (every commented block is valid YAML without its leading '# ').",
    ]
    if sample is not None:
        cols = sample.columns
        user = " + ".join(cols.user)
        coverage = (
            "the whole input" if sample.complete else f"the first {SAMPLE_ROWS:,} valid events"
        )
        lines += [
            "#",
            f"# Data: {sample.events:,} events of {sample.persons:,} persons ({coverage}).",
            f"# Columns detected: user = {user}, time = {cols.time}, event = {cols.event}"
            + (f" ({_EXPORTS.get(cols.export, cols.export)})" if cols.export else "")
            + ".",
            f"# Timestamps: {sample.time_form}"
            + (f", e.g. {shown(sample.time_example)}" if sample.time_example else "")
            + ".",
        ]
        if sample.properties:
            listed = ", ".join(sample.properties[:_LISTED_PROPERTIES])
            more = len(sample.properties) - _LISTED_PROPERTIES
            lines.append(
                f"# Properties, usable in where: and segments: {listed}"
                + (f" and {more} more." if more > 0 else ".")
            )
        if (
            cols.export
            and asked is not None
            and asked != cols.export
            and cols.export in preset_names()
        ):
            lines.append(
                f"# The data looks like a {_EXPORTS.get(cols.export, cols.export)}: "
                f"`preset: {cols.export}` knows its event names."
            )
    lines += [
        "#",
        "# Next: check this file, see what each rule catches, then diagnose (docs/authoring.md):",
    ]
    lines = [_fit_comment(line) for line in lines]
    lines += [  # commands stay whole, however long the paths
        f"#   fivea validate {config} {events}",
        f"#   fivea stages {events} -c {config}",
        f"#   fivea diagnose {events} -c {config}",
        "",
        "version: 1",
        _fit_comment(f"# {preset}: {preset_description(preset)}"),
        f"preset: {scalar(preset)}",
        "",
    ]
    return lines


_EXPORTS = {
    "ga4": "GA4 BigQuery export",
    "segment": "Segment export",
    "amplitude": "Amplitude export",
    "mixpanel": "Mixpanel export",
}


def _fit_comment(line: str) -> str:
    """Wrap a long prose comment at spaces, continuation lines indented under the first."""
    if len(line) <= WIDTH or not line.startswith("# "):
        return line
    body = line[2:]
    indent = len(body) - len(body.lstrip(" "))
    out, current = [], "#" + " " * (indent + 1)
    prefix = "#" + " " * (indent + 3)
    for word in body.lstrip(" ").split(" "):
        if len(current) + len(word) > WIDTH and current.strip() != "#":
            out.append(current.rstrip())
            current = prefix
        current += word + " "
    out.append(current.rstrip())
    return "\n".join(out)


def _placement_line(place: NamePlacement, stage: str, note: str) -> str:
    return (
        f"#   {shown(place.name)} ({place.events:,} events): {_STAGE_LABEL[stage]} via preset{note}"
    )


def _section_stages_data(sample: DataSample, loaded: LoadedConfig, preset: str) -> list[str]:
    config = loaded.config
    names = sample.names
    guessed = [p for p in names if p.guess is not None]
    placed = [p for p in names if p.known or p.steps]
    unassigned = [p for p in names if not p.known and not p.steps and p.guess is None]
    shown_count = len(names)
    total_names = shown_count + sample.more_names
    aware_all = any(r.is_any_event for r in config.stages.aware.rules)
    lines = [
        _rule("stages: the event names found, and the stage each one feeds"),
        (
            f"# {total_names:,} event names; the top {shown_count} by count under their stage: "
            if sample.more_names
            else f"# {total_names:,} event names, by count under their stage: "
        )
        + f"{len(placed)} placed by the preset, {len(guessed)} guessed, "
        f"{len(unassigned)} unassigned.",
    ]
    if aware_all:
        lines.append(
            "# Aware has `any_event: true`: every event is an Aware touch whatever its name (naming"
        )
        lines.append("# one in Aware only clears it from 'events matched by no rule').")
    for stage in STAGE_KEYS:
        entries = []
        for place in names:
            for known_stage, note in place.known:
                if known_stage == stage:
                    entries.append(_placement_line(place, stage, note))
            if place.guess is not None and place.guess[0] == stage:
                entries.append(
                    f"#   {shown(place.name)} ({place.events:,} events): guess: "
                    f"{_STAGE_LABEL[stage]} ({place.guess[1]!r} in the name; rule below)"
                )
        heading = f"# {_STAGE_LABEL[stage]}" + ("" if entries else ": no event name found")
        lines.append(heading)
        lines += entries
    for sub_name, sub in config.subfunnels.items():
        entries = [
            f"#   {shown(place.name)} ({place.events:,} events): step {step} via preset"
            for place in names
            for name, step in place.steps
            if name == sub_name
        ]
        label = f"# Sub-funnel {sub_name} ({len(sub.steps)} steps)"
        lines.append(label + ("" if entries else ": no event name found"))
        lines += entries
    if unassigned:
        lines.append(
            "# Unassigned (no rule matches them and the name gives no clue"
            + ("; still Aware touches" if aware_all else "")
            + "):"
        )
        for place in unassigned:
            hint = (
                " - a cart or checkout step? add it to a sub-funnel inside Act"
                if is_step_like(place.name) and not NEGATIVE_WORDS & set(name_tokens(place.name))
                else ""
            )
            lines.append(f"#   {shown(place.name)} ({place.events:,} events){hint}")
    if sample.more_names:
        lines.append(
            f"# ... and {sample.more_names:,} more names ({sample.more_events:,} events); "
            "`fivea stages` lists those no rule matches."
        )
    lines = [_fit_comment(line) for line in lines]  # prose only so far: data can make it long
    if guessed:
        lines += [
            "#",
            "# The guesses as rules. To accept them, uncomment this block and delete the guesses you do",
            "# not want (a stage set here replaces the preset's rules for it, so each stage starts",
            "# with them):",
        ]
        block = ["stages:"]
        for stage, spec in config.stages.items():
            mine = [p for p in guessed if p.guess and p.guess[0] == stage]
            if not mine:
                continue
            block += [
                f"  {stage}:",
                "    rules:",
                f"      # the {preset} preset's rules for {stage}",
            ]
            for rule in spec.rules:
                block += rule_lines(rule, "      ")
            for place in mine:
                assert place.guess is not None
                block.append(
                    f"      # guess: {place.guess[1]!r} in the name ({place.events:,} events)"
                )
                block += rule_lines(Rule(event=(place.name,)), "      ")
        lines += commented(block)
    else:
        lines += [
            "#",
            "# Nothing to guess. To change a stage, set its rules (they replace the preset's):",
            *commented(_RULE_KINDS),
        ]
    lines.append("")
    return lines


def starter_config(
    preset: str | None = None,
    path: str = "fivea.yaml",
    sample: DataSample | None = None,
    asked: str | None = None,
) -> str:
    """The text of a starter config for ``preset`` (and the data ``sample``, if any).

    ``asked`` is the preset the user named (None: chosen from the data or the default).
    """
    name = preset or DEFAULT_PRESET
    loaded = load_config(None, name)
    config = loaded.config
    lines = _header(name, path, sample, asked)
    if sample is None:
        lines += _section_columns_template(config)
    else:
        lines += _section_columns_data(sample, config)
    lines += _section_time(config, sample)
    lines += _section_input()
    if sample is None:
        lines += _section_stages_template(name)
    else:
        lines += _section_stages_data(sample, loaded, name)
    lines += _section_rest(config)
    return "\n".join(lines).rstrip("\n") + "\n"


def summary(sample: DataSample | None) -> str:
    """One line for stderr: what the file holds."""
    if sample is None:
        return "a commented template"
    names = sample.names
    guessed = sum(1 for p in names if p.guess is not None)
    unassigned = sum(1 for p in names if not p.known and not p.steps and p.guess is None)
    total = len(names) + sample.more_names
    return (
        f"{total:,} event names: {len(names) - guessed - unassigned} placed by the preset, "
        f"{guessed} guessed, {unassigned} unassigned"
    )
