"""Every format a command accepts is listed in its --help, and every listed one works."""

from __future__ import annotations

import re

import pytest

from fivea.cli.check import CHECK_FORMATS
from fivea.cli.reporting import REPORT_FORMATS
from tests.conftest import SAMPLE_DATA, run_cli


def _listed(command: str) -> set[str]:
    text = " ".join(run_cli(command, "--help").stdout.split())
    match = re.search(r"--format FORMAT (.*?)\.", text)
    assert match is not None
    return set(re.findall(r"[a-z]+", match.group(1).replace("(default)", ""))) - {"or"}


def test_diagnose_lists_every_report_format() -> None:
    assert _listed("diagnose") == set(REPORT_FORMATS)


def test_check_lists_every_check_format() -> None:
    assert _listed("check") == set(CHECK_FORMATS)


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_each_listed_report_format_works(fmt: str) -> None:
    out = run_cli("diagnose", str(SAMPLE_DATA / "events.csv"), "-f", fmt).stdout
    assert out.strip()
