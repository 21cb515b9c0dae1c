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


@pytest.mark.parametrize(
    ("value", "grade", "ratio", "shown"),
    [
        (0.10, "ok", 3.0, "—"),  # above target: nothing to lift
        (1.0, "ok", 0.3, "—"),
        (1.14, "watch", 0.26, "×1.14"),
        (None, "critical", 0.0, "∞"),
        (None, "not_measured", None, "—"),
    ],
)
def test_uplift_is_shown_only_below_target(value, grade, ratio, shown) -> None:
    from fivea.render.text import uplift

    assert uplift(value, grade, ratio) == shown
