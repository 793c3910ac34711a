"""Test helpers: a known-good AWS spec and functions to plan variations of it offline."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from clusterforge.engine import plan_offline
from clusterforge.graph import ResourceGraph
from clusterforge.spec.models import Cluster
from clusterforge.validate import validate

if TYPE_CHECKING:
    from clusterforge.report.model import Report
    from clusterforge.spec.loader import LoadedStack

#: The ``planned_example`` session fixture (tests/conftest.py): path -> (stack, report).
PlannedExample = Callable[[Path], "tuple[LoadedStack, Report]"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

BASE: dict[str, Any] = {
    "name": "test-cluster",
    "cloud": "aws",
    "region": "us-east-1",
    "zone": "us-east-1a",
    "kubernetes": {"version": "1.35"},
    "tags": {"team": "ml"},
    "node_pools": [
        {"name": "system", "instance_type": "m7i.2xlarge", "nodes": 2},
        {"name": "gpu", "instance_type": "p5.48xlarge", "nodes": 2},
    ],
    "storage": [
        {
            "name": "scratch",
            "type": "lustre",
            "capacity_gib": 2400,
            "throughput_mbps_per_tib": 250,
            "mount_path": "/scratch",
        }
    ],
}


def merge(base: Any, override: Any) -> Any:
    """Deep-merge ``override`` into a copy of ``base``; lists of dicts merge element-wise."""
    if isinstance(base, dict) and isinstance(override, dict):
        result = copy.deepcopy(base)
        for key, value in override.items():
            result[key] = merge(result[key], value) if key in result else copy.deepcopy(value)
        return result
    if (
        isinstance(base, list)
        and isinstance(override, list)
        and all(isinstance(x, dict) for x in base + override)
    ):
        result = copy.deepcopy(base)
        for i, value in enumerate(override):
            if i < len(result):
                result[i] = merge(result[i], value)
            else:
                result.append(copy.deepcopy(value))
        return result
    return copy.deepcopy(override)


def cluster_from(override: dict[str, Any] | None = None) -> Cluster:
    return Cluster.model_validate(merge(BASE, override or {}))


def plan(override: dict[str, Any] | None = None, *, allow_errors: bool = False) -> ResourceGraph:
    """Validate and plan ``BASE`` with ``override`` applied; fail on validation errors."""
    resolved, findings = validate(cluster_from(override))
    errors = [f for f in findings if f.severity.value == "error"]
    if errors and not allow_errors:
        pytest.fail(f"spec has validation errors: {[(f.rule, f.path, f.message) for f in errors]}")
    return plan_offline(resolved)


# ----------------------------------------------------------------------------- schema validators


def cache_kubernetes_schemas() -> None:
    """Make ``kubernetes_validate`` parse each schema file once per process, not once per call.

    ``kubernetes_validate.validate`` re-reads and re-parses the schema of the kind and the
    multi-megabyte ``_definitions.json`` on every call; the parsed documents are only read by
    ``jsonschema``, so one cached copy per file gives the same answers. Called by conftest.py.
    """
    from kubernetes_validate import utils

    if not hasattr(utils.schema_contents, "cache_info"):
        utils.schema_contents = functools.cache(utils.schema_contents)


@functools.cache
def _json_schema_validator(schema_text: str) -> Any:
    from jsonschema.validators import validator_for

    schema = json.loads(schema_text)
    cls = validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate checks first, once per schema
    return cls(schema)


def validate_json_schema(instance: Any, schema: dict[str, Any]) -> None:
    """``jsonschema.validate(instance, schema)`` with the schema checked and its validator built
    once per distinct schema (a CRD's openAPIV3Schema is large; checking it per object was most of
    the render tests' time). Raises ``jsonschema.ValidationError`` as ``validate`` does."""
    import jsonschema

    error = jsonschema.exceptions.best_match(
        _json_schema_validator(json.dumps(schema, sort_keys=True)).iter_errors(instance)
    )
    if error is not None:
        raise error
