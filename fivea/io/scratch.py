"""The run's one temporary folder: every temp file of a run lives in it, removed at exit.

Standard input copied to disk, transcoded text, the Parquet spool of a partitioned scan: all go
into one ``fivea-XXXXXXXX`` folder under the system temp folder (``$TMPDIR``), created on first
use with mode 0700 and removed as a whole when the command ends, whether it succeeds, fails, is
interrupted (Ctrl-C) or terminated (SIGTERM). See docs/errors.md ("Outputs").
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_folder: Path | None = None
_lock = threading.Lock()
_runs = 0  # runs under way (the API may run several at once, in threads)


def scratch_folder() -> Path:
    """The run's temp folder, created on first use."""
    global _folder
    with _lock:
        here = Path(tempfile.gettempdir())
        if _folder is None or not _folder.is_dir() or _folder.parent != here:
            _folder = Path(tempfile.mkdtemp(prefix="fivea-"))
        return _folder


def scratch_file(prefix: str = "", suffix: str = "") -> tuple[int, str]:
    """A new temp file in the run's folder: ``(descriptor, path)`` as ``tempfile.mkstemp``."""
    return tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=scratch_folder())


def remove_scratch() -> None:
    """Remove the temp folder and everything in it (safe to call more than once)."""
    global _folder
    with _lock:
        folder, _folder = _folder, None
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_run() -> Iterator[None]:
    """One run (a command, a ``fivea.diagnose`` call): the folder goes when the last run ends."""
    global _runs
    with _lock:
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            last = _runs == 0
        if last:
            remove_scratch()


# files made outside a run (sources and readers used directly) go at interpreter exit
atexit.register(remove_scratch)
if hasattr(os, "register_at_fork"):  # a forked child makes its own folder, never removes ours
    os.register_at_fork(after_in_child=lambda: globals().__setitem__("_folder", None))
