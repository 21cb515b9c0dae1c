"""Zero config: the preset of the export the events come from (docs/config.md, "Where the
config comes from").

With no ``-c``, ``--preset``, ``FIVEA_CONFIG`` or discovered file, the built-in preset is the one
of the export whose column signature the data has (``ga4``, ``segment``, ``amplitude``,
``mixpanel``), else ``5a-default``: an Amplitude log's "Share" events then count for Advocate.
Only the column names decide, read before the scan; the rules never look at the events.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl

from fivea.columns import export_signature
from fivea.config import Columns, LoadedConfig, load_config
from fivea.readers import scan_sources
from fivea.sources import Source


def with_detected_preset(loaded: LoadedConfig, sources: list[Source]) -> LoadedConfig:
    """The export's preset in place of the default one; any config that was asked for stays."""
    if loaded.source.how != "default":
        return loaded
    export = detect_export(sources, loaded)
    if export is None:
        return loaded
    chosen = load_config(None, export, how="detected")
    # the columns stay detected as for any file: the same mapping as the preset's, but the
    # epoch unit is read from the values (the mixpanel preset pins seconds; exports made with
    # time_in_ms hold milliseconds)
    config = chosen.config.model_copy(update={"columns": Columns()})
    return dataclasses.replace(chosen, config=config)


def detect_export(sources: list[Source], loaded: LoadedConfig) -> str | None:
    """The export signature of the sources' columns (None: none, or unreadable columns, which
    the scan then reports in its own words)."""
    config = loaded.config
    raw, temps = scan_sources(sources, config.input.encoding, config.input.separator)
    ours = {s.path for s in sources if s.temporary and s.path is not None}
    try:
        names = raw.collect_schema().names()
    except pl.exceptions.PolarsError:
        return None
    finally:
        for path in temps:
            if path not in ours:  # a transcoded copy; stdin's spool is the scan's to delete
                Path(path).unlink(missing_ok=True)
    return export_signature([n for n in names if not n.startswith("__")])
