"""``python -m fivea``."""

from fivea.cli import main

main()
