"""Cost and governance policies (CF-GOV-*): a passing and a failing case each, through the pulumi_policy SDK."""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.policies.rules._tokens import (
    AWS_PROVIDER,
    EKS_CLUSTER,
    GCP_PROVIDER,
    GKE_NODE_POOL,
    LAUNCH_TEMPLATE,
    NODE_GROUP,
)

from tests.policies.support import res, violations

PROVIDER = res(AWS_PROVIDER, "aws", {"region": "us-east-1"})


def pool(
    name: str,
    instance_type: str,
    nodes: int,
    *,
    capacity: str = "ON_DEMAND",
    ami: str = "AL2023_x86_64_NVIDIA",
    **extra: Any,
):
    template = res(
        LAUNCH_TEMPLATE,
        f"{name}-lt",
        {"instanceType": instance_type, "tags": {"team": "ml"}},
        provider="aws",
    )
    inputs = {"scalingConfig": {"desiredSize": nodes, "minSize": 0, "maxSize": nodes * 2}, "capacityType": capacity, "amiType": ami,
              "launchTemplate": {"id": "lt-x", "version": "1"}, "tags": {"team": "ml"}, **extra}  # fmt: skip
    group = res(
        NODE_GROUP, f"{name}-ng", inputs, deps=((LAUNCH_TEMPLATE, f"{name}-lt"),), provider="aws"
    )
    return [template, group]


def gke_pool(machine_type: str, nodes: int, **node_config: Any):
    inputs = {"nodeCount": nodes, "location": "us-central1", "nodeLocations": ["us-central1-a"],
              "nodeConfig": {"machineType": machine_type, **node_config}}  # fmt: skip
    return res(GKE_NODE_POOL, f"{machine_type}-np", inputs, provider="gcp")


def efa_pool(max_nodes: int) -> list:
    """An unlabelled spot pool whose launch template has EFA interfaces."""
    template, group = pool("gpu", "p5.48xlarge", 1, capacity="SPOT")
    template.inputs["networkInterfaces"] = [{"interfaceType": "efa", "networkCardIndex": 0}]
    group.inputs["scalingConfig"] = {"desiredSize": 1, "minSize": 0, "maxSize": max_nodes}
    return [template, group]


GCP_PROVIDER_RESOURCE = res(GCP_PROVIDER, "gcp", {"region": "us-central1", "project": "p"})
TRAINING = [
    PROVIDER,
    *pool("system", "m7i.2xlarge", 2, ami="AL2023_x86_64_STANDARD"),
    *pool("h100", "p5.48xlarge", 4),
]

CASES = [
    # CF-GOV-001 hourly budget ($220.16/h for 4 x p5.48xlarge in us-east-1)
    pytest.param("CF-GOV-001", TRAINING, None, 0, id="GOV001-no-budget-set"),
    pytest.param("CF-GOV-001", TRAINING, {"maxHourlyUsd": 500}, 0, id="GOV001-within-budget"),
    pytest.param("CF-GOV-001", TRAINING, {"maxHourlyUsd": 100}, 1, id="GOV001-over-budget"),
    pytest.param(
        "CF-GOV-001",
        TRAINING,
        {"maxHourlyUsd": 300, "scale": "max"},
        1,
        id="GOV001-over-at-max-size",
    ),
    pytest.param(
        "CF-GOV-001",
        [GCP_PROVIDER_RESOURCE, gke_pool("a3-megagpu-8g", 2)],
        {"maxHourlyUsd": 100},
        1,
        id="GOV001-gke-pool",
    ),
    pytest.param(
        "CF-GOV-001",
        [PROVIDER, *pool("system", "m7i.2xlarge", 2), *pool("gb", "p6e-gb200.36xlarge", 18)],
        {"maxHourlyUsd": 100},
        1,
        id="GOV001-unpriced-pool-under-budget",
    ),
    pytest.param(
        "CF-GOV-001",
        [PROVIDER, *pool("system", "m7i.2xlarge", 2), *pool("gb", "p6e-gb200.36xlarge", 18)],
        {"maxHourlyUsd": 100, "allowUnpriced": True},
        0,
        id="GOV001-unpriced-pool-accepted",
    ),
    # CF-GOV-002 allowed regions
    pytest.param(
        "CF-GOV-002",
        TRAINING,
        {"allowedRegions": ["us-east-1", "us-west-2"]},
        0,
        id="GOV002-allowed",
    ),
    pytest.param(
        "CF-GOV-002", TRAINING, {"allowedRegions": ["eu-west-1"]}, 1, id="GOV002-not-allowed"
    ),
    pytest.param(
        "CF-GOV-002",
        [GCP_PROVIDER_RESOURCE, gke_pool("n2-standard-8", 1)],
        {"allowedRegions": ["europe-west4"]},
        1,
        id="GOV002-gke-location",
    ),
    # CF-GOV-003 allowed accelerators / instance types
    pytest.param(
        "CF-GOV-003",
        TRAINING,
        {"allowedAccelerators": ["H100", "H200"]},
        0,
        id="GOV003-h100-allowed",
    ),
    pytest.param(
        "CF-GOV-003", TRAINING, {"allowedAccelerators": ["L40S"]}, 1, id="GOV003-h100-not-allowed"
    ),
    pytest.param(
        "CF-GOV-003",
        TRAINING,
        {"allowedInstanceTypes": ["m7i.*", "p5.*"]},
        0,
        id="GOV003-patterns-match",
    ),
    pytest.param(
        "CF-GOV-003",
        TRAINING,
        {"allowedInstanceTypes": ["m7i.*", "p5e.*"]},
        1,
        id="GOV003-pattern-misses",
    ),
    pytest.param(
        "CF-GOV-003",
        [gke_pool("ct5p-hightpu-4t", 16)],
        {"allowedAccelerators": ["tpu-v6e"]},
        1,
        id="GOV003-tpu",
    ),
    # CF-GOV-004 required tags
    pytest.param("CF-GOV-004", TRAINING, {"requiredTags": ["team"]}, 0, id="GOV004-tagged"),
    pytest.param(
        "CF-GOV-004",
        TRAINING,
        {"requiredTags": ["team", "cost-center"]},
        1,
        id="GOV004-missing-one-set",
    ),
    pytest.param(
        "CF-GOV-004",
        [
            res(
                AWS_PROVIDER,
                "aws",
                {"region": "us-east-1", "defaultTags": {"tags": {"cost-center": "42"}}},
            ),
            *TRAINING[1:],
        ],
        {"requiredTags": ["team", "cost-center"]},
        0,
        id="GOV004-provider-default-tags",
    ),  # fmt: skip
    pytest.param(
        "CF-GOV-004",
        [res(EKS_CLUSTER, "eks", {"name": "x"})],
        {"requiredTags": ["team"]},
        1,
        id="GOV004-untagged-cluster",
    ),
    # CF-GOV-005 spot by role
    pytest.param(
        "CF-GOV-005",
        pool(
            "serve",
            "g6e.12xlarge",
            1,
            capacity="SPOT",
            taints=[{"key": "workload", "value": "inference"}],
        ),
        None,
        0,
        id="GOV005-spot-inference",
    ),  # fmt: skip
    pytest.param(
        "CF-GOV-005",
        pool("train", "p5.48xlarge", 2, capacity="SPOT", labels={"workload": "training"}),
        None,
        1,
        id="GOV005-spot-training",
    ),
    pytest.param(
        "CF-GOV-005",
        pool("sys", "m7i.large", 2, capacity="SPOT", ami="AL2023_x86_64_STANDARD"),
        None,
        1,
        id="GOV005-spot-system",
    ),
    pytest.param(
        "CF-GOV-005",
        pool("sys", "m7i.large", 2, capacity="SPOT", ami="AL2023_x86_64_STANDARD"),
        {"spotAllowed": {"system": True}},
        0,
        id="GOV005-configured-allowed",
    ),  # fmt: skip
    pytest.param(
        "CF-GOV-005",
        [gke_pool("a3-highgpu-8g", 2, spot=True, labels={"workload": "training"})],
        None,
        1,
        id="GOV005-gke-spot-training",
    ),
    # No role label: a multi-node EFA pool is tightly coupled training, a single node is not.
    pytest.param(
        "CF-GOV-005",
        efa_pool(2),
        None,
        1,
        id="GOV005-unlabelled-multi-node-efa-is-training",
    ),
    pytest.param("CF-GOV-005", efa_pool(1), None, 0, id="GOV005-single-node-efa"),
    pytest.param(
        "CF-GOV-005",
        [
            gke_pool("a3-megagpu-8g", 2, spot=True),
        ],
        None,
        0,
        id="GOV005-gke-unlabelled-no-fabric",
    ),
]


@pytest.mark.parametrize(("rule_id", "resources", "settings", "expected"), CASES)
def test_governance_policy(
    rule_id: str, resources: list, settings: dict | None, expected: int
) -> None:
    found = violations(rule_id, resources, settings)
    assert len(found) == expected, [f.message for f in found]
    assert all(f.rule == rule_id for f in found)


def test_budget_names_the_most_expensive_pool_and_the_prices() -> None:
    (finding,) = violations("CF-GOV-001", TRAINING, {"maxHourlyUsd": 100})
    assert finding.extra["resource"] == "h100-ng"
    assert (
        "$220.97/hour" in finding.message and "over the budget of $100.00/hour" in finding.message
    )
    assert "h100-ng 4 x p5.48xlarge $220.16/h" in finding.message


def test_budget_names_unpriced_pools_instead_of_passing_an_incomplete_total() -> None:
    resources = [PROVIDER, *pool("system", "m7i.2xlarge", 2), *pool("gb", "p6e-gb200.36xlarge", 18)]
    (finding,) = violations("CF-GOV-001", resources, {"maxHourlyUsd": 100})
    assert finding.extra["resource"] == "gb-ng"
    assert "cannot be checked: no price for gb-ng (18 x p6e-gb200.36xlarge: no list price)" in (
        finding.message
    )
    assert "allowUnpriced" in finding.message
    # Over the budget already: one finding, the unpriced pool named beside the priced total.
    over = [*TRAINING, *pool("gb", "p6e-gb200.36xlarge", 18)]
    (finding,) = violations("CF-GOV-001", over, {"maxHourlyUsd": 100})
    assert "over the budget" in finding.message and "unpriced: gb-ng" in finding.message
