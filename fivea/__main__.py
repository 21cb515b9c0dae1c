"""``python -m fivea``."""

import gc

gc.disable()  # importing the CLI (typer) makes long-lived objects only (fivea/cli/collector.py)

from fivea.cli import run  # noqa: E402
from fivea.cli.collector import resume_collection  # noqa: E402

resume_collection()
run()
