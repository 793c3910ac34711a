"""pydantic's view of the spec models: each model's core schema, validator and serializer.

The build (:mod:`clusterforge.spec.build`) pickles what :func:`compiled` returns into
``validators.pickle``; a run whose pydantic-core did not write that file calls it directly
(:mod:`clusterforge.spec.base`). Both get the same validators, so the same errors. This module
imports pydantic, never the spec models: it is handed the model class.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, TypeAdapter
from pydantic_core import SchemaSerializer, SchemaValidator, core_schema

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
    """pydantic's adapter of spec model ``model`` (its module given the names its annotations
    use)."""
    vars(sys.modules[model.__module__]).update(_ANNOTATION_NAMES)
    return TypeAdapter(model)


def compiled(
    model: type[Any], record_fields_set: Callable[[Any, Callable[[Any], Any]], Any]
) -> tuple[SchemaValidator, SchemaSerializer]:
    """``model``'s validator and serializer, built from its annotations by pydantic; every
    nested model's validator wrapped in ``record_fields_set``."""
    schema = _stable_refs(adapter(model).core_schema)
    validator = SchemaValidator(_record_fields_set(schema, record_fields_set, top=True))
    return validator, SchemaSerializer(schema)


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


def _record_fields_set(
    node: Any, wrapper: Callable[[Any, Callable[[Any], Any]], Any], top: bool = False
) -> Any:
    """``node`` with every nested model's validator wrapped in ``wrapper`` (the top model's
    ``model_validate`` and ``__init__`` record it themselves; a wrapper there would rename the
    errors' title)."""
    if isinstance(node, list):
        return [_record_fields_set(item, wrapper) for item in node]
    if not isinstance(node, dict):
        return node
    inner = {key: _record_fields_set(value, wrapper) for key, value in node.items()}
    if inner.get("type") != "dataclass" or top:
        return inner
    ref = inner.pop("ref", None)
    wrapped = dict(core_schema.no_info_wrap_validator_function(wrapper, inner))
    if ref is not None:
        wrapped["ref"] = ref
    return wrapped
