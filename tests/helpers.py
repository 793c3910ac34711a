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


#: Vendored CRD schemas (tests/data/crds/SOURCES.md): one copy of each, at the top level or in a
#: set's own folder (``kueue-<pin>/``, ``jobset-v<pin>/``, written by tools/ extractors).
CRDS = ROOT / "tests" / "data" / "crds"


def crd_schema_path(api_version: str, kind: str) -> Path | None:
    """The vendored schema file of ``kind`` at ``api_version`` (None: none is vendored)."""
    group, _, version = api_version.rpartition("/")
    name = f"{group}__{version}__{kind}.json"
    found = [p for p in (CRDS / name, *CRDS.glob(f"*/{name}")) if p.is_file()]
    assert len(found) <= 1, f"{name} is vendored more than once: {found}"
    return found[0] if found else None


def strict_schema(schema: Any) -> Any:
    """``schema`` with unknown fields refused wherever it lists properties (the API server would
    prune them silently: a misspelt field must fail here, not vanish on the cluster); metadata is
    left to the API server (CRDs type it only as ``object``)."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out

    strict = walk(schema)
    if "metadata" in strict.get("properties", {}):
        strict["properties"]["metadata"] = {"type": "object"}
    return strict


@functools.cache
def crd_validator(api_version: str, kind: str, *, strict: bool = False) -> Any:
    """The one cache of CRD validators (jsonschema, schema checked once, built once per kind):
    render, Kueue and JobSet tests all use it. None when no schema is vendored for the kind."""
    from jsonschema.validators import validator_for

    path = crd_schema_path(api_version, kind)
    if path is None:
        return None
    # Kubernetes' (Go) regex engine accepts an inline flag after '^'; Python's only at the start.
    # Same meaning, moved: the vendored schema stays exactly as upstream published it.
    schema: dict[str, Any] = json.loads(path.read_text().replace('"^(?i)', '"(?i)^'))
    if strict:
        schema = strict_schema(schema)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_crd_object(manifest: dict[str, Any], *, strict: bool = False) -> None:
    """Validate a custom object against its vendored CRD schema; raises
    ``jsonschema.ValidationError`` (the best match) as ``jsonschema.validate`` does."""
    import jsonschema

    validator = crd_validator(manifest["apiVersion"], manifest["kind"], strict=strict)
    assert validator is not None, f"no vendored CRD for {manifest['apiVersion']} {manifest['kind']}"
    error = jsonschema.exceptions.best_match(validator.iter_errors(manifest))
    if error is not None:
        raise error
