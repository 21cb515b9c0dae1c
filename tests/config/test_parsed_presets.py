"""The shipped presets' stored parse (fivea/presets/parsed.json) is what PyYAML gives today.

``python -m tests.config.test_parsed_presets`` rewrites the file after a preset changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fivea.config import parsed_presets
from fivea.config.loader import load_config, preset_names, preset_text
from fivea.config.yaml_lines import parse_text, parse_yaml

FILE = Path(parsed_presets.__file__).resolve().parents[1] / "presets" / parsed_presets.CACHE


def test_the_stored_file_is_up_to_date() -> None:
    assert FILE.read_text(encoding="utf-8") == parsed_presets.build(), (
        "fivea/presets/parsed.json is stale; run python -m tests.config.test_parsed_presets"
    )


def test_every_preset_reads_as_pyyaml_parses_it() -> None:
    for name in preset_names():
        text = preset_text(name)
        stored = parsed_presets.parsed(text)
        assert stored is not None, name
        data, lines = parse_text(text, f"preset {name}")
        assert repr(stored[0]) == repr(data)  # types too: an int stays an int, a list a list
        assert list(stored[1].items()) == list(lines.items())  # the same lines, in order


def test_each_lookup_returns_fresh_objects() -> None:
    # the loader edits the data it is given (subfunnels are normalised in place)
    text = preset_text("5a-default")
    first, _ = parse_yaml(text, "preset 5a-default")
    first["stages"].clear()
    again, _ = parse_yaml(text, "preset 5a-default")
    assert again["stages"]


def test_an_edited_preset_is_parsed_again() -> None:
    text = preset_text("5a-default") + "\n# edited\n"
    assert parsed_presets.parsed(text) is None
    data, lines = parse_yaml(text, "preset 5a-default")
    assert data == parse_text(preset_text("5a-default"), "x")[0]
    assert lines


def test_a_run_on_the_default_preset_does_not_import_pyyaml() -> None:
    import subprocess

    code = (
        "import sys\n"
        "from fivea.config.loader import load_config\n"
        "load_config(None, 'ga4')\n"  # a preset inheriting another one
        "print('yaml' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
    assert load_config(None, "ga4").config.stages.act.rules  # and it loads as before


if __name__ == "__main__":
    FILE.write_text(parsed_presets.build(), encoding="utf-8")
    print(f"wrote {FILE}")
