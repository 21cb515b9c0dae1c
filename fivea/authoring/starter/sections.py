"""The starter config's sections from the preset alone: columns, time, input, stages, the rest."""

from __future__ import annotations

from fivea.authoring.rule_words import duration_text
from fivea.authoring.starter.data_sample import DataSample
from fivea.authoring.starter.yaml_text import (
    WIDTH,
    commented,
    number_text,
    rule_heading,
    rule_lines,
    scalar,
)
from fivea.config.models import Config


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


def columns_section_template(config: Config) -> list[str]:
    preset_sets = config.columns.user or config.columns.time or config.columns.event
    return [
        rule_heading("columns: where the person, the time and the event name are"),
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


def columns_section_from_data(sample: DataSample, config: Config) -> list[str]:
    cols = sample.columns
    user = (
        scalar(cols.user[0])
        if len(cols.user) == 1
        else f"[{', '.join(scalar(u) for u in cols.user)}]"
    )
    lines = [
        rule_heading(
            "columns: detected in the data (written out so that nothing is left to chance)"
        ),
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


def time_section(config: Config, sample: DataSample | None) -> list[str]:
    lines = [
        rule_heading("time: the zone of times written without one, and of --since/--until dates")
    ]
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


def input_section() -> list[str]:
    return [
        rule_heading("input, identity, dedupe: reading the files"),
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


RULE_KINDS = [
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


def stages_section_template(preset: str) -> list[str]:
    return [
        rule_heading("stages: the rules that put a person in each 5A stage"),
        "# A stage set here replaces the preset's rules for that stage (see them with",
        f"# `fivea presets {preset}`); the others are inherited. A rule matches an event when all",
        "# its keys hold; a stage's hits are the union of its rules' hits. One rule of each kind:",
        *commented(RULE_KINDS),
        "",
    ]


def rest_sections(config: Config) -> list[str]:
    targets = config.targets
    diagnosis = config.diagnosis
    subs = list(config.subfunnels.items())
    lines = [
        rule_heading("subfunnels: ordered steps, e.g. cart -> checkout -> purchase inside Act"),
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
        rule_heading("funnel.window: the conversion window of the ordered 5A path"),
        *commented(
            [
                "funnel:",
                f"  window: {duration_text(config.funnel.window)}".ljust(34)
                + "# durations: 45s, 90m, 12h, 30d, 2w",
            ]
        ),
        "",
        rule_heading("segments: break every metric down by these property columns"),
        *commented(
            [
                f"segments: [{', '.join(config.segments) or 'channel, device'}]",
                f"segment_attribution: {config.segment_attribution}".ljust(34)
                + "# a person's value: first (or last) event",
            ]
        ),
        "",
        rule_heading("targets: what good looks like for each ratio (the preset's values)"),
        *commented(
            [
                "targets:",
                f"  attraction: {number_text(targets.attraction)}".ljust(34) + "# Appeal / Aware",
                f"  curiosity: [{number_text(targets.curiosity[0])}, {number_text(targets.curiosity[1])}]".ljust(
                    34
                )
                + "# Ask / Appeal: a band [low, high]",
                f"  commitment: {number_text(targets.commitment)}".ljust(34) + "# Act / Ask",
                f"  affinity: {number_text(targets.affinity)}".ljust(34) + "# Advocate / Act",
            ]
        ),
        "",
        rule_heading("diagnosis: when the shape of the funnel is judged"),
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
        rule_heading("actions: your own advice for a weak transition (replaces the shipped text)"),
        *commented(
            [
                "actions:",
                "  commitment:",
                "    actions: [Offer free returns on first orders, Call back abandoned carts]",
            ]
        ),
        "",
        rule_heading("checks: thresholds for `fivea check` in CI (exit 1 when one fails)"),
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
