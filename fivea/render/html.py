"""The HTML report's page: one self-contained file, verdict first, inline CSS and SVG (README.md#output-formats).

No JavaScript and no external reference of any kind (fonts, images, stylesheets), so it opens
without network access; a print stylesheet lays it out on A4. Every value that came from the data
is escaped; the output depends only on the result, so the same result gives the same bytes.

The page is its header, then its sections in order: the summary (``fivea.render.html_summary``)
and the sections below it (``fivea.render.html_sections``), each built from the result alone.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from fivea.render import html_sections as sections
from fivea.render import text as fmt
from fivea.render.drivers import html_section as drivers_html
from fivea.render.html_style import CSS
from fivea.render.html_summary import header, summary
from fivea.render.text import sanitised
from fivea.result import Result

# the page's sections in reading order; each returns its HTML, or "" when it has nothing to show
SECTIONS: tuple[Callable[[Result], str], ...] = (
    summary,
    sections.charts,
    sections.numbers,
    sections.subfunnels,
    sections.segments,
    lambda result: drivers_html(result.drivers),
    sections.over_time,
    sections.quality,
)


def render_html(result: Result) -> str:
    """The whole report as one self-contained HTML5 document."""
    result = sanitised(result)  # data shown as text: control characters escaped (render/text.py)
    status = fmt.words(result.verdict.status) if result.verdict else "no verdict"
    body = "".join(part(result) for part in SECTIONS)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>fivea: {escape(status)} · {escape(', '.join(result.source.files))}</title>"
        f"<style>{CSS}</style></head><body>{header(result)}<main>{body}</main>"
        f"<footer>fivea · schema {result.schema_version}"
        f" · generated {escape(result.generated_at)} · a self-contained report: no scripts, no "
        "network access needed.</footer></body></html>\n"
    )
