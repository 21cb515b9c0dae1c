"""Terminal hygiene: colour only when asked or on a TTY, progress only on a TTY (README.md#output-formats)."""

from __future__ import annotations

import io
import sys
import time

import pytest

from fivea.cli.progress import progress
from tests.conftest import ROOT, run_cli

SAMPLE = str(ROOT / "sample_data" / "events.csv")


def test_not_a_tty_means_plain_text() -> None:
    out = run_cli("diagnose", SAMPLE, env={"NO_COLOR": "", "FORCE_COLOR": ""}).stdout
    assert "\x1b[" not in out
    assert all(line == line.rstrip() for line in out.splitlines())


def test_force_color_colours_even_when_piped() -> None:
    out = run_cli("diagnose", SAMPLE, env={"NO_COLOR": "", "FORCE_COLOR": "1"}).stdout
    assert "\x1b[" in out


def test_no_color_wins_on_a_forced_terminal() -> None:
    out = run_cli("diagnose", SAMPLE, env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).stdout
    assert "\x1b[3" not in out  # no colour codes (bold/dim styles may remain)


class _FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_tty_and_only_when_long(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    with progress("reading events…", quiet=False, delay=0.05):
        time.sleep(0.3)
    assert "reading events" in fake.getvalue()
    quick = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", quick)
    with progress("reading events…", quiet=False, delay=5):
        pass
    assert quick.getvalue() == ""
    quiet = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress("reading events…", quiet=True, delay=0.01):
        time.sleep(0.1)
    assert quiet.getvalue() == ""


def test_progress_names_the_partition_of_a_long_partitioned_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The local engine reports each person partition to the spinner (core -> callback)."""
    import fivea
    from fivea.api import diagnose

    fake = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    seen: list[str] = []
    with progress("reading events…", quiet=False, delay=0.0) as update:

        def record(text: str) -> None:
            seen.append(text)
            update(text)
            time.sleep(0.15)  # let the spinner draw the new line

        diagnose(
            ["sample_data/events.csv"], fivea.load_config(None), partitions=3, on_progress=record
        )
    assert seen == [f"reading events… persons part {k}/3" for k in (1, 2, 3)]
    assert "persons part 3/3" in fake.getvalue()
    with progress("reading events…", quiet=False, delay=5) as update:
        update("ignored")  # never shown: the work was quick
    assert "ignored" not in fake.getvalue()
