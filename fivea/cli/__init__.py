"""The typer app and the one error handler every command goes through (SPEC §6).

Exit codes: 0 ok, 1 a check failed, 2 usage/config/input error, 3 internal error (a bug),
130 interrupted, 141 broken pipe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback

import typer

from fivea import __version__
from fivea.errors import ExitCode, FiveaError, StdoutClosed

EPILOG = (
    "Exit codes: 0 ok (warnings allowed), 1 a check failed, 2 usage, config or input error, "
    "3 internal error (please report), 130 interrupted, 141 broken pipe."
)

app = typer.Typer(
    name="fivea",
    help="Diagnose a customer funnel along Kotler's 5A path: Aware → Appeal → Ask → Act → Advocate.",
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fivea {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Diagnose a customer funnel along Kotler's 5A path: Aware → Appeal → Ask → Act → Advocate."""


def _register() -> None:
    from fivea.cli import check, diagnose, init, presets, report, sample, stages, validate  # noqa: F401 - commands register themselves


def _error(message: str) -> None:
    sys.stderr.write(f"fivea: error: {message}\n")
    sys.stderr.flush()


class _StderrWarnings(logging.Handler):
    """The core's warnings (``logging.getLogger("fivea")``) as one stderr line each."""

    def emit(self, record: logging.LogRecord) -> None:
        _error_stream_write(f"fivea: warning: {record.getMessage()}\n")


def _route_warnings(quiet: bool) -> None:
    """Send the core's warnings to stderr, or nowhere with --quiet (no print in the core)."""
    logger = logging.getLogger("fivea")
    for handler in list(logger.handlers):
        if isinstance(handler, _StderrWarnings | logging.NullHandler):
            logger.removeHandler(handler)
    logger.addHandler(logging.NullHandler() if quiet else _StderrWarnings(logging.WARNING))
    logger.propagate = False


def run() -> None:
    """The ``fivea`` console script: ``main``, then exit without tearing the interpreter down.

    Outputs are written, renamed into place and flushed by then; finalising the interpreter
    would only free a run's frames and modules one by one (10M events: 0.2 s of a 4 s run).
    The usual exit stays after a Spark run (pyspark stops its JVM and releases its Connect
    session in exit handlers) and under a profiler, debugger or coverage (they write at exit).
    """
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # SystemExit("message"): Python prints it and exits 1
        _error_stream_write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed: nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader went away, or the stream is closed
            if stream is sys.stdout:
                code = code or ExitCode.BROKEN_PIPE
    if "pyspark" in sys.modules or sys.gettrace() is not None or sys.getprofile() is not None:
        raise SystemExit(code)  # a profiler or coverage writes its report at exit
    os._exit(code)


def _error_stream_write(text: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(text)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and map every outcome to one exit code and at most one line."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("FIVEA_DEBUG") == "1"
    if not args:
        args = ["--help"]
    _route_warnings("--quiet" in args or "-q" in args)
    _register()
    try:
        code = app(args=args, prog_name="fivea", standalone_mode=False)
        if code == ExitCode.INTERRUPTED:  # typer returns Ctrl-C as exit code 130
            _error("interrupted")
        raise SystemExit(code if isinstance(code, int) else 0)
    except FiveaError as exc:
        if debug:
            traceback.print_exc()  # the exit code stays the documented one
        _error(str(exc))
        raise SystemExit(ExitCode.USER_ERROR) from None
    except typer.Exit as exc:
        if exc.exit_code == ExitCode.INTERRUPTED:  # typer turns Ctrl-C into Exit(130)
            _error("interrupted")
        raise SystemExit(exc.exit_code) from None
    except typer.Abort as exc:
        # typer turns an EOFError into Abort; fivea never prompts, so it is a bug
        if debug:
            traceback.print_exc()
        cause = exc.__cause__ or exc
        _error(
            f"internal error ({type(cause).__name__}: {cause}); this is a bug, please report "
            "it to the fivea issue tracker with the output of --debug"
        )
        raise SystemExit(ExitCode.INTERNAL) from None
    except typer.TyperException as exc:
        # usage errors (unknown option, missing argument) in one line, like every other error
        command = next((a for a in args if not a.startswith("-")), None)
        where = f"fivea {command} --help" if command else "fivea --help"
        _error(f"{exc.format_message()} (see `{where}`)")
        raise SystemExit(ExitCode.USER_ERROR) from None
    except KeyboardInterrupt:
        _error("interrupted")
        raise SystemExit(ExitCode.INTERRUPTED) from None
    except (BrokenPipeError, StdoutClosed):
        # the reader went away (`fivea ... | head`): no traceback, and no more writes to stdout
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(ExitCode.BROKEN_PIPE) from None
    except SystemExit:
        raise
    except Exception as exc:
        if debug:
            traceback.print_exc()
        _error(
            f"internal error ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}); "
            f"this is a bug, please report it to the fivea issue tracker with the output of --debug"
        )
        raise SystemExit(ExitCode.INTERNAL) from None
