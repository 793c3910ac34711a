"""The JSON Schema of stack files, prebuilt: ``clusterforge schema`` prints ``schema.json``.

Building the schema from the models costs pydantic's whole schema build, several times what
printing a file does. ``schema.json`` is that schema, generated with the models' validators
(``validators.pickle``) by ``python -m clusterforge.spec.build`` after a change to the models
(:mod:`clusterforge.spec.build`); ``tests/cli/test_startup.py`` fails when either differs from
what the models build now.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from clusterforge import generated
from clusterforge.spelling import close_names, did_you_mean

SCHEMA_FILE = Path(__file__).with_name("schema.json")
REGENERATE = "python -m clusterforge.spec.build"


def prebuilt_text() -> str:
    """What ``clusterforge schema`` prints: the generated schema file."""
    return generated.read(SCHEMA_FILE, "the stack schema", REGENERATE)


@functools.cache
def prebuilt() -> dict[str, Any]:
    """The generated schema, parsed (read once)."""
    schema: dict[str, Any] = json.loads(prebuilt_text())
    return schema


def field_names(loc: tuple[Any, ...], model: str | None = None) -> list[str]:
    """The fields the spec allows at ``loc`` (a path from the top of the stack, or from the
    ``model`` named), read from the prebuilt schema; [] where it names none."""
    root = prebuilt()
    node: Any = root if model in (None, root.get("title"), "Cluster") else {"$ref": f"/{model}"}
    for part in (*loc, None):
        while isinstance(node, dict):  # through references and `X | None`
            if "$ref" in node:
                node = root.get("$defs", {}).get(node["$ref"].rpartition("/")[2])
            elif "anyOf" in node:
                node = next((n for n in node["anyOf"] if n.get("type") != "null"), None)
            else:
                break
        if not isinstance(node, dict) or part is None:
            break
        if isinstance(part, int):
            node = node.get("items")
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        else:  # a mapping's key (`overrides.gcp`)
            node = node.get("additionalProperties")
    return sorted(node.get("properties", {})) if isinstance(node, dict) else []


def spelling_hint(name: str, fields: list[str]) -> str:
    """The hint for an unknown field ``name``: the closest of ``fields``, if any."""
    close = did_you_mean(close_names(name, fields))
    where = "`clusterforge schema` prints every field"
    return f"{close} {where}" if close else f"check the spelling; {where}"


def model_schema(model: str) -> dict[str, Any]:
    """The JSON Schema of the spec model named ``model`` (pydantic's ``model_json_schema``),
    cut from the prebuilt one: its definition with the definitions it refers to."""
    import copy

    root = prebuilt()
    defs = root.get("$defs", {})
    if model == "Cluster":
        top = {k: v for k, v in root.items() if k not in ("$schema", "$defs")}
        top["title"] = "Cluster"
    else:
        top = dict(defs[model])
    needed: dict[str, Any] = {}
    pending = [top]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rpartition("/")[2]
                if name not in needed and name != model:
                    needed[name] = defs[name]
                    pending.append(defs[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    result = {"$defs": dict(sorted(needed.items())), **top} if needed else top
    return copy.deepcopy(result)
