"""The JSON Schema of ``--format json`` (shipped as fivea/data/result.schema.json).

Generated from the result dataclasses with pydantic, then adjusted to the JSON shape of
``Result.to_dict``: ``from``/``to`` keys, closed identifier sets, no ``extras``, optional ``run``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from fivea.funnel import STAGE_KEYS, TRANSITION_NAMES
from fivea.result import SCHEMA_VERSION, Grade, VerdictStatus

ARCHETYPES = ["funnel", "bow_tie", "goldfish", "door_knob", "trumpet", "insufficient_data"]
VERDICTS = [status.value for status in VerdictStatus]
GRADES = [*(grade.value for grade in Grade), None]  # None: ungraded


def _close(node: Any) -> None:
    """additionalProperties: false everywhere, and no pydantic titles."""
    if isinstance(node, dict):
        node.pop("title", None)
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


def result_schema() -> dict[str, Any]:
    """Build the schema from the dataclasses (the shipped file must equal this)."""
    from pydantic import TypeAdapter

    from fivea.result import Result

    schema = TypeAdapter(Result).json_schema(mode="serialization")
    defs = schema["$defs"]
    props = schema["properties"]
    props.pop("extras", None)
    props.pop("history", None)  # read by anomaly checks, not written (Result.to_dict)
    schema["required"] = [r for r in schema.get("required", []) if r not in ("extras", "run")]
    props["schema_version"] = {"const": SCHEMA_VERSION}
    transition = defs["Transition"]
    tp = transition["properties"]
    tp["from"] = {"enum": list(STAGE_KEYS)}
    tp["to"] = {"enum": list(STAGE_KEYS)}
    tp.pop("from_stage")
    tp.pop("to_stage")
    tp["name"] = {"enum": list(TRANSITION_NAMES)}
    tp["grade"] = {"enum": GRADES}
    transition["required"] = [
        {"from_stage": "from", "to_stage": "to"}.get(r, r) for r in transition["required"]
    ]
    defs["StageCount"]["properties"]["key"] = {"enum": list(STAGE_KEYS)}
    defs["Archetype"]["properties"]["primary"] = {"enum": ARCHETYPES}
    defs["Verdict"]["properties"]["status"] = {"enum": VERDICTS}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:fivea:result:v1"
    schema["description"] = "fivea diagnose --format json, schema_version 1"
    _close(schema)
    return schema


def shipped_schema() -> dict[str, Any]:
    """The schema file shipped in the package."""
    text = (resources.files("fivea") / "data" / "result.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def schema_text() -> str:
    """The schema as written to the package (sorted, stable)."""
    return json.dumps(result_schema(), indent=2, sort_keys=True) + "\n"
