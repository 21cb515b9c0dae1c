"""The cyclic garbage collector during a command: off for its start-up (docs/performance.md,
"Start-up")."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

#: seconds a command runs before the cyclic garbage collector starts: a start-up's worth
START_UP_SECONDS = 1.0


@contextlib.contextmanager
def collect_after_start_up() -> Iterator[None]:
    """No cyclic garbage collection during the command's first second.

    Start-up makes some 80,000 long-lived objects the collector tracks (modules, polars,
    pydantic's schemas); run every 700 allocations, it examined them over and over as they
    came, all of them at each full collection: 25 ms of a one-row run (docs/performance.md,
    "Start-up"). A short command now never collects (memory goes back as usual, by reference
    counting); a long one collects from its first second on. The collector is on again
    afterwards for the program that called ``main``.
    """
    if not gc.isenabled():  # the caller manages the collector
        yield
        return
    gc.disable()
    # a long command: on from then, the first collection examining what start-up allocated
    timer = threading.Timer(START_UP_SECONDS, gc.enable)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        resume_collection()


def resume_collection() -> None:
    """Turn the collector on without examining what was allocated while it was off.

    Those objects go to the oldest generation as long-lived ones would (garbage among them goes
    at the next full collection); else the next allocation would examine them all at once, a
    pause as the command ends. Called on the command's thread, never the timer's: no collection
    is under way there, and freezing in the middle of one is not safe.
    """
    if gc.get_freeze_count() == 0:  # nothing frozen by anyone else: freezing and thawing
        gc.freeze()  # empties the young generations into the permanent one,
        gc.unfreeze()  # and that into the oldest
    gc.enable()
