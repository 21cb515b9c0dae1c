"""The YAML config: pydantic models (SPEC §3.1) and loading with precise error locations."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from fivea.errors import ConfigError

STAGE_KEYS: tuple[str, ...] = ("aware", "appeal", "ask", "act", "advocate")
TRANSITION_NAMES: tuple[str, ...] = ("attraction", "curiosity", "commitment", "affinity")
DEFAULT_PRESET = "5a-default"
MICROS = {"s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}
MICROS["w"] = 7 * MICROS["d"]
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(value: object) -> int:
    """Parse ``30d`` / ``12h`` / ``90m`` / ``45s`` / ``2w`` into whole microseconds."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        msg = f"expected a duration like 30d, 12h, 90m, 45s or 2w, got {value!r}"
        raise ValueError(msg)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None:
        msg = f"expected a duration like 30d, 12h, 90m, 45s or 2w, got {value!r}"
        raise ValueError(msg)
    return int(match.group(1)) * MICROS[match.group(2)]


def _as_tuple(value: object) -> object:
    """Accept one name or a list of names."""
    return (value,) if isinstance(value, str) else value


Duration = Annotated[int, BeforeValidator(parse_duration)]
Names = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Model):
    """One way of earning a stage or a sub-funnel step (SPEC §3.2)."""

    event: Names | None = None
    event_matches: str | None = None
    where: str | None = None
    any_event: bool = False
    min_count: int | None = Field(default=None, ge=1)
    within: Duration | None = None

    @field_validator("event_matches")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                msg = f"not a valid regular expression ({exc})"
                raise ValueError(msg) from exc
        return value

    @model_validator(mode="after")
    def _has_condition(self) -> Rule:
        if not (self.event or self.event_matches or self.where or self.any_event):
            msg = "a rule needs at least one of event, event_matches, where, any_event: true"
            raise ValueError(msg)
        if self.within is not None and self.min_count is None:
            msg = "within needs min_count (the number of events inside the window)"
            raise ValueError(msg)
        return self

    @property
    def is_counted(self) -> bool:
        """Whether hits depend on earlier events of the person (needs the sorted scan)."""
        # n = 1 is met by the matching event itself, whatever the window
        return self.min_count is not None and self.min_count > 1

    @property
    def is_any_event(self) -> bool:
        """An unconditioned any-event rule: every event is a hit."""
        return (
            self.any_event
            and not self.event
            and not self.event_matches
            and not self.where
            and not self.is_counted
        )


class Stage(_Model):
    """A 5A stage: its display label and the rules whose hits put a person in it."""

    label: str | None = None
    rules: list[Rule] = Field(min_length=1)


class Stages(_Model):
    """Exactly the five 5A stages."""

    aware: Stage
    appeal: Stage
    ask: Stage
    act: Stage
    advocate: Stage

    def items(self) -> list[tuple[str, Stage]]:
        """Stages in path order."""
        return [(key, getattr(self, key)) for key in STAGE_KEYS]


def _step_as_rule(value: object) -> object:
    return {"event": value} if isinstance(value, str) else value


Step = Annotated[Rule, BeforeValidator(_step_as_rule)]


class Subfunnel(_Model):
    """An ordered step funnel (SPEC §3.5): each step needs its own event."""

    steps: list[Step] = Field(min_length=2)
    window: Duration | None = None


def _subfunnel_shorthand(value: object) -> object:
    if isinstance(value, Mapping):
        return {name: {"steps": s} if isinstance(s, list) else s for name, s in value.items()}
    return value


class Columns(_Model):
    """Where the logical columns live in the data; unset ones are auto-detected (SPEC §2)."""

    user: Names | None = None
    time: str | None = None
    event: str | None = None
    time_unit: Literal["s", "ms", "us", "ns"] | None = None
    time_format: str | None = None


class TimeSettings(_Model):
    """How naive timestamps are read."""

    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"unknown time zone {value!r}; use an IANA name such as UTC or Europe/Berlin"
            raise ValueError(msg) from exc
        return value


class InputSettings(_Model):
    """How event files are decoded."""

    encoding: str = "utf-8"
    separator: str | None = Field(default=None, min_length=1, max_length=1)
    format: Literal["csv", "parquet", "ndjson"] | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError as exc:
            msg = f"unknown encoding {value!r}; try utf-8, latin-1 or cp1252"
            raise ValueError(msg) from exc
        return value


class Identity(_Model):
    """Identity stitching across the columns of a list-valued ``columns.user``."""

    stitch: bool = True


class FunnelSettings(_Model):
    """The ordered path's conversion window (SPEC §3.4)."""

    window: Duration = parse_duration("30d")


class Targets(_Model):
    """Target value of each transition ratio (SPEC §4.2); curiosity is a band."""

    attraction: float = Field(default=0.35, gt=0)
    curiosity: tuple[float, float] = (0.15, 0.80)
    commitment: float = Field(default=0.30, gt=0)
    affinity: float = Field(default=0.30, gt=0)

    @field_validator("curiosity")
    @classmethod
    def _band(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 < low <= high:
            msg = f"curiosity is a band [low, high] with 0 < low <= high, got {list(value)}"
            raise ValueError(msg)
        return value


Archetype = Literal["funnel", "bow_tie", "goldfish", "door_knob", "trumpet"]


class DiagnosisSettings(_Model):
    """Guards of the archetype diagnosis (SPEC §4.3)."""

    min_aware: int = Field(default=200, ge=1)
    min_stage: int = Field(default=20, ge=0)
    expected_archetype: Archetype | None = None


class Check(_Model):
    """A threshold evaluated by ``fivea check`` (SPEC §6)."""

    id: str | None = None
    name: str | None = None
    metric: str
    warn: str | None = None
    fail: str | None = None
    segment: dict[str, str] | None = None
    on_missing: Literal["fail", "warn", "pass"] = "fail"

    @model_validator(mode="after")
    def _has_condition(self) -> Check:
        if self.warn is None and self.fail is None:
            msg = "a check needs a warn: or fail: condition"
            raise ValueError(msg)
        return self


class Config(_Model):
    """A whole fivea config after preset inheritance."""

    version: Literal[1] = 1
    preset: str | None = None
    description: str | None = None
    columns: Columns = Columns()
    time: TimeSettings = TimeSettings()
    input: InputSettings = InputSettings()
    identity: Identity = Identity()
    dedupe: bool = False
    stages: Stages
    subfunnels: Annotated[dict[str, Subfunnel], BeforeValidator(_subfunnel_shorthand)] = {}
    funnel: FunnelSettings = FunnelSettings()
    segments: list[str] = []
    segment_attribution: Literal["first", "last"] = "first"
    targets: Targets = Targets()
    diagnosis: DiagnosisSettings = DiagnosisSettings()
    checks: list[Check] = []

    @model_validator(mode="after")
    def _unique_check_ids(self) -> Config:
        ids = [c.id for c in self.checks if c.id is not None]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            msg = f"check ids must be unique; repeated: {', '.join(duplicated)}"
            raise ValueError(msg)
        return self


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


# --- YAML with line numbers -------------------------------------------------------------------

KeyPath = tuple[str | int, ...]


def _format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _parse_yaml(text: str, origin: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML safely, rejecting duplicate keys; return data and a key-path -> line map."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = ""
        if "\t" in problem or "'\\t'" in problem:
            hint = "; YAML indentation must use spaces, not tabs"
        msg = f"{origin}{line}: invalid YAML: {problem}{hint}"
        raise ConfigError(msg) from exc
    if node is None:
        msg = (
            f"{origin}: the config is empty; start from `fivea init` or `fivea presets 5a-default`"
        )
        raise ConfigError(msg)
    lines: dict[KeyPath, int] = {}
    _walk_nodes(node, (), lines, origin)
    data = yaml.SafeLoader("").construct_document(node)
    return data, lines


def _walk_nodes(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], origin: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                msg = (
                    f"{origin}:{key_node.start_mark.line + 1}: "
                    f"{_format_path((*path, key))}: duplicate key (first given on line "
                    f"{seen[key]}); keep one"
                )
                raise ConfigError(msg)
            seen[key] = key_node.start_mark.line + 1
            _walk_nodes(value_node, (*path, key), lines, origin)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_nodes(item, (*path, index), lines, origin)


# --- presets and merging ----------------------------------------------------------------------


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


def _merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key, anything else (lists included) replaces (SPEC §3.1)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return override


def _resolve(text: str, origin: str, seen: tuple[str, ...]) -> tuple[dict, dict[KeyPath, int]]:
    data, lines = _parse_yaml(text, origin)
    if not isinstance(data, dict):
        msg = (
            f"{origin}:1: the config must be a YAML mapping (key: value), got {type(data).__name__}"
        )
        raise ConfigError(msg)
    parent = data.get("preset")
    if parent is None:
        return data, lines
    if not isinstance(parent, str):
        msg = f"{origin}:{lines.get(('preset',), 1)}: preset: expected a preset name"
        raise ConfigError(msg)
    if parent in seen:
        msg = f"{origin}: preset cycle: {' -> '.join((*seen, parent))}"
        raise ConfigError(msg)
    base, _ = _resolve(preset_text(parent), f"preset {parent}", (*seen, parent))
    merged = _merge(base, data)
    merged["preset"] = parent
    return merged, lines


# --- validation errors ------------------------------------------------------------------------


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``path`` (for "did you mean")."""
    model: type[BaseModel] | None = Config
    hops = list(path)
    while hops and model is not None:
        hop = hops.pop(0)
        if model is Config and hop == "subfunnels":
            model = Subfunnel if len(hops) == 1 else None
            hops = hops[1:]
            continue
        if isinstance(hop, int):
            continue
        field = model.model_fields.get(str(hop))
        if field is None:
            return None
        model = _first_model(field.annotation)
    return model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _clean_loc(loc: tuple) -> KeyPath:
    # pydantic inserts type tags (e.g. 'function-before[...]') into locations of unions
    return tuple(p for p in loc if isinstance(p, int) or not re.match(r"^[\w-]+\[", str(p)))


def _explain(error: dict, origin: str, lines: dict[KeyPath, int]) -> str:
    path = _clean_loc(error["loc"])
    line = None
    probe = path
    while probe and line is None:
        line = lines.get(probe)
        probe = probe[:-1]
    where = f"{origin}:{line}" if line else origin
    key = _format_path(path) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
        if path[:-1] == ("stages",):
            hint = f"the stages are exactly {', '.join(STAGE_KEYS)}" + (
                f"; did you mean '{close[0]}'?" if close else ""
            )
        return f"{where}: {key}: unknown key; {hint}"
    if kind == "missing":
        return f"{where}: {key}: required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    got = error.get("input")
    shown = "" if isinstance(got, dict | list) or "got" in message else f", got {got!r}"
    return f"{where}: {key}: {message}{shown}"


def validate_config(
    data: dict, origin: str, lines: dict[KeyPath, int], source: ConfigSource
) -> LoadedConfig:
    """Validate merged config data, turning the first pydantic error into one precise line."""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConfigError(_explain(first, origin, lines)) from exc
    check_lines = tuple(lines.get(("checks", i)) for i in range(len(config.checks)))
    return LoadedConfig(config=config, source=source, check_lines=check_lines)


def load_config(
    path: Path | None = None, preset: str | None = None, how: str = "flag"
) -> LoadedConfig:
    """Load a config file (with its ``preset:`` chain) or a shipped preset by name."""
    if path is not None:
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            msg = f"{origin}: config file not found; check the path or run `fivea init`"
            raise ConfigError(msg) from exc
        except IsADirectoryError as exc:
            msg = f"{origin}: is a folder, not a config file; pass the YAML file itself"
            raise ConfigError(msg) from exc
        except UnicodeDecodeError as exc:
            msg = f"{origin}: the config is not UTF-8 text; save it as UTF-8"
            raise ConfigError(msg) from exc
        except OSError as exc:
            msg = f"{origin}: cannot read the config ({exc.strerror})"
            raise ConfigError(msg) from exc
        data, lines = _resolve(text, origin, ())
        if preset is not None:
            data = _merge(_resolve(preset_text(preset), f"preset {preset}", (preset,))[0], data)
        source = ConfigSource(path=origin, preset=data.get("preset") or preset, how=how)
        return validate_config(data, origin, lines, source)
    name = preset or DEFAULT_PRESET
    origin = f"preset {name}"
    data, lines = _resolve(preset_text(name), origin, (name,))
    source = ConfigSource(path=None, preset=name, how=how if preset else "default")
    return validate_config(data, origin, lines, source)


CONFIG_NAMES = ("fivea.yaml", "fivea.yml", ".fivea.yaml")


def discover_config(cwd: Path, environ: Mapping[str, str]) -> tuple[Path | None, str]:
    """Where the config comes from when ``-c`` is absent (SPEC §6).

    ``FIVEA_CONFIG``, then the first ``fivea.yaml`` / ``fivea.yml`` / ``.fivea.yaml`` from the
    working directory up to the git root (the working directory only outside a repository).
    """
    env = environ.get("FIVEA_CONFIG")
    if env:
        return Path(env), "env"
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
    """``-c`` wins, then discovery, then ``--preset`` alone, then the built-in default."""
    if path is not None:
        return load_config(path, preset, how="flag")
    if preset is not None:
        return load_config(None, preset, how="preset")
    found, how = discover_config(cwd, environ)
    if found is not None:
        return load_config(found, None, how=how)
    return load_config(None, None, how="default")
