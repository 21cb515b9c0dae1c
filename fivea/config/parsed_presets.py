"""The shipped presets already parsed: their data and key lines, so a run need not load PyYAML.

``fivea/presets/parsed.json`` holds, per preset text (by its SHA-256), what
``fivea.config.yaml_lines.parse_text`` returns for it. Every run parses a preset (the default
one at least), and importing PyYAML is most of that cost (docs/performance.md, "Start-up").
Only an exact text is looked up, so an edited preset is simply parsed again;
``python -m tests.config.test_parsed_presets`` rewrites the file (that test fails when it is
stale).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

from fivea.config.errors import KeyPath

CACHE = "parsed.json"  # in fivea/presets/


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parsed(text: str) -> tuple[Any, dict[KeyPath, int]] | None:
    """The stored parse of a shipped preset's exact text (fresh objects), or None."""
    try:
        stored = (resources.files("fivea") / "presets" / CACHE).read_text(encoding="utf-8")
    except OSError:  # not shipped (a trimmed install): parse the text
        return None
    entry = json.loads(stored).get(_digest(text))
    if entry is None:
        return None
    return entry["data"], {tuple(path): line for path, line in entry["lines"]}


def build() -> str:
    """The text of ``parsed.json`` for the shipped presets as they are now."""
    from fivea.config.presets import preset_names, preset_text
    from fivea.config.yaml_lines import parse_text

    out = {}
    for name in preset_names():
        text = preset_text(name)
        data, lines = parse_text(text, f"preset {name}")
        # JSON keeps str keys, ints, floats, bools, None, lists; anything else (a date, an int
        # key) would come back different: refuse it rather than store it
        if repr(json.loads(json.dumps(data))) != repr(data):
            msg = f"preset {name}: its data does not survive JSON unchanged"
            raise ValueError(msg)
        out[_digest(text)] = {
            "preset": name,
            "data": data,
            "lines": [[list(path), line] for path, line in lines.items()],
        }
    return json.dumps(out, indent=None, separators=(",", ":"), ensure_ascii=False) + "\n"
