"""The compiled kernel's drivers tables, computed when phase 2 asks for them (docs/metrics.md
"Drivers", cost).

Which transitions are analysed is known only after phase 2 (the bottleneck, by default), and
often none is (no bottleneck). When one run of phase 1 holds every person (no person
partitions), its grouped rows stay in memory until then, and the per-person features are
computed from them for the analysed transitions only: from the rows phase 1 already read and
grouped, by phase 1's code, never from the events again. With person partitions (or on Spark)
each partition computes every transition's tables before its rows are freed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from fivea.person.compiled import Grouped
    from fivea.person.drivers import DriverPlan
    from fivea.person.table import Window


@dataclass
class DeferredDrivers:
    """The grouped rows and per-person facts the drivers tables are computed from."""

    grouped: Grouped
    plan: DriverPlan  # every transition phase 2 may ask for
    window: Window
    facts: Sequence[tuple[np.ndarray, ...]]  # the kernel's facts of each part
    segments: Sequence[str]
    head: pl.DataFrame | None = None  # drivers_values of the columns not read (many values)
    events: pl.DataFrame | None = None  # the event counts, each name with its hash

    def tables(
        self, transitions: Sequence[tuple[int, int]], bound_us: int | None = None
    ) -> dict[str, pl.DataFrame]:
        """The drivers tables (``fivea.person.drivers``) of these transitions only, offsets
        below ``bound_us`` (their largest landmark; default: the plan's bound); the property
        values counted are every transition's (fivea.person.drivers_values)."""
        import polars as pl

        from fivea.person.drivers_compiled import driver_tables
        from fivea.person.drivers_values import DRIVER_VALUES

        bound = self.plan.bound_us if bound_us is None else bound_us
        plan = dataclasses.replace(self.plan, transitions=tuple(transitions), bound_us=bound)
        tables = driver_tables(
            self.grouped, plan, self.window, self.facts, self.segments, self.events
        )
        if self.head is not None:
            tables[DRIVER_VALUES] = pl.concat([self.head, tables[DRIVER_VALUES]])
        return tables
