"""The HTML report: self-contained, verdict first, inline charts, escaped data, real rendering."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import struct
import subprocess
from pathlib import Path

import polars as pl
import pytest

from fivea.api import diagnose
from fivea.authoring.sample import generate_sample
from fivea.config.loader import load_config
from fivea.render.html import render_html
from fivea.result import Result
from tests.conftest import SAMPLE_DATA

DEFAULT = load_config(None, None)
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'
SCRIPT_EVENT = "<script>alert(1)</script>"
BOLD_VALUE = "<b>x</b>"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def full() -> Result:
    events = [str(SAMPLE_DATA / "events.csv")]
    return diagnose(
        events, DEFAULT, since="90d", compare="previous", segments=["channel"], trend="week"
    )


@pytest.fixture(scope="module")
def minimal() -> Result:
    """No trend, no comparison, no segments (an in-memory sample keeps it fast)."""
    return diagnose(generate_sample(people=400, archetype="funnel", seed=1), DEFAULT)


def _hostile_log() -> pl.DataFrame:
    rows = []
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for i in range(300):
        user, t = f"u{i:04d}", start + dt.timedelta(hours=i)
        channel = BOLD_VALUE if i % 2 else "search"
        rows.append((user, t, "page_view", channel))
        rows.append((user, t + dt.timedelta(minutes=1), SCRIPT_EVENT, channel))
        if i % 3 == 0:
            rows.append((user, t + dt.timedelta(minutes=2), "product_view", channel))
        if i % 6 == 0:
            rows.append((user, t + dt.timedelta(minutes=3), "purchase", channel))
    return pl.DataFrame(rows, schema=["user_id", "timestamp", "event", "channel"], orient="row")


def _visible(html: str) -> str:
    """The text a reader sees: markup, the stylesheet and tag attributes removed."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_full_report_has_verdict_first_and_all_sections(full: Result) -> None:
    html = render_html(full)
    assert html.startswith("<!DOCTYPE html>\n<html")
    assert html.rstrip().endswith("</html>")
    assert full.verdict is not None
    status = full.verdict.status.replace("_", " ").capitalize()
    assert f'<p class="status">{status}</p>' in html
    for reason in full.verdict.reasons[:2]:
        assert reason in html
    # verdict before the PAR/BAR cards, before the charts, before the tables
    order = [html.index(k) for k in ('class="verdict', "PAR · ", 'id="charts"', "5A stages")]
    assert order == sorted(order)
    assert html.count("<svg") == 4  # shape, conversion, PAR/BAR trend, reached trend
    for title in ("Segments", "Compared with", "Trend by week", "Data quality", "Sub-funnels"):
        assert title in html
    assert "bow-tie reference" in html
    assert "at_risk" not in _visible(html)  # identifiers print as words


def test_minimal_report_leaves_out_what_was_not_asked(minimal: Result) -> None:
    assert minimal.trend is None
    assert minimal.compare is None
    assert minimal.segments == ()
    html = render_html(minimal)
    assert html.count("<svg") == 2
    assert 'id="segments"' not in html
    assert 'id="over-time"' not in html
    assert "Verdict" in html
    assert "Data quality" in html


@pytest.mark.parametrize("which", ["full", "minimal"])
def test_no_network_reference(which: str, request: pytest.FixtureRequest) -> None:
    html = render_html(request.getfixturevalue(which))
    stripped = html.replace(SVG_NS, "")
    assert "http://" not in stripped
    assert "https://" not in stripped
    assert "//" not in stripped
    for needle in ("<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "href="):
        assert needle not in stripped.lower(), needle


def test_svg_is_accessible(full: Result) -> None:
    html = render_html(full)
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, flags=re.S)
    assert len(svgs) == 4
    for chart in svgs:
        assert 'role="img"' in chart
        assert "<title id=" in chart
        assert "<desc id=" in chart
    assert '<th scope="col"' in html
    assert "<th scope=row" in html


def test_output_is_deterministic(full: Result) -> None:
    assert render_html(full) == render_html(full)


def test_data_values_are_escaped() -> None:
    result = diagnose(_hostile_log(), DEFAULT, segments=["channel"])
    html = render_html(result)
    assert SCRIPT_EVENT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text (unmatched events)
    assert BOLD_VALUE not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # the segment value
    assert "<script" not in html.lower()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_renders_in_headless_chromium(full: Result, tmp_path: Path) -> None:
    chromium = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    if chromium is None:
        pytest.skip(
            "chromium is not installed (/usr/bin/chromium absent): apt-get install chromium"
        )
    report = tmp_path / "report.html"
    report.write_text(render_html(full), encoding="utf-8")
    base = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "shot.png"
    url = report.as_uri()
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1200,2400", url],
        check=True,
        capture_output=True,
        timeout=60,
        env=env,
    )
    assert shot.exists()
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few KB
    assert _png_size(shot) == (1200, 2400)
    dom = subprocess.run(
        [*base, "--dump-dom", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    ).stdout
    assert full.verdict is not None
    assert full.verdict.reasons[0] in dom
    assert "Verdict" in dom
    assert dom.count("<svg") >= 2


def test_not_judged_is_a_neutral_card_never_a_green_healthy() -> None:
    # OTTO with no config: only Aware has hits
    from tests.conftest import REAL_DATA

    result = diagnose([str(REAL_DATA / "otto-20-sessions" / "events.csv")], DEFAULT)
    html = render_html(result)
    assert 'class="verdict v-not_judged"' in html
    assert "v-healthy" not in html.split("</style>")[1]
    assert "Not enough evidence to judge." in html
    assert "attraction — not measured" in html
    assert "skipped: not measured" in html


def test_small_sample_buckets_are_hollow_and_marked(full: Result) -> None:
    assert full.trend is not None
    small = [r for r in full.trend.rows if r.small_sample]
    assert small  # the sample thins out in its last weeks
    html = render_html(full)
    assert f"{small[0].period}: " in html
    assert "(small sample)</title>" in html
    assert f"{small[0].period} (small sample)" in html  # the trend table marks it too
