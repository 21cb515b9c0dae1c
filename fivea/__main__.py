"""``python -m fivea``."""

from fivea.cli import run

run()
