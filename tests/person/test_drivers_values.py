"""Which property columns the drivers test by default: those with 2..50 distinct non-empty
values in the log (docs/metrics.md "Drivers"), the same on the compiled kernel, which does not
read a column that shows more than 50 in the log's head, and on the polars plan."""

from __future__ import annotations

import polars as pl
import pytest

import fivea
import fivea.person.compiled as compiled
import fivea.person.phase1 as phase1
from tests.aggregate.test_drivers import CONFIG, planted_log


def _log(n_values: int, seed: int = 5) -> pl.DataFrame:
    """The planted log with columns of known distinct counts (text, padded and blank too)."""
    log = planted_log(seed, persons=900)
    n = log.height
    return log.with_columns(
        # n_values distinct values once trimmed: " v3 " and "v3" are one value; blanks are none
        pl.Series("fifty", [(" " if i % 7 == 0 else "") + f"v{i % n_values}" for i in range(n)]),
        pl.Series("blankish", ["  " if i % 3 else ("a" if i % 2 else "b") for i in range(n)]),
        pl.Series("ident", [f"id{i}" for i in range(n)]),
        # few values in the first rows, many later: only the whole log tells
        pl.Series("late", [f"x{i % 3}" if i < n // 2 else f"y{i}" for i in range(n)]),
    )


@pytest.mark.parametrize("kernel", ["polars", "compiled"])
@pytest.mark.parametrize(("n_values", "kept"), [(50, True), (51, False)])
def test_columns_with_2_to_50_values_are_tested(
    monkeypatch: pytest.MonkeyPatch, kernel: str, n_values: int, kept: bool
) -> None:
    monkeypatch.setenv("FIVEA_KERNEL", kernel)
    monkeypatch.setattr(phase1, "HEAD_ROWS", 200)  # the head is a part of the log here
    (drivers,) = fivea.diagnose(_log(n_values), CONFIG, drivers="attraction").drivers
    assert drivers.status == "ok"
    skipped = ["ident", "late"] if kept else ["fifty", "ident", "late"]
    assert list(drivers.skipped_properties) == skipped


def test_the_kernel_does_not_read_a_column_with_many_values_in_the_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    monkeypatch.setattr(phase1, "HEAD_ROWS", 200)
    read: list[tuple[str, ...]] = []
    inputs = compiled.driver_inputs

    def recording(plan: object, *args: object) -> object:
        read.append(plan.properties)  # type: ignore[attr-defined]
        return inputs(plan, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(compiled, "driver_inputs", recording)
    (drivers,) = fivea.diagnose(_log(50), CONFIG, drivers="attraction").drivers
    assert read
    assert all("ident" not in properties for properties in read)
    assert all("late" in properties for properties in read)  # read, then counted: skipped
    assert list(drivers.skipped_properties) == ["ident", "late"]
    monkeypatch.setenv("FIVEA_KERNEL", "polars")
    assert fivea.diagnose(_log(50), CONFIG, drivers="attraction").drivers == (drivers,)


def test_values_after_until_do_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """A column whose extra values all come after --until has 2..50 values in the window's log."""
    log = planted_log(6, persons=900)
    n = log.height
    cut = log["event_time"].sort()[int(n * 0.9)]
    late = (log["event_time"] >= cut).to_list()
    log = log.with_columns(
        pl.Series(
            "plan",
            [f"late{i}" if after else ("pro" if i % 2 else "free") for i, after in enumerate(late)],
        )
    )
    config = {**CONFIG, "drivers": {"landmark": "1h", "horizon": "1d"}}
    out = []
    for kernel in ("polars", "compiled"):
        monkeypatch.setenv("FIVEA_KERNEL", kernel)
        (drivers,) = fivea.diagnose(
            log, config, drivers="attraction", until=cut.isoformat()
        ).drivers
        out.append(drivers)
        assert "plan" not in drivers.skipped_properties
    assert out[0] == out[1]
    monkeypatch.setenv("FIVEA_KERNEL", "compiled")
    (everything,) = fivea.diagnose(log, config, drivers="attraction").drivers
    assert "plan" in everything.skipped_properties
