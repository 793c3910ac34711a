"""Fabric policies (CF-FAB-*): a passing and a failing case each, through the pulumi_policy SDK."""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.policies.rules._tokens import (
    GKE_CLUSTER,
    GKE_NODE_POOL,
    LAUNCH_TEMPLATE,
    NODE_GROUP,
    PLACEMENT_GROUP,
    SECURITY_GROUP,
    SG_EGRESS,
    SG_INGRESS,
    SG_RULE,
)

from tests.policies.support import res, violations

SG = (SECURITY_GROUP, "efa-sg")


def efa_interfaces(
    count: int, *, first: str = "efa", device_zero_on: tuple[int, ...] = (0,)
) -> list[dict[str, Any]]:
    return [
        {
            "interfaceType": first if card == 0 else "efa-only",
            "networkCardIndex": card,
            "deviceIndex": 0 if card in device_zero_on else 1,
            "securityGroups": ["sg-cluster", "sg-efa"],
            "associatePublicIpAddress": "false",
        }
        for card in range(count)
    ]


def launch_template(
    name: str = "gpu-lt",
    *,
    count: int = 32,
    instance_type: str = "p5.48xlarge",
    deps: tuple = (SG,),
    **extra: Any,
):
    inputs = {
        "instanceType": instance_type,
        "networkInterfaces": efa_interfaces(count),
        "placement": {"groupName": "<computed>"},
    }
    inputs.update(extra)
    return res(LAUNCH_TEMPLATE, name, inputs, deps=deps)


def self_rule(
    kind: str, name: str, own: str = "sg-efa", peer: str = "sg-efa", protocol: str = "-1"
):
    return res(
        kind,
        name,
        {"securityGroupId": own, "referencedSecurityGroupId": peer, "ipProtocol": protocol},
        deps=(SG,),
    )


def node_group(subnets: list[str], name: str = "gpu-ng", lt: str = "gpu-lt"):
    return res(
        NODE_GROUP,
        name,
        {"subnetIds": subnets, "launchTemplate": {"id": "lt-1", "version": "1"}},
        deps=((LAUNCH_TEMPLATE, lt),),
    )


def gke_pool(
    name: str = "pool",
    machine_type: str = "a3-megagpu-8g",
    *,
    networks: int = 0,
    gvnic: bool = True,
    **extra: Any,
):
    inputs: dict[str, Any] = {
        "nodeConfig": {"machineType": machine_type, "gvnic": {"enabled": gvnic}},
        "location": "us-central1",
    }
    if networks:
        inputs["networkConfig"] = {
            "additionalNodeNetworkConfigs": [
                {"network": f"n{i}", "subnetwork": f"s{i}"} for i in range(networks)
            ]
        }
    inputs.update(extra)
    return res(GKE_NODE_POOL, name, inputs, deps=((GKE_CLUSTER, "gke"),))


def tpu_pool(
    nodes: int,
    topology: str | None = "4x4x4",
    kind: str = "COMPACT",
    machine_type: str = "ct5p-hightpu-4t",
):
    extra: dict[str, Any] = {"nodeCount": nodes, "nodeLocations": ["us-east5-a"]}
    if topology is not None:
        extra["placementPolicy"] = {"type": kind, "tpuTopology": topology}
    return gke_pool("tpu", machine_type, **extra)


def gke_cluster(multi: bool = True, datapath: str = "ADVANCED_DATAPATH"):
    return res(
        GKE_CLUSTER,
        "gke",
        {"name": "gke", "enableMultiNetworking": multi, "datapathProvider": datapath},
    )


CASES = [
    # CF-FAB-001 EFA interfaces = what the type supports
    pytest.param("CF-FAB-001", [launch_template(count=32)], None, 0, id="FAB001-all-32-on-p5"),
    pytest.param("CF-FAB-001", [launch_template(count=1)], None, 1, id="FAB001-one-of-32"),
    pytest.param(
        "CF-FAB-001",
        [launch_template(count=1, instance_type="m7i.2xlarge")],
        None,
        1,
        id="FAB001-efa-on-cpu-type",
    ),
    pytest.param(
        "CF-FAB-001",
        [res(LAUNCH_TEMPLATE, "cpu-lt", {"instanceType": "p5.48xlarge"})],
        None,
        0,
        id="FAB001-no-efa-no-opinion",
    ),
    # CF-FAB-002 layout
    pytest.param(
        "CF-FAB-002",
        [launch_template(count=4, instance_type="p4d.24xlarge")],
        None,
        0,
        id="FAB002-layout-ok",
    ),
    pytest.param(
        "CF-FAB-002",
        [
            res(
                LAUNCH_TEMPLATE,
                "lt",
                {"networkInterfaces": efa_interfaces(4, first="efa-only", device_zero_on=(0, 2))},
            )
        ],
        None,
        1,
        id="FAB002-efa-only-primary-and-device-zero",
    ),  # fmt: skip
    # CF-FAB-003 EFA security group self rules
    pytest.param(
        "CF-FAB-003",
        [
            res(SECURITY_GROUP, "efa-sg"),
            self_rule(SG_INGRESS, "in"),
            self_rule(SG_EGRESS, "out"),
            launch_template(),
        ],
        None,
        0,
        id="FAB003-self-in-and-out",
    ),  # fmt: skip
    pytest.param(
        "CF-FAB-003",
        [
            res(SECURITY_GROUP, "efa-sg"),
            self_rule(SG_INGRESS, "in", "<computed>", "<computed>"),
            self_rule(SG_EGRESS, "out", "<computed>", "<computed>"),
            launch_template(),
        ],
        None,
        0,
        id="FAB003-unknown-ids-followed-by-dependency",
    ),  # fmt: skip
    pytest.param(
        "CF-FAB-003",
        [
            res(
                SECURITY_GROUP,
                "efa-sg",
                {
                    "ingress": [{"protocol": "-1", "self": True}],
                    "egress": [{"protocol": "-1", "self": True}],
                },
            ),
            launch_template(),
        ],
        None,
        0,
        id="FAB003-inline-rules",
    ),  # fmt: skip
    pytest.param(
        "CF-FAB-003",
        [
            res(SECURITY_GROUP, "efa-sg"),
            res(
                SG_RULE,
                "in",
                {"type": "ingress", "protocol": "-1", "self": True, "securityGroupId": "sg-efa"},
                deps=(SG,),
            ),
            res(
                SG_RULE,
                "out",
                {"type": "egress", "protocol": "-1", "self": True, "securityGroupId": "sg-efa"},
                deps=(SG,),
            ),
            launch_template(),
        ],
        None,
        0,
        id="FAB003-security-group-rule-resources",
    ),  # fmt: skip
    pytest.param(
        "CF-FAB-003",
        [res(SECURITY_GROUP, "efa-sg"), self_rule(SG_INGRESS, "in"), launch_template()],
        None,
        1,
        id="FAB003-no-egress",
    ),
    pytest.param(
        "CF-FAB-003",
        [
            res(SECURITY_GROUP, "efa-sg"),
            self_rule(SG_INGRESS, "in", peer="sg-other"),
            self_rule(SG_EGRESS, "out"),
            launch_template(),
        ],
        None,
        1,
        id="FAB003-ingress-from-another-group",
    ),  # fmt: skip
    pytest.param(
        "CF-FAB-003", [launch_template(deps=())], None, 0, id="FAB003-groups-outside-the-stack"
    ),
    # CF-FAB-004 no placement group on reserved capacity
    pytest.param("CF-FAB-004", [launch_template()], None, 0, id="FAB004-on-demand-with-placement"),
    pytest.param(
        "CF-FAB-004",
        [launch_template(instanceMarketOptions={"marketType": "capacity-block"})],
        None,
        1,
        id="FAB004-capacity-block",
    ),
    pytest.param(
        "CF-FAB-004",
        [
            launch_template(
                capacityReservationSpecification={
                    "capacityReservationTarget": {"capacityReservationId": "cr-1"}
                }
            )
        ],
        None,
        0,  # works when the reservation was made in the group: CAP002 warns from the spec
        id="FAB004-reservation-may-be-in-the-group",
    ),  # fmt: skip
    # CF-FAB-005 cluster placement for EFA (advisory)
    pytest.param("CF-FAB-005", [launch_template()], None, 0, id="FAB005-placed"),
    pytest.param(
        "CF-FAB-005",
        [res(LAUNCH_TEMPLATE, "lt", {"networkInterfaces": efa_interfaces(2)})],
        None,
        1,
        id="FAB005-no-placement",
    ),
    pytest.param(
        "CF-FAB-005",
        [
            res(PLACEMENT_GROUP, "pg", {"strategy": "cluster"}),
            launch_template(deps=((PLACEMENT_GROUP, "pg"),)),
        ],
        None,
        0,
        id="FAB005-cluster-group",
    ),
    pytest.param(
        "CF-FAB-005",
        [
            res(PLACEMENT_GROUP, "pg", {"strategy": "spread"}),
            launch_template(deps=((PLACEMENT_GROUP, "pg"),)),
        ],
        None,
        1,
        id="FAB005-spread-group",
    ),  # fmt: skip
    # CF-FAB-006 one subnet per EFA node group
    pytest.param(
        "CF-FAB-006", [launch_template(), node_group(["subnet-a"])], None, 0, id="FAB006-one-subnet"
    ),
    pytest.param(
        "CF-FAB-006",
        [launch_template(), node_group(["subnet-a", "subnet-b"])],
        None,
        1,
        id="FAB006-two-subnets",
    ),
    pytest.param(
        "CF-FAB-006",
        [
            res(LAUNCH_TEMPLATE, "cpu-lt", {"instanceType": "m7i.large"}),
            node_group(["a", "b"], lt="cpu-lt"),
        ],
        None,
        0,
        id="FAB006-cpu-pool-may-spread",
    ),  # fmt: skip
    # CF-FAB-007 GKE GPU networks per machine type
    pytest.param("CF-FAB-007", [gke_pool(networks=8)], None, 0, id="FAB007-a3-mega-8-networks"),
    pytest.param(
        "CF-FAB-007",
        [gke_pool("u", "a3-ultragpu-8g", networks=9)],
        None,
        0,
        id="FAB007-a3-ultra-8-rdma-plus-gvnic",
    ),
    pytest.param("CF-FAB-007", [gke_pool(networks=4)], None, 1, id="FAB007-a3-mega-4-networks"),
    pytest.param(
        "CF-FAB-007",
        [gke_pool("h", "a3-highgpu-8g", networks=4, gvnic=False)],
        None,
        1,
        id="FAB007-no-gvnic",
    ),
    # CF-FAB-008 TPU placement policy
    pytest.param("CF-FAB-008", [tpu_pool(16)], None, 0, id="FAB008-compact-with-topology"),
    pytest.param(
        "CF-FAB-008", [tpu_pool(16, topology=None)], None, 1, id="FAB008-multi-host-without-policy"
    ),
    pytest.param(
        "CF-FAB-008", [tpu_pool(16, kind="ANY")], None, 1, id="FAB008-topology-not-compact"
    ),
    pytest.param(
        "CF-FAB-008",
        [
            gke_pool(
                "tpu",
                "tpu7x-standard-4t",
                nodeCount=16,
                nodeLocations=["us-central1-c"],
                placementPolicy={"type": "COMPACT", "policyName": "tpu7x-workload"},
            )
        ],
        None,
        0,
        id="FAB008-tpu7x-with-workload-policy",
    ),
    pytest.param(
        "CF-FAB-008",
        [tpu_pool(16, machine_type="tpu7x-standard-4t")],
        None,
        1,
        id="FAB008-tpu7x-with-tpu-topology-only",
    ),
    # CF-FAB-009 TPU topology and node count
    pytest.param("CF-FAB-009", [tpu_pool(16)], None, 0, id="FAB009-4x4x4-is-16-hosts"),
    pytest.param("CF-FAB-009", [tpu_pool(8)], None, 1, id="FAB009-wrong-node-count"),
    pytest.param(
        "CF-FAB-009", [tpu_pool(16, topology="3x3x3")], None, 1, id="FAB009-invalid-topology"
    ),
    pytest.param(
        "CF-FAB-009",
        [tpu_pool(4, topology="4x4", machine_type="ct6e-standard-4t")],
        None,
        0,
        id="FAB009-v6e-4x4",
    ),
    # CF-FAB-010 multi-networking on the cluster
    pytest.param(
        "CF-FAB-010",
        [gke_cluster(), gke_pool(networks=8)],
        None,
        0,
        id="FAB010-multi-networking-on",
    ),
    pytest.param(
        "CF-FAB-010",
        [gke_cluster(multi=False, datapath="LEGACY_DATAPATH"), gke_pool(networks=8)],
        None,
        1,
        id="FAB010-off",
    ),
    # CF-FAB-011 compact placement in one zone
    pytest.param(
        "CF-FAB-011",
        [gke_pool(placementPolicy={"type": "COMPACT"}, nodeLocations=["us-central1-a"])],
        None,
        0,
        id="FAB011-one-zone",
    ),
    pytest.param(
        "CF-FAB-011",
        [
            gke_pool(
                placementPolicy={"type": "COMPACT"},
                nodeLocations=["us-central1-a", "us-central1-b"],
            )
        ],
        None,
        1,
        id="FAB011-two-zones",
    ),  # fmt: skip
    pytest.param(
        "CF-FAB-011",
        [gke_pool(placementPolicy={"type": "COMPACT"})],
        None,
        1,
        id="FAB011-regional-pool",
    ),
]


@pytest.mark.parametrize(("rule_id", "resources", "settings", "expected"), CASES)
def test_fabric_policy(rule_id: str, resources: list, settings: dict | None, expected: int) -> None:
    found = violations(rule_id, resources, settings)
    assert len(found) == expected, [f.message for f in found]
    assert all(f.rule == rule_id and f.source == "policy" and f.hint for f in found)


def test_messages_say_what_and_how_much() -> None:
    (finding,) = violations("CF-FAB-001", [launch_template(count=1)])
    assert "1 EFA interface(s) on p5.48xlarge, which supports 32" in finding.message
    (finding,) = violations("CF-FAB-009", [tpu_pool(8)])
    assert "it needs 16" in finding.message
