"""The whole starter config text: the header, the sections in order, and a one-line summary."""

from __future__ import annotations

import shlex

from fivea.authoring.starter.data_sample import SAMPLE_ROWS, DataSample
from fivea.authoring.starter.found_names import stages_section_from_data
from fivea.authoring.starter.sections import (
    columns_section_from_data,
    columns_section_template,
    input_section,
    rest_sections,
    stages_section_template,
    time_section,
)
from fivea.authoring.starter.yaml_text import fit_comment, scalar, shown
from fivea.config.loader import DEFAULT_PRESET, load_config, preset_description, preset_names

_LISTED_PROPERTIES = 24


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
    lines = [fit_comment(line) for line in lines]
    lines += [  # commands stay whole, however long the paths
        f"#   fivea validate {config} {events}",
        f"#   fivea stages {events} -c {config}",
        f"#   fivea diagnose {events} -c {config}",
        "",
        "version: 1",
        fit_comment(f"# {preset}: {preset_description(preset)}"),
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
        lines += columns_section_template(config)
    else:
        lines += columns_section_from_data(sample, config)
    lines += time_section(config, sample)
    lines += input_section()
    if sample is None:
        lines += stages_section_template(name)
    else:
        lines += stages_section_from_data(sample, loaded, name)
    lines += rest_sections(config)
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
