"""Phase 1 must stream: one expression polars cannot stream makes it hold every column of the
log in memory first (docs/performance.md, "Keeping the scan streaming"). This checks the plan's
structure, not its memory: no node of polars' physical streaming plan may be an in-memory
fallback."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from fivea import api
from fivea.engines import local
from fivea.person import phase1
from tests.conftest import ROOT

SAMPLE = ROOT / "sample_data"
_FALLBACK_COLOUR = 'fillcolor="0.0 0.3 1.0"'  # show_graph's colour of in-memory fallbacks
_NODE = re.compile(r'label="([^"\\]*(?:\\.[^"\\]*)*)"[^\]]*' + re.escape(_FALLBACK_COLOUR))


def _phase1_frames(monkeypatch: pytest.MonkeyPatch, path: Path) -> dict[str, pl.LazyFrame]:
    """The lazy phase-1 frames of a one-pass kernel run on ``path``."""
    captured: dict[str, pl.LazyFrame] = {}
    real = phase1.run_phase1

    def capture(scan, plan):  # type: ignore[no-untyped-def]
        captured.update(phase1.phase1_frames(scan, plan))
        return real(scan, plan)

    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    monkeypatch.setattr(local, "run_phase1", capture)
    api.diagnose(path, segments=["channel"], since="60d", compare="previous", trend="week")
    return captured


def _fallbacks(frame: pl.LazyFrame) -> list[str]:
    graph = frame.show_graph(engine="streaming", plan_stage="physical", raw_output=True)
    assert isinstance(graph, str)
    return [label.split("\\n")[0] for label in _NODE.findall(graph)]


@pytest.mark.parametrize("name", ["events.csv", "events.parquet"])
def test_phase_1_has_no_in_memory_fallback(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    frames = _phase1_frames(monkeypatch, SAMPLE / name)
    assert phase1.KERNEL_INPUT in frames
    if name.endswith(".csv"):  # text times: the epoch unit is guessed and checked
        assert phase1.UNIT_CHECK in frames
    assert {key: _fallbacks(frame) for key, frame in frames.items()} == {key: [] for key in frames}


def test_the_check_sees_a_fallback() -> None:
    """A Python function can never run in polars' streaming engine: one fallback node (its
    label changes with polars' versions; ``replace_strict`` was one until polars 2.2)."""
    frame = pl.LazyFrame({"x": [1, 2]}).select(
        pl.col("x").map_batches(lambda s: s, return_dtype=pl.Int64)
    )
    assert len(_fallbacks(frame)) == 1
