"""Check conditions, metric addressing, levels, null metrics (README.md#exit-codes)."""

from __future__ import annotations

import pytest

from fivea.config.loader import Config
from fivea.diagnosis.checks import evaluate, exit_status, parse_condition, validate_checks
from fivea.errors import ConfigError
from fivea.render.checks import render_github, render_junit
from fivea.render.csv import safe_cell
from tests.diagnosis.test_diagnosis import make_table

STAGES = {
    k: {"rules": [{"any_event": True}]} for k in ("aware", "appeal", "ask", "act", "advocate")
}


@pytest.mark.parametrize(
    ("condition", "value", "holds"),
    [
        ("< 0.02", 0.019, True),
        ("< 0.02", 0.02, False),
        ("<= 0.02", 0.02, True),
        ("> 5%", 0.051, True),
        ("> 5%", 0.05, False),
        (">= 10", 10, True),
        ("== 3", 3, True),
        ("!= 3", 3, False),
        ("< -10%", -0.11, True),
        ("< -10%", -0.09, False),
        ("< -0.5pp", -0.006, True),
        ("between 0.1 and 0.3", 0.3, True),
        ("between 0.3 and 0.1", 0.2, True),
        ("between 0.1 and 0.3", 0.31, False),
        ("in [goldfish, door_knob]", "door_knob", True),
        ("in [goldfish]", "funnel", False),
        ("not in [healthy]", "at_risk", True),
        ("== at_risk", "at_risk", True),
        ("!= healthy", "healthy", False),
    ],
)
def test_conditions(condition: str, value: object, holds: bool) -> None:
    assert parse_condition(condition, "t").holds(value) is holds


@pytest.mark.parametrize("bad", ["about 3", "< lots", "between 1", "in goldfish", "=> 2"])
def test_unreadable_conditions(bad: str) -> None:
    with pytest.raises(ConfigError, match="checks"):
        parse_condition(bad, "fivea.yaml:3: checks[0].fail")


def _config(*checks: dict, **extra: object) -> Config:
    return Config.model_validate({"stages": STAGES, "checks": list(checks), **extra})


def test_unknown_metric_has_did_you_mean() -> None:
    config = _config({"metric": "ratio.comitment", "fail": "< 0.2"})
    with pytest.raises(
        ConfigError,
        match=r"fivea.yaml:7: checks\[0\].metric: unknown metric "
        r"'ratio.comitment'; did you mean 'ratio.commitment'\?",
    ):
        validate_checks(config, (7,), "fivea.yaml")


def test_segment_only_for_segment_metrics() -> None:
    config = _config({"metric": "archetype", "segment": {"channel": "email"}, "warn": "== x"})
    with pytest.raises(ConfigError, match="not available per segment"):
        validate_checks(config, (), "c.yaml")


def _result(reached: list[int], measured: dict[str, bool] | None = None):
    """A Result built from reached counts (the CLI tests use real ones)."""
    from fivea.diagnosis.grading import GradeContext, grade, productivity
    from fivea.result import Quality, Result, SourceInfo, WindowInfo

    measured = measured or dict.fromkeys(STAGES, True)
    table = make_table(reached, measured=measured)
    transitions, _ = grade(table.transitions, _config().targets, GradeContext(measured, False, "t"))
    par, bar = productivity(table, _config().targets, measured)
    quality = Quality(
        100, 100, (), 0, False, None, None, None, reached[0], 0, 100, 7, 0.07, (), (), {}, 0, 0, 0.0
    )
    return Result(
        SourceInfo((), {}, None, None, None, "t"),
        WindowInfo(None, "", "", "UTC", 0),
        reached[0],
        table.stages,
        transitions,
        {},
        0,
        0,
        None,
        (),
        quality,
        "",
        par=par,
        bar=bar,
    )


def test_levels_fail_before_warn_and_null_metrics() -> None:
    config = _config(
        {"id": "par-floor", "metric": "par", "fail": "< 0.1", "warn": "< 0.3"},
        {"id": "par-warn", "metric": "par", "fail": "< 0.01", "warn": "< 0.3"},
        {"id": "ok", "metric": "reached.act", "fail": "< 10"},
        {"id": "null", "metric": "ratio.affinity", "fail": "< 0.3"},
        {"id": "null-warn", "metric": "ratio.affinity", "fail": "< 0.3", "on_missing": "warn"},
        {"id": "null-pass", "metric": "ratio.affinity", "fail": "< 0.3", "on_missing": "pass"},
        {"id": "share", "metric": "quality.unmatched_share", "warn": "> 5%"},
        {"id": "change", "metric": "change.bar", "fail": "< -10%", "on_missing": "warn"},
    )
    results = {r.name: r for r in evaluate(config, _result([1000, 500, 300, 50, 0]))}
    assert results["par-floor"].status == "fail"  # 0.05 < 0.1: fail wins over warn
    assert results["par-warn"].status == "warn"
    assert results["ok"].status == "pass"
    assert results["null"].status == "fail"  # affinity 0 / 50 is 0, not null
    results = {r.name: r for r in evaluate(config, _result([1000, 500, 300, 0, 0]))}
    assert results["null"].status == "fail"
    assert results["null"].not_observable == "no one reached Act"
    assert results["null-warn"].status == "warn"
    assert results["null-pass"].status == "pass"
    assert results["share"].status == "warn"
    assert results["change"].not_observable == "needs --compare previous"
    assert exit_status(list(results.values()), strict=False) == 1


def test_on_missing_applies_to_a_not_measured_metric() -> None:
    # no rule sees Advocate: affinity and BAR are null, never 0, and on_missing decides
    config = _config(
        {"id": "aff", "metric": "ratio.affinity", "fail": "< 0.1", "on_missing": "warn"},
        {"id": "bar", "metric": "bar", "fail": "< 0.01", "on_missing": "pass"},
        {"id": "path", "metric": "path.advocate", "fail": "< 1"},
    )
    result = _result(
        [1000, 500, 300, 50, 0], measured=dict.fromkeys(STAGES, True) | {"advocate": False}
    )
    results = {r.name: r for r in evaluate(config, result)}
    assert (results["aff"].status, results["aff"].not_observable) == ("warn", "not_measured")
    assert results["aff"].message == "ratio.affinity has no value (not measured); on_missing: warn"
    assert (results["bar"].status, results["bar"].value) == ("pass", None)
    assert (results["path"].status, results["path"].not_observable) == ("fail", "not_measured")


def test_exit_status_strict() -> None:
    config = _config({"metric": "par", "warn": "< 0.3"})
    results = evaluate(config, _result([1000, 500, 300, 50, 10]))
    assert [r.status for r in results] == ["warn"]
    assert exit_status(results, strict=False) == 0
    assert exit_status(results, strict=True) == 1


def test_github_lines_are_escaped_and_ordered() -> None:
    config = _config(
        {"id": "a,b:c", "metric": "par", "warn": "< 0.3"},
        {"id": "floor", "metric": "par", "fail": "< 0.1"},
    )
    results = evaluate(config, _result([1000, 500, 300, 50, 10]), (4, 5))
    text = render_github(results, "ci/fivea.yaml", strict=False)
    assert text.splitlines() == [
        "::error file=ci/fivea.yaml,line=5,title=floor::par = 0.05 (< 0.1)",
        "::warning file=ci/fivea.yaml,line=4,title=a%2Cb%3Ac::par = 0.05 (< 0.3)",
        "::notice title=fivea check::0 passed, 1 failed, 1 warning",
    ]


def test_junit_is_valid_and_distinguishes_levels() -> None:
    import xml.etree.ElementTree as ET

    config = _config(
        {"id": "warned", "metric": "par", "warn": "< 0.3"},
        {"id": "failed", "metric": "par", "fail": "< 0.1"},
        {"id": "passed", "metric": "par", "fail": "< 0.01"},
    )
    results = evaluate(config, _result([1000, 500, 300, 50, 10]))
    root = ET.fromstring(render_junit(results, "fivea.yaml", strict=False))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"warned", "failed", "passed"}
    assert cases["failed"].find("failure") is not None
    assert cases["warned"].find("failure") is None
    assert "warning" in cases["warned"].find("system-out").text
    assert root.get("failures") == "1"
    strict = ET.fromstring(render_junit(results, None, strict=True))
    assert strict.get("failures") == "2"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1+1", "'+1+1"),
        ("-0.12", "-0.12"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("-", "'-"),
        ("+5", "+5"),
        ("1e-3", "1e-3"),
        ("plain", "plain"),
    ],
)
def test_csv_formula_escaping(cell: str, safe: str) -> None:
    assert safe_cell(cell) == safe
