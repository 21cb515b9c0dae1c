"""Shared test helpers: run the CLI in-process with the real error handler."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from fivea.cli import main

# No per-example deadline anywhere: CI runs on 2 shared cores, and timing is for benchmarks/
settings.register_profile("fivea", deadline=None)
settings.load_profile("fivea")

ROOT = Path(__file__).resolve().parent.parent
# Small excerpts of public real logs, vendored with their attribution (tests/fixtures/real-data/README.md)
REAL_DATA = ROOT / "tests" / "fixtures" / "real-data"
SAMPLE_DATA = ROOT / "sample_data"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* files")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(
    *args: str,
    code: int | None = 0,
    stdin: bytes | str | None = None,
    env: dict[str, str] | None = None,
) -> CliResult:
    """Run ``fivea ARGS`` through ``main`` (the real error handler); assert the exit code."""
    runner = CliRunner()
    base_env = {"COLUMNS": "100", "NO_COLOR": "1", "FIVEA_CONFIG": ""}
    with runner.isolation(input=stdin, env={**base_env, **(env or {})}) as (out, err, _):
        try:
            main(list(args))
            rc = 0
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        stdout = out.getvalue().decode()
        stderr = err.getvalue().decode()
    if code is not None:
        assert rc == code, f"exit {rc} != {code}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    return CliResult(rc, stdout, stderr)


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with tests/golden/NAME, or rewrite it with --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update or not path.exists():
            if not update:
                pytest.fail(f"golden file {path} missing; run pytest --update-golden and review it")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"

    return check
