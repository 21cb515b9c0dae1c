"""Exit codes that need a real process: broken pipe (141) and Ctrl-C (130)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fivea.authoring.sample import generate_sample, write_sample
from tests.conftest import ROOT

FIVEA = [sys.executable, "-m", "fivea"]


@pytest.mark.parametrize("args", [["-f", "json"], [], ["-f", "markdown"]])
def test_broken_pipe_exits_141_without_traceback(args: list[str]) -> None:
    # the reader exits at once, so fivea's first write hits a closed pipe
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [*FIVEA, "diagnose", str(ROOT / "sample_data" / "events.csv"), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert b"Traceback" not in proc.stderr
    assert proc.stderr == b""


def test_interrupt_exits_130_and_leaves_no_output(tmp_path: Path) -> None:
    events = tmp_path / "events.parquet"
    write_sample(generate_sample(people=400_000, seed=3), events)  # runs well past 1.5 s
    report = tmp_path / "report.json"
    with subprocess.Popen(
        [*FIVEA, "diagnose", str(events), "-o", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        time.sleep(1.5)
        if proc.poll() is not None:
            pytest.skip("the run finished before it could be interrupted on this machine")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert b"Traceback" not in stderr
    assert stderr.strip().endswith(b"interrupted")
    assert not report.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.parquet"]


def test_the_fast_exit_flushes_stdout_and_keeps_the_exit_code(tmp_path: Path) -> None:
    # the console script ends with os._exit (no interpreter teardown): what was written to a
    # pipe and to -o must be complete, and the exit code the command's own
    sample = str(ROOT / "sample_data" / "events.csv")
    proc = subprocess.run(
        [*FIVEA, "diagnose", sample, "-f", "json"], capture_output=True, timeout=120, check=False
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["persons"] > 0
    report = tmp_path / "report.md"
    proc = subprocess.run(
        [*FIVEA, "diagnose", sample, "-o", str(report)], capture_output=True, timeout=120
    )
    assert proc.returncode == 0
    assert report.read_text(encoding="utf-8").startswith("# ")
    missing = subprocess.run(
        [*FIVEA, "diagnose", str(tmp_path / "none.csv")], capture_output=True, timeout=120
    )
    assert missing.returncode == 2
    assert missing.stderr.decode().count("\n") == 1


@pytest.mark.parametrize(
    ("raised", "code", "stderr"), [(None, 0, ""), (3, 3, ""), ("bad", 1, "bad\n")]
)
def test_the_console_script_maps_every_system_exit(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: object,
    code: int,
    stderr: str,
) -> None:
    import fivea.cli as cli

    class Exited(Exception):
        pass

    def fake_exit(status: int) -> None:
        raise Exited(status)

    def fake_main() -> None:
        raise SystemExit(raised)

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    with pytest.raises(Exited) as exited:
        cli.run()
    assert exited.value.args == (code,)
    assert capsys.readouterr().err == stderr


def test_a_closed_stdout_is_no_traceback() -> None:
    import os

    proc = subprocess.run(
        [*FIVEA, "--version"],
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),  # the child starts with stdout closed
        timeout=60,
        check=False,
    )
    assert b"Traceback" not in proc.stderr
    assert proc.returncode == 0


def test_after_spark_the_console_script_exits_normally(monkeypatch: pytest.MonkeyPatch) -> None:
    # pyspark stops its JVM and releases its Connect session in exit handlers: keep them
    import types

    import fivea.cli as cli

    def no_fast_exit(status: int) -> None:
        raise AssertionError(f"os._exit({status}) after Spark")

    def fake_main() -> None:
        raise SystemExit(1)

    monkeypatch.setitem(sys.modules, "pyspark", types.ModuleType("pyspark"))
    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(cli.os, "_exit", no_fast_exit)
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 1


def test_under_a_profiler_the_console_script_exits_normally(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # cProfile, pyinstrument and coverage write their report at exit: no os._exit under them
    import fivea.cli as cli

    def no_fast_exit(status: int) -> None:
        raise AssertionError(f"os._exit({status}) under a profiler")

    def fake_main() -> None:
        raise SystemExit(0)

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(cli.os, "_exit", no_fast_exit)
    monkeypatch.setattr(cli.sys, "getprofile", lambda: object())
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 0
