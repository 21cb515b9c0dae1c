"""Writing files: the one atomic writer, formats by extension, never over an input (README.md#output-formats).

Every file fivea writes (``-o`` reports, ``fivea sample``, ``fivea init``, the JUnit error file)
goes through ``write_atomic``; the rules are in docs/errors.md ("Outputs").
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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

Content = str | bytes | Callable[[BinaryIO], None]


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


# --- never over an input ---------------------------------------------------------------------


@dataclass(frozen=True)
class InputFiles:
    """The files a run reads (folders and globs expanded), by resolved path and by inode."""

    names: dict[Path, str]  # resolved path -> the name as the user can recognise it
    inodes: dict[tuple[int, int], str]  # (st_dev, st_ino) -> name: hard links and bind mounts
    folders: dict[Path, str] = dataclasses.field(default_factory=dict)  # resolved -> as given

    def folder_reading(self, output: str) -> str | None:
        """The input folder that would read ``output`` as events on the next run, or None.

        A cron line ``fivea report d/ -o d/5a-{as_of}.json`` would otherwise feed each day's
        report into the next day's input (docs/errors.md, Outputs).
        """
        from fivea.io.input_paths import FOLDER_SUFFIXES, format_suffix, hidden

        try:
            target = Path(output).resolve()
        except (OSError, RuntimeError, ValueError):
            return None
        for folder, shown in self.folders.items():
            if target.is_relative_to(folder):
                inside = target.relative_to(folder)
                if not hidden(inside) and format_suffix(target) in FOLDER_SUFFIXES:
                    return shown
        return None

    def find(self, output: str) -> str | None:
        """The input that ``output`` would overwrite, or None."""
        path = Path(output)
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            found = self.names.get(path.resolve())
            if found is not None:
                return found
        try:
            info = path.stat()
        except (OSError, ValueError):
            return None  # nothing there yet: it cannot be an input
        return self.inodes.get((info.st_dev, info.st_ino))


def input_files(inputs: Iterable[str]) -> InputFiles:
    """Expand the inputs the way the reader does; names that do not resolve are left out.

    Unreadable or missing inputs are reported by the reader itself, with their own message.
    """
    from fivea.errors import InputError
    from fivea.io.input_paths import folder_files, glob_files  # the reader's own rules

    names: dict[Path, str] = {}
    inodes: dict[tuple[int, int], str] = {}
    folders: dict[Path, str] = {}
    for raw in inputs:
        if raw == "-":
            continue
        path = Path(raw)
        try:
            if path.is_dir():
                folders.setdefault(path.resolve(), raw)
                files = [file for file, _ in folder_files(path, raw)]
            elif path.exists() or path.is_symlink():
                files = [path]
            else:
                files = [file for file, _ in glob_files(raw)]
        except (InputError, OSError, ValueError):
            continue
        for file in files:
            try:
                info = file.stat()
                resolved = file.resolve()
            except (OSError, RuntimeError, ValueError):
                continue
            if not stat.S_ISREG(info.st_mode):
                continue  # a device or pipe read as input is not destroyed by writing to it
            names.setdefault(resolved, str(file))
            inodes.setdefault((info.st_dev, info.st_ino), str(file))
    return InputFiles(names, inodes, folders)


def refuse_inputs(
    outputs: Iterable[str], inputs: InputFiles | Iterable[str], as_of_date: str | None = None
) -> None:
    """An output that is one of the input files is refused before anything is written.

    With ``as_of_date`` the names are compared after ``{as_of}`` is replaced.
    """
    files = inputs if isinstance(inputs, InputFiles) else input_files(inputs)
    for out in outputs:
        target = out if as_of_date is None else expand_name(out, as_of_date)
        found = files.find(target)
        folder = files.folder_reading(target) if found is None else None
        if found is not None:
            why = (
                f"is one of the input files ({found}); choose another name "
                "(inputs are never overwritten)"
            )
        elif folder is not None:
            why = (
                f"inside the input folder {folder}, where the next run would read it as events; "
                "write it outside that folder (or into a subfolder whose name starts with _, "
                "which the reader skips)"
            )
        else:
            continue
        shown = out if target == out else f"{out} ({target})"
        msg = f"--output {shown}: {why}"
        raise UsageError(msg)


# --- checks before the scan ------------------------------------------------------------------


def check_writable(path: str, label: str = "--output", example: str | None = None) -> None:
    """Fail early (before the scan) when the output cannot be written where it is named."""
    target = Path(path)
    if target.is_dir():
        name = example or _example(path)
        msg = f"{label} {path}: is a folder; name a file in it, e.g. {target / name}"
        raise UsageError(msg)
    if target.exists() and not target.is_file():
        if not os.access(target, os.W_OK):
            msg = f"{label} {path}: permission denied; choose a file you may write"
            raise UsageError(msg)
        return  # a device or a pipe: written through, see write_atomic
    if "{as_of}" in str(target.parent):
        return  # the folder is known only after the scan; write_atomic reports it then
    folder = target.resolve().parent
    if not folder.is_dir():
        msg = f"{label} {path}: folder {folder} does not exist; create it first"
        raise UsageError(msg)
    if not os.access(folder, os.W_OK):
        msg = f"{label} {path}: folder {folder} is not writable; choose another folder"
        raise UsageError(msg)


def _example(path: str) -> str:
    suffix = Path(path).suffix
    return f"report{suffix}" if suffix else "report.md"


# --- the writer --------------------------------------------------------------------------------


def umask() -> int:
    """The process umask, read without changing it where the OS can tell (threads may run)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it; restore at once
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], content: Content, label: str = "--output") -> None:
    """Write ``content`` to ``path``: a temp file in the same folder, then one rename.

    A reader never sees a half-written file and a failed write keeps the old one. The file gets
    the mode of any new file, ``0o666 & ~umask`` (``mkstemp`` creates 0600). A symbolic link is
    followed (the file it points at is replaced, the link stays). A device or a pipe
    (``/dev/null``, ``/dev/stdout``, a FIFO) is written through, never renamed over. The temp name
    is short (``.fivea-XXXXXXXX.tmp``), so any valid file name can be written. An ``OSError``
    (disk full, permission, read-only file system...) becomes a one-line ``UsageError``.

    ``content``: text (written as UTF-8, newlines as given), bytes, or a function that writes
    to a binary file.
    """
    name = os.fspath(path)
    target = Path(os.path.realpath(name))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise write_error(label, name, exc) from exc
    if mode is not None and stat.S_ISDIR(mode):
        msg = f"{label} {name}: is a folder; name a file in it, e.g. {Path(name) / _example(name)}"
        raise UsageError(msg)
    try:
        if mode is not None and not stat.S_ISREG(mode):
            with open(target, "wb") as out:  # a device or a pipe: no temp file, no rename
                _put(out, content)
            return
        _replace(target, content)
    except OSError as exc:
        raise write_error(label, name, exc) from exc


def _put(out: BinaryIO, content: Content) -> None:
    if isinstance(content, str):
        out.write(content.encode("utf-8"))
    elif isinstance(content, bytes):
        out.write(content)
    else:
        content(out)
    out.flush()


def _replace(target: Path, content: Content) -> None:
    handle, temp_name = tempfile.mkstemp(prefix=".fivea-", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            _put(out, content)
            os.fsync(out.fileno())
        temp.chmod(0o666 & ~umask())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


_WHY = {
    errno.ENOSPC: "the disk is full; free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere",
    errno.EACCES: "permission denied; choose a file and folder you may write",
    errno.EPERM: "permission denied; choose a file and folder you may write",
    errno.EROFS: "the file system is read-only; write elsewhere",
    errno.ENAMETOOLONG: "the file name is too long; choose a shorter name",
    errno.EISDIR: "is a folder; name a file in it",
    errno.ENOTDIR: "a part of the path is a file, not a folder; check the path",
    errno.ENOENT: "the folder does not exist; create it first",
    errno.EFBIG: "the file is too large for this file system; write elsewhere",
    errno.ELOOP: "too many symbolic links; check the path",
}


def write_error(label: str, name: str, exc: OSError) -> UsageError:
    """The one-line error for an ``OSError`` while writing ``name`` (files, stdout, summaries)."""
    why = _WHY.get(exc.errno or 0) or f"cannot write ({exc.strerror or exc}); check the path"
    where = f"{label} {name}" if name else label
    return UsageError(f"{where}: {why}")
