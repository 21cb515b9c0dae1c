"""The command line sets polars' allocator options before polars is loaded, and leaves a
user's own alone (fivea/cli/allocator.py, docs/performance.md "Memory: the allocator")."""

from __future__ import annotations

import os
import subprocess
import sys

from fivea.cli.allocator import RETURN_PROMPTLY

_PROBE = (
    "import sys, os; import fivea.cli; "
    "assert 'polars' not in sys.modules, 'polars loaded before its options were set'; "
    "print(os.environ.get('_RJEM_MALLOC_CONF'))"
)


def _probe(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_command_line_sets_the_allocator_before_polars_loads() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    assert _probe(env) == RETURN_PROMPTLY


def test_a_users_own_allocator_options_win() -> None:
    env = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:1000"}
    assert _probe(env) == "dirty_decay_ms:1000"


def test_importing_fivea_as_a_library_leaves_the_environment_alone() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    code = "import os, fivea; fivea.diagnose; print(os.environ.get('_RJEM_MALLOC_CONF'))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "None"
