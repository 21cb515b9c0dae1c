"""The starter config's stages section from the data: each event name found under its stage."""

from __future__ import annotations

from fivea.authoring.starter.data_sample import DataSample, NamePlacement
from fivea.authoring.starter.guess import NEGATIVE_WORDS, is_step_like, name_tokens
from fivea.authoring.starter.sections import RULE_KINDS
from fivea.authoring.starter.yaml_text import (
    commented,
    fit_comment,
    rule_heading,
    rule_lines,
    shown,
)
from fivea.config.loader import STAGE_KEYS, LoadedConfig
from fivea.config.models import Rule

_STAGE_LABEL = {key: key.capitalize() for key in STAGE_KEYS}


def _placement_line(place: NamePlacement, stage: str, note: str) -> str:
    return (
        f"#   {shown(place.name)} ({place.events:,} events): {_STAGE_LABEL[stage]} via preset{note}"
    )


def stages_section_from_data(sample: DataSample, loaded: LoadedConfig, preset: str) -> list[str]:
    config = loaded.config
    names = sample.names
    guessed = [p for p in names if p.guess is not None]
    placed = [p for p in names if p.known or p.steps]
    unassigned = [p for p in names if not p.known and not p.steps and p.guess is None]
    shown_count = len(names)
    total_names = shown_count + sample.more_names
    aware_all = any(r.is_any_event for r in config.stages.aware.rules)
    lines = [
        rule_heading("stages: the event names found, and the stage each one feeds"),
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
    lines = [fit_comment(line) for line in lines]  # prose only so far: data can make it long
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
            *commented(RULE_KINDS),
        ]
    lines.append("")
    return lines
