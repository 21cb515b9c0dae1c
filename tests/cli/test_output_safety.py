"""Outputs (docs/errors.md, "Outputs"): never over an input or a device, one-line errors, clean-up.

Each case runs fivea in its own process (``tests.limits.run_limited``): the exit code, the one
line on stderr and the files left behind are what a user sees.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fivea.io import output
from tests.conftest import ROOT
from tests.limits import run_limited

SAMPLE = ROOT / "sample_data" / "events.csv"
AS_OF = "2025-06-30"  # the analysis date of sample_data/events.csv (its last event)
CHECKS = 'version: 1\npreset: 5a-default\nchecks:\n  - {metric: par, fail: "< 0.02"}\n'


def error_line(result) -> str:
    """The one stderr line of a failed run."""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An input folder holding one export, as a cron job would read it."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "events.csv").write_bytes(SAMPLE.read_bytes())
    return data


# --- inputs are never overwritten -----------------------------------------------------------


@pytest.mark.parametrize(
    "inputs",
    [["d"], ["d/*.csv"], ["d/events.csv"], ["d/../d/events.csv"]],
    ids=["folder", "glob", "file", "dotdot"],
)
def test_an_output_over_an_expanded_input_is_refused(
    tmp_path: Path, folder: Path, inputs: list[str]
) -> None:
    before = (folder / "events.csv").read_bytes()
    result = run_limited("report", *inputs, "-o", "d/events.csv", code=2, cwd=tmp_path)
    line = error_line(result)
    assert "--output d/events.csv: is one of the input files (d" in line
    assert "inputs are never overwritten" in line
    assert (folder / "events.csv").read_bytes() == before


def test_an_as_of_name_that_expands_to_an_input_is_refused(tmp_path: Path) -> None:
    data = tmp_path / f"r-{AS_OF}.csv"
    data.write_bytes(SAMPLE.read_bytes())
    result = run_limited("report", data.name, "-o", "r-{as_of}.csv", code=2, cwd=tmp_path)
    assert f"--output r-{{as_of}}.csv (r-{AS_OF}.csv): is one of the input files" in error_line(
        result
    )
    assert data.read_bytes() == SAMPLE.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [data.name]


def test_a_hard_link_or_symlink_to_an_input_is_refused(tmp_path: Path, folder: Path) -> None:
    os.link(folder / "events.csv", tmp_path / "hard.csv")
    (tmp_path / "soft.csv").symlink_to(folder / "events.csv")
    for name in ("hard.csv", "soft.csv"):
        result = run_limited("report", "d", "-o", name, code=2, cwd=tmp_path)
        assert f"--output {name}: is one of the input files (d/events.csv)" in error_line(result)
    assert (folder / "events.csv").read_bytes() == SAMPLE.read_bytes()


def test_the_junit_error_file_never_overwrites_an_input(tmp_path: Path) -> None:
    # the run fails (exit 2) because -o names the input; the JUnit error writer used to write
    # its <error> case over that very input right after saying it never would
    events = tmp_path / "events.xml"
    events.write_bytes(SAMPLE.read_bytes())
    (tmp_path / "k.yaml").write_text(CHECKS)
    result = run_limited(
        "check", "events.xml", "-c", "k.yaml", "-o", "events.xml", code=2, cwd=tmp_path
    )
    assert "is one of the input files" in error_line(result)
    assert events.read_bytes() == SAMPLE.read_bytes()


def test_the_junit_error_file_is_still_written_elsewhere(tmp_path: Path) -> None:
    result = run_limited(
        "check", str(SAMPLE), "-c", "missing.yaml", "-o", "checks-{as_of}.xml", code=2, cwd=tmp_path
    )
    assert "missing.yaml" in error_line(result)
    (written,) = tmp_path.glob("checks-*.xml")
    assert "{as_of}" not in written.name  # today's date: the run failed before its as-of
    assert '<error message="' in written.read_text()


# --- devices and pipes are written through, never renamed over ------------------------------


def _device(path: Path, major: int, minor: int) -> Path:
    """A character device node like /dev/null (1, 3) or /dev/full (1, 7), inside tmp_path."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
        with path.open("wb"):
            pass
    except (PermissionError, OSError):
        pytest.skip("cannot create or open a device node here (needs root and a dev mount)")
    return path


def test_a_device_output_stays_a_device(tmp_path: Path) -> None:
    # as root, the old writer renamed a regular file over /dev/null; a copy of the node keeps
    # the test from touching the real one
    null = _device(tmp_path / "null.json", 1, 3)
    run_limited("diagnose", str(SAMPLE), "-o", str(null), code=0)
    assert stat.S_ISCHR(null.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null.json"]  # no temp file left


def test_a_full_disk_is_a_one_line_error(tmp_path: Path) -> None:
    full = _device(tmp_path / "full.json", 1, 7)
    result = run_limited("diagnose", str(SAMPLE), "-o", str(full), code=2)
    assert (
        error_line(result)
        == f"fivea: error: --output {full}: the disk is full; free some space or write elsewhere"
    )
    assert stat.S_ISCHR(full.stat().st_mode)


def test_a_fifo_output_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    with subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE) as reader:
        run_limited("diagnose", str(SAMPLE), "-o", str(fifo), code=0)
        try:
            data, _ = reader.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            reader.kill()
            data = b""
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert data.startswith(b"{")
    assert b'"schema_version": 1' in data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["diagnose", str(SAMPLE), "-f", "json"],
            "standard output: the disk is full; free some space",
        ),
        (["diagnose", str(SAMPLE)], "standard output: the disk is full; free some space"),
        (["--help"], "the disk is full (No space left on device); free some space"),
    ],
)
def test_stdout_on_a_full_disk_is_a_one_line_error(args: list[str], message: str) -> None:
    with open("/dev/full", "wb") as full:  # writing to it is harmless
        proc = subprocess.run(
            [sys.executable, "-m", "fivea", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
            cwd=ROOT,
        )
    assert proc.returncode == 2
    stderr = proc.stderr.decode()
    assert stderr.count("\n") == 1
    assert stderr.startswith(f"fivea: error: {message}")


# --- user errors exit 2 with one line (they exited 3) ---------------------------------------


def test_an_output_folder_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_limited("diagnose", str(SAMPLE), "-o", str(tmp_path), code=2)
    assert error_line(result) == (
        f"fivea: error: --output {tmp_path}: is a folder; name a file in it, e.g. "
        f"{tmp_path / 'report.md'}"
    )
    result = run_limited("sample", "-o", str(tmp_path), "--people", "5", code=2)
    assert "is a folder; name a file in it, e.g." in error_line(result)


def test_a_long_valid_file_name_is_written(tmp_path: Path) -> None:
    name = "r" * 240 + ".json"  # 245 characters: a valid name, too long for the old temp name
    run_limited("diagnose", str(SAMPLE), "-q", "-o", str(tmp_path / name), code=0)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_ascii_io_encoding_still_works() -> None:
    result = run_limited("diagnose", str(SAMPLE), env={"PYTHONIOENCODING": "ascii"}, code=0)
    assert "Aware → Appeal" in result.stdout or "→" in result.stdout  # stdout is UTF-8
    result = run_limited(
        "diagnose", "nope.csv", env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}, code=2
    )
    assert "nope.csv: file not found" in error_line(result)


def test_a_step_summary_folder_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(CHECKS)
    result = run_limited(
        "check",
        str(SAMPLE),
        "-c",
        str(tmp_path / "k.yaml"),
        "--step-summary",
        env={"GITHUB_STEP_SUMMARY": str(tmp_path)},
        code=2,
    )
    assert error_line(result) == (
        f"fivea: error: --step-summary: $GITHUB_STEP_SUMMARY ({tmp_path}) is a folder; "
        "point it at a file"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--people", str(10**12)],
            "--people 1,000,000,000,000: at most 10,000,000; the log is built in memory",
        ),
        (["--days", str(10**12)], "--days 1000000000000: must be from 1 to 36,500 (100 years)"),
        (["--seed", "-1"], "--seed -1: must be 0 or more"),
    ],
)
def test_absurd_sample_sizes_are_bounded(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_limited("sample", "-o", str(tmp_path / "e.csv"), *args, code=2)
    assert message in error_line(result)
    assert list(tmp_path.iterdir()) == []


# --- one atomic writer -----------------------------------------------------------------------


def test_sample_and_reports_share_one_writer_and_its_modes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIVEA_")}
    env["PYTHONPATH"] = str(ROOT)

    def fivea(*args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "fivea", *args],
            check=True,
            capture_output=True,
            timeout=120,
            env=env,
            preexec_fn=lambda: os.umask(0o027),
        )

    fivea("sample", "-o", str(tmp_path / "e.parquet"), "--people", "50")
    fivea("diagnose", str(tmp_path / "e.parquet"), "-o", str(tmp_path / "r.md"))
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"e.parquet": 0o640, "r.md": 0o640}


def test_write_sample_goes_through_write_atomic(tmp_path: Path, monkeypatch) -> None:
    import fivea.authoring.sample as sample
    import fivea.authoring.sample.writing as writing

    calls = []
    monkeypatch.setattr(writing, "write_atomic", lambda path, content: calls.append(path))
    sample.write_sample(sample.generate_sample(5), tmp_path / "e.csv")
    assert calls == [tmp_path / "e.csv"]


def test_write_atomic_follows_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    (tmp_path / "link.md").symlink_to(real)
    output.write_atomic(tmp_path / "link.md", "new")
    assert (tmp_path / "link.md").is_symlink()
    assert real.read_text() == "new"


def test_write_atomic_errors_are_usage_errors(tmp_path: Path) -> None:
    from fivea.errors import UsageError

    with pytest.raises(UsageError, match="the folder does not exist; create it first"):
        output.write_atomic(tmp_path / "no" / "r.md", "x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.access(locked, os.W_OK):  # root may write anywhere
        pytest.skip("running as root: permissions are not enforced")
    with pytest.raises(UsageError, match="permission denied"):
        output.write_atomic(locked / "r.md", "x")


# --- temporary files: one folder, removed on every way out ----------------------------------


def _events_csv(path: Path, people: int) -> Path:
    from fivea.authoring.sample import generate_sample, write_sample

    write_sample(generate_sample(people=people, seed=5), path)
    return path


def test_sigterm_removes_the_temp_folder_and_exits_143(tmp_path: Path) -> None:
    events = _events_csv(tmp_path / "events.csv", 20_000)  # about 19 MB of CSV
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT), "FIVEA_CONFIG": ""}
    report = tmp_path / "report.json"
    with (
        events.open("rb") as stdin,
        subprocess.Popen(
            # stdin is copied to a temp file; --memory forces partitions, so a Parquet spool too
            [sys.executable, "-m", "fivea", "diagnose", "-", "--memory", "8M", "-o", str(report)],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        ) as proc,
    ):
        deadline = time.monotonic() + 90
        seen: list[str] = []
        while time.monotonic() < deadline and proc.poll() is None:
            seen = sorted(str(p.relative_to(temp)) for p in temp.rglob("*"))
            if any("spool-" in name for name in seen):
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            pytest.skip("the run ended before it could be terminated on this machine")
        proc.send_signal(signal.SIGTERM)
        try:
            _, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    # one fivea-XXXX folder held every temp file of the run
    assert len({name.split("/")[0] for name in seen}) == 1, seen
    assert seen[0].startswith("fivea-")
    assert {name.split("/")[-1].split("-")[0] for name in seen[1:]} >= {"stdin", "spool"}
    assert proc.returncode == 143, stderr
    assert stderr.decode().strip().endswith("fivea: error: terminated")
    assert list(temp.iterdir()) == []
    assert not report.exists()


@pytest.mark.parametrize("code", [0, 2])
def test_stdin_leaves_no_temp_files(tmp_path: Path, code: int) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    args = ["diagnose", "-", "-f", "json"] if code == 0 else ["diagnose", "-", "-c", "none.yaml"]
    run_limited(*args, stdin=SAMPLE.read_bytes(), env={"TMPDIR": str(temp)}, code=code)
    assert list(temp.iterdir()) == []


def test_the_scratch_folder_is_one_and_removed(tmp_path: Path, monkeypatch) -> None:
    from fivea.io import scratch

    monkeypatch.setattr(scratch.tempfile, "tempdir", str(tmp_path))
    scratch.remove_scratch()
    first = scratch.scratch_file("a-")
    second = scratch.scratch_file("b-", ".parquet")
    for handle, _ in (first, second):
        os.close(handle)
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("fivea-")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {Path(first[1]).parent, Path(second[1]).parent} == {folder}
    scratch.remove_scratch()
    scratch.remove_scratch()
    assert list(tmp_path.iterdir()) == []
    with contextlib.suppress(Exception):
        scratch.remove_scratch()


def test_exit_143_is_documented() -> None:
    from tests.conftest import run_cli

    assert "143 terminated" in run_cli("--help").stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| 143 | terminated (SIGTERM" in readme
    assert "## Outputs" in (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["diagnose", "--help"]])
def test_help_and_version_into_a_closed_pipe_exit_141(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before fivea writes
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "fivea", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
            cwd=ROOT,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141  # typer said 1
    assert proc.stderr == b""


def test_the_scratch_folder_outlives_every_run_but_the_last(tmp_path: Path, monkeypatch) -> None:
    # fivea.diagnose may run in several threads at once: one run's end must not remove the
    # files another run is still reading
    from fivea.io import scratch

    monkeypatch.setattr(scratch.tempfile, "tempdir", str(tmp_path))
    scratch.remove_scratch()
    with scratch.scratch_run():
        handle, name = scratch.scratch_file("a-")
        os.close(handle)
        with scratch.scratch_run():
            pass
        assert Path(name).exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("d/r.json", 2),
        ("d/r-{as_of}.csv", 2),
        ("d/deep/r.parquet", 2),
        ("d/r.md", 0),
        ("d/_out/r.json", 0),
    ],
)
def test_a_report_the_next_run_would_read_is_refused(
    tmp_path: Path, folder: Path, name: str, code: int
) -> None:
    (folder / "_out").mkdir()
    (folder / "deep").mkdir()
    result = run_limited("report", "d", "-q", "-o", name, code=code, cwd=tmp_path)
    if code == 2:
        assert f"--output {name}: inside the input folder d, where the next run would read it" in (
            error_line(result)
        )
        assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["events.csv"]
