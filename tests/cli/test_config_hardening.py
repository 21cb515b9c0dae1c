"""Config, CLI options and checks hardening (issue "Hardening"; docs/config.md, docs/errors.md
"Config errors", docs/checks.md).

Which config a run uses when none is named (the detected export's preset), config values that
used to overflow or recurse (exit 3, or an error blamed on the data) and are now one config
error line with the YAML line and key path, the --memory floor, and what `fivea check` prints.
Every CLI case runs in its own process under the corpus limits (tests/limits.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from fivea.config.loader import load_config
from fivea.engines.local import MIN_BUDGET, parse_budget
from fivea.errors import UsageError
from tests.conftest import ROOT
from tests.limits import run_limited

SAMPLE = str(ROOT / "sample_data" / "events.csv")
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
AMPLITUDE_WHY = (
    "preset amplitude (detected an Amplitude export: user_id + device_id, event_type, event_time)"
)


def one_line(result) -> str:
    """The single stderr line of an exit-2 run, without the prefix."""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fivea: error: ")
    return lines[0].removeprefix("fivea: error: ")


def config_error(tmp_path: Path, text: str, *args: str, command: str = "diagnose") -> str:
    """Write fivea.yaml, run COMMAND on the sample with it, expect exit 2; return the line."""
    path = tmp_path / "fivea.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_limited(command, SAMPLE, "-c", str(path), *args, code=2, cwd=tmp_path)
    assert result.stdout == ""
    return one_line(result).replace(str(path), "fivea.yaml")


def flat(text: str) -> str:
    """Text with its line wrapping undone (a table header wraps at the console width)."""
    return " ".join(text.split())


# --- 1. zero config: the detected export's preset -------------------------------------------


def amplitude_log(folder: Path) -> Path:
    """Four Amplitude users who view, buy and share: Amplitude's "Share" counts for Advocate
    only through the amplitude preset (5a-default lists lowercase `share`)."""
    rows = ["user_id,device_id,event_type,event_time"]
    for n in range(1, 5):
        rows += [
            f"u{n},d{n},[Amplitude] Page Viewed,2024-05-0{n} 10:00:00",
            f"u{n},d{n},Product Viewed,2024-05-0{n} 10:01:00",
            f"u{n},d{n},Order Completed,2024-05-0{n} 10:05:00",
            f"u{n},d{n},Share,2024-05-0{n} 10:09:00",
        ]
    path = folder / "amplitude.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def mixpanel_log() -> bytes:
    rows = []
    for n in range(1, 4):
        for minute, event in ((0, "Page Viewed"), (3, "Order Completed"), (8, "Shared")):
            props = {"distinct_id": f"m{n}", "time": 1714564800 + n * 86400 + minute * 60}
            rows.append(json.dumps({"event": event, "properties": props}))
    return ("\n".join(rows) + "\n").encode()


def reached(report: dict) -> dict[str, int]:
    return {s["key"]: s["reached"] for s in report["stages"]}


def test_zero_config_amplitude_export_uses_the_amplitude_preset(tmp_path: Path) -> None:
    log = str(amplitude_log(tmp_path))
    data = json.loads(run_limited("diagnose", log, "-f", "json", cwd=tmp_path).stdout)
    assert reached(data)["advocate"] == 4  # was 0 of 4 with 5a-default
    assert data["source"]["preset"] == "amplitude"
    assert data["source"]["config_from"] == "detected"
    assert data["source"]["export"] == "amplitude"
    assert data["source"]["config"] is None
    # the report says which preset and why, in every human format
    table = run_limited("diagnose", log, cwd=tmp_path).stdout
    assert AMPLITUDE_WHY in flat(table)
    markdown = run_limited("diagnose", log, "-f", "markdown", cwd=tmp_path).stdout
    assert AMPLITUDE_WHY.replace("_", "\\_") in markdown
    html = run_limited("diagnose", log, "-f", "html", cwd=tmp_path).stdout
    assert AMPLITUDE_WHY in html


def test_asking_for_5a_default_still_gets_it(tmp_path: Path) -> None:
    log = str(amplitude_log(tmp_path))
    out = run_limited("diagnose", log, "--preset", "5a-default", "-f", "json", cwd=tmp_path)
    data = json.loads(out.stdout)
    assert reached(data)["advocate"] == 0
    assert (data["source"]["preset"], data["source"]["config_from"]) == ("5a-default", "preset")


def test_zero_config_mixpanel_export_from_stdin(tmp_path: Path) -> None:
    out = run_limited("diagnose", "-", "-f", "json", stdin=mixpanel_log(), cwd=tmp_path)
    data = json.loads(out.stdout)
    assert data["source"]["preset"] == "mixpanel"
    assert data["source"]["files"] == ["<stdin>"]
    assert reached(data)["advocate"] == 3  # "Shared" is a Mixpanel advocacy name
    assert reached(data)["act"] == 3


def test_zero_config_mixpanel_in_milliseconds_keeps_the_detected_unit(tmp_path: Path) -> None:
    # the mixpanel preset pins seconds; detected, the columns stay auto-detected (magnitude rule)
    rows = []
    for line in mixpanel_log().decode().splitlines():
        row = json.loads(line)
        row["properties"]["time"] *= 1000
        rows.append(json.dumps(row))
    path = tmp_path / "ms.ndjson"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = json.loads(run_limited("diagnose", str(path), "-f", "json", cwd=tmp_path).stdout)
    assert data["source"]["preset"] == "mixpanel"
    assert data["quality"]["time_min"] == "2024-05-02T12:00:00Z"


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        ("ga4.ndjson", "ga4"),
        ("segment.ndjson", "segment"),
        ("amplitude.csv", "amplitude"),
        ("mixpanel.ndjson", "mixpanel"),
    ],
)
def test_every_export_fixture_gets_its_preset(tmp_path: Path, name: str, preset: str) -> None:
    out = run_limited("diagnose", str(EXPORTS / name), "-f", "json", cwd=tmp_path)
    source = json.loads(out.stdout)["source"]
    assert (source["preset"], source["config_from"], source["export"]) == (
        preset,
        "detected",
        preset,
    )


def test_a_plain_log_keeps_5a_default(tmp_path: Path) -> None:
    # the sample has user_id, event_time, event: no export signature
    data = json.loads(run_limited("diagnose", SAMPLE, "-f", "json", cwd=tmp_path).stdout)
    assert (data["source"]["preset"], data["source"]["config_from"]) == ("5a-default", "default")
    table = run_limited("diagnose", SAMPLE, cwd=tmp_path).stdout
    assert "· preset 5a-default (default)" in table


def test_stages_and_report_use_the_same_resolution(tmp_path: Path) -> None:
    log = str(amplitude_log(tmp_path))
    stages = json.loads(run_limited("stages", log, "-f", "json", cwd=tmp_path).stdout)
    assert stages["source"]["preset"] == "amplitude"
    assert stages["source"]["config_from"] == "detected"
    table = run_limited("stages", log, cwd=tmp_path).stdout
    assert AMPLITUDE_WHY in flat(table)
    out = tmp_path / "r.json"
    run_limited("report", log, "-o", str(out), cwd=tmp_path)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["source"]["preset"] == "amplitude"
    assert reached(data)["advocate"] == 4


CHECKED = """version: 1
preset: 5a-default
checks:
  - {id: advocates, metric: reached.advocate, fail: "< 1"}
"""


def test_a_found_config_wins_over_detection(tmp_path: Path) -> None:
    log = str(amplitude_log(tmp_path))
    (tmp_path / "fivea.yaml").write_text(CHECKED, encoding="utf-8")
    data = json.loads(run_limited("diagnose", log, "-f", "json", cwd=tmp_path).stdout)
    assert (data["source"]["preset"], data["source"]["config_from"]) == (
        "5a-default",
        "discovered",
    )
    assert reached(data)["advocate"] == 0
    table = run_limited("diagnose", log, cwd=tmp_path).stdout
    assert "(preset 5a-default; found from the working directory)" in flat(table)
    # check resolves the same way: the found file's check fails on 5a-default's counts
    result = run_limited("check", log, "-f", "json", code=1, cwd=tmp_path)
    assert json.loads(result.stdout)["checks"][0]["value"] == 0


def test_fivea_config_wins_over_a_found_file(tmp_path: Path) -> None:
    log = str(amplitude_log(tmp_path))
    (tmp_path / "fivea.yaml").write_text("version: 1\npreset: nope\n", encoding="utf-8")
    env_config = tmp_path / "ci.yaml"
    env_config.write_text(CHECKED.replace("5a-default", "amplitude"), encoding="utf-8")
    env = {"FIVEA_CONFIG": str(env_config)}
    data = json.loads(run_limited("diagnose", log, "-f", "json", env=env, cwd=tmp_path).stdout)
    assert (data["source"]["preset"], data["source"]["config_from"]) == ("amplitude", "env")
    table = run_limited("diagnose", log, env=env, cwd=tmp_path).stdout
    assert "(preset amplitude; from FIVEA_CONFIG)" in flat(table)
    run_limited("check", log, env=env, cwd=tmp_path)  # 4 advocates: passes


def test_discovery_stops_at_the_git_root(tmp_path: Path) -> None:
    log = str(amplitude_log(tmp_path))
    (tmp_path / "fivea.yaml").write_text("version: 1\npreset: nope\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "fivea.yaml").write_text(CHECKED, encoding="utf-8")
    deep = repo / "a" / "b"
    deep.mkdir(parents=True)
    data = json.loads(run_limited("diagnose", log, "-f", "json", cwd=deep).stdout)
    assert data["source"]["config"] == str(repo / "fivea.yaml")
    # outside a repository only the working directory counts: the parent's broken file is not
    # read, and the export's preset is detected
    lone = tmp_path / "lone"
    lone.mkdir()
    data = json.loads(run_limited("diagnose", log, "-f", "json", cwd=lone).stdout)
    assert data["source"]["preset"] == "amplitude"


# --- 2. config values that overflowed or recursed: exit 2, file, line, key path -------------


def test_a_config_nested_thousands_deep(tmp_path: Path) -> None:
    text = "version: 1\npreset: 5a-default\nx: " + "[" * 5000 + "]" * 5000 + "\n"
    line = config_error(tmp_path, text)
    assert line == (
        "fivea.yaml:3: x[0][0][0][0][0][0][0]…: nested more than 32 levels deep; a fivea config "
        "needs at most 6 (see docs/config.md)"
    )


def test_a_block_mapping_nested_thousands_deep(tmp_path: Path) -> None:
    text = "version: 1\npreset: 5a-default\nstages:\n" + "".join(
        "  " * (i + 1) + f"k{i}:\n" for i in range(3000)
    )
    line = config_error(tmp_path, text)
    assert line.startswith("fivea.yaml:35: stages.k0.k1.k2.k3.k4.k5.k6…: nested more than 32")


def test_aliases_of_aliases_do_not_expand_without_bound(tmp_path: Path) -> None:
    # "billion laughs": 10 lines, 10^9 values; was walked until killed
    lines = ["version: 1", "preset: 5a-default", "x:", "  a0: &a0 [" + ",".join(["lol"] * 10) + "]"]
    lines += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    started = time.perf_counter()
    line = config_error(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - started < 20
    assert line.startswith("fivea.yaml:4: x.a4[")
    assert line.endswith(
        ": the config expands to more than 100,000 values (aliases of aliases?); a fivea "
        "config holds a few hundred"
    )


def test_a_where_with_thousands_of_ors(tmp_path: Path) -> None:
    where = " OR ".join(f"event = 'e{i}'" for i in range(5000))
    text = (
        f'version: 1\npreset: 5a-default\nstages:\n  act:\n    rules:\n      - where: "{where}"\n'
    )
    line = config_error(tmp_path, text)
    assert line == (
        "fivea.yaml:6: stages.act.rules[0].where: too long a condition: got 9,999 operators, at "
        "most 250; for many event names use event: [a, b, ...] or event_matches:, for many "
        "values `column IN ('a', 'b', ...)`"
    )


def test_a_where_under_the_limit_and_a_long_in_list_work(tmp_path: Path) -> None:
    ors = " OR ".join(f"event = 'e{i}'" for i in range(120)) + " OR event = 'purchase'"
    names = ", ".join(f"'e{i}'" for i in range(5000))
    for where in (ors, f"event IN ({names}, 'purchase')"):
        path = tmp_path / "fivea.yaml"
        path.write_text(
            f'version: 1\npreset: 5a-default\nstages:\n  act:\n    rules:\n      - where: "{where}"\n',
            encoding="utf-8",
        )
        data = json.loads(run_limited("diagnose", SAMPLE, "-c", str(path), "-f", "json").stdout)
        assert reached(data)["act"] == 917  # the purchases, as with the preset's rule


MIN_COUNT = "version: 1\npreset: 5a-default\nstages:\n  act:\n    rules:\n      - event: purchase\n"


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ("100000000000000000000000000000", "100000000000000000000000000000"),
        ("1.0e+29", "1e+29"),
        ("1000001", "1000001"),
    ],
)
def test_min_count_too_large_is_a_config_error(tmp_path: Path, value: str, got: str) -> None:
    # was blamed on the data file ("events.csv: cannot read the events (invalid value of 'n'
    # in shift ...)")
    line = config_error(tmp_path, MIN_COUNT + f"        min_count: {value}\n")
    assert line == (f"fivea.yaml:7: stages.act.rules[0].min_count: must be ≤ 1,000,000, got {got}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MIN_COUNT + "        min_count: 2\n        within: 99999999999999d\n",
            "fivea.yaml:8: stages.act.rules[0].within: must be at most 36500d (100 years), "
            "got '99999999999999d'",
        ),
        (
            "version: 1\npreset: 5a-default\nfunnel: {window: 99999999999999d}\n",
            "fivea.yaml:3: funnel.window: must be at most 36500d (100 years), "
            "got '99999999999999d'",
        ),
        (
            "version: 1\npreset: 5a-default\nsubfunnels:\n  c: {steps: [a, b], window: 9999999w}\n",
            "fivea.yaml:4: subfunnels.c.window: must be at most 36500d (100 years), got '9999999w'",
        ),
        (
            "version: 1\npreset: 5a-default\ndiagnosis: {min_aware: 100000000000000000000}\n",
            "fivea.yaml:3: diagnosis.min_aware: must be ≤ 1,000,000,000,000, "
            "got 100000000000000000000",
        ),
        (
            "version: 1\npreset: 5a-default\ntargets: {attraction: .inf}\n",
            "fivea.yaml:3: targets.attraction: expected a finite number, got inf",
        ),
        (
            "version: 1\npreset: 5a-default\ntargets: {curiosity: [0.1, .inf]}\n",
            "fivea.yaml:3: targets.curiosity[1]: expected a finite number, got inf",
        ),
    ],
    ids=["within", "funnel-window", "subfunnel-window", "min-aware", "target-inf", "band-inf"],
)
def test_numbers_that_overflowed_are_config_errors(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert config_error(tmp_path, text) == expected


def test_the_longest_duration_is_accepted(tmp_path: Path) -> None:
    # 100 years is inside the bound, in a file as through the library
    path = tmp_path / "fivea.yaml"
    path.write_text("version: 1\npreset: 5a-default\nfunnel: {window: 36500d}\n", encoding="utf-8")
    assert load_config(path).config.funnel.window == 36_500 * 86_400 * 1_000_000
    import fivea

    result = fivea.diagnose(SAMPLE, {"preset": "5a-default", "funnel": {"window": "36500d"}})
    assert result.window.funnel_window_seconds == 36_500 * 86_400


# --- 3. --memory -----------------------------------------------------------------------------


def test_memory_below_the_floor_is_refused_at_once(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = run_limited("diagnose", SAMPLE, "--memory", "1KB", code=2, cwd=tmp_path)
    assert time.perf_counter() - started < 20  # was 85 s of 1,024 partitions
    assert one_line(result) == (
        "--memory '1KB': below the minimum of 1MB (smaller person partitions cost more than "
        "they save); give at least 1MB, e.g. 512MB"
    )


def test_a_bad_fivea_memory_names_the_variable(tmp_path: Path) -> None:
    result = run_limited("diagnose", SAMPLE, code=2, env={"FIVEA_MEMORY": "lots"}, cwd=tmp_path)
    assert one_line(result) == (
        "FIVEA_MEMORY='lots' (environment variable): give a size such as 2GB, 3GiB or 512MB"
    )
    result = run_limited("check", SAMPLE, code=2, env={"FIVEA_MEMORY": "1KB"}, cwd=tmp_path)
    assert one_line(result).startswith("FIVEA_MEMORY='1KB' (environment variable): below the")
    # the flag wins over the variable
    out = run_limited(
        "diagnose", SAMPLE, "--memory", "2GB", "-f", "json", env={"FIVEA_MEMORY": "lots"}
    )
    assert json.loads(out.stdout)["run"]["partitions"] == 1


def test_the_floor_itself_works() -> None:
    assert parse_budget("1MB") == MIN_BUDGET
    with pytest.raises(UsageError, match="below the minimum of 1MB"):
        parse_budget("999999")
    data = json.loads(run_limited("diagnose", SAMPLE, "--memory", "1MB", "-f", "json").stdout)
    assert data["run"]["partitions"] > 1


def test_the_library_clamps_a_tiny_budget() -> None:
    import fivea

    result = fivea.diagnose(SAMPLE, memory=1024)
    assert result.run is not None
    assert result.run["partitions"] <= 8  # 1MB's partitions, not 1,024


# --- 4. checks -------------------------------------------------------------------------------


CHECKS = """version: 1
preset: 5a-default
stages:
  ask: {rules: [{event: nothing_like_this}]}
checks:
  - {id: commit, metric: ratio.commitment, fail: "< 0.2"}
  - {id: par-floor, metric: par, fail: "< 0.02", warn: "< 0.03"}
  - {id: time, metric: median_seconds.commitment, fail: "> 100", on_missing: pass}
  - {id: email, metric: ratio.attraction, segment: {channel: email}, fail: "< 0.01"}
"""


def run_checks(tmp_path: Path, *args: str, code: int = 1) -> str:
    path = tmp_path / "fivea.yaml"
    path.write_text(CHECKS, encoding="utf-8")
    return run_limited("check", SAMPLE, "-c", str(path), *args, code=code, cwd=tmp_path).stdout


def test_check_says_why_a_metric_is_not_observable(tmp_path: Path) -> None:
    # Ask's only rule matches nothing in the log: Ask is not measured (docs/metrics.md), so the
    # metrics through it have no value for that reason, said once
    table = flat(run_checks(tmp_path))
    assert "not observable (not observable)" not in table
    assert "commit — not measured fail fail if < 0.2" in table
    assert "time — not measured pass fail if > 100" in table
    data = json.loads(run_checks(tmp_path, "-f", "json"))
    commit = data["checks"][0]
    assert commit["not_observable"] == "not_measured"
    assert commit["message"] == ("ratio.commitment has no value (not measured); on_missing: fail")
    github = run_checks(tmp_path, "-f", "github")
    assert "title=commit::ratio.commitment has no value (not measured); on_missing" in github


def test_check_names_who_could_not_be_counted(tmp_path: Path) -> None:
    """A measured stage nobody in a segment reached: the report's own sentence."""
    path = tmp_path / "fivea.yaml"
    path.write_text(
        "version: 1\npreset: 5a-default\nchecks:\n"
        "  - {id: nobody, metric: ratio.attraction, segment: {channel: nowhere}, fail: '< 0.1'}\n",
        encoding="utf-8",
    )
    out = run_limited("check", SAMPLE, "-c", str(path), "-f", "json", code=1, cwd=tmp_path).stdout
    (entry,) = json.loads(out)["checks"]
    assert entry["message"] == (
        "ratio.attraction not observable: no persons with channel = nowhere; on_missing: fail"
    )


def test_every_check_shows_its_condition_and_value(tmp_path: Path) -> None:
    table = flat(run_checks(tmp_path))
    assert "par-floor 0.3057 pass fail if < 0.02, warn if < 0.03" in table
    assert "email 0.4792 pass fail if < 0.01" in table
    markdown = run_checks(tmp_path, "-f", "markdown")
    # markdown cells escape < like HTML (docs/errors.md, injection)
    assert (
        "| par-floor | par | 0.3057 | ✅ pass | fail if &lt; 0.02, warn if &lt; 0.03 |" in markdown
    )
    data = json.loads(run_checks(tmp_path, "-f", "json"))
    par = data["checks"][1]
    assert par["conditions"] == "fail if < 0.02, warn if < 0.03"
    assert par["condition"] is None  # none fired
    assert par["message"] == "par = 0.3057 (pass; fail if < 0.02, warn if < 0.03)"
    junit = run_checks(tmp_path, "-f", "junit")
    assert (
        '<testcase classname="fivea.diagnosis.checks" name="par-floor" file="fivea.yaml" line="7">\n'
        "      <system-out>par = 0.3057 (pass; fail if &lt; 0.02, warn if &lt; 0.03)</system-out>"
    ) in junit.replace(str(tmp_path / "fivea.yaml"), "fivea.yaml")
    csv = run_checks(tmp_path, "-f", "csv").splitlines()
    assert csv[0] == "name,metric,segment,value,status,condition,conditions,message"
    assert csv[2].startswith('par-floor,par,,0.30566666666666664,pass,,"fail if < 0.02, warn')


@pytest.mark.parametrize(
    ("condition", "never"),
    [('fail: "in []"', "never"), ('warn: "in [ ]"', "never"), ('fail: "not in []"', "always")],
)
def test_an_empty_set_is_a_config_error(tmp_path: Path, condition: str, never: str) -> None:
    level = condition.split(":")[0]
    text = f"version: 1\npreset: 5a-default\nchecks:\n  - {{metric: archetype, {condition}}}\n"
    line = config_error(tmp_path, text, command="check")
    shown = condition.split('"')[1]
    assert line == (
        f'fivea.yaml:4: checks[0].{level}: "{shown}" names an empty set, so the condition '
        f'{never} holds; list the bad values, e.g. "in [goldfish, trumpet]"'
    )
    # `fivea validate` says the same without data
    path = tmp_path / "fivea.yaml"
    result = run_limited("validate", str(path), code=2, cwd=tmp_path)
    assert "names an empty set" in one_line(result)


def test_a_threshold_that_overflows_to_infinity_is_a_config_error(tmp_path: Path) -> None:
    text = 'version: 1\npreset: 5a-default\nchecks:\n  - {metric: par, fail: "< 1e400"}\n'
    line = config_error(tmp_path, text, command="check")
    assert line == (
        "fivea.yaml:4: checks[0].fail: expected a finite number such as 0.2, 5% or -0.5pp, "
        "got '1e400'"
    )


def test_the_reason_of_each_kind_of_null_metric() -> None:
    from fivea.diagnosis.checks import evaluate
    from tests.diagnosis.test_checks import _config, _result

    metrics = [
        "ratio.commitment",
        "flow.commitment",
        "dropoff.affinity",
        "median_seconds.commitment",
        "path_conversion.commitment",
        "uplift.commitment",
        "grade.affinity",
        "in_window.advocate",
        "change.par",
    ]
    config = _config(*({"id": m, "metric": m, "fail": "> 1e9"} for m in metrics))
    reasons = {r.name: r.not_observable for r in evaluate(config, _result([1000, 500, 0, 0, 0]))}
    assert reasons == {
        "ratio.commitment": "no one reached Ask",
        "flow.commitment": "no one reached Ask",
        "dropoff.affinity": "no one reached Act",
        "median_seconds.commitment": "no one reached Act after Ask",
        "path_conversion.commitment": "no one reached Ask on the ordered path",
        "uplift.commitment": "no one reached Ask",
        "grade.affinity": "no one reached Act",
        "in_window.advocate": "Advocate is the last stage: no one can be on the way past it",
        "change.par": "needs --compare previous",
    }
    empty = evaluate(_config({"metric": "par", "fail": "< 0.1"}), _result([0, 0, 0, 0, 0]))
    assert empty[0].not_observable == "nobody reached Aware"
    assert empty[0].message == "par not observable: nobody reached Aware; on_missing: fail"
