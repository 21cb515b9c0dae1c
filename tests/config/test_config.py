"""Config loading (docs/config.md): inheritance, precise errors (cases in tests/fixtures/config_errors.yaml).

The shipped presets are tested in test_presets.py, ``where:`` in test_where.py, discovery in
test_config_discovery.py.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest
import yaml

from fivea.config.loader import DEFAULT_PRESET, STAGE_KEYS, load_config, parse_duration, preset_text
from fivea.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


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


# --- inheritance (docs/config.md) -------------------------------------------------------------------


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

CONFIG_ERRORS = yaml.safe_load(
    (ROOT / "tests" / "fixtures" / "config_errors.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CONFIG_ERRORS, ids=[case["id"] for case in CONFIG_ERRORS])
def test_config_errors_name_file_line_and_key(tmp_path: Path, case: dict[str, str]) -> None:
    path, message = config_error(tmp_path, case["config"])
    assert message == case["message"].replace("{path}", str(path))
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


def test_a_folder_or_an_unreadable_path_as_the_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert (
        str(info.value) == f"{tmp_path}: is a folder, not a config file; pass the YAML file itself"
    )
    beyond = tmp_path / "fivea.yaml" / "x.yaml"  # a path through a file
    write(tmp_path, "preset: saas\n")
    with pytest.raises(ConfigError) as info:
        load_config(beyond)
    assert str(info.value) == f"{beyond}: cannot read the config ({os.strerror(errno.ENOTDIR)})"


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
