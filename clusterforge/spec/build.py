"""Build time: the spec models' JSON Schema and pydantic-core validators, from pydantic.

pydantic reads each model's annotations (``Annotated[type, Field(...)]``) into a core schema
(:class:`pydantic.TypeAdapter`); from the same adapters come ``schema.json`` and
``validators.pickle``, which the models validate with at run time without importing pydantic.
``python -m clusterforge.spec.build`` writes both; ``tests/cli/test_startup.py`` fails when
either differs from what this module builds now.
"""

from __future__ import annotations

import json
import pickle
import re
import sys
from typing import Annotated, Any

import pydantic_core
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, TypeAdapter
from pydantic_core import SchemaSerializer, SchemaValidator, core_schema

from clusterforge import generated
from clusterforge.generated import SCHEMA_TITLE
from clusterforge.spec import base, models, schema

MODELS = (
    models.Taint,
    models.Capacity,
    models.NodePool,
    models.Storage,
    models.Addon,
    models.KubernetesConfig,
    models.VpcCni,
    models.NetworkConfig,
    models.CloudOverride,
    models.Cluster,
)

#: What the models' annotations name from pydantic (imported there for type checkers only).
_ANNOTATION_NAMES = {
    "Annotated": Annotated,
    "AfterValidator": AfterValidator,
    "AwareDatetime": AwareDatetime,
    "BeforeValidator": BeforeValidator,
    "Field": Field,
}
# pydantic's schema references end in the id() of the class: not the same in two builds.
_REF_ID = re.compile(r":\d+$")


def adapter(model: type[Any]) -> TypeAdapter[Any]:
    vars(models).update(_ANNOTATION_NAMES)
    return TypeAdapter(model)


def schema_text() -> str:
    """``schema.json``: the stack's JSON Schema, as an editor reads it."""
    schema = adapter(models.Cluster).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = SCHEMA_TITLE
    return json.dumps(schema, indent=2) + "\n"


def validators_bytes() -> bytes:
    """``validators.pickle``: each model's validator and serializer, pickled on their own so a
    run unpickles only the models it builds."""
    built = {}
    for model in MODELS:
        schema = _stable_refs(adapter(model).core_schema)
        validator = SchemaValidator(_record_fields_set(schema, top=True))
        serializer = SchemaSerializer(schema)
        built[model.__name__] = pickle.dumps((validator, serializer))
    return pickle.dumps({"pydantic_core": pydantic_core.__version__, "models": built})


def _stable_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _REF_ID.sub("", value)
            if key in ("ref", "schema_ref") and isinstance(value, str)
            else _stable_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_stable_refs(item) for item in node]
    return node


def _record_fields_set(node: Any, top: bool = False) -> Any:
    """``node`` with every nested model's validator wrapped in :func:`base.record_fields_set`
    (the top model's ``model_validate`` and ``__init__`` record it themselves; a wrapper there
    would rename the errors' title)."""
    if isinstance(node, list):
        return [_record_fields_set(item) for item in node]
    if not isinstance(node, dict):
        return node
    inner = {key: _record_fields_set(value) for key, value in node.items()}
    if inner.get("type") != "dataclass" or top:
        return inner
    ref = inner.pop("ref", None)
    wrapped = dict(core_schema.no_info_wrap_validator_function(base.record_fields_set, inner))
    if ref is not None:
        wrapped["ref"] = ref
    return wrapped


def main() -> None:
    """Rewrite ``schema.json`` and ``validators.pickle`` where they differ from the models."""
    generated.write_if_changed(schema.SCHEMA_FILE, schema_text())
    validators = validators_bytes()
    target = base.VALIDATORS_FILE
    if not target.is_file() or target.read_bytes() != validators:
        target.write_bytes(validators)
        print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
