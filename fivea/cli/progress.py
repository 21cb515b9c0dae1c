"""A spinner on stderr for long scans: only on a TTY, only after a second, never with --quiet."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

DELAY_SECONDS = 1.0


@contextmanager
def progress(message: str, quiet: bool, delay: float = DELAY_SECONDS) -> Iterator[None]:
    """Show a transient spinner on stderr if the work inside takes longer than ``delay``."""
    if quiet or not sys.stderr.isatty():
        yield
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
        yield
    finally:
        with lock:
            done = True
            timer.cancel()
            if started.is_set():
                status.stop()
