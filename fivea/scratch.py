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
from pathlib import Path

_folder: Path | None = None


def scratch_folder() -> Path:
    """The run's temp folder, created on first use."""
    global _folder
    if _folder is None or not _folder.is_dir() or _folder.parent != Path(tempfile.gettempdir()):
        _folder = Path(tempfile.mkdtemp(prefix="fivea-"))
    return _folder


def scratch_file(prefix: str = "", suffix: str = "") -> tuple[int, str]:
    """A new temp file in the run's folder: ``(descriptor, path)`` as ``tempfile.mkstemp``."""
    return tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=scratch_folder())


def remove_scratch() -> None:
    """Remove the run's temp folder and everything in it (safe to call more than once)."""
    global _folder
    folder, _folder = _folder, None
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


# the library API (fivea.diagnose) has no end of run: remove the folder at interpreter exit
atexit.register(remove_scratch)
os.register_at_fork(after_in_child=lambda: globals().__setitem__("_folder", None))
