"""Run ``fivea`` in a real process under the error corpus's resource limits.

Every case of the error corpus (docs/errors.md) runs in its own process with a 4 GiB address
space and a 60 s wall-clock limit, so an input that makes fivea allocate without bound or spin
fails the test as "killed" instead of taking the machine down, and a case cannot pass because
an in-process runner swallowed a signal or a stray write to the real stdout.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, CliResult, run_cli

ADDRESS_SPACE = 4 << 30  # bytes
TIMEOUT = 60.0  # seconds


def _limit() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_limited(
    *args: str,
    code: int | None = 0,
    stdin: bytes | str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> CliResult:
    """Run ``python -m fivea ARGS`` under the limits; assert the exit code like ``run_cli``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FIVEA_", "GITHUB_"))}
    base.update({"COLUMNS": "100", "NO_COLOR": "1", "FIVEA_CONFIG": ""})
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT), base.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "fivea", *args],
            input=data if data is not None else b"",
            capture_output=True,
            env={**base, **(env or {})},
            cwd=cwd or ROOT,
            timeout=TIMEOUT,
            preexec_fn=_limit,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        msg = f"fivea {' '.join(args)[:200]} ran past the corpus limit of {TIMEOUT:.0f} s"
        raise AssertionError(msg) from exc
    stdout = proc.stdout.decode(errors="replace")
    stderr = proc.stderr.decode(errors="replace")
    if code is not None:
        assert proc.returncode == code, (
            f"exit {proc.returncode} != {code}\nstdout:\n{stdout[-4000:]}\nstderr:\n{stderr[-4000:]}"
        )
    return CliResult(proc.returncode, stdout, stderr)


# --- the error corpus's helpers (tests/cli/test_input_errors*.py) ----------------------------

HEADER = "user_id,event,timestamp\n"


def error_line(*args: str, stdin: bytes | None = None, in_process: bool = False) -> str:
    """Run diagnose expecting exit 2; return its one stderr line (without the prefix).

    Each case runs in its own process under the corpus limits; ``in_process`` is for the cases
    that patch the standard library to simulate what root cannot see.
    """
    runner = run_cli if in_process else run_limited
    result = runner("diagnose", *args, "-f", "json", code=2, stdin=stdin)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fivea: error: ")
    assert result.stdout == ""
    return lines[0].removeprefix("fivea: error: ")


def report(*args: str, stdin: bytes | None = None) -> dict:
    """Run diagnose expecting exit 0 (under the corpus limits); return the parsed JSON report."""
    result = run_limited("diagnose", *args, "-f", "json", stdin=stdin)
    return json.loads(result.stdout)


def dropped(data: dict) -> dict[str, int]:
    """Rows dropped, by reason."""
    return {d["reason"]: d["rows"] for d in data["quality"]["dropped"]}


def write(path: Path, data: str | bytes) -> Path:
    """Write bytes (or UTF-8 text) to ``path``, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def config(tmp_path: Path, text: str) -> str:
    """A config over the default preset with ``text`` appended; its path."""
    path = tmp_path / "fivea.yaml"
    path.write_text("version: 1\npreset: 5a-default\n" + text, encoding="utf-8")
    return str(path)


def assert_all(line: str, *fragments: str) -> None:
    """Every fragment is in the line."""
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
