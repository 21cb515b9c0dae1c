"""docs/architecture.md matches the tree, and modules share only public names.

The module table is generated (``python -m tests.architecture_table``); the layer order it shows is
the import-linter layers contract of pyproject.toml, which ``lint-imports`` checks in .ci/run.
"""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

from tests import architecture_table as arch

FIX = "run `python -m tests.architecture_table` to regenerate the table"


def _doc() -> str:
    return arch.DOC.read_text(encoding="utf-8")


def test_every_module_is_in_the_table() -> None:
    missing = sorted(set(arch.modules()) - set(arch.documented(_doc())))
    assert not missing, (
        f"docs/architecture.md: the module table leaves out {', '.join(missing)}; {FIX}"
    )


def test_the_table_names_only_modules_that_exist() -> None:
    named = arch.documented(_doc())
    gone = sorted(set(named) - set(arch.modules()))
    assert not gone, (
        f"docs/architecture.md: the module table names {', '.join(gone)}, not in fivea/; {FIX}"
    )
    twice = sorted({m for m in named if named.count(m) > 1})
    assert not twice, (
        f"docs/architecture.md: the module table lists {', '.join(twice)} twice; {FIX}"
    )


def test_the_table_is_generated_from_the_tree() -> None:
    text = _doc()
    expected = arch.regenerate(text)
    diff = list(difflib.unified_diff(text.splitlines(), expected.splitlines(), lineterm="", n=0))
    assert not diff, (
        "docs/architecture.md differs from the tree:\n" + "\n".join(diff[2:12]) + f"\n{FIX}"
    )


def test_every_module_has_a_layer() -> None:
    """A new subpackage or top-level module is given its place in the layers contract."""
    layered = {name for layer in arch.layers() for name in layer} | {"__init__", "__main__"}
    homeless = sorted(m for m in arch.modules() if arch._layer_of(m) not in layered)
    assert not homeless, (
        f"{', '.join(homeless)}: no layer in pyproject.toml's [tool.importlinter] layers contract"
    )


def test_the_layers_contract_covers_the_documented_order() -> None:
    """The data flow of docs/architecture.md, lowest first, is the contract's order."""
    order = [name for layer in arch.layers() for name in layer]
    flow = ["config", "io", "rules", "person", "aggregate", "diagnosis", "pipeline", "engines"]
    flow += ["api", "authoring", "render", "cli"]
    assert [name for name in order if name in flow] == flow


def _private_uses(path: Path) -> list[str]:
    """``from fivea.x import _name`` and ``module._name`` on an imported fivea module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(arch.ROOT).as_posix()
    modules: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fivea"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{where}:{node.lineno}: {node.module}.{alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules |= {(a.asname or a.name) for a in node.names if a.name.startswith("fivea")}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_modules_share_only_public_names() -> None:
    """A name another module imports is part of its interface: no leading underscore."""
    found = [use for path in sorted(arch.PACKAGE.rglob("*.py")) for use in _private_uses(path)]
    assert not found, "private names used across modules: " + "; ".join(found)


# test folders that are not a subpackage of fivea/: whole runs, and Spark's parity tests (run by
# .ci/run on their own, with the spark extra)
TEST_FOLDERS_BEYOND_THE_TREE = {"integration", "spark", "fixtures", "golden", "__pycache__"}


def test_the_tests_mirror_the_package_tree() -> None:
    tests = arch.ROOT / "tests"
    folders = {p.name for p in tests.iterdir() if p.is_dir()} - TEST_FOLDERS_BEYOND_THE_TREE
    packages = {p.parent.name for p in (arch.ROOT / "fivea").glob("*/__init__.py")}
    strays = sorted(folders - packages)
    assert not strays, f"tests/{strays[0]}/ mirrors no subpackage of fivea/; move its tests"
    for folder in folders:
        assert (tests / folder / "__init__.py").exists(), f"tests/{folder}/ has no __init__.py"
