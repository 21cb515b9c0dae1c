"""``--compare previous`` (docs/metrics.md "Period comparison"): deltas, one significance test
behind every mark and word, and the direction.

Pure functions over two stage tables of the same run; nothing here reads events or prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from fivea.aggregate.measures import StageTable, safe_ratio
from fivea.config.loader import STAGE_KEYS
from fivea.result import NOT_MEASURED, Comparison, Delta
from fivea.stats import Z95, two_proportion_z

# the bow-tie tolerance (fivea.diagnosis.grading.archetype), and the distance change that
# counts as improving (docs/metrics.md "Period comparison")
TOL = 0.15
ULP = 1e-9  # boundaries are inclusive in decimal terms: 1 - 0.85 is 0.15000000000000002
DAY_US = 86_400_000_000
PARTIAL_PERIOD = "partial_period"
ZERO_BASE = "zero_base"
NOT_A_PROPORTION = "not_a_proportion"
NO_VARIANCE = "no_variance"


@dataclass(frozen=True)
class Coverage:
    """What the log covers, to tell a complete period from a partial one (µs)."""

    first_event: int  # the first valid event of the log
    last_event: int  # the last valid event of the log
    previous_since: int  # the previous period's start
    until: int  # the current period's end (exclusive)
    length: int  # L, the length of each period


def partial(coverage: Coverage | None) -> bool:
    """Whether a period is not covered completely (slack s = min(1 day, L/28))."""
    if coverage is None:
        return False
    slack = min(DAY_US, coverage.length // 28)
    late_start = coverage.first_event - coverage.previous_since > slack
    early_end = coverage.until - coverage.last_event > slack
    return late_start or early_end


def bow_tie_distance(table: StageTable) -> float | None:
    """d = |Advocate/Aware - 1| + |Act/Appeal - 1|."""
    r = {s.key: s.reached for s in table.stages}
    if not r["aware"] or not r["appeal"]:
        return None
    return abs(r["advocate"] / r["aware"] - 1) + abs(r["act"] / r["appeal"] - 1)


def _delta(
    metric: str,
    now: float | None,
    before: float | None,
    z: float | None = None,
    reason: str | None = None,
    counts: tuple[int, int, int, int] | None = None,
) -> Delta:
    if reason == PARTIAL_PERIOD:
        return Delta(metric, now, before, None, None, None, None, reason, counts)
    delta = None if now is None or before is None else now - before
    change = None if delta is None or not before else delta / before
    if delta is not None and not before and reason is None:
        reason = ZERO_BASE  # a relative change from 0 is undefined
    significant = None if z is None else abs(z) >= Z95
    return Delta(metric, now, before, delta, change, z, significant, reason, counts)


def _test(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, str | None]:
    """Pooled two-proportion z, only for proportions <= 1 with a standard error > 0."""
    if not n1 or not n2:
        return None, ZERO_BASE
    if x1 > n1 or x2 > n2:
        return None, NOT_A_PROPORTION
    z = two_proportion_z(x1, n1, x2, n2)
    return (z, None) if z is not None else (None, NO_VARIANCE)


def compare(
    current: StageTable,
    previous: StageTable,
    since: str,
    until: str,
    coverage: Coverage | None = None,
) -> Comparison:
    """Deltas of every count and ratio, z-tests for PAR and BAR, the direction."""
    now = {s.key: s.reached for s in current.stages}
    before = {s.key: s.reached for s in previous.stages}
    measured = {s.key: s.measured for s in current.stages}
    cut = PARTIAL_PERIOD if partial(coverage) else None
    deltas = [_delta(f"reached.{k}", now[k], before[k], reason=cut) for k in STAGE_KEYS]
    for attr in ("ratio", "flow"):
        for t, p in zip(current.transitions, previous.transitions, strict=True):
            seen = measured[t.from_stage] and measured[t.to_stage]
            reason = cut or (None if seen else NOT_MEASURED)
            pick = (lambda x: x.ratio_count) if attr == "ratio" else (lambda x: x.flow_count)
            counts = (pick(t), t.flow_base, pick(p), p.flow_base)
            deltas.append(
                _delta(
                    f"{attr}.{t.name}",
                    getattr(t, attr),
                    getattr(p, attr),
                    reason=reason,
                    counts=counts,
                )
            )
    tests: dict[str, float | None] = {}
    untested: dict[str, str] = {}
    for name, stage in (("par", "act"), ("bar", "advocate")):
        if not (measured["aware"] and measured[stage]):
            tests[name], untested[name] = None, NOT_MEASURED
            deltas.append(_delta(name, None, None, reason=cut or NOT_MEASURED))
            continue
        z, why = _test(now[stage], now["aware"], before[stage], before["aware"])
        tests[name] = z
        if why:
            untested[name] = why
        deltas.append(
            _delta(
                name,
                safe_ratio(now[stage], now["aware"]),
                safe_ratio(before[stage], before["aware"]),
                None if cut else z,
                cut or why,
                (now[stage], now["aware"], before[stage], before["aware"]),
            )
        )
    d_now, d_before = bow_tie_distance(current), bow_tie_distance(previous)
    direction, reasons = _direction(now, before, tests, untested, d_now, d_before, cut)
    return Comparison(
        since,
        until,
        previous.persons,
        tuple(deltas),
        d_now,
        d_before,
        direction,
        tuple(reasons),
        cut,
    )


def _direction(
    now: dict[str, int],
    before: dict[str, int],
    tests: dict[str, float | None],
    untested: dict[str, str],
    d_now: float | None,
    d_before: float | None,
    cut: str | None,
) -> tuple[str, list[str]]:
    """declining / improving / stable / not_judged, with words from the same tests."""
    if cut:
        return "not_judged", [
            "partial period: the log does not cover both periods completely, so the change "
            "is not judged (widen the log or move --since)"
        ]
    reasons = []
    fell = [n.upper() for n, z in tests.items() if z is not None and z <= -Z95]
    rose = [n.upper() for n, z in tests.items() if z is not None and z >= Z95]
    traffic_fell = before["aware"] > 0 and now["aware"] <= before["aware"] / 2
    if traffic_fell:
        drop = 1 - now["aware"] / before["aware"]
        reasons.append(
            f"traffic fell {drop:.1%}: aware persons {before['aware']:,} → {now['aware']:,}"
        )
    for name, z in tests.items():
        label = name.upper()
        if z is None:
            why = untested.get(name, NO_VARIANCE).replace("_", " ")
            reasons.append(f"{label} not tested ({why})")
        elif z <= -Z95:
            reasons.append(f"{label} fell significantly (z {z:+.2f})")
        elif z >= Z95:
            reasons.append(f"{label} rose significantly (z {z:+.2f})")
        else:
            reasons.append(f"{label}: no significant change (z {z:+.2f})")
    closer = d_now is not None and d_before is not None and d_before - d_now >= TOL - ULP
    if fell or traffic_fell:
        direction = "declining"
    elif "BAR" in rose or closer:
        direction = "improving"
        if closer and d_before is not None and d_now is not None:
            reasons.append(f"the shape moved {d_before - d_now:.2f} closer to the bow tie")
    else:
        direction = "stable"
    return direction, reasons
