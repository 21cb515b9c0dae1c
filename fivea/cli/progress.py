"""A spinner on stderr for long scans: only on a TTY, only after a second, never with --quiet."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

DELAY_SECONDS = 1.0


def _ignore(_: str) -> None:
    return None


@contextmanager
def progress(
    message: str, quiet: bool, delay: float = DELAY_SECONDS
) -> Iterator[Callable[[str], None]]:
    """Show a transient spinner on stderr if the work inside takes longer than ``delay``.

    Yields a function that changes the spinner's message (a no-op when nothing is shown).
    """
    if quiet or not sys.stderr.isatty():
        yield _ignore
        return
    from rich.console import Console  # only on a TTY: a piped run never imports rich

    console = Console(file=sys.stderr)
    status = console.status(message, spinner="dots")
    started = threading.Event()
    lock = threading.Lock()
    done = False

    def start() -> None:
        with lock:
            if not done:
                status.start()
                started.set()

    timer = threading.Timer(delay, start)
    timer.daemon = True
    timer.start()
    try:
        yield lambda text: status.update(text)
    finally:
        with lock:
            done = True
            timer.cancel()
            if started.is_set():
                status.stop()
