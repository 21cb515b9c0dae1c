"""Phase 1 runs a second time only when the ordered path skips a stage (docs/performance.md, "A
second pass when a stage is not measured"): stages not measured after the last measured one
change nobody's path, and the result is the one the second pass gives."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import fivea
from fivea import pipeline
from fivea.engines.local import LocalRunner
from tests.conftest import SAMPLE_DATA

ADVOCATE = ["review_post", "referral_sent", "social_share"]
ACT = ["purchase"]
ASK = ["search", "review_read", "compare_products", "faq_view", "chat_start"]


def _log(tmp_path: Path, name: str, drop: list[str], one_purchase: bool = False) -> Path:
    """The sample log without some events; ``one_purchase``: a person's first purchase only (no
    repeat purchase: the preset's counted Advocate rules match but hit nobody)."""
    events = pl.read_csv(SAMPLE_DATA / "events.csv").filter(~pl.col("event").is_in(drop))
    if one_purchase:
        purchase = pl.col("event") == "purchase"
        first = pl.int_range(pl.len()).over("user_id", "event") == 0
        events = events.filter(~purchase | first)
    path = tmp_path / f"{name}.csv"
    events.write_csv(path)
    return path


def _diagnose(path: Path, monkeypatch: pytest.MonkeyPatch, always: bool) -> tuple[dict, int]:
    """The result's JSON (without the run's timing) and how many times phase 1 ran."""
    passes = []
    run = LocalRunner.run

    def counted(self: LocalRunner, plan: object) -> object:
        passes.append(plan)
        return run(self, plan)

    with monkeypatch.context() as patch:
        patch.setattr(LocalRunner, "run", counted)
        if always:  # the rule before: a second pass whenever a stage is not measured
            patch.setattr(pipeline, "second_pass_needed", lambda on: 0 < len(on) < 5)
        result = fivea.diagnose(
            path, since="60d", compare="previous", segments=["channel"], trend="week"
        )
    out = result.to_dict()
    out.pop("run", None)
    out.pop("generated_at", None)
    return out, len(passes)


@pytest.mark.parametrize("kernel", ["polars", "compiled"])
@pytest.mark.parametrize(
    ("name", "drop", "one_purchase", "not_measured"),
    [
        ("no-advocate", ADVOCATE, True, ["advocate"]),
        ("no-act", ADVOCATE + ACT, False, ["act", "advocate"]),
    ],
)
def test_stages_missing_at_the_end_need_no_second_pass(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kernel: str,
    name: str,
    drop: list[str],
    one_purchase: bool,
    not_measured: list[str],
) -> None:
    monkeypatch.setenv("FIVEA_KERNEL", kernel)
    path = _log(tmp_path, name, drop, one_purchase)
    now, passes = _diagnose(path, monkeypatch, always=False)
    before, passes_before = _diagnose(path, monkeypatch, always=True)
    assert now["path_skipped"] == not_measured  # the log is as intended
    assert [s["key"] for s in now["stages"] if not s["measured"]] == not_measured
    # one pass fewer (the counted Advocate rules also read the history before the window)
    assert passes_before == passes + 1
    assert now == before


def test_a_stage_missing_in_the_middle_still_runs_the_second_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _log(tmp_path, "no-ask", ASK)
    now, passes = _diagnose(path, monkeypatch, always=False)
    assert passes == 2
    assert now["path_skipped"] == ["ask"]


def test_which_paths_change() -> None:
    assert not pipeline.second_pass_needed((0, 1, 2, 3, 4))  # every stage measured
    assert not pipeline.second_pass_needed(())  # none
    assert not pipeline.second_pass_needed((0,))  # only Aware: nobody goes further anyway
    assert not pipeline.second_pass_needed((0, 1, 2, 3))  # no Advocate
    assert pipeline.second_pass_needed((0, 1, 3, 4))  # Ask skipped
    assert pipeline.second_pass_needed((1, 2, 3, 4))  # Aware skipped
