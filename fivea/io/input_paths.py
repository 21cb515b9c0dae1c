"""Input paths to event files: folders (recursively, hive ``key=value`` folders included) and
globs expanded in byte order (docs/input.md, "Folders and globs"); what a file suffix implies;
a path not found explained.

``fivea.io.sources`` turns the files into sources; ``fivea.io.output`` uses the same expansion
to keep outputs off the inputs.
"""

from __future__ import annotations

import difflib
import glob
import os
from pathlib import Path
from urllib.parse import unquote

from fivea.errors import InputError

# the format a file suffix implies (shared by the local readers and the Spark engine)
SUFFIX_FORMAT = {
    ".csv": "csv",
    ".tsv": "csv",
    ".psv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}
SUFFIX_SEPARATOR = {".tsv": "\t", ".psv": "|"}
# a folder may hold notes next to the data: .txt is read only when named explicitly
FOLDER_SUFFIXES = tuple(s for s in SUFFIX_FORMAT if s != ".txt")
_COMPRESSION_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def _strip_compression(name: str) -> str:
    lowered = name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def format_suffix(path: Path) -> str:
    """The suffix that names the file's format, a compression suffix stripped (``.csv.gz``)."""
    return Path(_strip_compression(path.name)).suffix.lower()


def hidden(relative: Path) -> bool:
    """Whether a path below an input folder is a writer's leftover the reader skips."""
    # `_SUCCESS`, `.crc`, `_temporary/` and dot folders are writer leftovers, not data
    return any(part.startswith((".", "_")) for part in relative.parts)


def byte_order(path: Path) -> bytes:
    """The sort key of input order: the path's bytes."""
    return os.fsencode(path)


def hive_partitions(relative_parent: Path) -> tuple[tuple[str, str | None], ...]:
    """The ``key=value`` folders of a file's path below the input root, as (key, value)."""
    pairs = []
    for part in relative_parent.parts:
        key, sep, value = part.partition("=")
        if sep and key:
            text = unquote(value)
            pairs.append((unquote(key), None if text in ("", HIVE_NULL) else text))
    return tuple(pairs)


def _walk(root: Path) -> list[Path]:
    """Every file below ``root`` outside hidden folders; a folder that cannot be listed is an
    error (its files would be skipped without a word)."""
    found: list[Path] = []

    def refuse(error: OSError) -> None:
        where = error.filename or root
        reason = "permission denied" if isinstance(error, PermissionError) else error.strerror
        msg = (
            f"{where}: cannot list this folder ({reason or error}); make it readable "
            "(chmod +rx) or move it out of the input folder"
        )
        raise InputError(msg)

    # symbolic links to folders are not followed (as before: no cycles, no reading twice)
    for folder, dirs, names in os.walk(root, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        found.extend(Path(folder, n) for n in names)
    return found


def folder_files(root: Path, raw: str) -> list[tuple[Path, Path]]:
    """The data files below ``root`` (given as ``raw``) with their paths below it, in byte order."""
    data = [
        p
        for p in _walk(root)
        if not hidden(p.relative_to(root)) and format_suffix(p) in FOLDER_SUFFIXES
    ]
    for path in data:
        if not path.is_file():  # a data file's name that would be skipped without a word
            what = (
                f"a broken symbolic link (to {os.readlink(path)})"
                if path.is_symlink() and not path.exists()
                else "not a regular file (a pipe or a device)"
            )
            msg = f"{path}: {what}; fix it, remove it from the folder, or name a pipe directly"
            raise InputError(msg)
    files = sorted(((p, p.relative_to(root)) for p in data), key=lambda pair: byte_order(pair[0]))
    if not files:
        held = sorted(p.name for p in root.iterdir())[:6]
        holds = f" (it holds: {', '.join(held)})" if held else " (it is empty)"
        msg = (
            f"{raw}: the folder holds no data files{holds}; fivea reads "
            ".csv, .tsv, .parquet, .ndjson, .jsonl and .json files (also .gz or .zst) "
            "in it and its subfolders"
        )
        raise InputError(msg)
    return files


def _glob_root(raw: str) -> Path:
    fixed = []
    for part in Path(raw).parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def glob_files(raw: str) -> list[tuple[Path, Path]]:
    """The files a glob matches (folders expanded) with their paths below its fixed root."""
    root = _glob_root(raw)
    found: list[tuple[Path, Path]] = []
    for match in glob.glob(raw, recursive=True):
        path = Path(match)
        if path.is_dir():
            found.extend((p, p.relative_to(root)) for p, _ in folder_files(path, match))
        elif path.is_file() and not hidden(Path(path.name)):
            found.append((path, path.relative_to(root) if path.is_relative_to(root) else path))
    if not found:
        msg = f"{raw}: no file matches this pattern; check the pattern (quote it so the shell does not expand it)"
        raise InputError(msg)
    return sorted(found, key=lambda pair: byte_order(pair[0]))


def not_found(raw: str) -> InputError:
    """The error for a path that names nothing: a broken link, a close name, a missing folder."""
    path = Path(raw)
    if path.is_symlink():
        msg = (
            f"{raw}: a broken symbolic link (to {os.readlink(path)}); point it at an existing file"
        )
        return InputError(msg)
    parent = path.parent if str(path.parent) else Path()
    hint = ""
    if parent.is_dir():
        names = [p.name for p in parent.iterdir()]
        close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.8)
        if close:
            hint = f"did you mean '{parent / close[0]}'? "
    elif str(parent) not in ("", "."):
        hint = f"the folder '{parent}' does not exist either; "
    msg = f"{raw}: file not found; {hint}check the path (a folder or a quoted glob works too)"
    return InputError(msg)
