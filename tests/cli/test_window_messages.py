"""Window errors say what the user asked and where the log lies; never `None`."""

from __future__ import annotations

from tests.conftest import SAMPLE_DATA, run_cli

SAMPLE = str(SAMPLE_DATA / "events.csv")
LOG_RANGE = "(the log runs from 2025-01-01T00:52:36.651783Z to 2025-06-30T08:22:36.644903Z)"


def _error(*args: str) -> str:
    result = run_cli("diagnose", SAMPLE, *args, code=2)
    assert result.stderr.count("\n") == 1
    assert "None" not in result.stderr
    return result.stderr.removeprefix("fivea: error: ").strip()


def test_since_after_the_log() -> None:
    assert _error("--since", "2026-01-01") == (
        f"{SAMPLE}: no events from 2026-01-01T00:00:00Z {LOG_RANGE}; widen --since/--until"
    )


def test_until_before_the_log() -> None:
    assert _error("--until", "2020-01-01") == (
        f"{SAMPLE}: no events before 2020-01-02T00:00:00Z {LOG_RANGE}; widen --since/--until"
    )


def test_since_alone_after_the_last_event_does_not_name_an_until() -> None:
    line = _error("--since", "2026-01-01", "--compare", "previous")
    assert line == (
        "--since 2026-01-01 is after the log's last event (2025-06-30T08:22:36.644903Z); "
        "pick an earlier --since"
    )


def test_since_after_as_of() -> None:
    line = _error("--since", "2025-03-01", "--as-of", "2025-02-01")
    assert line == "--since 2025-03-01 is not before --as-of 2025-02-01; pick an earlier --since"
