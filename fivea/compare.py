"""Period comparison (``--compare previous``): deltas, one significance test behind every mark
and word, and the direction (docs/metrics.md#compare).

Phase 2 only: two stage tables (this period and the previous one of the same length) and what
the log covers.
"""

from __future__ import annotations

from dataclasses import dataclass

from fivea.aggregate import StageTable, safe_ratio
from fivea.config import STAGE_KEYS
from fivea.diagnosis import TOL, ULP
from fivea.result import Comparison, Delta
from fivea.stats import Z95, two_proportion_z


def bow_tie_distance(table: StageTable) -> float | None:
    """d = |Advocate/Aware - 1| + |Act/Appeal - 1| (SPEC §4.5)."""
    r = {s.key: s.reached for s in table.stages}
    if not r["aware"] or not r["appeal"]:
        return None
    return abs(r["advocate"] / r["aware"] - 1) + abs(r["act"] / r["appeal"] - 1)


@dataclass(frozen=True)
class Coverage:
    """What the log covers, to tell a partial period (docs/metrics.md#compare)."""

    first_event: int  # µs, the first valid event of the log
    last_event: int  # µs, the last valid event of the log
    previous_since: int  # µs, the start of the previous period
    until: int  # µs, the end of the current period (exclusive)

    def partial(self) -> bool:
        """A period the log does not cover completely, with slack min(1 day, L/28)."""
        length = (self.until - self.previous_since) / 2
        slack = min(DAY_US, length / 28)
        late_start = self.first_event - self.previous_since > slack
        early_end = self.until - 1 - self.last_event > slack
        return late_start or early_end


DAY_US = 86_400_000_000
PARTIAL_PERIOD = "partial_period"


def _proportion_test(
    x1: int | None, n1: int | None, x2: int | None, n2: int | None
) -> tuple[float | None, str | None]:
    """The pooled two-proportion z of now vs before, or why there is none."""
    if x1 is None or n1 is None or x2 is None or n2 is None:
        return None, "not_measured"
    if n1 <= 0 or n2 <= 0:
        return None, "zero_base"
    if x1 > n1 or x2 > n2:
        return None, "not_a_proportion"  # above 1: stages are not nested
    z = two_proportion_z(x1, n1, x2, n2)
    return (z, None) if z is not None else (None, "zero_variance")


def _delta(
    metric: str,
    now: float | None,
    before: float | None,
    test: tuple[float | None, str | None] = (None, "a_count"),
    unset: str | None = None,
) -> Delta:
    """A metric's change; ``unset`` (not_measured, partial_period) nulls delta and change."""
    z, z_reason = test
    if unset is None and (now is None or before is None):
        unset = "not_observable"  # a zero denominator in one period
    if unset is not None or now is None or before is None:
        return Delta(metric, now, before, None, None, None, None, unset, unset, unset)
    delta = now - before
    change, change_reason = (delta / before, None) if before else (None, "zero_base")
    significant = None if z is None else abs(z) >= Z95
    return Delta(metric, now, before, delta, change, z, significant, None, change_reason, z_reason)


def compare(
    current: StageTable,
    previous: StageTable,
    since: str,
    until: str,
    coverage: Coverage | None = None,
    measured: dict[str, bool] | None = None,
) -> Comparison:
    """Deltas of every count and rate with one significance test behind marks and words, and
    the direction (docs/metrics.md#compare)."""
    seen = measured or dict.fromkeys(STAGE_KEYS, True)
    now = {s.key: s.reached for s in current.stages}
    before = {s.key: s.reached for s in previous.stages}
    partial = coverage is not None and coverage.partial()
    unset = PARTIAL_PERIOD if partial else None

    def stage_unset(*stages: str) -> str | None:
        return unset or (None if all(seen[k] for k in stages) else "not_measured")

    deltas = [_delta(f"reached.{k}", now[k], before[k], unset=stage_unset(k)) for k in STAGE_KEYS]
    for t, p in zip(current.transitions, previous.transitions, strict=True):
        pair = stage_unset(t.from_stage, t.to_stage)
        x1, n1 = now[t.to_stage], now[t.from_stage]
        x2, n2 = before[t.to_stage], before[t.from_stage]
        deltas.append(
            _delta(f"ratio.{t.name}", t.ratio, p.ratio, _proportion_test(x1, n1, x2, n2), pair)
        )
    for t, p in zip(current.transitions, previous.transitions, strict=True):
        pair = stage_unset(t.from_stage, t.to_stage)
        n1, n2 = now[t.from_stage], before[t.from_stage]
        test = _proportion_test(t.flow_count, n1, p.flow_count, n2)
        deltas.append(_delta(f"flow.{t.name}", t.flow, p.flow, test, pair))
    tests: dict[str, float | None] = {}
    for name, stage in (("par", "act"), ("bar", "advocate")):
        pair = stage_unset("aware", stage)
        test = _proportion_test(now[stage], now["aware"], before[stage], before["aware"])
        tests[name] = None if pair else test[0]
        ratio_now = safe_ratio(now[stage], now["aware"])
        ratio_before = safe_ratio(before[stage], before["aware"])
        deltas.append(_delta(name, ratio_now, ratio_before, test, pair))
    d_now, d_before = bow_tie_distance(current), bow_tie_distance(previous)
    if partial:
        reasons = (
            "a period is not covered completely by the log (it starts or ends inside one): "
            "the change is not judged",
        )
        return Comparison(
            since, until, previous.persons, tuple(deltas), d_now, d_before, "not_judged",
            reasons, PARTIAL_PERIOD,
        )  # fmt: skip
    return _direction(
        since, until, previous.persons, tuple(deltas), tests, now, before, d_now, d_before
    )


def _direction(
    since: str,
    until: str,
    persons: int,
    deltas: tuple[Delta, ...],
    tests: dict[str, float | None],
    now: dict[str, int],
    before: dict[str, int],
    d_now: float | None,
    d_before: float | None,
) -> Comparison:
    """Declining (checked first), improving or stable, in words from the same tests as the
    marks: every significant change is named, so no mark stands next to "no change"."""
    reasons = []
    fell = [n.upper() for n, z in tests.items() if z is not None and z <= -Z95]
    rose = [n.upper() for n, z in tests.items() if z is not None and z >= Z95]
    traffic_fell = before["aware"] > 0 and now["aware"] <= before["aware"] / 2
    closer = d_now is not None and d_before is not None and d_before - d_now >= TOL - ULP
    if fell:
        reasons.append(f"{' and '.join(fell)} fell significantly (|z| ≥ {Z95})")
    if rose:
        reasons.append(f"{' and '.join(rose)} rose significantly (|z| ≥ {Z95})")
    if traffic_fell:
        drop = 1 - now["aware"] / before["aware"]
        reasons.append(
            f"traffic fell {drop:.1%}: {before['aware']:,} aware before, {now['aware']:,} now"
        )
    if closer and d_now is not None and d_before is not None:
        reasons.append(f"the shape moved {d_before - d_now:.2f} closer to the bow tie")
    others = [
        f"{d.metric} {'rose' if (d.z or 0) > 0 else 'fell'}"
        for d in deltas
        if d.significant and d.metric not in ("par", "bar")
    ]
    if others:
        reasons.append("significant changes: " + ", ".join(others))
    if not (fell or rose):
        reasons.append("no significant change in PAR or BAR")
    if fell or traffic_fell:
        direction = "declining"
    elif "BAR" in rose or closer:
        direction = "improving"
    else:
        direction = "stable"
    return Comparison(
        since, until, persons, deltas, d_now, d_before, direction, tuple(reasons), None
    )
