"""Rules -> polars expressions (docs/metrics.md#stage-counts-per-analysis-window) and the bit layout of stages and sub-funnel steps.

Each stage and each sub-funnel step owns one bit of a per-event mask. Rules without ``min_count``
(or with n = 1) and without ``gap`` are plain row predicates and OR into the mask directly;
counted rules share one match column per distinct match (``fivea.rules.counted`` evaluates them all
after one sort by match, person, time and input order in phase 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from fivea.config.loader import STAGE_KEYS, Config, Rule
from fivea.errors import ConfigError
from fivea.rules.counted import CountedRule, uncovered
from fivea.rules.where import parse_where

MASK = "__mask"
_MAX_BITS = 63
_MAX_COUNTED_MATCHES = 63  # the compiled kernel keeps a row's counted matches in 63 bits


@dataclass(frozen=True)
class RuleSet:
    """Everything phase 1 needs to mark events with stage and step bits."""

    simple_mask: pl.Expr  # UInt64 bits of stages/steps hit by plain rules
    counted_matches: dict[str, pl.Expr]  # match column name -> predicate (one per distinct match)
    counted: tuple[CountedRule, ...]  # distinct counted rules
    any_match: pl.Expr  # matched by some rule other than an unconditioned any_event
    aware_is_any_event: bool  # Aware = every event: phase 1 keeps only first/last times
    stage_bits: tuple[int, ...]
    step_bits: dict[str, tuple[int, ...]]
    numeric_columns: frozenset[str]
    # columns the expressions above read, to add to the events first (computed once per scan)
    prelude: dict[str, pl.Expr] = field(default_factory=dict)
    # match column -> its event names, for matches that are a plain list of names
    counted_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    counted_codes: dict[str, int] = field(default_factory=dict)  # column -> its RULE_CODE bit
    event_col: str = "__event"  # the event name column the rules read

    @property
    def kernel_fits(self) -> bool:
        """Whether the compiled kernel can hold every counted match of an event in its bits."""
        return len(self.counted_matches) <= _MAX_COUNTED_MATCHES

    def counted_stage_match(self, bit: int) -> pl.Expr:
        """Events matching some counted rule of stage ``bit`` (one ``is_in`` for the names)."""
        columns = list(dict.fromkeys(r.column for r in self.counted if r.bit == bit))
        coded = 0  # name lists with a bit of the name lookup: one test of the code
        for column in columns:
            if column in self.counted_codes:
                coded |= 1 << self.counted_codes[column]
        names = sorted(
            {
                n
                for c in columns
                if c not in self.counted_codes
                for n in self.counted_names.get(c, ())
            }
        )
        exprs = [self.counted_matches[c] for c in columns if c not in self.counted_names]
        if names:
            exprs.insert(
                0, pl.col(self.event_col).is_in(pl.Series(names, dtype=pl.String).implode())
            )
        if coded:
            exprs.insert(0, (pl.col(RULE_CODE) & coded) != 0)
        return pl.any_horizontal(exprs) if exprs else pl.lit(False)


def rule_match(
    rule: Rule, key: str, event_col: str, columns: list[str], types: dict[str, pl.DataType]
) -> tuple[pl.Expr, set[str]]:
    conditions: list[pl.Expr] = []
    numeric: set[str] = set()
    if rule.event:
        names = list(rule.event)
        conditions.append(
            pl.col(event_col) == names[0] if len(names) == 1 else pl.col(event_col).is_in(names)
        )
    if rule.event_matches:
        pattern = f"^(?:{rule.event_matches})$"  # must match the whole name
        conditions.append(pl.col(event_col).str.contains(pattern))
    if rule.where:
        expr, numeric = parse_where(rule.where, f"{key}.where", columns, types)
        conditions.append(expr)
    if not conditions:  # any_event: true alone
        return pl.lit(True), numeric
    return pl.all_horizontal(conditions).fill_null(False), numeric


def rules_with_keys(config: Config) -> list[tuple[str, int, Rule]]:
    """(key path, bit, rule) for every stage rule and sub-funnel step, in bit order."""
    out: list[tuple[str, int, Rule]] = []
    for bit, (stage, spec) in enumerate(config.stages.items()):
        out += [(f"stages.{stage}.rules[{i}]", bit, r) for i, r in enumerate(spec.rules)]
    bit = len(STAGE_KEYS)
    for name, sub in config.subfunnels.items():
        for i, step in enumerate(sub.steps):
            out.append((f"subfunnels.{name}.steps[{i}]", bit, step))
            bit += 1
    if bit > _MAX_BITS:
        msg = f"subfunnels: at most {_MAX_BITS - len(STAGE_KEYS)} steps in all, got {bit - 5}"
        raise ConfigError(msg)
    return out


RULE_CODE = "__rule_code"
_CODE_SEED = 0xC0DE5  # any fixed seed: listed names and the event column are hashed alike
_NAMED_BIT = 63  # of RULE_CODE: the name is in some rule (other than any_event)


def is_name_rule(rule: Rule) -> bool:
    """Whether a rule is exactly "the event is one of these names"."""
    return bool(rule.event) and not rule.event_matches and not rule.where


def _has_bit(bit: int) -> pl.Expr:
    return (pl.col(RULE_CODE) & (1 << bit)) != 0


@dataclass
class _Compiled:
    """Rules being compiled: plain event-name rules go into one name -> bits lookup.

    A config lists dozens of event names over a dozen rules; testing each rule with ``is_in``
    hashes every event name once per rule, a lookup once in all (10M events: 2.0 s -> 0.7 s,
    and the code is computed once before the scan's cache, not once per output).
    """

    counted_base: int  # RULE_CODE bit of the first counted rule
    codes: dict[str, int] = field(default_factory=dict)
    by_bit: dict[int, list[pl.Expr]] = field(default_factory=dict)
    matches: list[pl.Expr] = field(default_factory=list)

    def name_bit(self, names: tuple[str, ...], bit: int) -> None:
        for name in names:
            self.codes[name] = self.codes.get(name, 0) | (1 << bit)


def _code_lookup(event: pl.Expr, codes: dict[str, int]) -> pl.Expr:
    """Each event name's rule code, 0 for the names no rule lists.

    Not ``replace_strict``: polars cannot stream it, so the whole scan was materialised
    before it (10M events: peak 2.4 GB). An ``is_in`` per distinct code streams but hashes
    every name once per code (0.3 s slower); instead the name is hashed once, its code found
    among the listed names' hashes, and one exact ``is_in`` keeps only listed names (a name
    whose hash equals a listed one's gets 0): 10M events, 0.48 s -> 0.32 s and 0.9 GB less.
    """
    names = list(codes)
    hashes = pl.Series(names, dtype=pl.String).hash(_CODE_SEED).to_list()
    if len(set(hashes)) < len(names):
        # two listed names share a 64-bit hash: test the names themselves
        return _first_code(event, dict(zip(names, codes.values(), strict=True)), pl.String)
    by_hash = _first_code(
        event.hash(_CODE_SEED), dict(zip(hashes, codes.values(), strict=True)), pl.UInt64
    )
    listed = pl.Series(names, dtype=pl.String).implode()
    return pl.when(event.is_in(listed)).then(by_hash).otherwise(pl.lit(0, pl.UInt64))


def _first_code(value: pl.Expr, codes: dict[Any, int], dtype: pl.DataType) -> pl.Expr:
    """The code of ``value`` in ``codes`` (0 when absent): one ``is_in`` per distinct code."""
    by_code: dict[int, list[Any]] = {}
    for member, code in codes.items():
        by_code.setdefault(code, []).append(member)
    looked_up = pl.lit(0, pl.UInt64)
    for code, members in by_code.items():
        listed = pl.Series(members, dtype=dtype).implode()
        looked_up = pl.when(value.is_in(listed)).then(pl.lit(code, pl.UInt64)).otherwise(looked_up)
    return looked_up


def compile_rules(
    config: Config,
    event_col: str,
    columns: list[str],
    types: dict[str, pl.DataType] | None = None,
) -> RuleSet:
    """Compile every rule of the config against the data's columns."""
    aware_rules = config.stages.aware.rules
    aware_is_any = any(r.is_any_event for r in aware_rules)
    keyed = rules_with_keys(config)
    n_bits = len(STAGE_KEYS) + sum(len(sub.steps) for sub in config.subfunnels.values())
    work = _Compiled(counted_base=n_bits)
    counted: dict[CountedRule, None] = {}  # distinct, in config order
    counted_matches: dict[str, pl.Expr] = {}
    counted_names: dict[str, tuple[str, ...]] = {}
    counted_codes: dict[str, int] = {}
    match_columns: dict[tuple[object, ...], str] = {}  # a counted match's key -> its column
    compiled: dict[tuple[object, ...], tuple[pl.Expr, set[str]]] = {}
    numeric: set[str] = set()
    for key, bit, rule in keyed:
        # rules that match alike compile once (a config may hold thousands of counted rules)
        seen = rule.match_key in compiled
        if not seen:
            compiled[rule.match_key] = rule_match(rule, key, event_col, columns, types or {})
        expr, cols = compiled[rule.match_key]
        numeric |= cols
        by_name = is_name_rule(rule)
        if by_name:
            work.name_bit(rule.event or (), _NAMED_BIT)
        elif not rule.is_any_event and not seen:
            work.matches.append(expr)
        if bit == 0 and aware_is_any:
            continue  # every event is an aware hit: phase 1 needs only first and last times
        if rule.is_counted:
            column = match_columns.get(rule.match_key)
            if column is None:
                column = match_columns[rule.match_key] = f"__m{len(match_columns)}"
                code_bit = work.counted_base + len(counted_names)
                if by_name:
                    counted_names[column] = rule.event or ()
                    if code_bit < _NAMED_BIT:  # a spare bit of the name lookup: a bit test
                        work.name_bit(rule.event or (), code_bit)
                        expr = _has_bit(code_bit)
                        counted_codes[column] = code_bit
                counted_matches[column] = expr
            counted[CountedRule(bit, column, rule.min_count or 1, rule.within, rule.gap)] = None
        elif by_name:
            work.name_bit(rule.event or (), bit)
        else:
            work.by_bit.setdefault(bit, []).append(expr)
    terms = [
        pl.when(pl.any_horizontal(exprs))
        .then(pl.lit(1 << bit, pl.UInt64))
        .otherwise(pl.lit(0, pl.UInt64))
        for bit, exprs in sorted(work.by_bit.items())
    ]
    matches = work.matches
    prelude: dict[str, pl.Expr] = {}
    if work.codes:
        prelude[RULE_CODE] = _code_lookup(pl.col(event_col), work.codes)
        terms.insert(0, pl.col(RULE_CODE) & ((1 << work.counted_base) - 1))
        matches = [_has_bit(_NAMED_BIT), *matches]
    simple_mask = pl.lit(0, pl.UInt64)
    for term in terms:
        simple_mask = simple_mask | term
    step_bits: dict[str, tuple[int, ...]] = {}
    bit = len(STAGE_KEYS)
    for name, sub in config.subfunnels.items():
        step_bits[name] = tuple(range(bit, bit + len(sub.steps)))
        bit += len(sub.steps)
    any_match = pl.any_horizontal(matches) if matches else pl.lit(False)
    return RuleSet(
        simple_mask=simple_mask.cast(pl.UInt64),
        counted_matches=counted_matches,
        counted=uncovered(tuple(counted)),
        any_match=any_match,
        aware_is_any_event=aware_is_any,
        stage_bits=tuple(range(len(STAGE_KEYS))),
        step_bits=step_bits,
        numeric_columns=frozenset(numeric),
        prelude=prelude,
        counted_names=counted_names,
        counted_codes=counted_codes,
        event_col=event_col,
    )
