"""Start-up stays small (docs/performance.md, "Start-up"), checked without timing anything: what a
one-row ``fivea diagnose --format json`` imports, the commands it builds, the garbage collector."""

from __future__ import annotations

import ast
import gc
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fivea.cli import COMMANDS, app, collector
from tests.conftest import run_cli

ONE_ROW = (
    "user_id,event_time,event,channel\nu0000001,2025-01-01T00:00:00.000000Z,page_view,direct\n"
)

# what a plain run must not load: each costs start-up time and only some runs need it
NOT_IMPORTED = (
    "yaml",  # the shipped presets are read parsed (fivea/presets/parsed.json)
    "rich",  # table output and the spinner only
    "numba",  # the compiled kernel: large logs only
    "numpy",
    "jinja2",
    "fivea.render.table",
    "fivea.render.html",
    "fivea.stage_report",  # `fivea stages`
    "fivea.person.compiled",
    "fivea.authoring",
    *(f"fivea.cli.{name}" for name in COMMANDS if name != "diagnose"),  # the other commands
)


@pytest.fixture
def one_row(tmp_path: Path) -> Path:
    path = tmp_path / "one-row.csv"
    path.write_text(ONE_ROW)
    return path


def test_a_one_row_diagnosis_imports_only_what_it_uses(one_row: Path) -> None:
    # a fresh interpreter, as the `fivea` command starts: which modules are loaded at the end
    code = (
        "import sys\n"
        "from fivea.cli import main\n"
        "try:\n"
        f"    main(['diagnose', {str(one_row)!r}, '--format', 'json'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "sys.stderr.write(repr((code, sorted(sys.modules))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=one_row.parent
    )
    code, modules = ast.literal_eval(done.stderr)
    assert code == 0
    assert json.loads(done.stdout)["persons"] == 1
    assert "polars" in modules
    assert "fivea.render.json" in modules
    assert sorted(set(NOT_IMPORTED) & set(modules)) == []


def test_help_lists_every_command_in_order_after_other_runs(one_row: Path) -> None:
    # each run registers only its command: a later --help in the same process must still list
    # all of them, in the order of a fresh `fivea --help`
    run_cli("presets")
    run_cli("diagnose", str(one_row), "--format", "json")
    text = run_cli("--help").stdout
    listed = [line.split()[0] for line in text.split("Commands:")[1].splitlines() if line.strip()]
    assert listed[: len(COMMANDS)] == list(COMMANDS)
    names = [info.name or info.callback.__name__ for info in app.registered_commands]
    assert names == list(COMMANDS)


def test_an_unknown_command_is_named_among_all_of_them() -> None:
    result = run_cli("diagnos", "x.csv", code=2)
    assert "No such command 'diagnos'. Did you mean 'diagnose'?" in result.stderr
    assert "(see `fivea diagnos --help`)" in result.stderr


def test_each_command_module_registers_the_command_of_its_name() -> None:
    run_cli("--help")  # imports every command module
    assert sorted(info.callback.__name__ for info in app.registered_commands) == sorted(COMMANDS)


def test_no_garbage_collection_during_a_short_command(
    one_row: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a loaded machine may take longer than the first second: no timing in this test
    monkeypatch.setattr(collector, "START_UP_SECONDS", 600.0)
    collections = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    before = gc.get_threshold()
    gc.callbacks.append(count)
    try:
        run_cli("diagnose", str(one_row), "--format", "json")
    finally:
        gc.callbacks.remove(count)
    assert collections == []
    # the collector is back as it was for the program that called main
    assert gc.isenabled()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_collector_turned_off_by_the_caller_stays_off(one_row: Path) -> None:
    gc.disable()
    try:
        run_cli("diagnose", str(one_row), "--format", "json")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_long_command_collects_from_its_first_second_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "START_UP_SECONDS", 0.05)
    with collector.collect_after_start_up():
        assert not gc.isenabled()
        for _ in range(200):  # the timer's thread turns it on
            if gc.isenabled():
                break
            threading.Event().wait(0.01)
        assert gc.isenabled()
    assert gc.isenabled()
