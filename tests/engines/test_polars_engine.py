"""Phase 1's polars engine: in-memory on a small log, polars' default (streaming) on a large one,
with the same result (docs/performance.md "Start-up")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fivea
from fivea.engines import local
from fivea.person.phase1 import Phase1Plan, Phase1Tables
from fivea.render.json import render_json
from tests.conftest import REAL_DATA, ROOT

SAMPLE = ROOT / "sample_data" / "events.csv"
REES46 = REAL_DATA / "rees46-oct2019-head"


def _engines_used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The engine of each phase-1 run of the local engine, as it runs."""
    seen: list[str] = []
    real = local.run_phase1

    def spy(scan: object, plan: Phase1Plan) -> Phase1Tables:
        seen.append(plan.engine)
        return real(scan, plan)  # type: ignore[arg-type]

    monkeypatch.setattr(local, "run_phase1", spy)
    return seen


def _json(result: fivea.Result) -> dict:
    data = json.loads(render_json(result))
    data.pop("run")
    data.pop("generated_at")
    return data


def test_a_small_log_runs_in_memory_and_a_large_one_on_the_default_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _engines_used(monkeypatch)
    fivea.diagnose(SAMPLE)
    assert seen == ["in-memory"]  # 27,000 rows, below KERNEL_FROM_ROWS
    seen.clear()
    monkeypatch.setattr(local, "KERNEL_FROM_ROWS", 1000)  # the sample is now a large log
    fivea.diagnose(SAMPLE)
    assert seen == ["auto"]


@pytest.mark.parametrize("kernel", ["polars", "compiled"])
@pytest.mark.parametrize(
    ("path", "config", "args"),
    [
        (
            SAMPLE,
            None,
            {"since": "60d", "segments": ["channel"], "compare": "previous", "drivers": "all"},
        ),
        (REES46 / "events.csv", ROOT / "tests/fixtures/configs/rees46.yaml", {}),
    ],
)
def test_both_engines_give_the_same_report(
    path: Path,
    config: Path | None,
    args: dict,
    kernel: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIVEA_KERNEL", kernel)
    seen = _engines_used(monkeypatch)
    small = _json(fivea.diagnose(path, config, **args))
    assert set(seen) == {"in-memory"}  # once, or twice with a second pass (rees46)
    seen.clear()
    monkeypatch.setattr(local, "KERNEL_FROM_ROWS", 10)
    large = _json(fivea.diagnose(path, config, **args))
    assert set(seen) == {"auto"}
    assert large == small
