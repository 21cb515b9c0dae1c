"""Config loading (SPEC §3.1, §6): shipped presets, inheritance, precise errors, discovery."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from fivea.api import diagnose
from fivea.config.loader import (
    DEFAULT_PRESET,
    STAGE_KEYS,
    discover_config,
    load_config,
    parse_duration,
    preset_names,
    preset_text,
    resolve_config,
)
from fivea.errors import ConfigError
from fivea.rules.expressions import parse_where

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["5a-default", "amplitude", "ecommerce", "ga4", "leadgen", "mixpanel", "saas", "segment"]


def write(folder: Path, text: str, name: str = "fivea.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str) -> tuple[Path, object]:
    path = write(tmp_path, text)
    return path, load_config(path)


def config_error(tmp_path: Path, text: str) -> tuple[Path, str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return path, str(info.value)


# --- shipped presets ---------------------------------------------------------------------------


def test_shipped_presets_are_listed() -> None:
    assert preset_names() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_preset_loads_and_validates(name: str) -> None:
    loaded = load_config(None, name)
    config = loaded.config
    assert loaded.source.preset == name
    assert config.version == 1
    assert config.description
    assert "\n" not in config.description
    assert [key for key, _ in config.stages.items()] == list(STAGE_KEYS)
    for _, stage in config.stages.items():
        assert stage.label
        assert stage.rules
        assert all(rule.where is None for rule in stage.rules)  # data may lack the column
    assert config.stages.aware.rules[0].is_any_event
    low, high = config.targets.curiosity
    assert 0 < low < high
    assert config.subfunnels
    assert all(step.where is None for sub in config.subfunnels.values() for step in sub.steps)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_preset_file_states_its_targets_and_guards(name: str) -> None:
    text = preset_text(name)
    raw = yaml.safe_load(text)
    assert raw["version"] == 1
    assert set(raw["targets"]) == {"attraction", "curiosity", "commitment", "affinity"}
    assert len(raw["targets"]["curiosity"]) == 2
    assert {"min_aware", "min_stage"} <= set(raw["diagnosis"])
    if name != DEFAULT_PRESET:
        assert "starting point" in text  # the comment says where the numbers come from


def test_configs_folder_is_a_relative_link_to_the_presets() -> None:
    link = ROOT / "configs"
    assert link.is_symlink()
    assert os.readlink(link) == "fivea/presets"
    assert sorted(p.stem for p in link.glob("*.yaml")) == SHIPPED


def test_cart_and_checkout_are_never_ask() -> None:
    cart_like = {"add_to_cart", "begin_checkout", "Product Added", "Checkout Started"}
    for name in SHIPPED:
        ask = load_config(None, name).config.stages.ask
        names = {n for rule in ask.rules for n in rule.event or ()}
        assert not names & cart_like, name


def test_vendor_presets_set_their_export_columns() -> None:
    columns = {n: load_config(None, n).config.columns for n in SHIPPED}
    assert columns["ga4"].user == ("user_pseudo_id",)
    assert (columns["ga4"].time, columns["ga4"].event, columns["ga4"].time_unit) == (
        "event_timestamp",
        "event_name",
        "us",
    )
    assert columns["segment"].user == ("userId", "anonymousId")
    assert (columns["segment"].time, columns["segment"].event) == ("timestamp", "event")
    assert columns["amplitude"].user == ("user_id", "device_id")
    assert (columns["amplitude"].time, columns["amplitude"].event) == ("event_time", "event_type")
    assert columns["mixpanel"].user == ("distinct_id",)
    assert (columns["mixpanel"].time, columns["mixpanel"].time_unit) == ("time", "s")


def test_business_presets_windows_and_subfunnels() -> None:
    saas = load_config(None, "saas").config
    leadgen = load_config(None, "leadgen").config
    shop = load_config(None, "ecommerce").config
    assert saas.funnel.window == parse_duration("60d")
    assert leadgen.funnel.window == parse_duration("180d")
    assert leadgen.subfunnels["leads"].window == parse_duration("365d")
    assert leadgen.subfunnels["leads"].steps[0].event == ("mql", "qualify_lead")
    assert [s.event[0] for s in saas.subfunnels["trial"].steps] == [
        "trial_start",
        "activation",
        "subscription_start",
    ]
    assert [s.event[0] for s in shop.subfunnels["checkout"].steps] == [
        "add_to_cart",
        "begin_checkout",
        "purchase",
    ]


# --- inheritance (SPEC §3.1) -------------------------------------------------------------------


def test_a_stage_given_in_the_file_replaces_only_that_stage(tmp_path: Path) -> None:
    _, loaded = load_text(
        tmp_path,
        "version: 1\npreset: ecommerce\nstages:\n  act: {rules: [{event: order_paid}]}\n",
    )
    base = load_config(None, "ecommerce").config
    config = loaded.config
    assert [r.event for r in config.stages.act.rules] == [("order_paid",)]
    assert config.stages.act.label == "Act"  # the stage mapping merges: label inherited
    for key in ("aware", "appeal", "ask", "advocate"):
        assert getattr(config.stages, key) == getattr(base.stages, key)
    assert loaded.source.preset == "ecommerce"


def test_a_label_alone_keeps_the_inherited_rules(tmp_path: Path) -> None:
    _, loaded = load_text(tmp_path, "preset: saas\nstages:\n  act: {label: Paying}\n")
    base = load_config(None, "saas").config
    assert loaded.config.stages.act.label == "Paying"
    assert loaded.config.stages.act.rules == base.stages.act.rules


def test_lists_replace_and_mappings_merge(tmp_path: Path) -> None:
    _, loaded = load_text(
        tmp_path,
        "preset: ecommerce\n"
        "segments: [channel]\n"
        "targets: {commitment: 0.5, curiosity: [0.3, 0.6]}\n"
        "diagnosis: {min_stage: 5}\n"
        "subfunnels:\n  checkout: [add_to_cart, purchase]\n",
    )
    base = load_config(None, "ecommerce").config
    config = loaded.config
    assert config.segments == ["channel"]
    assert config.targets.commitment == 0.5
    assert config.targets.curiosity == (0.3, 0.6)
    assert config.targets.attraction == base.targets.attraction  # merged, not reset
    assert config.targets.affinity == base.targets.affinity
    assert config.diagnosis.min_stage == 5
    assert config.diagnosis.min_aware == base.diagnosis.min_aware
    steps = config.subfunnels["checkout"].steps
    assert [s.event for s in steps] == [("add_to_cart",), ("purchase",)]  # the list replaced
    assert config.subfunnels["checkout"].window == base.subfunnels["checkout"].window


def test_a_subfunnel_window_alone_keeps_the_inherited_steps(tmp_path: Path) -> None:
    # 5a-default writes checkout as a plain list; the override gives only a window
    _, loaded = load_text(tmp_path, "preset: 5a-default\nsubfunnels:\n  checkout: {window: 2d}\n")
    base = load_config(None, DEFAULT_PRESET).config
    sub = loaded.config.subfunnels["checkout"]
    assert sub.steps == base.subfunnels["checkout"].steps
    assert sub.window == parse_duration("2d")


def test_new_subfunnels_add_to_the_inherited_ones(tmp_path: Path) -> None:
    _, loaded = load_text(
        tmp_path, "preset: ecommerce\nsubfunnels:\n  loyalty: [purchase, purchase, purchase]\n"
    )
    assert list(loaded.config.subfunnels) == ["checkout", "loyalty"]


def test_vendor_presets_inherit_from_the_default(tmp_path: Path) -> None:
    assert yaml.safe_load(preset_text("ga4"))["preset"] == DEFAULT_PRESET
    _, loaded = load_text(tmp_path, "preset: ga4\nfunnel: {window: 7d}\n")
    config = loaded.config
    assert config.columns.user == ("user_pseudo_id",)  # from ga4
    assert config.funnel.window == parse_duration("7d")  # from the file
    assert loaded.source.preset == "ga4"
    # the default's checkout steps are replaced by GA4's, not merged with them
    assert [s.event for s in config.subfunnels["checkout"].steps] == [
        ("add_to_cart",),
        ("begin_checkout",),
        ("purchase",),
    ]


def test_a_preset_can_be_a_yaml_file_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    write(tmp_path / "team", "preset: leadgen\ntargets: {commitment: 0.2}\n", "base.yaml")
    _, loaded = load_text(tmp_path, "preset: team/base.yaml\ndiagnosis: {min_aware: 50}\n")
    config = loaded.config
    assert config.targets.commitment == 0.2
    assert config.diagnosis.min_aware == 50
    assert config.funnel.window == parse_duration("180d")  # leadgen, two levels up
    assert loaded.source.preset == "team/base.yaml"
    assert loaded.origin_of("targets.commitment") == str(tmp_path / "team" / "base.yaml")


def test_a_preset_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "preset: b.yaml\n", "a.yaml")
    write(tmp_path, "preset: a.yaml\n", "b.yaml")
    with pytest.raises(ConfigError, match="preset cycle"):
        load_config(tmp_path / "a.yaml")


def test_key_locations_point_into_the_file_or_the_preset(tmp_path: Path) -> None:
    path, loaded = load_text(
        tmp_path,
        "version: 1\npreset: ecommerce\nstages:\n  act:\n    rules:\n"
        "      - {event: purchase, where: 'revenue > 0'}\n"
        "  advocate: {rules: [{event: review_post}]}\n",
    )
    assert loaded.locate("stages.act.rules[0].where") == f"{path}:6"
    assert loaded.origin_of("stages.act.rules[0].where") == str(path)
    assert loaded.origin_of("targets.affinity") == "preset ecommerce"
    assert loaded.locate("stages.appeal.rules[0]").startswith("preset ecommerce:")
    assert loaded.origin_of("time.timezone") == "defaults"
    # the preset's other advocate rules cannot leak: the file's list replaced them
    assert "stages.advocate.rules[0]" in loaded.locations
    assert "stages.advocate.rules[1]" not in loaded.locations
    assert "stages.advocate.rules[1]" in load_config(None, "ecommerce").locations


def test_defaults_apply_when_neither_file_nor_preset_sets_a_key(tmp_path: Path) -> None:
    stages = "".join(f"  {k}: {{rules: [{{event: {k}_event}}]}}\n" for k in STAGE_KEYS)
    _, loaded = load_text(tmp_path, f"version: 1\nstages:\n{stages}")
    config = loaded.config
    assert config.time.timezone == "UTC"
    assert config.dedupe is False
    assert config.funnel.window == parse_duration("30d")
    assert config.segment_attribution == "first"
    assert (config.diagnosis.min_aware, config.diagnosis.min_stage) == (200, 20)
    assert config.diagnosis.expected_archetype is None
    assert config.targets.curiosity == (0.15, 0.80)
    assert (config.targets.attraction, config.targets.commitment) == (0.35, 0.30)
    assert config.targets.affinity == 0.30
    assert config.identity.stitch is True
    assert config.input.encoding == "utf-8"
    assert config.subfunnels == {}
    assert config.checks == []
    assert loaded.source.preset is None


def test_step_forms_name_list_and_rule(tmp_path: Path) -> None:
    _, loaded = load_text(
        tmp_path,
        "preset: ecommerce\nsubfunnels:\n  mixed:\n    steps:\n      - add_to_cart\n"
        "      - [begin_checkout, checkout_started]\n"
        "      - {event: purchase, where: 'revenue > 0'}\n    window: 2h\n",
    )
    sub = loaded.config.subfunnels["mixed"]
    assert [s.event for s in sub.steps] == [
        ("add_to_cart",),
        ("begin_checkout", "checkout_started"),
        ("purchase",),
    ]
    assert sub.steps[2].where == "revenue > 0"
    assert sub.window == parse_duration("2h")


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("45s", 45_000_000),
        ("90m", 5_400_000_000),
        ("12h", 43_200_000_000),
        ("1d", 86_400_000_000),
        ("2w", 1_209_600_000_000),
        (" 3d ", 259_200_000_000),
    ],
)
def test_durations(text: str, micros: int) -> None:
    assert parse_duration(text) == micros


# --- errors: file, line, key path, and the fix -------------------------------------------------

ERRORS = [
    pytest.param(
        "version: 1\npreset: 5a-default\nstages:\n  act:\n    rulez: [{event: purchase}]\n",
        "{path}:5: stages.act.rulez: unknown key; did you mean 'rules'?",
        id="unknown-key",
    ),
    pytest.param(
        "version: 1\npreset: 5a-default\nstage: {}\n",
        "{path}:3: stage: unknown key; did you mean 'stages'?",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  act:\n    rules:\n      - {evnt: purchase}\n",
        "{path}:5: stages.act.rules[0].evnt: unknown key; did you mean 'event'?",
        id="unknown-rule-key",
    ),
    pytest.param(
        "preset: 5a-default\nsubfunnels:\n  x:\n    - a\n    - {evnt: b}\n",
        "{path}:5: subfunnels.x.steps[1].evnt: unknown key; did you mean 'event'?",
        id="unknown-step-key",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  acts: {rules: [{event: a}]}\n",
        "{path}:3: stages.acts: unknown key; the stages are exactly aware, appeal, ask, act, "
        "advocate; did you mean 'act'?",
        id="unknown-stage",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  consider: {rules: [{event: a}]}\n",
        "{path}:3: stages.consider: unknown key; the stages are exactly aware, appeal, ask, "
        "act, advocate",
        id="unknown-stage-no-match",
    ),
    pytest.param(
        "version: 1\npreset: 5a-default\nstages:\n  act: {rules: [{event: a}]}\n"
        "  act: {rules: [{event: b}]}\n",
        "{path}:5: stages.act: duplicate key (first given on line 4); keep one",
        id="duplicate-key",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  appeal:\n    rules:\n      - {event: a, event: b}\n",
        "{path}:5: stages.appeal.rules[0].event: duplicate key (first given on line 5); keep one",
        id="duplicate-key-inline",
    ),
    pytest.param(
        "version: 1\npreset: 5a-default\nstages:\n\tact: {rules: [{event: a}]}\n",
        "{path}:4: invalid YAML: found character '\\t' that cannot start any token; "
        "YAML indentation must use spaces, not tabs",
        id="tab",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  appeal:\n    rules:\n"
        "      - {event: a, min_count: 2, within: 3x}\n",
        "{path}:5: stages.appeal.rules[0].within: expected a duration like 30d, 12h, 90m, 45s "
        "or 2w, got '3x'",
        id="bad-duration",
    ),
    pytest.param(
        "preset: 5a-default\nfunnel: {window: 30}\n",
        "{path}:2: funnel.window: expected a duration like 30d, 12h, 90m, 45s or 2w, got 30",
        id="duration-without-unit",
    ),
    pytest.param(
        "preset: 5a-default\nfunnel: {window: 0d}\n",
        "{path}:2: funnel.window: must be longer than zero, e.g. 30d, 12h, 90m, 45s or 2w, "
        "got '0d'",
        id="zero-window",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  appeal:\n    rules:\n      - {event: a, min_count: 0}\n",
        "{path}:5: stages.appeal.rules[0].min_count: must be ≥ 1, got 0",
        id="min-count-zero",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  appeal:\n    rules:\n      - {event: a, min_count: -2}\n",
        "{path}:5: stages.appeal.rules[0].min_count: must be ≥ 1, got -2",
        id="min-count-negative",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  appeal:\n    rules:\n      - {event: a, min_count: 1.5}\n",
        "{path}:5: stages.appeal.rules[0].min_count: expected a whole number, got 1.5",
        id="min-count-fraction",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  appeal:\n    rules: []\n",
        "{path}:4: stages.appeal.rules: needs at least one rule",
        id="empty-rules",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  appeal:\n    rules:\n      - {min_count: 2}\n",
        "{path}:5: stages.appeal.rules[0]: a rule needs at least one of event, event_matches, "
        "where, any_event: true",
        id="rule-without-condition",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  ask:\n    rules:\n      - {any_event: false}\n",
        "{path}:5: stages.ask.rules[0]: a rule needs at least one of event, event_matches, "
        "where, any_event: true",
        id="any-event-false",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  ask:\n    rules:\n      - {event: []}\n",
        "{path}:5: stages.ask.rules[0].event: an empty list matches nothing; give at least one "
        "name",
        id="empty-event-list",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  ask:\n    rules:\n      - {event: 404}\n",
        "{path}:5: stages.ask.rules[0].event: expected a name or a list of names, got 404; "
        "quote names that YAML reads as numbers or booleans",
        id="numeric-event-name",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  appeal:\n    rules:\n      - {event: a, within: 3d}\n",
        "{path}:5: stages.appeal.rules[0]: within needs min_count (the number of events inside "
        "the window)",
        id="within-without-min-count",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  ask:\n    rules:\n      - {event_matches: '('}\n",
        "{path}:5: stages.ask.rules[0].event_matches: not a valid regular expression (missing ), "
        "unterminated subpattern at position 0), got '('",
        id="bad-regex",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  act:\n    rules:\n"
        "      - {event: purchase, where: 'revenue >'}\n",
        "{path}:5: stages.act.rules[0].where: invalid where expression 'revenue >': unable to "
        "parse 'revenue >' as Expr; write a SQL condition such as \"revenue > 0\"",
        id="where-syntax",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  act:\n    rules:\n"
        "      - {event: purchase, where: 'revenue > 0; DROP TABLE events'}\n",
        "{path}:5: stages.act.rules[0].where: invalid where expression 'revenue > 0; DROP TABLE "
        "events': invalid expression (found unexpected token ';'); write a SQL condition such "
        'as "revenue > 0"',
        id="where-statement",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  act:\n    rules:\n"
        "      - {event: purchase, where: 'EXISTS (SELECT 1)'}\n",
        "{path}:5: stages.act.rules[0].where: where must be a plain expression over columns; "
        "subqueries are not allowed, got 'EXISTS (SELECT 1)'",
        id="where-subquery",
    ),
    pytest.param(
        "version: 1\nstages:\n  aware: {rules: [{any_event: true}]}\n",
        "{path}:2: stages.appeal: required key is missing; without `preset:` all five stages "
        "(aware, appeal, ask, act, advocate) must be given, or add `preset: 5a-default` to "
        "inherit the others",
        id="missing-stage-without-preset",
    ),
    pytest.param(
        "version: 1\ndedupe: true\n",
        "{path}:1: stages: required key is missing; give the five 5A stages, or start from a "
        "preset (`preset: 5a-default`)",
        id="no-stages-without-preset",
    ),
    pytest.param(
        "version: 1\npreset: ecomerce\n",
        "{path}:2: preset: unknown preset 'ecomerce'; did you mean 'ecommerce'? available: "
        + ", ".join(SHIPPED),
        id="unknown-preset",
    ),
    pytest.param(
        "preset: [saas]\n",
        "{path}:1: preset: expected a preset name (see `fivea presets`) or a path to a YAML file",
        id="preset-not-a-name",
    ),
    pytest.param(
        "version: 2\npreset: 5a-default\n",
        "{path}:1: version: must be 1, got 2",
        id="version",
    ),
    pytest.param(
        "preset: 5a-default\ncolumns: {time_unit: sec}\n",
        "{path}:2: columns.time_unit: must be 's', 'ms', 'us' or 'ns', got 'sec'",
        id="time-unit",
    ),
    pytest.param(
        "preset: 5a-default\ntime: {timezone: Mars/Olympus}\n",
        "{path}:2: time.timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as UTC "
        "or Europe/Berlin",
        id="timezone",
    ),
    pytest.param(
        "preset: 5a-default\ninput: {encoding: klingon}\n",
        "{path}:2: input.encoding: unknown encoding 'klingon'; try utf-8, latin-1 or cp1252",
        id="encoding",
    ),
    pytest.param(
        "preset: 5a-default\ninput: {separator: ';;'}\n",
        "{path}:2: input.separator: must be one character, got ';;'",
        id="separator",
    ),
    pytest.param(
        "preset: 5a-default\nsegments: channel\n",
        "{path}:2: segments: expected a list: [a, b] or one '- item' per line, got 'channel'",
        id="segments-not-a-list",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n  act:\n    rules: {event: purchase}\n",
        "{path}:4: stages.act.rules: expected a list: [a, b] or one '- item' per line",
        id="rules-not-a-list",
    ),
    pytest.param(
        "preset: 5a-default\nstages:\n",
        "{path}:2: stages: expected a mapping (key: value), got null",
        id="stages-null",
    ),
    pytest.param(
        "preset: 5a-default\nsubfunnels:\n  x: [a]\n",
        "{path}:3: subfunnels.x.steps: a sub-funnel needs at least 2 steps",
        id="one-step-subfunnel",
    ),
    pytest.param(
        "preset: 5a-default\nsubfunnels:\n  x: {window: 2d}\n",
        "{path}:3: subfunnels.x.steps: required key is missing; list the steps in order: "
        "steps: [add_to_cart, begin_checkout, purchase]",
        id="subfunnel-without-steps",
    ),
    pytest.param(
        "preset: 5a-default\ntargets: {curiosity: [0.9, 0.1]}\n",
        "{path}:2: targets.curiosity: curiosity is a band [low, high] with 0 < low <= high, "
        "got [0.9, 0.1]",
        id="curiosity-band-order",
    ),
    pytest.param(
        "preset: 5a-default\ntargets: {curiosity: [0.1, 0.5, 0.9]}\n",
        "{path}:2: targets.curiosity: curiosity is a band [low, high] of two numbers",
        id="curiosity-band-length",
    ),
    pytest.param(
        "preset: 5a-default\ntargets: {commitment: 0}\n",
        "{path}:2: targets.commitment: must be > 0, got 0",
        id="target-zero",
    ),
    pytest.param(
        "preset: 5a-default\ndiagnosis: {expected_archetype: doorknob}\n",
        "{path}:2: diagnosis.expected_archetype: must be 'funnel', 'bow_tie', 'goldfish', "
        "'door_knob' or 'trumpet', got 'doorknob'",
        id="archetype",
    ),
    pytest.param(
        "preset: 5a-default\nchecks:\n  - {metric: par}\n",
        "{path}:3: checks[0]: a check needs a warn: or fail: condition",
        id="check-without-condition",
    ),
    pytest.param(
        "preset: 5a-default\nchecks:\n  - {id: floor, metric: par, fail: '< 0.02'}\n"
        "  - {id: floor, metric: bar, fail: '< 0.01'}\n",
        "{path}:4: checks[1].id: duplicate check id 'floor' (first used by checks[0]); ids must "
        "be unique",
        id="duplicate-check-id",
    ),
    pytest.param(
        "preset: 5a-default\nchecks:\n  - {metric: par, fail: '< 0.02', on_missing: skip}\n",
        "{path}:3: checks[0].on_missing: must be 'fail', 'warn' or 'pass', got 'skip'",
        id="check-on-missing",
    ),
    pytest.param(
        "- a\n- b\n",
        "{path}:1: the config must be a YAML mapping (key: value), got list",
        id="not-a-mapping",
    ),
    pytest.param(
        "# nothing here\n",
        "{path}: the config is empty; start from `fivea init` or `fivea presets 5a-default`",
        id="empty-file",
    ),
    pytest.param(
        "preset: 5a-default\n[a, b]: 1\n",
        "{path}:2: (top level): a key must be a plain name, not a list or a mapping",
        id="list-as-key",
    ),
    pytest.param(
        "preset: 5a-default\nstages: {act: {rules: [{event: a}]\n",
        "{path}:3: invalid YAML: expected ',' or '}}', but got '<stream end>'",
        id="unclosed-brace",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_config_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path, message = config_error(tmp_path, text)
    assert message == expected.format(path=path)
    assert "\n" not in message


def test_an_error_in_an_inherited_file_points_into_that_file(tmp_path: Path) -> None:
    base = write(tmp_path, "preset: saas\ntargets: {affinity: -1}\n", "base.yaml")
    path = write(tmp_path, "preset: base.yaml\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{base}:2: targets.affinity: must be > 0, got -1"


def test_missing_config_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: config file not found; check the path or run `fivea init`"


def test_a_config_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "fivea.yaml"
    path.write_bytes(b"\xef\xbb\xbfpreset: saas\n")
    assert load_config(path).source.preset == "saas"


def test_a_config_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "fivea.yaml"
    path.write_bytes("preset: saas\ndescription: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: the config is not UTF-8 text; save it as UTF-8"


def test_unknown_preset_by_name() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, "sass")
    assert str(info.value).startswith("unknown preset 'sass'; did you mean 'saas'? available: ")


def test_preset_flag_goes_under_a_file_without_one(tmp_path: Path) -> None:
    path = write(tmp_path, "targets: {commitment: 0.9}\n")
    loaded = load_config(path, "leadgen")
    assert loaded.source.preset == "leadgen"
    assert loaded.config.targets.commitment == 0.9
    assert loaded.config.funnel.window == parse_duration("180d")


def test_preset_flag_that_contradicts_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\npreset: saas\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, "leadgen")
    assert str(info.value) == (
        f"{path}:2: preset: the file says 'saas' but --preset says 'leadgen'; drop one of them"
    )
    assert load_config(path, "saas").source.preset == "saas"


# --- where: expressions (SPEC §3.1) ------------------------------------------------------------

COLUMNS = ["revenue", "channel", "price"]
KEY = "stages.act.rules[0].where"


def where_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_where(text, KEY, COLUMNS)
    return str(info.value)


def test_where_accepts_a_plain_condition() -> None:
    expr, numeric = parse_where("revenue > 0 AND channel = 'email'", KEY, COLUMNS)
    frame = pl.DataFrame({"revenue": [5.0, 0.0, None, 3.0], "channel": ["email"] * 3 + ["ads"]})
    assert frame.select(expr).to_series().to_list() == [True, False, False, False]
    assert numeric == {"revenue"}


def test_where_syntax_error() -> None:
    assert where_error("revenue >") == (
        f"{KEY}: invalid where expression 'revenue >': unable to parse 'revenue >' as Expr; "
        'write a SQL condition such as "revenue > 0"'
    )


def test_where_unknown_column_with_did_you_mean() -> None:
    assert where_error("revnue > 0") == (
        f"{KEY}: where uses unknown column 'revnue'; did you mean 'revenue'? "
        "columns: revenue, channel, price"
    )


def test_where_column_names_are_case_sensitive() -> None:
    assert "unknown column 'Revenue'; did you mean 'revenue'?" in where_error('"Revenue" > 0')


@pytest.mark.parametrize(
    "text",
    [
        "EXISTS (SELECT 1)",
        "revenue IN (SELECT revenue FROM self)",
        "revenue > (SELECT max(price) FROM t)",
    ],
)
def test_where_refuses_subqueries(text: str) -> None:
    message = where_error(text)
    assert message.startswith(f"{KEY}: ")
    assert "subqueries are not allowed" in message or "was not found" in message


@pytest.mark.parametrize(
    "text", ["revenue > 0; DROP TABLE events", "SELECT 1", "revenue > 0 UNION SELECT 1"]
)
def test_where_refuses_statements(text: str) -> None:
    message = where_error(text)
    assert message.startswith(f"{KEY}: invalid where expression ")
    assert message.endswith('write a SQL condition such as "revenue > 0"')


def test_where_refuses_table_functions() -> None:
    assert "unsupported function 'read_csv'" in where_error("read_csv('/etc/passwd') > 1")


# --- discovery (SPEC §6) -----------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fake git repository with a nested working directory."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "a" / "b").mkdir(parents=True)
    return root


def test_fivea_config_wins(repo: Path, tmp_path: Path) -> None:
    write(repo, "preset: saas\n")
    elsewhere = write(tmp_path, "preset: leadgen\n", "team.yaml")
    found, how = discover_config(repo, {"FIVEA_CONFIG": str(elsewhere)})
    assert (found, how) == (elsewhere, "env")


def test_empty_fivea_config_is_ignored(repo: Path) -> None:
    path = write(repo, "preset: saas\n")
    assert discover_config(repo, {"FIVEA_CONFIG": ""}) == (path, "discovered")


def test_nearest_config_up_to_the_git_root(repo: Path) -> None:
    root_config = write(repo, "preset: saas\n")
    cwd = repo / "a" / "b"
    assert discover_config(cwd, {}) == (root_config, "discovered")
    nearer = write(repo / "a", "preset: leadgen\n", ".fivea.yaml")
    assert discover_config(cwd, {}) == (nearer, "discovered")
    nearest = write(cwd, "preset: ecommerce\n", "fivea.yml")
    assert discover_config(cwd, {}) == (nearest, "discovered")


def test_name_order_within_one_folder(repo: Path) -> None:
    hidden = write(repo, "preset: saas\n", ".fivea.yaml")
    assert discover_config(repo, {}) == (hidden, "discovered")
    yml = write(repo, "preset: saas\n", "fivea.yml")
    assert discover_config(repo, {}) == (yml, "discovered")
    yaml_ = write(repo, "preset: saas\n", "fivea.yaml")
    assert discover_config(repo, {}) == (yaml_, "discovered")


def test_search_stops_at_the_git_root(tmp_path: Path, repo: Path) -> None:
    write(tmp_path, "preset: saas\n")  # above the repository: not searched
    assert discover_config(repo / "a", {}) == (None, "default")


def test_a_git_file_marks_the_root_too(tmp_path: Path) -> None:
    root = tmp_path / "worktree"
    (root / "sub").mkdir(parents=True)
    (root / ".git").write_text("gitdir: /elsewhere/.git/worktrees/x\n")
    write(tmp_path, "preset: saas\n")
    assert discover_config(root / "sub", {}) == (None, "default")


def test_outside_a_repository_only_the_working_directory(tmp_path: Path) -> None:
    cwd = tmp_path / "x" / "y"
    cwd.mkdir(parents=True)
    write(tmp_path / "x", "preset: saas\n")
    assert discover_config(cwd, {}) == (None, "default")
    here = write(cwd, "preset: saas\n")
    assert discover_config(cwd, {}) == (here, "discovered")


def test_a_folder_named_like_a_config_is_skipped(repo: Path) -> None:
    (repo / "a" / "fivea.yaml").mkdir()
    config = write(repo, "preset: saas\n")
    assert discover_config(repo / "a", {}) == (config, "discovered")


def test_resolve_order(repo: Path, tmp_path: Path) -> None:
    write(repo, "preset: saas\n")
    flag = write(tmp_path, "preset: leadgen\n", "flag.yaml")
    env = write(tmp_path, "preset: ga4\n", "env.yaml")
    environ = {"FIVEA_CONFIG": str(env)}

    loaded = resolve_config(flag, None, repo, environ)
    assert (loaded.source.how, loaded.source.preset, loaded.source.path) == (
        "flag",
        "leadgen",
        str(flag),
    )
    loaded = resolve_config(None, "mixpanel", repo, environ)  # --preset beats discovery
    assert (loaded.source.how, loaded.source.preset, loaded.source.path) == (
        "preset",
        "mixpanel",
        None,
    )
    loaded = resolve_config(None, None, repo, environ)
    assert (loaded.source.how, loaded.source.preset) == ("env", "ga4")
    loaded = resolve_config(None, None, repo / "a", {})
    assert (loaded.source.how, loaded.source.preset) == ("discovered", "saas")
    loaded = resolve_config(None, None, tmp_path, {})
    assert (loaded.source.how, loaded.source.preset, loaded.source.path) == (
        "default",
        DEFAULT_PRESET,
        None,
    )


def test_fivea_config_pointing_nowhere(tmp_path: Path) -> None:
    missing = tmp_path / "gone.yaml"
    with pytest.raises(ConfigError) as info:
        resolve_config(None, None, tmp_path, {"FIVEA_CONFIG": str(missing)})
    assert str(info.value) == (
        f"FIVEA_CONFIG={missing}: config file not found; fix or unset FIVEA_CONFIG"
    )


# --- each preset's vocabulary reaches the stages it was designed for ---------------------------

BASE = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
Row = tuple[str | None, str | None, str, int]  # (id, second id, event, hours after BASE)


def _time_column(name: str, hours: list[int]) -> pl.Series:
    stamps = [BASE + dt.timedelta(hours=h) for h in hours]
    if name == "ga4":  # event_timestamp: integer µs
        return pl.Series([int(s.timestamp()) * 1_000_000 for s in stamps], dtype=pl.Int64)
    if name == "mixpanel":  # time: integer s
        return pl.Series([int(s.timestamp()) for s in stamps], dtype=pl.Int64)
    if name == "amplitude":  # event_time: "2024-03-01 09:00:00.000000" (UTC)
        return pl.Series([s.strftime("%Y-%m-%d %H:%M:%S.%f") for s in stamps])
    return pl.Series([s.isoformat().replace("+00:00", "Z") for s in stamps])


def events_frame(preset: str, people: dict[str, list[Row]]) -> pl.DataFrame:
    """Each person's rows in the preset's own column names and time encoding.

    Ids are prefixed with the person's case name; a ``case`` column names the case, so one run
    per preset can report every person through a segment breakdown.
    """
    rows = [(case, r) for case, person_rows in people.items() for r in person_rows]

    def ident(case: str, value: str | None) -> str | None:
        return None if value is None else f"{case}:{value}"

    columns = load_config(None, preset).config.columns
    users = list(columns.user or ("user_id",))
    time_name = columns.time or "timestamp"
    event_name = columns.event or "event"
    data: dict[str, pl.Series] = {
        users[0]: pl.Series([ident(c, r[0]) for c, r in rows], dtype=pl.String),
        time_name: _time_column(preset, [r[3] for _, r in rows]).alias(time_name),
        event_name: pl.Series([r[2] for _, r in rows], dtype=pl.String),
        "case": pl.Series([c for c, _ in rows], dtype=pl.String),
    }
    if len(users) > 1:
        data[users[1]] = pl.Series([ident(c, r[1]) for c, r in rows], dtype=pl.String)
    return pl.DataFrame(data)


def person(*events: str, gap_hours: int = 1) -> list[Row]:
    return [("p", None, name, i * gap_hours) for i, name in enumerate(events)]


A, P, K, T, V = "aware", "appeal", "ask", "act", "advocate"

# preset -> case id -> (rows of one person, the stages that person must reach)
VOCABULARY: dict[str, dict[str, tuple[list[Row], set[str]]]] = {
    "ecommerce": {
        "visitor": (person("page_view", "view_item_list"), {A}),
        "one-product-view": (person("view_item"), {A}),
        "second-product-view": (person("product_view", "view_item"), {A, P}),
        "wishlist": (person("add_to_wishlist"), {A, P}),
        "third-session": (person("session_start", "session_start", "session_start"), {A, P}),
        "search": (person("search"), {A, K}),
        "reviews-and-size-guide": (person("review_read", "size_guide_view"), {A, K}),
        "cart-is-not-ask": (person("add_to_cart", "begin_checkout"), {A}),
        "purchase": (person("purchase"), {A, T}),
        "review-post": (person("review_post"), {A, V}),
        "referral": (person("referral_sent"), {A, V}),
        "repeat-purchase": (person("purchase", "purchase"), {A, T, V}),
        "one-app-order-logged-twice": (person("purchase", "in_app_purchase"), {A, T}),
    },
    "saas": {
        "visitor-signs-up": (person("page_view", "sign_up"), {A}),
        "pricing": (person("pricing_view"), {A, P}),
        "docs": (person("docs_view"), {A, P}),
        "trial": (person("trial_start"), {A, K}),
        "demo": (person("demo_request"), {A, K}),
        "contact-sales": (person("contact_sales"), {A, K}),
        "subscription": (person("subscription_start"), {A, T}),
        "activation": (person("activation"), {A, T}),
        "invite": (person("invite_sent"), {A, V}),
        "renewal": (person("subscription_renewed"), {A, V}),
        "second-payment": (person("payment_succeeded", "payment_succeeded"), {A, T, V}),
    },
    "leadgen": {
        "reader": (person("page_view", "blog_view"), {A}),
        "whitepaper": (person("whitepaper_download"), {A, P}),
        "lead-form": (person("lead_form_submit"), {A, K}),
        "mql": (person("mql"), {A, K}),
        "demo": (person("demo_request"), {A, K}),
        "won": (person("closed_won"), {A, T}),
        "contract": (person("contract_signed"), {A, T}),
        "referral": (person("referral_sent"), {A, V}),
        "case-study": (person("case_study_published"), {A, V}),
        "renewal": (person("contract_renewed"), {A, V}),
    },
    "ga4": {
        "visitor": (person("first_visit", "session_start", "page_view"), {A}),
        "view-item": (person("view_item"), {A, P}),
        "wishlist": (person("add_to_wishlist"), {A, P}),
        "site-search": (person("view_search_results"), {A, K}),
        "lead": (person("generate_lead"), {A, K}),
        "cart-is-not-ask": (person("add_to_cart", "begin_checkout"), {A}),
        "purchase": (person("purchase"), {A, T}),
        "won-lead": (person("close_convert_lead"), {A, T}),
        "share": (person("share"), {A, V}),
        "repeat-purchase": (person("purchase", "purchase"), {A, T, V}),
        "app-order-logged-twice": (person("purchase", "in_app_purchase"), {A, T}),
    },
    "segment": {
        "page": (person("Page Viewed", "Product List Viewed"), {A}),
        "product": (person("Product Viewed"), {A, P}),
        "promotion": (person("Promotion Clicked"), {A, P}),
        "search": (person("Products Searched"), {A, K}),
        "cart-is-not-ask": (person("Product Added", "Checkout Started"), {A}),
        "order": (person("Order Completed"), {A, T}),
        "review": (person("Product Reviewed"), {A, V}),
        "share": (person("Cart Shared"), {A, V}),
        "repeat-order": (person("Order Completed", "Order Completed"), {A, T, V}),
        "lowercase-is-another-event": (person("order completed"), {A}),
        "anonymous-then-identified": (
            [
                (None, "anon-1", "Product Viewed", 0),
                ("user-1", "anon-1", "Signed In", 1),
                ("user-1", None, "Order Completed", 2),
            ],
            {A, P, T},
        ),
    },
    "amplitude": {
        "session": (person("session_start", "[Amplitude] Page Viewed"), {A}),
        "product": (person("Product Viewed"), {A, P}),
        "search": (person("Search"), {A, K}),
        "purchase": (person("Complete Purchase"), {A, T}),
        "revenue-event": (person("revenue_amount"), {A, T}),
        "order-with-revenue-event": (person("Complete Purchase", "revenue_amount"), {A, T}),
        "repeat-purchase": (person("Purchase", "Purchase"), {A, T, V}),
        "invite": (person("Invite Sent"), {A, V}),
        "snake-case-project": (person("view_item", "purchase", "purchase"), {A, P, T, V}),
        "device-then-user": (
            [
                (None, "device-1", "Product Viewed", 0),
                ("user-1", "device-1", "Sign Up", 1),
                ("user-1", None, "Order Completed", 2),
            ],
            {A, P, K, T},
        ),
    },
    "mixpanel": {
        "autocapture": (person("$mp_web_page_view", "$mp_click"), {A}),
        "product": (person("Product Viewed"), {A, P}),
        "sign-up": (person("Sign Up"), {A, K}),
        "purchase": (person("Purchase"), {A, T}),
        "in-app-purchase": (person("$ae_iap"), {A, T}),
        "order-logged-twice": (person("Purchase", "$ae_iap"), {A, T}),
        "repeat-purchase": (person("Order Completed", "Order Completed"), {A, T, V}),
        "share": (person("Share"), {A, V}),
        "snake-case-project": (person("sign_up", "purchase"), {A, K, T}),
    },
    "5a-default": {
        "visitor": (person("page_view"), {A}),
        "product": (person("product_view"), {A, P}),
        "search": (person("search"), {A, K}),
        "purchase": (person("purchase"), {A, T}),
        "share": (person("social_share"), {A, V}),
    },
}

# preset -> (sub-funnel, rows of a person walking every step)
JOURNEYS: dict[str, tuple[str, list[Row]]] = {
    "ecommerce": ("checkout", person("add_to_cart", "begin_checkout", "order_completed")),
    "saas": ("trial", person("trial_started", "activated", "first_payment", gap_hours=100)),
    "leadgen": ("leads", person("mql", "sql", "closed_won", gap_hours=24 * 150)),
    "ga4": ("checkout", person("add_to_cart", "begin_checkout", "purchase")),
    "segment": ("checkout", person("Product Added", "Checkout Started", "Order Completed")),
    "amplitude": ("checkout", person("Add to Cart", "Checkout Started", "Purchase")),
    "mixpanel": ("checkout", person("Add to Cart", "Checkout Started", "Checkout Completed")),
    "5a-default": ("checkout", person("add_to_cart", "begin_checkout", "purchase")),
}


def test_every_preset_has_designed_people_for_every_stage() -> None:
    assert set(VOCABULARY) == set(SHIPPED) == set(JOURNEYS)
    for cases in VOCABULARY.values():
        assert set().union(*(stages for _, stages in cases.values())) == set(STAGE_KEYS)


@pytest.mark.parametrize("preset", list(VOCABULARY))
def test_preset_vocabulary_reaches_the_designed_stages(preset: str) -> None:
    cases = VOCABULARY[preset]
    frame = events_frame(preset, {case: rows for case, (rows, _) in cases.items()})
    result = diagnose(frame, load_config(None, preset), segments=["case"])
    assert result.quality.rows_used == frame.height  # columns and time encoding read right
    assert result.persons == len(cases)  # the two-id people were stitched into one
    (breakdown,) = result.segments
    reached = {row.value: {k for k, n in row.reached.items() if n} for row in breakdown.rows}
    assert reached == {case: stages for case, (_, stages) in cases.items()}
    assert {row.value: row.persons for row in breakdown.rows} == dict.fromkeys(cases, 1)


@pytest.mark.parametrize("preset", list(JOURNEYS))
def test_preset_subfunnel_follows_a_full_journey(preset: str) -> None:
    name, rows = JOURNEYS[preset]
    result = diagnose(events_frame(preset, {"journey": rows}), load_config(None, preset))
    sub = next(s for s in result.subfunnels if s.name == name)
    assert [step.reached for step in sub.steps] == [1] * len(sub.steps)


# --- the docs stay true ------------------------------------------------------------------------

DOCS = ROOT / "docs"


def yaml_blocks(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "version: 1" in b]


@pytest.mark.parametrize(
    ("doc", "index"),
    [(d, i) for d in ("config.md", "cookbook.md") for i in range(len(yaml_blocks(d)))],
)
def test_every_full_config_in_the_docs_loads(tmp_path: Path, doc: str, index: int) -> None:
    path = write(tmp_path, yaml_blocks(doc)[index])
    loaded = load_config(path)
    assert loaded.config.description


def test_the_docs_list_every_preset_with_its_description() -> None:
    text = (DOCS / "config.md").read_text(encoding="utf-8")
    for name in SHIPPED:
        description = load_config(None, name).config.description
        assert f"| `{name}` |" in text
        assert f"| {description} |" in text, name
