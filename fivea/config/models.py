"""The config's pydantic models (docs/config.md): what a valid fivea config is.

Durations, name lists and limits are in ``fivea.config.value_types``; loading, presets and error
locations in ``fivea.config.loader``, which re-exports these names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from fivea.config.anomaly import Anomaly, conditions, fit_anomaly
from fivea.config.value_types import (
    MAX_COUNT_SETTING,
    MAX_MIN_COUNT,
    MAX_WHERE_OPERATORS,
    Duration,
    Names,
    count_size,
    parse_duration,
    where_operators,
)

# below every layer (docs/architecture.md); re-exported here, the config's own names
from fivea.durations import MICROS as MICROS
from fivea.funnel import STAGE_KEYS as STAGE_KEYS
from fivea.funnel import TRANSITION_NAMES as TRANSITION_NAMES

DEFAULT_PRESET = "5a-default"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Model):
    """One way of earning a stage or a sub-funnel step (docs/metrics.md#stage-counts-per-analysis-window)."""

    event: Names | None = None
    event_matches: str | None = None
    where: str | None = None
    any_event: bool = False
    min_count: Annotated[int | None, BeforeValidator(count_size)] = Field(
        default=None, ge=1, le=MAX_MIN_COUNT
    )
    within: Duration | None = None
    gap: Duration | None = None  # occasions: matching events less than gap apart are one

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
        operators = where_operators(value)
        if operators > MAX_WHERE_OPERATORS:
            msg = (
                f"too long a condition: got {operators:,} operators, at most "
                f"{MAX_WHERE_OPERATORS}; for many event names use event: [a, b, ...] or "
                "event_matches:, for many values `column IN ('a', 'b', ...)`"
            )
            raise ValueError(msg)
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
        # n = 1 is met by the matching event itself, whatever the window; with gap the hits
        # are occasion starts, which depend on the previous matching event
        return (self.min_count is not None and self.min_count > 1) or self.gap is not None

    @property
    def match_key(self) -> tuple[object, ...]:
        """What decides which events the rule matches (rules with equal keys match alike)."""
        return (self.event, self.event_matches, self.where, self.any_event)

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


class StepRule(Rule):
    """A sub-funnel step: a rule whose every hit is one event, so without ``gap``."""

    @field_validator("gap")
    @classmethod
    def _no_gap(cls, value: int | None) -> int | None:
        if value is not None:
            msg = "a sub-funnel step takes no gap (each step is one event); remove it"
            raise ValueError(msg)
        return value


Step = Annotated[StepRule, BeforeValidator(_step_as_rule)]


class Subfunnel(_Model):
    """An ordered step funnel (docs/metrics.md#sub-funnels): each step needs its own event."""

    steps: list[Step] = Field(min_length=2)
    window: Duration | None = None


def _subfunnel_shorthand(value: object) -> object:
    if isinstance(value, Mapping):
        return {name: {"steps": s} if isinstance(s, list) else s for name, s in value.items()}
    return value


class Columns(_Model):
    """Where the logical columns live in the data; unset ones are auto-detected (docs/input.md)."""

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
    """The ordered path's conversion window (docs/metrics.md#ordered-path)."""

    window: Duration = parse_duration("30d")


class Targets(_Model):
    """Target value of each transition ratio (docs/metrics.md#diagnosis); curiosity is a band."""

    attraction: float = Field(default=0.35, gt=0, allow_inf_nan=False)
    curiosity: tuple[
        Annotated[float, Field(allow_inf_nan=False)], Annotated[float, Field(allow_inf_nan=False)]
    ] = (0.15, 0.80)
    commitment: float = Field(default=0.30, gt=0, allow_inf_nan=False)
    affinity: float = Field(default=0.30, gt=0, allow_inf_nan=False)

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
    """Guards of the archetype diagnosis (docs/metrics.md#diagnosis)."""

    min_aware: int = Field(default=200, ge=1, le=MAX_COUNT_SETTING)
    min_stage: int = Field(default=20, ge=0, le=MAX_COUNT_SETTING)
    expected_archetype: Archetype | None = None


class DriversSettings(_Model):
    """Drivers of a transition (docs/metrics.md "Drivers"): the landmark design's parameters."""

    landmark: Duration | None = None  # default: p25 time to convert, at least 1 minute
    horizon: Duration | None = None  # default: p90 time to convert, at most funnel.window
    properties: list[str] | None = None  # default: every property with 2..50 values (≤ 30)


class Check(_Model):
    """A threshold evaluated by ``fivea check`` (README.md#exit-codes)."""

    id: str | None = None
    name: str | None = None
    metric: str
    warn: str | None = None
    fail: str | None = None
    segment: dict[str, str] | None = None
    on_missing: Literal["fail", "warn", "pass"] = "fail"
    anomaly: Anomaly | None = None  # docs/checks.md, "Anomaly checks"

    @model_validator(mode="after")
    def _has_condition(self) -> Check:
        if self.warn is None and self.fail is None and self.anomaly is None:
            msg = "a check needs a warn: or fail: condition"
            raise ValueError(msg)
        fit_anomaly(self, STAGE_KEYS, TRANSITION_NAMES)  # docs/checks.md, "Anomaly checks"
        return self

    def conditions(self) -> list[tuple[str, str]]:
        """The conditions that are set, as (level, text), fail first."""
        return conditions(self)


def _advice_shorthand(value: object) -> object:
    """`commitment: [a, b]` is short for `commitment: {actions: [a, b]}`."""
    return {"actions": value} if isinstance(value, list) else value


class ActionAdvice(_Model):
    """What to do about a weak transition; replaces the shipped advice key by key."""

    problem: str | None = None
    chapter: str | None = None
    actions: list[str] | None = Field(default=None, min_length=1)


class Actions(_Model):
    """Per-transition advice overrides (the shipped text is fivea/data/actions.yaml)."""

    attraction: Annotated[ActionAdvice | None, BeforeValidator(_advice_shorthand)] = None
    curiosity_low: Annotated[ActionAdvice | None, BeforeValidator(_advice_shorthand)] = None
    curiosity_high: Annotated[ActionAdvice | None, BeforeValidator(_advice_shorthand)] = None
    commitment: Annotated[ActionAdvice | None, BeforeValidator(_advice_shorthand)] = None
    affinity: Annotated[ActionAdvice | None, BeforeValidator(_advice_shorthand)] = None

    def for_key(self, key: str) -> dict[str, object]:
        """The overriding fields for an advice key (unset fields keep the shipped text)."""
        advice = getattr(self, key)
        return {} if advice is None else advice.model_dump(exclude_none=True)


Business = Literal["ecommerce", "saas", "leadgen", "app", "generic"]


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
    drivers: DriversSettings = DriversSettings()
    business: Business = "generic"  # picks the action catalogue (docs/metrics.md#actions)
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
