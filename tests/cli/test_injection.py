"""Data never drives the terminal or the document it is shown in (docs/errors.md, "Outputs").

Event names, stage labels, segment values and check names come from files a user may not
control. In every text format their control characters (C0, DEL, C1, ESC) are shown as
escapes (``\\x1b``); markdown and HTML escape their own syntax; JSON keeps the exact values.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fivea.errors import FiveaError
from tests.conftest import run_cli
from tests.limits import run_limited

TITLE = "\x1b]0;pwned\x07"  # sets the terminal's window title
CLEAR = "\x1b[2J"  # clears the screen
C1 = "\x9b31m"  # CSI as one C1 byte
LABEL = "<script>alert(1)</script>\nX|Y &amp; \x7f"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # what must never reach a text output


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """Events whose names hold escape sequences, and a config whose labels hold markup."""
    events = tmp_path / "events.csv"
    pl.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u3"],
            "event": [f"{TITLE}page_view", f"{CLEAR}buy", "page_view", f"{C1}page_view"],
            "timestamp": ["2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"] * 2,
            "channel": [f"ads{CLEAR}", "ads", "mail\x1b[31m", "ads"],
        }
    ).write_csv(events)
    config = tmp_path / "fivea.yaml"
    config.write_text(
        "version: 1\npreset: 5a-default\nstages:\n"
        f"  act: {{label: {json.dumps(LABEL)}, rules: [{{event: {json.dumps(CLEAR + 'buy')}}}]}}\n"
        "checks:\n"
        f'  - {{id: {json.dumps("par" + TITLE)}, metric: par, fail: "< 0.9"}}\n'
        f'  - {{id: "bar|x\\nline", metric: bar, warn: "< 0.9"}}\n',
        encoding="utf-8",
    )
    return events, config


def _clean(text: str) -> None:
    found = RAW.findall(text)
    assert not found, f"raw control characters in the output: {found!r}"


@pytest.mark.parametrize(
    ("fmt", "shown"),
    [
        ("table", "\\x1b]0;pwned\\x07page_view"),  # the unmatched event names
        ("markdown", "ads\\\\x1b\\[2J"),  # a segment value, markdown-escaped too
        ("csv", "<script>alert(1)</script>\\nX|Y &amp; \\x7f"),  # the stage label
        ("html", "\\x1b]0;pwned\\x07page_view"),
    ],
)
def test_diagnose_text_formats_escape_control_characters(hostile, fmt: str, shown: str) -> None:
    events, config = hostile
    out = run_cli("diagnose", str(events), "-c", str(config), "--segment", "channel", "-f", fmt)
    _clean(out.stdout)
    assert shown in out.stdout  # shown, inert


def test_the_terminal_table_escapes_names(hostile) -> None:
    events, config = hostile
    out = run_cli("diagnose", str(events), "-c", str(config), "--segment", "channel")
    assert "\\x1b]0;pwned\\x07page_view" in out.stdout
    assert "ads\\x1b[2J" in out.stdout
    assert "<script>alert(1)</script>\\nX|Y" in out.stdout  # a terminal shows tags as text


def test_stages_escapes_names(hostile) -> None:
    events, config = hostile
    out = run_cli("stages", str(events), "-c", str(config))
    _clean(out.stdout)
    assert "\\x1b[2Jbuy" in out.stdout
    assert "\\x9b31mpage_view" in out.stdout


def test_markdown_labels_are_escaped_like_html(hostile) -> None:
    events, config = hostile
    out = run_cli("diagnose", str(events), "-c", str(config), "-f", "markdown").stdout
    assert "<script>" not in out
    row = next(line for line in out.splitlines() if "script" in line)
    assert row.startswith("| &lt;script&gt;alert(1)&lt;/script&gt;\\\\nX\\|Y &amp;amp; \\\\x7f |")
    # the label's newline and pipe did not split the row: 8 columns like the header
    header = next(line for line in out.splitlines() if line.startswith("| stage |"))
    cells = re.compile(r"(?<!\\)\|")
    assert len(cells.findall(row)) == len(cells.findall(header))


def test_html_shows_labels_as_text(hostile) -> None:
    events, config = hostile
    out = run_cli("diagnose", str(events), "-c", str(config), "-f", "html").stdout
    assert "<script>alert" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\nX|Y &amp;amp; \\x7f" in out


def test_json_keeps_the_exact_values(hostile) -> None:
    events, config = hostile
    out = run_cli("diagnose", str(events), "-c", str(config), "-f", "json").stdout
    _clean(out)  # JSON escapes them itself
    doc = json.loads(out)
    assert {s["label"] for s in doc["stages"]} >= {LABEL}


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "junit", "github"])
def test_check_formats_escape_control_characters(hostile, fmt: str) -> None:
    events, config = hostile
    out = run_cli("check", str(events), "-c", str(config), "-f", fmt, code=1).stdout
    _clean(out)
    if fmt == "markdown":
        assert "| par\\\\x1b\\]0;pwned\\\\x07 |" in out  # markdown-escaped as well
        assert "| bar\\|x\\\\nline |" in out  # the pipe and newline stay in the cell
        return
    assert "par\\x1b]0;pwned\\x07" in out
    if fmt == "junit":
        names = [c.get("name") for c in ET.fromstring(out).iter("testcase")]  # well-formed XML
        assert "par\\x1b]0;pwned\\x07" in names
    if fmt == "github":
        # one workflow command per line: a newline in a name cannot start a new command
        assert all(line.startswith("::") for line in out.splitlines())
        assert "bar|x\\nline" in out


def test_the_junit_error_file_is_well_formed(tmp_path: Path) -> None:
    events = tmp_path / "e.csv"
    events.write_text("user_id,event,timestamp\nu1,a,2025-01-01\n", encoding="utf-8")
    config = tmp_path / "k.yaml"
    config.write_text(
        f"version: 1\npreset: 5a-default\ncolumns: {{user: {json.dumps('who' + CLEAR)}}}\n"
        'checks: [{metric: par, fail: "< 0.5"}]\n'
    )
    result = run_limited(
        "check", str(events), "-c", str(config), "-o", str(tmp_path / "j.xml"), code=2
    )
    assert "who\\x1b[2J" in result.stderr  # the stderr line is escaped too, and one line
    assert result.stderr.count("\n") == 1
    _clean(result.stderr)
    error = ET.parse(tmp_path / "j.xml").getroot().find(".//error")
    assert error is not None
    assert "who\\x1b[2J" in error.get("message", "")


def test_safe_text_keeps_ordinary_text() -> None:
    from fivea.render.text import safe_text

    for text in ["page_view", "Ärger → Ask", "[summer]", "C:\\data\\e.csv", "日本語", "Q&A", ""]:
        assert safe_text(text) == text
    assert safe_text("a\tb\nc\rd\x00e\x1bf\x7fg\x85h\u202ei") == (
        "a\\tb\\nc\\rd\\x00e\\x1bf\\x7fg\\x85h\\u202ei"
    )
    assert safe_text(safe_text("\x1b")) == "\\x1b"  # idempotent


def test_sanitised_returns_the_same_object_when_nothing_changes() -> None:
    from fivea.diagnosis.checks import CheckResult
    from fivea.render.text import sanitised

    plain = CheckResult("par", "par", {"channel": "ads"}, 0.5, "pass", None, "ok", 3)
    assert sanitised(plain) is plain
    bad = CheckResult("p\x1b", "par", {"c\x07": "a\x9b"}, 0.5, "pass", None, "ok", 3)
    clean = sanitised(bad)
    assert (clean.name, clean.segment) == ("p\\x1b", {"c\\x07": "a\\x9b"})
    assert bad.name == "p\x1b"  # the original is untouched (JSON renders it)


# --- property: whatever the names, no control character reaches a text output --------------

NAME = st.text(
    alphabet=st.sampled_from(
        [
            "a",
            "_",
            " ",
            "|",
            "<",
            ">",
            "&",
            "[",
            "]",
            "*",
            "\\",
            "é",
            "→",
            "\n",
            "\r",
            "\t",
            "\x00",
            "\x07",
            "\x1b",
            "\x7f",
            "\x85",
            "\x9b",
            "\u2028",
            "\u202e",
        ]
    ),
    min_size=1,
    max_size=12,
) | st.text(min_size=200, max_size=300)  # long names


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NAME, min_size=2, max_size=4, unique=True), label=NAME, value=NAME)
def test_no_control_character_reaches_a_text_format(
    names: list[str], label: str, value: str
) -> None:
    import fivea
    from fivea.cli.reporting import render_report
    from fivea.diagnosis.checks import CheckResult
    from fivea.render import checks

    frame = pl.DataFrame(
        {
            "user_id": ["u1", "u2"] * 4,
            "event": (names * 4)[:8],
            "timestamp": [f"2025-01-0{d}T00:00:00Z" for d in range(1, 9)],
            "channel": [value, "x"] * 4,
        }
    )
    config = {
        "version": 1,
        "preset": "5a-default",
        "stages": {"act": {"label": label, "rules": [{"event": names[0]}]}},
    }
    try:
        result = fivea.diagnose(frame, config, segments=["channel"])
    except FiveaError:  # e.g. every name blank: nothing to render
        assume(False)
        return
    for fmt in ("table", "markdown", "csv", "html"):
        text = render_report(result, fmt)
        assert not [c for c in text if c != "\n" and RAW.match(c)], fmt
        assert "\u202e" not in text
        assert "\u2028" not in text
    for text in (render_report(result, "markdown"),):
        assert all(line == "" or not line.startswith(("\t", "\r")) for line in text.splitlines())
    check = CheckResult(label, "par", {"channel": value}, 0.5, "fail", "< 0.9", names[0], 2)
    for text in (
        checks.render_junit([check], label, strict=False),
        checks.render_github([check], label, strict=False),
        checks.render_checks_markdown([check], value),
        checks.render_checks_csv([check]),
    ):
        assert not [c for c in text if c != "\n" and RAW.match(c)]
    ET.fromstring(checks.render_junit([check], label, strict=False))


def test_init_and_validate_show_names_inert(tmp_path: Path) -> None:
    import yaml

    events = tmp_path / "e.csv"
    events.write_text(
        f"user_id,event,timestamp,chan{CLEAR}nel\n"
        f"u1,{TITLE}page_view,2025-01-01T00:00:00Z,a\n"
        "u1,buy\x9b,2025-01-02T00:00:00Z,x\n",
        encoding="utf-8",
    )
    out = run_cli("init", str(events), "-o", "-").stdout
    _clean(out)
    assert "chan\\x1b[2Jnel" in out  # a column name in a comment
    assert '- {event: "buy\\x9b"}' in out  # in YAML, the escape reads back as the character
    assert yaml.safe_load('e: "buy\\x9b"') == {"e": "buy\x9b"}
    config = tmp_path / "k.yaml"
    config.write_text(
        f"version: 1\npreset: 5a-default\nstages:\n  act: {{rules: [{{event: {json.dumps(CLEAR)}}}]}}\n"
    )
    result = run_cli("validate", str(config), str(events))
    _clean(result.stdout + result.stderr)
    assert "(event: [\\x1b[2J]) matches no event" in result.stderr


def test_a_colour_terminal_gets_only_rich_styles(hostile) -> None:
    # on a TTY rich writes its own SGR colour codes; the data's sequences must not be among them
    import io

    from rich.console import Console

    import fivea
    from fivea.render.table import render_table
    from fivea.render.table_stages import render_stages

    events, config = hostile
    result = fivea.diagnose(str(events), str(config), segments=["channel"])
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=120)
    render_table(result, console)
    out = buffer.getvalue()
    assert "\x1b[" in out  # colour is on
    assert "\x1b]" not in out  # no OSC (window title, hyperlink) from the data
    assert "\x1b[2J" not in out
    assert "\x9b" not in out
    assert "\x07" not in out
    assert "\\x1b]0;pwned\\x07page_view" in out

    from fivea.authoring.stages import inspect_stages
    from fivea.config.loader import load_config

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=120)
    render_stages(inspect_stages([str(events)], load_config(config, None), 3, None), console)
    out = buffer.getvalue()
    assert "\x1b]" not in out
    assert "\x1b[2J" not in out
    assert "\\x1b[2Jbuy" in out
