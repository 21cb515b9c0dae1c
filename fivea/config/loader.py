"""Loading the YAML config: its ``preset:`` chain, discovery, and precise error locations.

The models are in ``fivea.config.models`` (their values in ``fivea.config.value_types``), the
shipped presets and merging in ``fivea.config.presets``; all are re-exported here, so
``fivea.config.loader`` is the one import for callers. Turning a pydantic error into one line is
``fivea.config.errors``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from fivea.config.errors import KeyPath, explain, format_path
from fivea.config.models import (
    DEFAULT_PRESET,
    STAGE_KEYS,
    TRANSITION_NAMES,
    ActionAdvice,
    Actions,
    Archetype,
    Check,
    Columns,
    Config,
    DiagnosisSettings,
    FunnelSettings,
    Identity,
    InputSettings,
    Rule,
    Stage,
    Stages,
    Step,
    Subfunnel,
    Targets,
    TimeSettings,
)
from fivea.config.presets import (
    Located,
    merge_over,
    overlay_locations,
    preset_description,
    preset_names,
    preset_text,
)
from fivea.config.value_types import MICROS, Duration, Names, parse_duration
from fivea.config.yaml_lines import parse_yaml
from fivea.errors import ConfigError

# the models are part of this module's interface (``from fivea.config.loader import Rule``)
__all__ = [
    "CONFIG_NAMES",
    "DEFAULT_PRESET",
    "MICROS",
    "STAGE_KEYS",
    "TRANSITION_NAMES",
    "ActionAdvice",
    "Actions",
    "Archetype",
    "Check",
    "Columns",
    "Config",
    "ConfigSource",
    "DiagnosisSettings",
    "Duration",
    "FunnelSettings",
    "Identity",
    "InputSettings",
    "LoadedConfig",
    "Names",
    "Rule",
    "Stage",
    "Stages",
    "Step",
    "Subfunnel",
    "Targets",
    "TimeSettings",
    "discover_config",
    "load_config",
    "parse_duration",
    "preset_description",
    "preset_names",
    "preset_text",
    "resolve_config",
    "validate_config",
]


@dataclass(frozen=True)
class ConfigSource:
    """Where the effective config came from, for the report header."""

    path: str | None
    preset: str | None
    how: str  # "flag", "env", "discovered", "preset", "default"


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and its provenance."""

    config: Config
    source: ConfigSource
    check_lines: tuple[int | None, ...] = ()
    # where each key was written: "stages.act.rules[0].where" -> ("fivea.yaml", 12); keys
    # inherited from a preset point into the preset, defaults are absent
    locations: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    def locate(self, key: str) -> str:
        """``file:line`` for a key path (or its nearest written parent), for error messages."""
        probe = key
        while probe:
            if probe in self.locations:
                origin, line = self.locations[probe]
                return f"{origin}:{line}"
            probe = _parent_key(probe)
        return self.source.path or (
            f"preset {self.source.preset}" if self.source.preset else "defaults"
        )

    def relocate(self, exc: ConfigError) -> ConfigError:
        """A rule error that starts with a key path, prefixed with where the key was written."""
        key = str(exc).split(":", 1)[0]
        return ConfigError(f"{self.locate(key)}: {exc}")

    def origin_of(self, key: str) -> str:
        """Who set a key exactly: a file path, ``preset NAME``, or ``defaults``."""
        found = self.locations.get(key)
        return found[0] if found else "defaults"


def _parent_key(key: str) -> str:
    return re.sub(r"(\[\d+\]|\.?[^.\[\]]+)$", "", key)


def _normalise_subfunnels(data: dict, lines: dict[KeyPath, int]) -> None:
    """``name: [steps]`` -> ``name: {steps: [...]}`` so a child can override only ``window``."""
    subs = data.get("subfunnels")
    if not isinstance(subs, dict):
        return
    for name, value in subs.items():
        if not isinstance(value, list):
            continue
        subs[name] = {"steps": value}
        prefix = ("subfunnels", name)
        moved = {
            k: v for k, v in lines.items() if len(k) > 2 and k[:2] == prefix and k[2] != "steps"
        }
        for key, line in moved.items():
            del lines[key]
            lines[(*prefix, "steps", *key[2:])] = line
        if prefix in lines:
            lines[(*prefix, "steps")] = lines[prefix]


def _is_path(preset: str) -> bool:
    return preset.endswith((".yaml", ".yml")) or "/" in preset or "\\" in preset


# what reading a config file can run into, and the message for each (docs/errors.md)
_READ_PROBLEMS: tuple[tuple[type[Exception], str], ...] = (
    (FileNotFoundError, "config file not found; {fix}"),
    (IsADirectoryError, "is a folder, not a config file; pass the YAML file itself"),
    (UnicodeDecodeError, "the config is not UTF-8 text; save it as UTF-8"),
    (OSError, "cannot read the config ({strerror})"),
)


def _read_config(path: Path, origin: str, how: str = "flag") -> str:
    where = f"FIVEA_CONFIG={origin}" if how == "env" else origin
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problem = next(text for kind, text in _READ_PROBLEMS if isinstance(exc, kind))
        fix = "fix or unset FIVEA_CONFIG" if how == "env" else "check the path or run `fivea init`"
        detail = problem.format(fix=fix, strerror=getattr(exc, "strerror", None))
        msg = f"{where}: {detail}"
        raise ConfigError(msg) from exc


def _resolve(
    text: str, origin: str, seen: tuple[str, ...], folder: Path | None = None
) -> tuple[dict, Located]:
    """Parse one config and its ``preset:`` chain; return merged data and key locations."""
    data, lines = parse_yaml(text, origin)
    if not isinstance(data, dict):
        msg = (
            f"{origin}:1: the config must be a YAML mapping (key: value), got {type(data).__name__}"
        )
        raise ConfigError(msg)
    _normalise_subfunnels(data, lines)
    located = {path: (origin, line) for path, line in lines.items()}
    parent = data.get("preset")
    if parent is None:
        return data, located
    where = f"{origin}:{lines.get(('preset',), 1)}: preset"
    if not isinstance(parent, str) or not parent.strip():
        msg = f"{where}: expected a preset name (see `fivea presets`) or a path to a YAML file"
        raise ConfigError(msg)
    if _is_path(parent):
        path = (
            (folder / parent)
            if folder is not None and not Path(parent).is_absolute()
            else Path(parent)
        )
        key = str(path.resolve())
        if key in seen:
            msg = f"{where}: preset cycle: {' -> '.join((*seen, key))}"
            raise ConfigError(msg)
        parent_text = _read_config(path, str(path))
        base, base_located = _resolve(parent_text, str(path), (*seen, key), path.parent)
    else:
        if parent in seen:
            msg = f"{where}: preset cycle: {' -> '.join((*seen, parent))}"
            raise ConfigError(msg)
        try:
            parent_text = preset_text(parent)
        except ConfigError as exc:
            msg = f"{where}: {exc}"
            raise ConfigError(msg) from exc
        base, base_located = _resolve(parent_text, f"preset {parent}", (*seen, parent))
    merged = merge_over(base, data)
    merged["preset"] = parent
    return merged, overlay_locations(base_located, data, located)


# --- validation errors ------------------------------------------------------------------------


def _check_ids(data: dict, origin: str, located: Mapping[KeyPath, tuple[str, int]]) -> None:
    """Check ids are unique: the second use is the error, with its line."""
    checks = data.get("checks")
    if not isinstance(checks, list):
        return
    first: dict[str, int] = {}
    for index, check in enumerate(checks):
        if not isinstance(check, dict) or not isinstance(check.get("id"), str):
            continue
        ident = check["id"]
        if ident in first:
            found = located.get(("checks", index, "id")) or located.get(("checks", index))
            where = f"{found[0]}:{found[1]}" if found else origin
            msg = (
                f"{where}: checks[{index}].id: duplicate check id '{ident}' "
                f"(first used by checks[{first[ident]}]); ids must be unique"
            )
            raise ConfigError(msg)
        first[ident] = index


def validate_config(
    data: dict,
    origin: str,
    lines: Mapping[KeyPath, int | tuple[str, int]],
    source: ConfigSource,
) -> LoadedConfig:
    """Validate merged config data, turning the first pydantic error into one precise line.

    ``lines`` maps key paths to a line of ``origin`` or to ``(file, line)``.
    """
    located = {k: v if isinstance(v, tuple) else (origin, v) for k, v in lines.items()}
    _check_ids(data, origin, located)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConfigError(explain(first, origin, located)) from exc
    check_lines = tuple(
        found[1] if (found := located.get(("checks", i))) and found[0] == origin else None
        for i in range(len(config.checks))
    )
    locations = {format_path(k): v for k, v in located.items() if k}
    return LoadedConfig(config=config, source=source, check_lines=check_lines, locations=locations)


def load_config(
    path: Path | None = None, preset: str | None = None, how: str = "flag"
) -> LoadedConfig:
    """Load a config file (with its ``preset:`` chain) or a shipped preset by name.

    With both, the preset goes under the file (as if the file said ``preset: NAME``); a file
    that names a different preset itself is an error.
    """
    if path is not None:
        origin = str(path)
        text = _read_config(path, origin, how)
        data, located = _resolve(text, origin, (), path.parent)
        if preset is not None:
            own = data.get("preset")
            if own is not None and own != preset:
                line = located.get(("preset",), (origin, 1))[1]
                msg = (
                    f"{origin}:{line}: preset: the file says '{own}' but --preset says "
                    f"'{preset}'; drop one of them"
                )
                raise ConfigError(msg)
            if own is None:
                try:
                    base, base_located = _resolve(
                        preset_text(preset), f"preset {preset}", (preset,)
                    )
                except ConfigError as exc:
                    msg = f"--preset: {exc}"
                    raise ConfigError(msg) from exc
                located = overlay_locations(base_located, data, located)
                data = {**merge_over(base, data), "preset": preset}
        source = ConfigSource(path=origin, preset=data.get("preset"), how=how)
        return validate_config(data, origin, located, source)
    name = preset or DEFAULT_PRESET
    origin = f"preset {name}"
    data, located = _resolve(preset_text(name), origin, (name,))
    source = ConfigSource(path=None, preset=name, how=how if preset else "default")
    return validate_config(data, origin, located, source)


CONFIG_NAMES = ("fivea.yaml", "fivea.yml", ".fivea.yaml")


def discover_config(cwd: Path, environ: Mapping[str, str]) -> tuple[Path | None, str]:
    """Where the config comes from when ``-c`` is absent (README.md#exit-codes).

    ``FIVEA_CONFIG``, then the first ``fivea.yaml`` / ``fivea.yml`` / ``.fivea.yaml`` from the
    working directory up to the git root (the working directory only outside a repository).
    """
    env = environ.get("FIVEA_CONFIG")
    if env:
        return Path(env), "env"
    cwd = cwd.absolute()
    folders = [cwd, *cwd.parents]
    root = next((f for f in folders if (f / ".git").exists()), None)
    search = folders[: folders.index(root) + 1] if root is not None else [cwd]
    for folder in search:
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name, "discovered"
    return None, "default"


def resolve_config(
    path: Path | None, preset: str | None, cwd: Path, environ: Mapping[str, str]
) -> LoadedConfig:
    """``-c`` wins, then ``--preset`` alone, then discovery, then the built-in default."""
    if path is not None:
        return load_config(path, preset, how="flag")
    if preset is not None:
        return load_config(None, preset, how="preset")
    found, how = discover_config(cwd, environ)
    if found is not None:
        return load_config(found, None, how=how)
    return load_config(None, None, how="default")
