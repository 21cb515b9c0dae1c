"""fivea: diagnose a customer funnel along Kotler's 5A path (Aware, Appeal, Ask, Act, Advocate).

The public API is small and imported lazily (``fivea --help`` stays fast)::

    import fivea
    result = fivea.diagnose("events.parquet", "fivea.yaml")
    result = fivea.diagnose("events.parquet", since="28d", segments=["channel"], trend="week")
    result.verdict.status, result.par.value, result.to_dict()
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Options", "Result", "__version__", "diagnose", "load_config"]


def __getattr__(name: str) -> Any:
    if name == "diagnose":
        from fivea.api import diagnose

        return diagnose
    if name == "Options":
        from fivea.options import Options

        return Options
    if name == "Result":
        from fivea.result import Result

        return Result
    if name == "load_config":
        from fivea.config.loader import load_config

        return load_config
    msg = f"module 'fivea' has no attribute {name!r}"
    raise AttributeError(msg)
