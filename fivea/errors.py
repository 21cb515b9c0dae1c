"""Exit codes and the one user-error type (README.md#exit-codes)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in --help and the README, never renumbered."""

    OK = 0
    CHECK_FAILED = 1
    USER_ERROR = 2
    INTERNAL = 3
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143  # 128 + SIGTERM, as shells, systemd and container runtimes report it


class FiveaError(Exception):
    """An error the user can fix; ``str(exc)`` is the whole one-line message they see."""


class ConfigError(FiveaError):
    """The YAML config (or a preset) is invalid."""


class InputError(FiveaError):
    """An event file cannot be read or analysed."""


class UsageError(FiveaError):
    """The command line asks for something impossible (conflicting or bad flags)."""


class StdoutClosed(Exception):
    """The reader of stdout went away (``fivea ... | head``): exit 141 quietly."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (temp files removed, no partial output), exit 143."""


def clip(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut to ``limit`` characters with a trailing ``…`` when longer.

    For data echoed into a one-line message (header names, sample values): a 50 MB header line
    must not become a 50 MB error line, and a newline inside a value must not start a new one.
    """
    flat = text.replace("\r", "\\r").replace("\n", "\\n")
    return flat if len(flat) <= limit else flat[: max(1, limit - 1)] + "…"


def quote_data(value: object, limit: int = 80) -> str:
    """``value`` quoted and clipped for a one-line message: ``'abc'``, ``'abc…' (52,428,800
    characters)``."""
    text = str(value)
    shown = f"'{clip(text, limit)}'"
    return shown if len(text) <= limit else f"{shown} ({len(text):,} characters)"
