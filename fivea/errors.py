"""Exit codes and the one user-error type (SPEC §6)."""

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
