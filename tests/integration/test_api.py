"""The Python API returns the same result the CLI renders."""

from __future__ import annotations

import json

import polars as pl
import pytest

import fivea
from fivea.render.json import render_json
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "sample_data" / "events.parquet"


def _without_run(text: str) -> dict:
    data = json.loads(text)
    data.pop("run", None)
    data.pop("generated_at", None)
    return data


def test_api_on_a_path_equals_the_cli() -> None:
    api = render_json(fivea.diagnose(SAMPLE, since="30d"))
    cli = run_cli("diagnose", str(SAMPLE), "--since", "30d", "-f", "json").stdout
    assert _without_run(api) == _without_run(cli)


def test_api_on_frames_and_a_mapping_config() -> None:
    frame = pl.read_parquet(SAMPLE)
    from_path = fivea.diagnose(SAMPLE)
    from_polars = fivea.diagnose(frame)
    from_lazy = fivea.diagnose(frame.lazy())
    assert [s.reached for s in from_polars.stages] == [s.reached for s in from_path.stages]
    assert [s.reached for s in from_lazy.stages] == [s.reached for s in from_path.stages]
    custom = fivea.diagnose(
        frame, {"preset": "5a-default", "stages": {"ask": {"rules": [{"event": "search"}]}}}
    )
    assert custom.stage("ask").reached <= from_path.stage("ask").reached
    assert custom.verdict is not None


def test_api_load_config_is_exported() -> None:
    loaded = fivea.load_config(None, "ecommerce")
    assert loaded.source.preset == "ecommerce"


def test_the_public_names_are_exported() -> None:
    result = fivea.diagnose(SAMPLE)
    assert isinstance(result, fivea.Result)
    assert isinstance(fivea.Options(since="30d"), fivea.Options)
    assert sorted(fivea.__all__) == ["Options", "Result", "__version__", "diagnose", "load_config"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = fivea.nothing
