"""The README and docs stay true: commands documented, shown output equals the golden file."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = ["diagnose", "check", "report", "stages", "init", "validate", "presets", "sample"]


def test_first_code_block_is_the_two_commands() -> None:
    block = re.search(r"```[a-z]*\n(.*?)```", README, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "fivea diagnose sample_data/" in commands[0]
    assert commands[1].endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci, ".ci/run must run the README's test command"
    # ...first, in a clean venv, before any optional extra is installed (a fresh clone has none)
    readme_run = ci.index(commands[1])
    assert "rm -rf .venv" in ci[:readme_run]
    assert "[spark]" not in ci[:readme_run]
    assert "spark" in ci[readme_run:]


def test_readme_session_matches_golden_output() -> None:
    match = re.search(r"<!-- golden: (\S+) -->\n```text\n(.*?)\n```", README, re.S)
    assert match is not None
    golden = (ROOT / match.group(1)).read_text(encoding="utf-8").splitlines()
    shown = match.group(2).splitlines()
    assert shown == [line.rstrip() for line in golden[: len(shown)]]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_an_example(command: str) -> None:
    out = run_cli(command, "--help").stdout
    assert "Example" in out
    assert f"`fivea {command}" in README or f"fivea {command}" in README


def test_exit_codes_documented() -> None:
    out = run_cli("--help").stdout
    for code in ("0 ok", "1 a check failed", "2 usage", "3 internal", "130", "141"):
        assert code in out
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 130 |", "| 141 |"):
        assert code in README


def _slug(heading: str) -> str:
    """GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces -> '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_docs_links_exist() -> None:
    for link in re.findall(r"\]\((docs/[^)]+)\)", README):
        path, _, anchor = link.partition("#")
        assert (ROOT / path).exists(), link
        if anchor:
            text = (ROOT / path).read_text(encoding="utf-8")
            headings = re.findall(r"^#+ (.+)$", text, flags=re.M)
            assert anchor in {_slug(h) for h in headings}, link
