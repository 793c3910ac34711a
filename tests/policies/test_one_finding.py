"""One problem, one finding: where a spec rule and a policy see the same problem, they point at the
same path with the same severity, and `plan` / `check` show it once — over every example and a set
of mutations that trigger each shared problem."""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.findings import Finding
from clusterforge.policies import RULES
from clusterforge.policies.merge import one_per_problem
from clusterforge.policies.offline import run_policies
from clusterforge.validate import RULES as VALIDATION_RULES
from clusterforge.validate import validate

from helpers import cluster_from, plan
from tests.validate.gcp_support import gcp

PUBLIC = {"endpoint_public_access": True}
BLOCK = {"type": "capacity_block", "reservation_id": "cr-0123456789abcdef0"}

#: (mutation of the base stack, the path both the rule and the policy point at, validation id, policy id)
SHARED = [
    pytest.param({"kubernetes": PUBLIC}, "kubernetes.public_access_cidrs", "K8S002", "CF-AWS-001", id="eks-public"),
    pytest.param({"kubernetes": {**PUBLIC, "public_access_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}},
                 "kubernetes.public_access_cidrs", "K8S002", "CF-AWS-001", id="eks-public-halves"),
    pytest.param(gcp({"kubernetes": {**PUBLIC, "public_access_cidrs": ["0.0.0.0/0"]}}),
                 "kubernetes.public_access_cidrs", "K8S002", "CF-GKE-006", id="gke-public"),
    pytest.param({"storage": [{"protect": False}]}, "storage[0].protect", "STO004", "CF-DATA-001", id="unprotected"),
    pytest.param({"node_pools": [{}, {"capacity": {"type": "spot"}}]}, "node_pools[1].capacity.type", "POOL007",
                 "CF-GOV-005", id="spot-efa-pool"),
    pytest.param({"node_pools": [{}, {"capacity": BLOCK, "placement_group": True}]}, "node_pools[1].placement_group",
                 "CAP002", "CF-FAB-004", id="capacity-block-placement"),
]  # fmt: skip


def duplicates(findings: list[Finding]) -> list[tuple[str, str]]:
    """(policy, path) pairs reported twice: by the policy and by a spec rule it is the same as."""
    by_path = {(f.rule, f.path) for f in findings if f.source != "policy"}
    return [
        (f.rule, f.path)
        for f in findings
        if f.source == "policy" and any((v, f.path) in by_path for v in RULES[f.rule].same_as)
    ]


def both(override: dict[str, Any]) -> tuple[list[Finding], list[Finding]]:
    """The validation findings and the policy findings (default levels) of a mutated base stack."""
    _, validation = validate(cluster_from(override))
    return validation, run_policies(plan(override, allow_errors=True))


@pytest.mark.parametrize(("override", "path", "rule_id", "policy_id"), SHARED)
def test_a_shared_problem_is_one_finding_with_one_severity(
    override: dict[str, Any], path: str, rule_id: str, policy_id: str
) -> None:
    validation, policies = both(override)
    (spec_finding,) = [f for f in validation if f.rule == rule_id and f.path == path]
    (policy_finding,) = [f for f in policies if f.rule == policy_id]
    assert policy_finding.path == path
    assert spec_finding.severity == policy_finding.severity  # validate and plan: one exit code
    assert rule_id in RULES[policy_id].same_as
    merged = one_per_problem([*validation, *policies])
    at_path = [f for f in merged if f.path == path and f.rule in (rule_id, policy_id)]
    assert [(f.rule, f.extra.get("same_as")) for f in at_path] == [(rule_id, [policy_id])]
    assert duplicates(merged) == []


def test_every_policy_names_real_validation_rules() -> None:
    for rule in RULES.values():
        assert set(rule.same_as) <= set(VALIDATION_RULES), rule.id
