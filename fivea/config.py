"""The YAML config: pydantic models (SPEC §3.1) and loading with precise error locations."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
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


def _positive(value: int) -> int:
    if value <= 0:
        msg = "must be longer than zero, e.g. 30d, 12h, 90m, 45s or 2w"
        raise ValueError(msg)
    return value


_QUOTE_HINT = "; quote names that YAML reads as numbers or booleans"


def _names(value: object) -> object:
    """Accept one name or a list of names; numbers must be quoted (YAML reads 010 as 8)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        hint = "" if isinstance(value, dict) else _QUOTE_HINT
        msg = f"expected a name or a list of names, got {value!r}{hint}"
        raise ValueError(msg)
    if not items:
        msg = "an empty list matches nothing; give at least one name"
        raise ValueError(msg)
    for item in items:
        if not isinstance(item, str):
            msg = f"expected a name or a list of names, got {item!r}{_QUOTE_HINT}"
            raise ValueError(msg)
    return tuple(items)


Duration = Annotated[int, BeforeValidator(parse_duration), AfterValidator(_positive)]
Names = Annotated[tuple[str, ...], BeforeValidator(_names)]


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

    @field_validator("where")
    @classmethod
    def _where_parses(cls, value: str | None) -> str | None:
        # syntax only; rules.parse_where checks the column names against the data before the scan
        if value is None:
            return value
        import polars as pl

        try:
            expr = pl.sql_expr(value)
        except Exception as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            msg = f'invalid where expression {value!r}: {detail}; write a SQL condition such as "revenue > 0"'
            raise ValueError(msg) from exc
        if "SubPlan" in expr.meta.serialize(format="json"):
            msg = "where must be a plain expression over columns; subqueries are not allowed"
            raise ValueError(msg)
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
    """A step is an event name, a list of alternative names, or a rule object."""
    return {"event": value} if isinstance(value, str | list) else value


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


class ActionAdvice(_Model):
    """What to do about a weak transition; replaces the shipped advice key by key."""

    problem: str | None = None
    chapter: str | None = None
    actions: list[str] | None = Field(default=None, min_length=1)


class Actions(_Model):
    """Per-transition advice overrides (the shipped text is fivea/data/actions.yaml)."""

    attraction: ActionAdvice | None = None
    curiosity_low: ActionAdvice | None = None
    curiosity_high: ActionAdvice | None = None
    commitment: ActionAdvice | None = None
    affinity: ActionAdvice | None = None

    def for_key(self, key: str) -> dict[str, object]:
        """The overriding fields for an advice key (unset fields keep the shipped text)."""
        advice = getattr(self, key)
        return {} if advice is None else advice.model_dump(exclude_none=True)


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
    actions: Actions = Actions()
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


KeyPath = tuple[str | int, ...]
Located = dict[KeyPath, tuple[str, int]]  # key path -> (file or "preset NAME", YAML line)


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


# --- YAML with line numbers -------------------------------------------------------------------


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
    try:
        data = yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:  # e.g. an unhashable key such as `[a]: 1`
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        msg = f"{origin}{line}: invalid YAML: {problem}"
        raise ConfigError(msg) from exc
    return data, lines


def _walk_nodes(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], origin: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                msg = (
                    f"{origin}:{key_node.start_mark.line + 1}: {_format_path(path) or '(top level)'}: "
                    "a key must be a plain name, not a list or a mapping"
                )
                raise ConfigError(msg)
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


def preset_description(name: str) -> str:
    """The one-line ``description:`` of a shipped preset (empty if it has none)."""
    data = yaml.safe_load(preset_text(name))
    return str(data.get("description") or "") if isinstance(data, dict) else ""


def _merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key, anything else (lists included) replaces (SPEC §3.1)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return override


def _overlay(base: Located, data: Any, located: Located) -> Located:
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


def _read_config(path: Path, origin: str, how: str = "flag") -> str:
    where = f"FIVEA_CONFIG={origin}" if how == "env" else origin
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        fix = "fix or unset FIVEA_CONFIG" if how == "env" else "check the path or run `fivea init`"
        msg = f"{where}: config file not found; {fix}"
        raise ConfigError(msg) from exc
    except IsADirectoryError as exc:
        msg = f"{where}: is a folder, not a config file; pass the YAML file itself"
        raise ConfigError(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"{where}: the config is not UTF-8 text; save it as UTF-8"
        raise ConfigError(msg) from exc
    except OSError as exc:
        msg = f"{where}: cannot read the config ({exc.strerror})"
        raise ConfigError(msg) from exc


def _resolve(
    text: str, origin: str, seen: tuple[str, ...], folder: Path | None = None
) -> tuple[dict, Located]:
    """Parse one config and its ``preset:`` chain; return merged data and key locations."""
    data, lines = _parse_yaml(text, origin)
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
    merged = _merge(base, data)
    merged["preset"] = parent
    return merged, _overlay(base_located, data, located)


# --- validation errors ------------------------------------------------------------------------


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``path`` (for "did you mean")."""
    model: type[BaseModel] | None = Config
    hops = list(path)
    while hops and model is not None:
        hop = hops.pop(0)
        if model is Config and hop == "subfunnels":
            if not hops:
                return None  # the subfunnels mapping itself: any name is allowed
            hops.pop(0)  # the sub-funnel's name
            model = Subfunnel
            continue
        if isinstance(hop, int):
            continue
        field_info = model.model_fields.get(str(hop))
        if field_info is None:
            return None
        model = _first_model(field_info.annotation)
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


_TYPE_MESSAGES = {
    "list_type": "expected a list: [a, b] or one '- item' per line",
    "tuple_type": "expected a list: [a, b] or one '- item' per line",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected text; quote values that YAML reads as numbers or booleans",
}


def _describe(error: dict, path: KeyPath) -> str:
    """One pydantic error as a plain sentence (without the location)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    bounds = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt")}
    bounds |= {"less_than_equal": ("≤", "le"), "less_than": ("<", "lt")}
    if kind in bounds:
        sign, name = bounds[kind]
        return f"must be {sign} {ctx[name]:g}"
    if kind == "literal_error":
        return f"must be {ctx['expected']}"
    if kind == "too_short":
        if path and path[-1] == "rules":
            return "needs at least one rule"
        if path and path[-1] == "steps":
            return f"a sub-funnel needs at least {ctx['min_length']} steps"
        return f"needs at least {ctx['min_length']} items"
    if kind == "too_long":
        if path and path[-1] == "curiosity":
            return "curiosity is a band [low, high] of two numbers"
        return f"takes at most {ctx['max_length']} items"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long" and ctx.get("max_length") == 1:
        return "must be one character"
    return error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")


def _explain(error: dict, origin: str, located: Mapping[KeyPath, tuple[str, int]]) -> str:
    path = _clean_loc(error["loc"])
    found = None
    for depth in range(len(path), -1, -1):
        found = located.get(path[:depth])
        if found is not None:
            break
    where = f"{found[0]}:{found[1]}" if found else origin
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
        hint = ""
        if path == ("stages",):
            hint = "; give the five 5A stages, or start from a preset (`preset: 5a-default`)"
        elif path[:1] == ("stages",) and len(path) == 2:
            hint = (
                f"; without `preset:` all five stages ({', '.join(STAGE_KEYS)}) must be given, "
                "or add `preset: 5a-default` to inherit the others"
            )
        elif path[-1:] == ("steps",):
            hint = "; list the steps in order: steps: [add_to_cart, begin_checkout, purchase]"
        return f"{where}: {key}: required key is missing{hint}"
    message = _describe(error, path)
    got = error.get("input")
    shown = ""
    if not isinstance(got, dict | list | tuple) and "got" not in message:
        if got is None:
            text = "null"
        elif isinstance(got, int | float) and not isinstance(got, bool):
            text = str(got)
        else:
            text = repr(got)
        # a message that already quotes the value (e.g. "unknown time zone 'X'") needs no echo
        shown = "" if isinstance(got, str) and text in message else f", got {text}"
    return f"{where}: {key}: {message}{shown}"


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
        raise ConfigError(_explain(first, origin, located)) from exc
    check_lines = tuple(
        found[1] if (found := located.get(("checks", i))) and found[0] == origin else None
        for i in range(len(config.checks))
    )
    locations = {_format_path(k): v for k, v in located.items() if k}
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
                located = _overlay(base_located, data, located)
                data = {**_merge(base, data), "preset": preset}
        source = ConfigSource(path=origin, preset=data.get("preset"), how=how)
        return validate_config(data, origin, located, source)
    name = preset or DEFAULT_PRESET
    origin = f"preset {name}"
    data, located = _resolve(preset_text(name), origin, (name,))
    source = ConfigSource(path=None, preset=name, how=how if preset else "default")
    return validate_config(data, origin, located, source)


CONFIG_NAMES = ("fivea.yaml", "fivea.yml", ".fivea.yaml")


def discover_config(cwd: Path, environ: Mapping[str, str]) -> tuple[Path | None, str]:
    """Where the config comes from when ``-c`` is absent (SPEC §6).

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
