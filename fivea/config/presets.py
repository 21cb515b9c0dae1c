"""The shipped presets and inheriting from one: their names and text, merging a config over its base."""

from __future__ import annotations

import difflib
from importlib import resources
from typing import Any

from fivea.config.errors import KeyPath
from fivea.errors import ConfigError

Located = dict[KeyPath, tuple[str, int]]  # key path -> (file or "preset NAME", YAML line)


def preset_names() -> list[str]:
    """Names of the shipped presets."""
    folder = resources.files("fivea") / "presets"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def preset_text(name: str) -> str:
    """The YAML text of a shipped preset."""
    names = preset_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        msg = f"unknown preset '{name}'; {hint}available: {', '.join(names)}"
        raise ConfigError(msg)
    return (resources.files("fivea") / "presets" / f"{name}.yaml").read_text(encoding="utf-8")


def preset_description(name: str) -> str:
    """The one-line ``description:`` of a shipped preset (empty if it has none)."""
    import yaml  # `fivea presets` only: a run reads its preset parsed (config/parsed_presets.py)

    data = yaml.safe_load(preset_text(name))
    return str(data.get("description") or "") if isinstance(data, dict) else ""


def merge_over(base: Any, override: Any) -> Any:
    """Mappings merge key by key, anything else (lists included) replaces (docs/config.md)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge_over(base[key], value) if key in base else value
        return merged
    return override


def overlay_locations(base: Located, data: Any, located: Located) -> Located:
    """Locations after ``data`` (written at ``located``) is merged over ``base``.

    Where the override replaces a value (a list or a scalar), the base's locations under it go.
    """
    out = dict(base)

    def walk(value: Any, path: KeyPath) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, (*path, key))
            return
        for key in [k for k in out if len(k) > len(path) and k[: len(path)] == path]:
            del out[key]

    walk(data, ())
    out.update(located)
    return out
