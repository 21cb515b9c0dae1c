"""The typer app and the one error handler every command goes through (README.md#exit-codes).

Exit codes: 0 ok, 1 a check failed, 2 usage/config/input error, 3 internal error (a bug),
130 interrupted (Ctrl-C), 141 broken pipe, 143 terminated (SIGTERM).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import NoReturn

import typer

from fivea import __version__
from fivea.cli.allocator import return_memory_promptly
from fivea.cli.collector import collect_after_start_up
from fivea.errors import ExitCode, FiveaError, StdoutClosed, Terminated
from fivea.io.scratch import scratch_run

return_memory_promptly()  # before polars is imported (fivea/cli/allocator.py)

EPILOG = (
    "Exit codes: 0 ok (warnings allowed), 1 a check failed, 2 usage, config or input error, "
    "3 internal error (please report), 130 interrupted, 141 broken pipe, 143 terminated."
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


#: the commands, each in the module of its name, in the order ``fivea --help`` lists them
COMMANDS = ("check", "diagnose", "init", "presets", "report", "sample", "stages", "validate")


def _register(args: list[str]) -> None:
    """Import the command modules (each registers its command): only the one run, if named.

    A run imports and builds one command, not eight (docs/performance.md, "Start-up"). Help,
    completion and an unknown name need them all, listed in the order of ``COMMANDS``.
    """
    import importlib

    name = next((a for a in args if not a.startswith("-")), None)
    complete = "_FIVEA_COMPLETE" in os.environ  # typer's shell completion lists every command
    wanted = (name,) if name in COMMANDS and not complete else COMMANDS
    for command in wanted:
        importlib.import_module(f"fivea.cli.{command}")
    if len(wanted) > 1:  # one run after another in this process registered them out of order
        app.registered_commands.sort(
            key=lambda info: COMMANDS.index(info.name or info.callback.__name__)
        )


def _error(message: str) -> None:
    from fivea.render.text import safe_text  # a name from the data must not drive the terminal

    sys.stderr.write(f"fivea: error: {safe_text(message)}\n")
    sys.stderr.flush()


class _StderrWarnings(logging.Handler):
    """The core's warnings (``logging.getLogger("fivea")``) as one stderr line each."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self._said: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message in self._said:  # a second phase-1 pass (docs/performance.md) says it again
            return
        self._said.add(message)
        _error_stream_write(f"fivea: warning: {message}\n")


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
    _text_streams()
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
        except BrokenPipeError:
            if stream is sys.stdout:
                code = code or ExitCode.BROKEN_PIPE
        except OSError as exc:  # stdout on a full disk (`fivea --help > /dev/full`): exit 2
            if stream is sys.stdout and not code:
                from fivea.io.output import write_error

                _error(str(write_error("standard output", "", exc)))
                code = ExitCode.USER_ERROR
        except ValueError:  # the stream is closed: the reader went away
            if stream is sys.stdout:
                code = code or ExitCode.BROKEN_PIPE
    if "pyspark" in sys.modules or sys.gettrace() is not None or sys.getprofile() is not None:
        raise SystemExit(code)  # a profiler or coverage writes its report at exit
    os._exit(code)


def _text_streams() -> None:
    """stdout writes UTF-8 whatever ``PYTHONIOENCODING`` or the locale say; stderr never fails.

    JSON, HTML and JUnit declare UTF-8, and `-o` files are UTF-8, so a payload in another
    encoding would be wrong or a crash (``PYTHONIOENCODING=ascii``: exit 3 at the first "→").
    Messages on stderr keep the terminal's encoding; a character it lacks is written as an
    escape (``\\u2192``) instead of failing (docs/errors.md, Outputs).
    """
    for stream, encoding in ((sys.stdout, "utf-8"), (sys.stderr, None)):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:  # closed at start, or replaced by an embedding program
            continue
        with contextlib.suppress(OSError, ValueError, LookupError):
            if encoding is None:
                reconfigure(errors="backslashreplace")
            else:
                reconfigure(encoding=encoding, errors="backslashreplace")


def _error_stream_write(text: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(text)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and map every outcome to one exit code and at most one line."""
    with collect_after_start_up():  # fivea/cli/collector.py
        _main(argv)


def _main(argv: list[str] | None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("FIVEA_DEBUG") == "1"
    if not args:
        args = ["--help"]
    _route_warnings("--quiet" in args or "-q" in args)
    _register(args)
    previous = _on_sigterm()
    try:
        with scratch_run():  # the run's temp folder (fivea/io/scratch.py) goes on every way out
            try:
                _run_app(args, debug)
            finally:
                if previous is not None:  # the command is over: let the clean-up finish
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except Terminated:  # arrived in the instant between the command's end and the clean-up
        _error("terminated")
        raise SystemExit(ExitCode.TERMINATED) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    # a second SIGTERM during the clean-up ends the process at once (the default action)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated


def _on_sigterm() -> signal.Handlers | Callable[..., object] | int | None:
    """Turn SIGTERM into ``Terminated`` so it unwinds like Ctrl-C; the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None  # only the main thread may set handlers (fivea embedded in a thread)
    return signal.signal(signal.SIGTERM, _terminate)


def _run_app(args: list[str], debug: bool) -> None:
    """Run the app and map every outcome to one exit code and at most one line."""
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
        # typer words a bad choice "Value error, 'x' is not one of ...": the prefix says nothing
        message = exc.format_message().replace("Value error, ", "")
        _error(f"{message} (see `{where}`)")
        raise SystemExit(ExitCode.USER_ERROR) from None
    except KeyboardInterrupt:
        _error("interrupted")
        raise SystemExit(ExitCode.INTERRUPTED) from None
    except Terminated:
        _error("terminated")
        raise SystemExit(ExitCode.TERMINATED) from None
    except (BrokenPipeError, StdoutClosed):
        # the reader went away (`fivea ... | head`): no traceback, and no more writes to stdout
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(ExitCode.BROKEN_PIPE) from None
    except SystemExit as exc:
        if exc.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            # typer turns EPIPE while printing --help or --version into exit 1; it is 141
            raise SystemExit(ExitCode.BROKEN_PIPE) from None
        raise
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            _internal(exc, debug)
        # a full disk is the machine's state, not a bug: stdout (--help > /dev/full) or a
        # temporary file (fivea/io/scratch.py) that did not fit
        where = f" writing {exc.filename}" if exc.filename else ""
        _error(
            f"the disk is full{where} ({exc.strerror}); free some space where the output goes, "
            "or set TMPDIR to a folder on a larger disk for temporary files"
        )
        raise SystemExit(ExitCode.USER_ERROR) from None
    except Exception as exc:
        _internal(exc, debug)


def _internal(exc: Exception, debug: bool) -> NoReturn:
    """Anything else is a bug: exit 3 with one line asking to report it."""
    if debug:
        traceback.print_exc()
    _error(
        f"internal error ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}); "
        f"this is a bug, please report it to the fivea issue tracker with the output of --debug"
    )
    raise SystemExit(ExitCode.INTERNAL) from None
