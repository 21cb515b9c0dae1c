"""Counted rules (docs/metrics.md "Counted rules", "Occasions"): ``min_count``, ``within``, ``gap``.

A counted rule's hits depend on the person's earlier matching events. Every counted rule of a
config is evaluated by the same few operators over one long frame with a row per (event, series
it belongs to), a **series** being a distinct (match, gap): the plan has the same size for two
rules or ten thousand (one sub-plan per rule cost 3.5 MB of memory each: 1,000 rules took 8 GB).

1. ``match_rows``: plain name lists through one join with a (name -> series) table, other matches
   through one list of series ids per event, exploded.
2. ``occasion_starts``: ordered by (series, person, time, input order), a row less than the
   series' gap after the person's previous row continues that occasion (ties too); the others
   start one (without gap, every row does). Starts are numbered k = 0, 1, ... per person.
3. ``counted_hits``: a rule (series, n, within) hits at start k when k >= n - 1 and, with within,
   start k - (n - 1) is at most within earlier (both ends inclusive): at least n starts lie in
   [t - within, t].

``fivea.person.table`` (phase 1) and ``fivea.authoring.stages`` (``fivea stages``) both use these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from fivea.io.events import TIME, USER
from fivea.io.sources import ORDER

SERIES = "__series"
K = "__k"  # the occasion start's number (0-based) within its person and series
LAG = "__lag"  # n - 1: the starts before this one that make it a hit
WITHIN = "__within"
_COLUMN, _VARIABLE, _VALUE = "__cs", "__cvariable", "__cvalue"
_CHUNK = 64  # matches unpivoted together
_GAP, _I, _FIRST, _EARLIER, _T_EARLIER = "__gap", "__ci", "__cfirst", "__cearlier", "__ctearlier"


@dataclass(frozen=True)
class Series:
    """One sequence of occasions: the events a match selects, cut into occasions by ``gap``."""

    match: pl.Expr
    names: tuple[str, ...] | None  # the match is exactly "the event is one of these names"
    gap_us: int | None


def match_rows(events: pl.LazyFrame, series: Sequence[Series], event_col: str) -> pl.LazyFrame:
    """One row (SERIES, person, time, input order) per event and series whose match it meets."""
    parts = []
    named = sorted({(name, i) for i, s in enumerate(series) if s.names for name in s.names})
    if named:
        table = pl.LazyFrame(
            {event_col: [n for n, _ in named], SERIES: [i for _, i in named]},
            schema={event_col: pl.String, SERIES: pl.UInt32},
        )
        parts.append(
            events.select(USER, TIME, ORDER, pl.col(event_col).cast(pl.String))
            .join(table, on=event_col, how="inner")
            .select(SERIES, USER, TIME, ORDER)
        )
    other = [(i, s.match) for i, s in enumerate(series) if not s.names]
    for at in range(0, len(other), _CHUNK):
        parts.append(_unpivoted(events, other[at : at + _CHUNK]))
    return parts[0] if len(parts) == 1 else pl.concat(parts)


def _unpivoted(events: pl.LazyFrame, matches: list[tuple[int, pl.Expr]]) -> pl.LazyFrame:
    """(series, person, time, order) rows of matches other than name lists, via a column each.

    A list of ids per event built with when/then took 5 s for 300 ``where:`` rules on 17k
    events; boolean columns unpivoted take 0.5 s. In chunks of ``_CHUNK`` matches, so the
    unpivoted rows (events x matches, before the filter) stay small: 2,000 rules, 1.3 GB -> 0.3.
    """
    columns = [m.alias(f"{_COLUMN}{i}") for i, m in matches]
    return (
        events.select(USER, TIME, ORDER, *columns)
        .filter(pl.any_horizontal(f"{_COLUMN}{i}" for i, _ in matches))
        .unpivot(index=[USER, TIME, ORDER], variable_name=_VARIABLE, value_name=_VALUE)
        .filter(pl.col(_VALUE))
        .select(
            pl.col(_VARIABLE).str.slice(len(_COLUMN)).cast(pl.UInt32).alias(SERIES),
            USER,
            TIME,
            ORDER,
        )
    )


def _new_group() -> pl.Expr:
    same = (pl.col(SERIES) == pl.col(SERIES).shift(1)) & (pl.col(USER) == pl.col(USER).shift(1))
    return ~same.fill_null(False)


def occasion_starts(rows: pl.LazyFrame, gaps: Sequence[int | None]) -> pl.LazyFrame:
    """The occasion starts of ``match_rows``, numbered per person and series (column ``K``).

    A matching event less than the gap after the person's previous matching event continues
    that occasion; at or more than the gap after it (or the first) starts a new one.
    """
    timed = {i: g for i, g in enumerate(gaps) if g is not None}
    if timed:
        table = pl.LazyFrame(
            {SERIES: list(timed), _GAP: list(timed.values())},
            schema={SERIES: pl.UInt32, _GAP: pl.Int64},
        )
        rows = rows.join(table, on=SERIES, how="left")
    ordered = rows.sort(SERIES, USER, TIME, ORDER)
    if timed:
        step = pl.col(TIME) - pl.col(TIME).shift(1)
        continues = ~_new_group() & (step < pl.col(_GAP)).fill_null(False)
        ordered = ordered.filter(~continues)
    first = pl.when(_new_group()).then(pl.col(_I)).forward_fill()
    return (
        ordered.with_row_index(_I)
        .with_columns(first.alias(_FIRST))
        .select(SERIES, USER, TIME, ORDER, (pl.col(_I) - pl.col(_FIRST)).cast(pl.Int64).alias(K))
    )


def counted_hits(
    starts: pl.LazyFrame, rules: pl.DataFrame, keep: pl.Expr | None = None
) -> pl.LazyFrame:
    """Hits (person, time, input order, payload) of every rule in ``rules``.

    ``rules`` has a row per rule: ``SERIES``, ``LAG`` (n - 1), ``WITHIN`` (µs or null) and the
    payload columns carried to its hits; ``keep`` filters the hits (e.g. the analysis window).
    """
    payload = [c for c in rules.columns if c not in (SERIES, LAG, WITHIN)]
    candidates = starts.join(rules.lazy(), on=SERIES, how="inner").filter(pl.col(K) >= pl.col(LAG))
    if keep is not None:
        candidates = candidates.filter(keep)
    if rules.get_column(WITHIN).is_null().all():
        return candidates.select(USER, TIME, ORDER, *payload)
    earlier = starts.select(SERIES, USER, pl.col(K).alias(_EARLIER), pl.col(TIME).alias(_T_EARLIER))
    timed = (
        candidates.filter(pl.col(WITHIN).is_not_null())
        .with_columns((pl.col(K) - pl.col(LAG)).alias(_EARLIER))
        .join(earlier, on=[SERIES, USER, _EARLIER], how="inner")
        .filter((pl.col(TIME) - pl.col(_T_EARLIER)) <= pl.col(WITHIN))
    )
    untimed = candidates.filter(pl.col(WITHIN).is_null())
    return pl.concat(
        [untimed.select(USER, TIME, ORDER, *payload), timed.select(USER, TIME, ORDER, *payload)]
    )


def rules_table(
    rows: Sequence[tuple[int, int, int | None]], payload: dict[str, pl.Series]
) -> pl.DataFrame:
    """The ``rules`` argument of ``counted_hits`` from (series, n, within) and payload columns."""
    return pl.DataFrame(
        {
            SERIES: pl.Series([r[0] for r in rows], dtype=pl.UInt32),
            LAG: pl.Series([r[1] - 1 for r in rows], dtype=pl.Int64),
            WITHIN: pl.Series([r[2] for r in rows], dtype=pl.Int64),
            **payload,
        }
    )


@dataclass(frozen=True)
class CountedRule:
    """A rule whose hits depend on the person's earlier matching events (min_count > 1, gap)."""

    bit: int
    column: str  # name of its boolean match column (shared by rules that match alike)
    min_count: int
    within_us: int | None
    gap_us: int | None = None  # occasions (docs/metrics.md "Occasions"); None: every event


def uncovered(counted: Sequence[CountedRule]) -> tuple[CountedRule, ...]:
    """The counted rules no other rule of the same stage, match and gap covers.

    A stage is hit where any of its rules hits, so of the rules of one stage, match and gap
    only the least ``min_count`` without ``within`` matters, and with ``within`` the widest
    window of each smaller ``min_count``: 10,000 thresholds on one event are a few rules.
    """
    least: dict[tuple[int, str, int | None], int] = {}
    for rule in counted:
        if rule.within_us is None:
            key = (rule.bit, rule.column, rule.gap_us)
            least[key] = min(rule.min_count, least.get(key, rule.min_count))
    widest: dict[tuple[int, str, int | None, int], int] = {}
    for rule in counted:
        if rule.within_us is not None:
            key = (rule.bit, rule.column, rule.gap_us)
            if rule.min_count < least.get(key, rule.min_count + 1):
                wide = (*key, rule.min_count)
                widest[wide] = max(rule.within_us, widest.get(wide, rule.within_us))
    out = [CountedRule(b, c, n, None, g) for (b, c, g), n in least.items()]
    out += [CountedRule(b, c, n, w, g) for (b, c, g, n), w in widest.items()]
    return tuple(out)
