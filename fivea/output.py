"""Writing reports: atomic replace, output formats by extension, never over an input (SPEC §5)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fivea.errors import UsageError

FORMATS = ("table", "json", "markdown", "csv", "html", "junit", "github")
_BY_SUFFIX = {
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
    ".xml": "junit",
    ".txt": "table",
}


def format_for(path: str, explicit: str | None) -> str:
    """The format of an output file: its extension, or ``--format`` for unknown extensions."""
    suffix = Path(path).suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if explicit:
        return explicit
    known = ", ".join(sorted(_BY_SUFFIX))
    msg = f"--output {path}: cannot tell the format from the extension; use one of {known} or --format"
    raise UsageError(msg)


def expand_name(path: str, as_of_date: str) -> str:
    """Replace ``{as_of}`` in an output name with the analysis date (cron lines need no date)."""
    return path.replace("{as_of}", as_of_date)


def refuse_inputs(outputs: list[str], inputs: list[str]) -> None:
    """An output path equal to an input is refused before anything is read."""
    resolved = set()
    for name in inputs:
        if name != "-":
            try:
                resolved.add(Path(name).resolve())
            except OSError:
                continue
    for out in outputs:
        if Path(out).resolve() in resolved:
            msg = f"--output {out}: is one of the input files; choose another name (inputs are never overwritten)"
            raise UsageError(msg)


def check_writable(path: str) -> None:
    """Fail early (before the scan) when the output folder is missing or not writable."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        msg = f"--output {path}: folder {folder} does not exist; create it first"
        raise UsageError(msg)
    if not os.access(folder, os.W_OK):
        msg = f"--output {path}: folder {folder} is not writable"
        raise UsageError(msg)


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder and a rename.

    A reader never sees a half-written report; the temp file gets ordinary permissions
    (``0o666 & ~umask``) since ``mkstemp`` creates it 0600.
    """
    target = Path(path)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.resolve().parent
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        temp.chmod(0o666 & ~umask)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
