"""Check results for machines: JSON, JUnit XML, GitHub workflow commands, markdown (README.md#exit-codes)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from fivea.check_result import CheckResult
from fivea.render.anomaly import anomaly_value
from fivea.render.csv import safe_cell
from fivea.render.markdown import md_cell
from fivea.render.text import safe_text, sanitised

_ORDER = {"fail": 0, "warn": 1, "pass": 2}


def summary(results: Sequence[CheckResult]) -> str:
    """'3 passed, 1 warning, 1 failed'."""
    passed = sum(r.status == "pass" for r in results)
    warned = sum(r.status == "warn" for r in results)
    failed = sum(r.status == "fail" for r in results)
    return f"{passed} passed, {failed} failed" + (
        f", {warned} warning{'s' if warned != 1 else ''}" if warned else ""
    )


def render_checks_json(results: Sequence[CheckResult], verdict: str | None, exit_code: int) -> str:
    """The check results as JSON (sorted keys, no NaN)."""
    doc = {
        "schema_version": 1,
        "exit_code": exit_code,
        "verdict": verdict,
        "summary": {s: sum(r.status == s for r in results) for s in ("pass", "warn", "fail")},
        "checks": [
            {
                "name": r.name,
                "metric": r.metric,
                "segment": r.segment,
                "value": r.value,
                "status": r.status,
                "condition": r.condition,
                "conditions": r.conditions,
                "message": r.message,
                "line": r.line,
                "not_observable": r.not_observable,
            }
            | ({"anomaly": r.anomaly.to_dict()} if r.anomaly is not None else {})
            for r in results
        ],
    }
    return json.dumps(doc, sort_keys=True, indent=2, allow_nan=False) + "\n"


def render_junit(results: Sequence[CheckResult], config_path: str | None, strict: bool) -> str:
    """JUnit XML: one test case per check; fail -> <failure>, warn -> <system-out>."""
    results = sanitised(results)  # data shown as text: control characters escaped
    config_path = None if config_path is None else safe_text(config_path)
    failures = sum(r.status == "fail" or (strict and r.status == "warn") for r in results)
    suites = ET.Element(
        "testsuites", name="fivea", tests=str(len(results)), failures=str(failures), errors="0"
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="fivea.diagnosis.checks",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for r in results:
        attributes = {"classname": "fivea.diagnosis.checks", "name": r.name}
        if config_path:
            attributes["file"] = config_path
        if r.line:
            attributes["line"] = str(r.line)
        case = ET.SubElement(suite, "testcase", attributes)
        if r.status == "fail" or (strict and r.status == "warn"):
            failure = ET.SubElement(case, "failure", message=r.message, type=r.status)
            failure.text = r.message
        elif r.status == "warn":
            out = ET.SubElement(case, "system-out")
            out.text = f"warning: {r.message}"
        else:  # a pass shows its value and conditions too
            out = ET.SubElement(case, "system-out")
            out.text = r.message
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def render_junit_error(message: str, kind: str) -> str:
    """The JUnit file written when the run itself fails (exit 2 or 3): one <error> case."""
    message = safe_text(message)  # XML 1.0 cannot hold most control characters at all
    suites = ET.Element("testsuites", name="fivea", tests="1", failures="0", errors="1")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="fivea.diagnosis.checks",
        tests="1",
        failures="0",
        errors="1",
        skipped="0",
    )
    case = ET.SubElement(suite, "testcase", classname="fivea.diagnosis.checks", name="fivea check")
    error = ET.SubElement(case, "error", message=message, type=kind)
    error.text = message
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _escape_data(text: str) -> str:
    # the Actions toolkit's escapeData
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # the Actions toolkit's escapeProperty
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(results: Sequence[CheckResult], config_path: str | None, strict: bool) -> str:
    """Workflow commands: failures first, then warnings, then one summary notice."""
    results = sanitised(results)  # data shown as text: control characters escaped
    config_path = None if config_path is None else safe_text(config_path)
    lines = []
    for r in sorted(results, key=lambda r: _ORDER[r.status]):
        if r.status == "pass":
            continue
        command = "error" if r.status == "fail" or strict else "warning"
        props = []
        if config_path:
            props.append(f"file={_escape_property(config_path)}")
        if r.line:
            props.append(f"line={r.line}")
        props.append(f"title={_escape_property(r.name)}")
        lines.append(f"::{command} {','.join(props)}::{_escape_data(r.message)}")
    lines.append(f"::notice title=fivea check::{_escape_data(summary(results))}")
    return "\n".join(lines) + "\n"


def render_checks_markdown(results: Sequence[CheckResult], verdict: str | None) -> str:
    """A markdown table for $GITHUB_STEP_SUMMARY or chat."""
    results = sanitised(results)  # data shown as text: control characters escaped
    icon = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail"}
    lines = [f"### fivea check: {summary(results)}", ""]
    if verdict:
        lines += [f"Verdict: **{md_cell(verdict.replace('_', ' '))}**", ""]
    lines += ["| check | metric | value | status | condition |", "| --- | --- | ---: | --- | --- |"]
    for r in sorted(results, key=lambda r: _ORDER[r.status]):
        lines.append(
            f"| {md_cell(r.name)} | {md_cell(r.metric)} | {md_cell(shown_value(r))} | "
            f"{icon[r.status]} | {md_cell(r.conditions)} |"
        )
    return "\n".join(lines) + "\n"


def render_checks_csv(results: Sequence[CheckResult]) -> str:
    """One row per check, formula-escaped."""
    results = sanitised(results)  # data shown as text: control characters escaped
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # `condition`: the one that fired (empty on a pass); `conditions`: all of the check's
    writer.writerow(
        ["name", "metric", "segment", "value", "status", "condition", "conditions", "message"]
    )
    for r in results:
        segment = "" if not r.segment else ";".join(f"{k}={v}" for k, v in r.segment.items())
        row = (r.name, r.metric, segment, r.value, r.status, r.condition, r.conditions, r.message)
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def shown_value(result: CheckResult) -> str:
    """The observed value as text; a null metric gives its reason once."""
    if result.anomaly is not None:  # the bucket too, or why it was not judged
        return anomaly_value(result.anomaly)
    if result.value is None:
        reason = result.not_observable or "not_observable"
        if " " not in reason:  # a code: not_measured, partial_period, zero_base...
            return f"— {reason.replace('_', ' ')}"
        return f"not observable: {reason}"
    if isinstance(result.value, float):
        return f"{result.value:.4g}"
    return str(result.value)
