"""The compiled kernel (fivea.person.kernel) against the reference and against the polars plan.

Small logs run the polars plan by default (``KERNEL_FROM_ROWS``); ``FIVEA_KERNEL=compiled``
forces the kernel so every test here exercises it on the same inputs.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

import fivea
from fivea.render.json import render_json
from tests.conftest import REAL_DATA, ROOT
from tests.integration import test_engine_vs_reference as engine

SAMPLE = ROOT / "sample_data"
REES46 = REAL_DATA / "rees46-oct2019-head"


def _json(result: fivea.Result) -> dict:
    data = json.loads(render_json(result))
    data.pop("generated_at")
    data["run"].pop("seconds")
    return data


def _both(monkeypatch: pytest.MonkeyPatch, *args: object, **kwargs: object) -> tuple[dict, dict]:
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    compiled = _json(fivea.diagnose(*args, **kwargs))
    monkeypatch.setenv("FIVEA_KERNEL", "polars")
    plan = _json(fivea.diagnose(*args, **kwargs))
    return compiled, plan


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(engine.scenario())
def test_kernel_equals_reference(s: dict) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FIVEA_KERNEL", "compiled")
        engine.check_scenario(s)


@pytest.mark.parametrize("name", ["events.csv", "events.parquet"])
@pytest.mark.parametrize("partitions", [None, 3])
def test_kernel_equals_polars_on_the_sample(
    monkeypatch: pytest.MonkeyPatch, name: str, partitions: int | None
) -> None:
    args = {
        "since": "60d",
        "segments": ["channel", "campaign"],
        "compare": "previous",
        "trend": "week",
        "partitions": partitions,
    }
    compiled, plan = _both(monkeypatch, SAMPLE / name, **args)
    assert compiled["quality"]["duplicates"] > 0  # the sample has some: both count them alike
    assert compiled == plan


def test_kernel_counts_the_duplicates_of_a_real_log(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ROOT / "tests" / "fixtures" / "configs" / "rees46.yaml"
    compiled, plan = _both(monkeypatch, REES46 / "events.csv", config)
    assert compiled["quality"]["duplicates"] == plan["quality"]["duplicates"] == 5
    assert compiled == plan


def test_kernel_falls_back_to_the_ids_on_a_hash_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    engine.test_a_hash_collision_falls_back_to_the_ids(monkeypatch)


@pytest.mark.parametrize("dedupe", [False, True])
def test_kernel_counts_duplicates_alike_with_dedupe(
    monkeypatch: pytest.MonkeyPatch, dedupe: bool
) -> None:
    # one true duplicate, and a row at the same instant that differs only by its event: with
    # dedupe the kernel's input is deduplicated already, so polars counts the duplicates
    import polars as pl

    frame = pl.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u2"],
            "event_time": ["2025-01-01T10:00:00Z"] * 3 + ["2025-01-01T11:00:00Z"],
            "event": ["page_view", "page_view", "purchase", "page_view"],
        }
    )
    config = {"preset": "5a-default", "dedupe": dedupe}
    compiled, plan = _both(monkeypatch, frame, config)
    assert compiled["quality"]["duplicates"] == plan["quality"]["duplicates"] == 1
    assert compiled == plan


def test_kernel_equals_polars_on_a_path_that_skips_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    # the 5a-default preset sees neither Appeal nor Ask in REES46, nor a second order an hour
    # or more after the first (gap: 1h): the path skips all three
    compiled, plan = _both(monkeypatch, REES46 / "events.csv")
    assert compiled["path_skipped"] == ["appeal", "ask", "advocate"]
    assert [s["path"] for s in compiled["stages"]] == [4504, None, None, 193, None]
    assert compiled == plan
