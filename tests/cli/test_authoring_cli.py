"""`fivea presets`, `fivea validate` and shell completion."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fivea.config.loader import preset_names
from tests.conftest import REAL_DATA, ROOT, run_cli

SAMPLE = str(ROOT / "sample_data" / "events.csv")


def test_presets_lists_every_preset_with_a_description() -> None:
    out = run_cli("presets").stdout
    for name in preset_names():
        assert name in out
    assert "5a-default (default)" in out


@pytest.mark.parametrize("name", ["5a-default", "ecommerce", "ga4"])
def test_presets_prints_valid_yaml(name: str) -> None:
    text = run_cli("presets", name).stdout
    assert yaml.safe_load(text)["version"] == 1


def test_unknown_preset() -> None:
    result = run_cli("presets", "ecomerce", code=2)
    assert "did you mean 'ecommerce'?" in result.stderr


def test_validate_config_only(tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text("version: 1\npreset: ecommerce\nchecks:\n  - {metric: par, fail: '< 0.01'}\n")
    out = run_cli("validate", str(config)).stdout
    assert out.startswith(f"{config}: valid (preset ecommerce)")
    assert "1 check(s)" in out


def test_validate_reports_config_errors(tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text("version: 1\npreset: ecommerce\nchecks:\n  - {metric: pr, fail: '< 0.01'}\n")
    result = run_cli("validate", str(config), code=2)
    assert "checks[0].metric: unknown metric 'pr'" in result.stderr


def test_validate_with_data_warns_on_rules_matching_nothing(tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text(
        "version: 1\npreset: 5a-default\nstages:\n"
        "  ask: {rules: [{event: serach}]}\n"
        "segments: [chanel]\n"
    )
    result = run_cli("validate", str(config), SAMPLE)
    assert "checked against 27,309 events of 3,000 persons" in result.stdout
    assert (
        f"{config}:4: stages.ask.rules[0] (event: [serach]) matches no event; closest event "
        "names: search" in result.stderr
    )
    assert "segments: column 'chanel' is not in the data" in result.stderr


def test_validate_with_data_checks_where_columns(tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text(
        "version: 1\npreset: 5a-default\nstages:\n"
        "  act: {rules: [{event: purchase, where: 'revnue > 0'}]}\n"
    )
    result = run_cli("validate", str(config), SAMPLE, code=2)
    assert "where uses unknown column 'revnue'; did you mean 'revenue'?" in result.stderr
    assert f"{config}:4" in result.stderr


def test_validate_real_data_config() -> None:
    config = str(ROOT / "tests" / "fixtures" / "configs" / "otto.yaml")
    out = run_cli("validate", config, str(REAL_DATA / "otto-20-sessions" / "events.csv"))
    assert "862 events of 20 persons" in out.stdout
    assert out.stderr == ""


def test_shell_completion_script(monkeypatch: pytest.MonkeyPatch) -> None:
    # typer detects the shell from the parent processes (a test runner may have none it knows)
    monkeypatch.setattr("typer.completion._get_shell_name", lambda: "bash")
    out = run_cli("--show-completion").stdout
    assert "complete" in out
    assert "fivea" in out
