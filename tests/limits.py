"""Run ``fivea`` in a real process under the error corpus's resource limits.

Every case of the error corpus (docs/errors.md) runs in its own process with a 4 GiB address
space and a 60 s wall-clock limit, so an input that makes fivea allocate without bound or spin
fails the test as "killed" instead of taking the machine down, and a case cannot pass because
an in-process runner swallowed a signal or a stray write to the real stdout.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, CliResult

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
