"""Zero config: the preset of the export the events come from (docs/config.md, "Where the
config comes from").

With no ``-c``, ``--preset``, ``FIVEA_CONFIG`` or discovered file, the built-in preset is the one
of the export whose column signature the data has (``ga4``, ``segment``, ``amplitude``,
``mixpanel``), else ``5a-default``: an Amplitude log's "Share" events then count for Advocate.
Only the column names decide, and they come from the scan the run makes anyway.
"""

from __future__ import annotations

import dataclasses

from fivea.config.loader import Columns, LoadedConfig, load_config
from fivea.io.events import EventScan, scan_events
from fivea.io.sources import Source

# what the scan reads from the config (fivea.io.events): when the export's preset sets none of it
# differently (no shipped one does), the scan made with the default config is the same scan
_SCAN_KEYS = ("columns", "time", "input", "identity", "dedupe")


def scan_with_preset(
    sources: list[Source], loaded: LoadedConfig, now_us: int | None = None
) -> tuple[LoadedConfig, EventScan]:
    """Scan the sources; with the default config, switch to the detected export's preset."""
    scan = scan_events(sources, loaded.config, now_us)
    export = scan.columns.export
    if loaded.source.how != "default" or export is None:
        return loaded, scan
    chosen = detected_preset(export)
    if all(getattr(chosen.config, k) == getattr(loaded.config, k) for k in _SCAN_KEYS):
        return chosen, scan
    ours = {s.path for s in sources if s.temporary}
    for path in scan.temps:  # a transcoded copy; stdin's spool is for the new scan to read
        if path not in ours:
            path.unlink(missing_ok=True)
    return chosen, scan_events(sources, chosen.config, now_us)


def detected_preset(export: str) -> LoadedConfig:
    """The shipped preset of an export (it has the export's name), as the detected config.

    Its columns stay auto-detected as for any file: the same mapping as the preset's, but the
    epoch unit is read from the values (the mixpanel preset pins seconds; exports made with
    ``time_in_ms`` hold milliseconds).
    """
    chosen = load_config(None, export, how="detected")
    config = chosen.config.model_copy(update={"columns": Columns()})
    return dataclasses.replace(chosen, config=config)
