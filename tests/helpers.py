"""Test helpers: a known-good AWS spec and functions to plan variations of it offline."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from clusterforge.engine import plan_offline
from clusterforge.graph import ResourceGraph
from clusterforge.spec.models import Cluster
from clusterforge.validate import validate

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
