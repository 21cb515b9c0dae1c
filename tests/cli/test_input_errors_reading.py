"""Reading input files, hardened (issue #17): the cases an adversarial tester found.

Each case runs in its own process under the corpus limits (tests/limits.py: 4 GiB, 60 s), like
tests/cli/test_input_errors.py. Cannot-analyse inputs exit 2 with one line naming the file, the
place and the fix; must-read inputs exit 0 with every row read or counted with a reason.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.limits import run_limited

HEADER = "user_id,event,timestamp\n"


def error_line(*args: str, stdin: bytes | None = None, in_process: bool = False) -> str:
    """Run diagnose expecting exit 2; return its one stderr line (without the prefix)."""
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
    return {d["reason"]: d["rows"] for d in data["quality"]["dropped"]}


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def assert_all(line: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"


def rows(n: int, start: int = 0) -> str:
    return "".join(f"u{i},page_view,2024-05-01T10:{i % 60:02d}:00Z\n" for i in range(start, n))


# --- resources: cost linear in the columns ----------------------------------------------------


def test_ten_thousand_columns_finish_under_the_limits(tmp_path: Path) -> None:
    # 10,003 columns x 1,000 rows: the per-column row hash of the duplicate count used to nest
    # one expression per column, planned in more than quadratic time (4,000 x 3 took 135 s)
    extra = [f"c{i}" for i in range(10_000)]
    lines = [",".join(["user_id", "event", "timestamp", *extra])]
    for r in range(1000):
        k = r % 500  # rows 500..999 repeat rows 0..499
        cells = [f"u{k % 100}", "page_view", f"2024-05-01T10:{k % 60:02d}:00Z"]
        lines.append(",".join(cells + [str((k + i) % 7) for i in range(len(extra))]))
    path = write(tmp_path / "wide.csv", "\n".join(lines) + "\n")
    data = report(str(path))
    assert data["quality"]["rows_read"] == 1000
    assert data["quality"]["duplicates"] == 500
    assert data["persons"] == 100
