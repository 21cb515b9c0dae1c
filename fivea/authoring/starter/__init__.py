"""``fivea init``: a commented starter config, from a preset alone or from a sample of the data.

Without data the file names the preset and shows every section it may override as commented
examples. With data it also writes the detected ``columns:``, describes the timestamps, and lists
the event names found (top ``TOP_NAMES`` by count) with the stage each one feeds: names the
preset's rules already place, a guess from the name for the others (written as commented-out
rules), and an "unassigned" block for the rest. Every commented block is valid YAML once the
leading ``# `` is removed, so uncommenting never breaks the file.
"""

from fivea.authoring.starter.data_sample import DataSample, NamePlacement, sample_data
from fivea.authoring.starter.guess import guess_stage
from fivea.authoring.starter.writer import starter_config, summary

__all__ = [
    "DataSample",
    "NamePlacement",
    "guess_stage",
    "sample_data",
    "starter_config",
    "summary",
]
