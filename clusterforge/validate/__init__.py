"""Validation: rules with stable ids over a resolved cluster, collected into findings.

`validate(cluster)` resolves the spec against the catalog and runs every rule that applies to
its cloud. Importing this package registers the rules (``clusterforge.validate.rules``).
"""

from __future__ import annotations

from collections.abc import Iterable

from clusterforge.catalog.resolve import ResolvedCluster, resolve
from clusterforge.findings import Finding
from clusterforge.spec.models import Cluster
from clusterforge.validate import rules as _rules  # noqa: F401 - registers the rules
from clusterforge.validate.registry import RULES, Rule, run_rules

__all__ = ["RULES", "Rule", "validate", "validate_resolved"]


def validate_resolved(resolved: ResolvedCluster, skip: Iterable[str] = ()) -> list[Finding]:
    return run_rules(resolved, skip)


def validate(cluster: Cluster, skip: Iterable[str] = ()) -> tuple[ResolvedCluster, list[Finding]]:
    resolved = resolve(cluster)
    return resolved, run_rules(resolved, skip)
