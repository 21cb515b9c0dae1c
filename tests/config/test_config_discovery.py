"""Config discovery: ``-c``, ``--preset``, ``FIVEA_CONFIG``, then fivea.yaml up to the git root."""

from __future__ import annotations

from pathlib import Path

import pytest

from fivea.config.loader import DEFAULT_PRESET, discover_config, resolve_config
from fivea.errors import ConfigError


def write(folder: Path, text: str, name: str = "fivea.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


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
