"""Which stages a run measures (docs/metrics.md "Not measured, not judged").

A stage is measured when it has a hit among the run's valid events before ``until``; decided
once per run, after phase 1, and used for both periods, every segment and trend bucket.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import polars as pl

from fivea.aggregate.measures import Aggregates, person_table, stage_measures
from fivea.config.loader import STAGE_KEYS, Config
from fivea.person.phase1 import Phase1Plan
from fivea.person.table import Window

if TYPE_CHECKING:
    from fivea.pipeline import Phase1Runner


def measured_stages(
    frames: dict[str, pl.DataFrame],
    totals: Aggregates,
    plan: Phase1Plan,
    window: Window,
    runner: Phase1Runner,
    config: Config,
) -> dict[str, bool]:
    """Which stages have a hit among the run's valid events before until (docs/metrics.md).

    Decided once per run and used for both periods, every segment and bucket. A stage no event
    matches has no hit; one a person reached in the window has one; plain rules hit wherever
    they match. Only a counted (min_count) rule that matched before the window but hit nobody in
    it is undecided: phase 1 then runs once more over the whole history before until.
    """
    matches = frames["stage_matches"].row(0, named=True)
    counted_bits = {rule.bit for rule in plan.rules.counted}
    measured: dict[str, bool] = {}
    undecided = []
    for bit, stage in enumerate(STAGE_KEYS):
        if not matches[stage]:
            measured[stage] = False
        elif totals.count(f"reached_{stage}") or bit not in counted_bits:
            measured[stage] = True
        elif window.since is None:
            measured[stage] = False  # the window is the whole history before until
        else:
            undecided.append(stage)
    if undecided:
        whole = Window(None, plan.window.until, window.as_of)
        history = dataclasses.replace(plan, window=whole, previous=None, trend=None, history=())
        hits = person_table(runner.run(history).frames()["persons"]).aggregate(
            [m for m in stage_measures(config, whole) if m.name.startswith("reached_")]
        )
        for stage in undecided:
            measured[stage] = hits.count(f"reached_{stage}") > 0
    return measured
