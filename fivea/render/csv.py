"""The 5A stage table as CSV, safe to open in a spreadsheet (docs/checks.md, README formats).

With --segment, --trend or shown drivers, each follows as a further block: a blank line, its own header row,
its rows (README.md, Formats)."""

from __future__ import annotations

import csv
import io
import re

from fivea.render.drivers import CSV_HEADER, csv_rows
from fivea.render.text import sanitised
from fivea.result import Result

_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell that a spreadsheet will not run as a formula; plain numbers stay numbers."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def render_csv(result: Result) -> str:
    """One row per stage: counts, the incoming transition's ratio, grade, flow, path, timing."""
    result = sanitised(result)  # data shown as text: control characters escaped (render/text.py)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "stage",
            "label",
            "reached",
            "share_of_aware",
            "current",
            "path",
            "in_window",
            "transition",
            "ratio",
            "target",
            "grade",
            "flow",
            "dropoff",
            "path_conversion",
            "p25_seconds",
            "median_seconds",
            "p75_seconds",
            "p90_seconds",
            "reversed",
            "measured",
        ]
    )
    incoming = {t.to_stage: t for t in result.transitions}
    for stage in result.stages:
        t = incoming.get(stage.key)
        target = None
        if t is not None and t.target is not None:
            target = "-".join(map(str, t.target)) if isinstance(t.target, tuple) else t.target
        row = [
            stage.key,
            stage.label,
            stage.reached,
            stage.share_of_aware,
            stage.current,
            stage.path,
            stage.in_window,
        ]
        row += (
            [None] * 12
            if t is None
            else [
                t.name,
                t.ratio,
                target,
                t.grade,
                t.flow,
                t.dropoff,
                t.path_conversion,
                t.p25_seconds,
                t.median_seconds,
                t.p75_seconds,
                t.p90_seconds,
                t.reversed,
            ]
        )
        row.append(str(stage.measured).lower())
        writer.writerow([safe_cell(v) for v in row])
    _segment_rows(writer, result)
    _trend_rows(writer, result)
    drivers = csv_rows(result.drivers)
    if drivers:  # the shown drivers (docs/metrics.md "Drivers"), as a further block
        writer.writerows([[], list(CSV_HEADER), *[[safe_cell(v) for v in r] for r in drivers]])
    return out.getvalue()


def _segment_rows(writer: csv.Writer, result: Result) -> None:
    """With --segment: a blank line, then one row per segment value under its own header."""
    if not result.segments:
        return
    stages = [s.key for s in result.stages]
    writer.writerow([])
    reached = [f"reached_{k}" for k in stages]
    writer.writerow(["segment", "value", "persons", *reached, "par", "bar", "lagging", "leading"])
    for seg in result.segments:
        for row in seg.rows:
            cells = [seg.column, row.value, row.persons, *[row.reached.get(k) for k in stages]]
            cells += [row.par, row.bar]
            cells += [" ".join(c.transition for c in row.lagging)]
            cells += [" ".join(c.transition for c in row.leading)]
            writer.writerow([safe_cell(v) for v in cells])


def _trend_rows(writer: csv.Writer, result: Result) -> None:
    """With --trend: a blank line, then one row per calendar bucket under its own header."""
    if result.trend is None:
        return
    stages = [s.key for s in result.stages]
    writer.writerow([])
    writer.writerow([result.trend.period, *[f"reached_{k}" for k in stages], "par", "bar"])
    for row in result.trend.rows:
        cells = [row.period, *[row.reached.get(k) for k in stages], row.par, row.bar]
        writer.writerow([safe_cell(v) for v in cells])
