"""What changed since the baseline (docs/metrics.md#what-changed): the exact split of a change
of PAR (and BAR) into the transitions' parts, and of PAR into mix and rate over a segment column.

Phase 2 only: two stage tables and, for the mix/rate split, each period's counts per segment
value. Both splits add up to the change they split (tests check the identity to 1e-9).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import polars as pl

from fivea.aggregate.measures import GROUP_KEY, Measure, PersonTable, StageTable
from fivea.aggregate.segments import segment_label
from fivea.config.loader import STAGE_KEYS, TRANSITION_NAMES
from fivea.result import Change, MixGroup, MixRate, RatioChange

PAR_TRANSITIONS = TRANSITION_NAMES[:3]  # PAR = attraction x curiosity x commitment
BAR_TRANSITIONS = TRANSITION_NAMES  # BAR = PAR x affinity
OTHER = "(other)"
TOP = 20


def funnel_split(
    now: StageTable, before: StageTable, names: tuple[str, ...], measured: Mapping[str, bool]
) -> RatioChange:
    """ln(X'/X) = Σ ln(ratio'/ratio) over the transitions of X (PAR or BAR), exactly.

    Not judged when a stage on the way is not measured or a ratio is undefined or 0 in either
    period (its logarithm does not exist).
    """
    last = STAGE_KEYS[len(names)]
    count_now = {s.key: s.reached for s in now.stages}
    count_before = {s.key: s.reached for s in before.stages}
    after = count_now[last] / count_now["aware"] if count_now["aware"] else None
    earlier = count_before[last] / count_before["aware"] if count_before["aware"] else None
    delta = None if after is None or earlier is None else after - earlier
    stages = STAGE_KEYS[: len(names) + 1]
    if not all(measured.get(k, True) for k in stages):
        unmeasured = [k for k in stages if not measured.get(k, True)]
        return RatioChange(
            earlier, after, delta, None, None, "not_judged", _not_measured(unmeasured)
        )
    parts: dict[str, float] = {}
    for i, name in enumerate(names):
        source, target = STAGE_KEYS[i], STAGE_KEYS[i + 1]
        if not (
            count_now[source]
            and count_now[target]
            and count_before[source]
            and count_before[target]
        ):
            reason = f"{name} is undefined or 0 in one period: its log change does not exist"
            return RatioChange(earlier, after, delta, None, None, "not_judged", reason)
        parts[name] = math.log(
            (count_now[target] / count_now[source]) / (count_before[target] / count_before[source])
        )
    log_change = math.fsum(parts.values())  # = ln(after / earlier): every count above is > 0
    return RatioChange(earlier, after, delta, log_change, parts, "ok", None)


def _not_measured(stages: list[str]) -> str:
    return f"not measured: {', '.join(stages)}"


def mix_rate(
    column: str,
    now: Mapping[str, tuple[int, int]],
    before: Mapping[str, tuple[int, int]],
    aware_is_every_event: bool,
) -> MixRate:
    """ΔPAR = Σ (w' − w)(p + p')/2 + Σ (p' − p)(w + w')/2 (symmetric Kitagawa), exactly.

    ``now``/``before``: segment value -> (aware persons, buyers), the groups already shared by
    both periods; w = the value's share of aware persons, p = its PAR. A value absent in one
    period has w = 0 there and takes the other period's p (its change is all mix).
    """
    if not aware_is_every_event:
        reason = "buyers may lie outside Aware (Aware is not every event): PAR is no weighted mean"
        return MixRate(column, None, None, (), "not_judged", reason)
    total_now = sum(a for a, _ in now.values())
    total_before = sum(a for a, _ in before.values())
    if not total_now or not total_before:
        return MixRate(column, None, None, (), "not_judged", "no aware persons in one period")
    centre = (
        sum(b for _, b in now.values()) / total_now
        + sum(b for _, b in before.values()) / total_before
    ) / 2
    groups = []
    for value in sorted(set(now) | set(before)):
        a1, b1 = now.get(value, (0, 0))
        a0, b0 = before.get(value, (0, 0))
        w1, w0 = a1 / total_now, a0 / total_before
        p1 = b1 / a1 if a1 else None
        p0 = b0 / a0 if a0 else None
        p1 = p0 if p1 is None else p1
        p0 = p1 if p0 is None else p0
        if p1 is None or p0 is None:
            continue  # no aware person in either period: no weight, no part
        # the mix part centred on the mean PAR: the shares' changes add to 0, so the parts
        # still sum to Σ (w' − w)(p + p')/2, and a growing low-PAR value counts negative
        mix = (w1 - w0) * ((p0 + p1) / 2 - centre)
        groups.append(MixGroup(value, mix, (p1 - p0) * (w0 + w1) / 2, w0, w1))
    mix = math.fsum(g.mix for g in groups)
    rate = math.fsum(g.rate for g in groups)
    ordered = sorted(groups, key=lambda g: (-abs(g.mix) - abs(g.rate), g.value))
    return MixRate(column, mix, rate, tuple(ordered))


def what_changed(
    baseline: str,
    now: tuple[StageTable, PersonTable],
    before: tuple[StageTable, PersonTable],
    column: str | None,
    measured: Mapping[str, bool],
    aware_is_every_event: bool,
    partial: bool = False,
) -> Change:
    """Both splits of the change since ``before`` (its stage table and person table)."""
    par = funnel_split(now[0], before[0], PAR_TRANSITIONS, measured)
    bar = funnel_split(now[0], before[0], BAR_TRANSITIONS, measured)
    split = None
    if column is not None:
        groups_now, groups_before = shared_groups(_groups(*now, column), _groups(*before, column))
        split = mix_rate(column, groups_now, groups_before, aware_is_every_event)
    if partial:  # a period the log does not cover: no split is judged (docs/metrics.md#compare)
        reason = "partial_period"
        par = RatioChange(par.before, par.after, None, None, None, "not_judged", reason)
        bar = RatioChange(bar.before, bar.after, None, None, None, "not_judged", reason)
        if split is not None:
            split = MixRate(column or "", None, None, (), "not_judged", reason)
    elif not measured.get("act", True):
        split = (
            None
            if split is None
            else MixRate(split.column, None, None, (), "not_judged", _not_measured(["act"]))
        )
    change = Change(baseline, par, bar, split)
    return Change(baseline, par, bar, split, sentences(change))


_GROUP_MEASURES = [
    Measure("aware", pl.col("reach_aware").is_not_null()),
    Measure("act", pl.col("reach_act").is_not_null()),
]
_MANY = 1000  # values fetched per period; the rest joins "(other)" through the totals


def _groups(table: StageTable, persons: PersonTable, column: str) -> dict[str, tuple[int, int]]:
    """Segment value -> (aware persons, buyers) in one period, every person counted once."""
    top = persons.top_groups(segment_label(column), _GROUP_MEASURES, _MANY)
    out = {str(r[GROUP_KEY]): (int(r["aware"]), int(r["act"])) for r in top.iter_rows(named=True)}
    reached = {s.key: s.reached for s in table.stages}
    rest = (
        reached["aware"] - sum(a for a, _ in out.values()),
        reached["act"] - sum(b for _, b in out.values()),
    )
    if rest != (0, 0):
        a, b = out.get(OTHER, (0, 0))
        out[OTHER] = (a + rest[0], b + rest[1])
    return out


def shared_groups(
    now: Mapping[str, tuple[int, int]], before: Mapping[str, tuple[int, int]]
) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """The top values by persons over both periods together (ties by value), the rest as
    "(other)": one grouping for both periods (docs/metrics.md#segments)."""
    persons = {v: now.get(v, (0, 0))[0] + before.get(v, (0, 0))[0] for v in set(now) | set(before)}
    top = set(sorted(persons, key=lambda v: (-persons[v], v))[:TOP]) - {OTHER}

    def fold(counts: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for value, (aware, buyers) in counts.items():
            key = value if value in top else OTHER
            a, b = out.get(key, (0, 0))
            out[key] = (a + aware, b + buyers)
        return out

    return fold(now), fold(before)


def sentences(change: Change) -> tuple[str, ...]:
    """The change in words, its largest contributors first (the verdict's reasons)."""
    out = []
    for label, split in (("PAR", change.par), ("BAR", change.bar)):
        text = _funnel_sentence(label, split)
        if text:
            out.append(text)
    if change.mix_rate is not None and change.mix_rate.status == "ok":
        out.append(_mix_sentence(change.mix_rate))
    return tuple(out)


def shown_parts(split: RatioChange) -> dict[str, float]:
    """Each transition's part of the relative change, rescaled so the parts add to it:
    term × (r − 1)/ln r with r = after/before (factor 1 when r = 1)."""
    if split.by_transition is None or split.log_change is None:
        return {}
    r = math.exp(split.log_change)
    factor = 1.0 if split.log_change == 0 else (r - 1) / split.log_change
    return {name: part * factor for name, part in split.by_transition.items()}


def _funnel_sentence(label: str, split: RatioChange) -> str | None:
    """ "PAR −18%: commitment −14 points of it, attraction −5, curiosity +1"."""
    if split.status != "ok" or split.log_change is None:
        return None
    parts = shown_parts(split)
    ordered = sorted(parts, key=lambda n: (-abs(parts[n]), TRANSITION_NAMES.index(n)))
    total = math.exp(split.log_change) - 1
    words = [
        f"{name} {parts[name] * 100:+.0f}{' points of it' if i == 0 else ''}"
        for i, name in enumerate(ordered)
    ]
    return f"{label} {total * 100:+.0f}%: " + ", ".join(words)


def _mix_sentence(split: MixRate) -> str:
    """ "within channel values PAR fell 0.015; the mix moved towards social (−0.006)"."""
    assert split.rate is not None
    verb = "rose" if split.rate > 0 else "fell" if split.rate < 0 else "held"
    text = f"within {split.column} values PAR {verb} {abs(split.rate):.3f}"
    movers = sorted(split.groups, key=lambda g: (-abs(g.mix), g.value))
    if movers and movers[0].share_after != movers[0].share_before:
        top = movers[0]
        way = "towards" if top.share_after > top.share_before else "away from"
        text += f"; the mix moved {way} {top.value} ({top.mix:+.3f})"
    return text
