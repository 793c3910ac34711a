"""Build time: the spec models' JSON Schema and pydantic-core validators, from pydantic.

pydantic reads each model's annotations (``Annotated[type, Field(...)]``) into a core schema
(:class:`pydantic.TypeAdapter`); from the same adapters come ``schema.json`` and
``validators.pickle``, which the models validate with at run time without importing pydantic.
``python -m clusterforge.spec.build`` writes both; ``tests/cli/test_startup.py`` fails when
either differs from what this module builds now. A run whose pydantic-core is not the one that
wrote ``validators.pickle`` builds the validators in-process with the same code
(:mod:`clusterforge.spec.adapters`).
"""

from __future__ import annotations

import json
import pickle
import sys

import pydantic_core

from clusterforge import generated
from clusterforge.generated import SCHEMA_TITLE
from clusterforge.spec import adapters, base, models, schema

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


def schema_text() -> str:
    """``schema.json``: the stack's JSON Schema, as an editor reads it."""
    schema = adapters.adapter(models.Cluster).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = SCHEMA_TITLE
    return json.dumps(schema, indent=2) + "\n"


def validators_bytes() -> bytes:
    """``validators.pickle``: each model's validator and serializer, pickled on their own so a
    run unpickles only the models it builds."""
    built = {
        model.__name__: pickle.dumps(adapters.compiled(model, base.record_fields_set))
        for model in MODELS
    }
    return pickle.dumps({"pydantic_core": pydantic_core.__version__, "models": built})


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
