"""Node pool wiring: EFA interfaces per type, placement, capacity, AMI, taints, IMDSv2, RAID0."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from clusterforge.catalog import load
from clusterforge.graph import ResourceGraph

from helpers import plan

LT = "aws:ec2/launchTemplate:LaunchTemplate"
NG = "aws:eks/nodeGroup:NodeGroup"


def launch_template(graph: ResourceGraph, pool: str) -> dict:
    return next(r for r in graph.of_type(LT) if r.name.endswith(f"-{pool}-lt")).inputs


def node_group(graph: ResourceGraph, pool: str) -> dict:
    return next(r for r in graph.of_type(NG) if r.name.endswith(f"-{pool}-ng")).inputs


def planned_interfaces(instance_type: str) -> list[dict[str, Any]]:
    catalog = load("aws")
    # A region and zone where EC2 offers the type (catalog zone data), as a user would pick.
    region, zone = next(
        (r, z[0])
        for r, by_type in sorted(catalog.zones.items())
        if (z := by_type.get(instance_type))
    )
    pool = {"name": "gpu", "instance_type": instance_type, "nodes": 2}
    graph = plan({"region": region, "zone": zone, "node_pools": [{}, pool]})
    interfaces: list[dict[str, Any]] = launch_template(graph, "gpu")["networkInterfaces"]
    return interfaces


@pytest.mark.parametrize(
    "instance_type",
    [
        "p5.48xlarge",
        "p5en.48xlarge",
        "p6-b200.48xlarge",
        "p6-b300.48xlarge",
        "p4d.24xlarge",
        "trn1.32xlarge",
        "trn1n.32xlarge",
        "trn2.48xlarge",
        "p5.4xlarge",
        "g7e.48xlarge",
    ],
)
def test_every_efa_card_of_the_type_gets_one_efa_only_interface(instance_type: str) -> None:
    offering = load("aws").get(instance_type)
    interfaces = planned_interfaces(instance_type)
    # The primary interface is ENA; then AWS's documented layout, one efa-only per EFA card.
    assert [(i["networkCardIndex"], i["deviceIndex"], i["interfaceType"]) for i in interfaces] == [
        (0, 0, "interface")
    ] + [(card, 1 if card == 0 else 0, "efa-only") for card in offering.efa_network_cards]
    assert len(interfaces) - 1 == offering.efa_interfaces
    assert all(i["associatePublicIpAddress"] == "false" for i in interfaces)


def test_p6_b300_has_16_efa_interfaces_on_cards_1_to_16_and_none_on_card_0() -> None:
    interfaces = planned_interfaces("p6-b300.48xlarge")
    efa = [i for i in interfaces if i["interfaceType"] in ("efa", "efa-only")]
    assert [i["networkCardIndex"] for i in efa] == list(range(1, 17))
    assert all(i["deviceIndex"] == 0 for i in efa)
    assert [i["interfaceType"] for i in interfaces if i["networkCardIndex"] == 0] == ["interface"]


def test_efa_security_group_allows_all_traffic_to_and_from_itself(
    base_graph: ResourceGraph,
) -> None:
    sg = next(
        r
        for r in base_graph.of_type("aws:ec2/securityGroup:SecurityGroup")
        if r.name.endswith("-gpu-efa")
    )
    rules = [
        r
        for r in base_graph.resources
        if r.type.startswith("aws:vpc/securityGroup") and r.inputs.get("securityGroupId") == sg.id
    ]
    kinds = sorted(r.type.rsplit(":", 1)[-1] for r in rules)
    assert kinds == ["SecurityGroupEgressRule", "SecurityGroupIngressRule"]
    for rule in rules:
        assert rule.inputs["ipProtocol"] == "-1"
        assert rule.inputs["referencedSecurityGroupId"] == sg.id
    # Every EFA interface carries the EFA group and the cluster security group.
    for interface in launch_template(base_graph, "gpu")["networkInterfaces"]:
        assert sg.id in interface["securityGroups"] and len(interface["securityGroups"]) == 2


def test_cpu_pool_has_no_efa_and_no_interfaces_override(base_graph: ResourceGraph) -> None:
    lt = launch_template(base_graph, "system")
    assert "networkInterfaces" not in lt and "placement" not in lt
    assert not any(r.name.endswith("-system-efa") for r in base_graph.resources)


def test_on_demand_efa_pool_gets_a_cluster_placement_group(base_graph: ResourceGraph) -> None:
    groups = base_graph.of_type("aws:ec2/placementGroup:PlacementGroup")
    assert len(groups) == 1 and groups[0].inputs["strategy"] == "cluster"
    assert launch_template(base_graph, "gpu")["placement"]["groupName"]


@pytest.mark.parametrize("capacity", ["capacity_block", "reservation"])
def test_reserved_capacity_gets_no_placement_group_and_targets_the_reservation(
    capacity: str,
) -> None:
    graph = plan(
        {
            "node_pools": [
                {},
                {"capacity": {"type": capacity, "reservation_id": "cr-0123456789abcdef0"}},
            ]
        }
    )
    assert graph.of_type("aws:ec2/placementGroup:PlacementGroup") == []
    lt = launch_template(graph, "gpu")
    assert "placement" not in lt
    target = lt["capacityReservationSpecification"]["capacityReservationTarget"]
    assert target["capacityReservationId"] == "cr-0123456789abcdef0"
    ng = node_group(graph, "gpu")
    if capacity == "capacity_block":
        assert lt["instanceMarketOptions"]["marketType"] == "capacity-block"
        assert ng["capacityType"] == "CAPACITY_BLOCK"
    else:
        assert "instanceMarketOptions" not in lt
        assert ng["capacityType"] == "ON_DEMAND"
    # The instance type lives in the launch template, never on the node group.
    assert lt["instanceType"] == "p5.48xlarge" and "instanceTypes" not in ng


def test_efa_pool_uses_exactly_the_subnet_of_its_zone(base_graph: ResourceGraph) -> None:
    subnets = node_group(base_graph, "gpu")["subnetIds"]
    assert len(subnets) == 1
    subnet = base_graph.by_id(subnets[0])
    assert (
        subnet.type == "aws:ec2/subnet:Subnet" and subnet.inputs["availabilityZone"] == "us-east-1a"
    )
    assert "private" in subnet.name
    system = node_group(base_graph, "system")["subnetIds"]
    assert len(system) == 3 and all("private" in base_graph.by_id(s).name for s in system)


def test_nvidia_pool_ami_taint_labels(base_graph: ResourceGraph) -> None:
    ng = node_group(base_graph, "gpu")
    assert ng["amiType"] == "AL2023_x86_64_NVIDIA"
    assert ng["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert ng["labels"]["clusterforge.io/accelerator"] == "h100"
    assert ng["nodeRepairConfig"] == {"enabled": True}
    system = node_group(base_graph, "system")
    assert system["amiType"] == "AL2023_x86_64_STANDARD" and system["taints"] == []


def test_trainium_pool_gets_neuron_ami_and_taint() -> None:
    graph = plan(
        {
            "region": "us-west-2",
            "zone": "us-west-2d",
            "node_pools": [{}, {"instance_type": "trn1.32xlarge"}],
        }
    )
    ng = node_group(graph, "gpu")
    assert ng["amiType"] == "AL2023_x86_64_NEURON"
    assert ng["taints"][0]["key"] == "aws.amazon.com/neuron"


def test_imdsv2_required_and_encrypted_root_on_every_launch_template(
    base_graph: ResourceGraph,
) -> None:
    for lt in base_graph.of_type(LT):
        assert lt.inputs["metadataOptions"]["httpTokens"] == "required"
        ebs = lt.inputs["blockDeviceMappings"][0]["ebs"]
        assert ebs["encrypted"] == "true" and ebs["volumeType"] == "gp3"


def test_local_nvme_raid0_only_where_the_type_has_disks(base_graph: ResourceGraph) -> None:
    gpu = base64.b64decode(launch_template(base_graph, "gpu")["userData"]).decode()
    assert "kind: NodeConfig" in gpu and "strategy: RAID0" in gpu
    assert "userData" not in launch_template(base_graph, "system")
    off = plan({"node_pools": [{}, {"local_nvme_raid0": False}]})
    assert "userData" not in launch_template(off, "gpu")


def test_autoscaled_pool_leaves_desired_size_to_the_autoscaler() -> None:
    graph = plan({"node_pools": [{}, {"nodes": 1, "min_nodes": 0, "max_nodes": 4}]})
    ng = next(r for r in graph.of_type(NG) if r.name.endswith("-gpu-ng"))
    assert ng.inputs["scalingConfig"] == {"desiredSize": 1, "minSize": 0, "maxSize": 4}
    assert ng.options["ignoreChanges"] == ["scalingConfig.desiredSize"]
    fixed = next(r for r in graph.of_type(NG) if r.name.endswith("-system-ng"))
    assert "ignoreChanges" not in fixed.options


def test_user_taints_and_labels_are_kept() -> None:
    graph = plan({"node_pools": [{}, {"taints": ["team=a:NoExecute"], "labels": {"tier": "gold"}}]})
    ng = node_group(graph, "gpu")
    assert {"key": "team", "value": "a", "effect": "NO_EXECUTE"} in ng["taints"]
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"} in ng["taints"]
    assert ng["labels"]["tier"] == "gold"


ASG_TAG = "aws:autoscaling/tag:Tag"
TEMPLATE = "k8s.io/cluster-autoscaler/node-template"


def asg_tags(graph: ResourceGraph, pool: str) -> dict[str, str]:
    return {
        r.inputs["tag"]["key"]: r.inputs["tag"]["value"]
        for r in graph.of_type(ASG_TAG)
        if r.name.split("-asg-")[0].endswith(f"-{pool}")
    }


def test_a_min_zero_efa_pool_carries_the_scale_from_zero_tags_on_its_asg() -> None:
    pool = {"name": "gpu", "instance_type": "p5.48xlarge", "min_nodes": 0, "max_nodes": 4}
    graph = plan({"node_pools": [{}, pool]})
    tags = asg_tags(graph, "gpu")
    assert tags[f"{TEMPLATE}/resources/nvidia.com/gpu"] == "8"
    assert tags[f"{TEMPLATE}/resources/vpc.amazonaws.com/efa"] == "32"
    assert tags[f"{TEMPLATE}/label/clusterforge.io/pool"] == "gpu"
    assert tags[f"{TEMPLATE}/taint/nvidia.com/gpu"] == "present:NoSchedule"
    # On the node group's own Auto Scaling group (EKS does not copy node group tags there).
    names = {r.inputs["autoscalingGroupName"] for r in graph.of_type(ASG_TAG)}
    assert len(names) == 1 and next(iter(names)).startswith("eks-")
    assert all(r.inputs["tag"]["propagateAtLaunch"] is False for r in graph.of_type(ASG_TAG))


def test_a_trainium_pool_at_zero_advertises_devices_and_cores() -> None:
    pool = {"name": "trn", "instance_type": "trn2.48xlarge", "min_nodes": 0, "max_nodes": 2}
    tags = asg_tags(
        plan({"region": "us-east-2", "zone": "us-east-2a", "node_pools": [{}, pool]}), "trn"
    )
    assert tags[f"{TEMPLATE}/resources/aws.amazon.com/neuron"] == "16"
    # the cores the device plugin advertises at LNC=2 (128 physical), as Kueue's quota counts them
    assert tags[f"{TEMPLATE}/resources/aws.amazon.com/neuroncore"] == "64"
    assert tags[f"{TEMPLATE}/taint/aws.amazon.com/neuron"] == "present:NoSchedule"


@pytest.mark.parametrize(
    "pool",
    [
        {"name": "gpu", "instance_type": "p5.48xlarge", "min_nodes": 1, "max_nodes": 4},
        {"name": "gpu", "instance_type": "p5.48xlarge", "nodes": 2},
        {"name": "gpu", "instance_type": "m7i.2xlarge", "min_nodes": 0, "max_nodes": 4},
    ],
    ids=["min-1", "fixed-size", "cpu-pool"],
)
def test_pools_that_never_scale_from_zero_get_no_template_tags(pool: dict[str, Any]) -> None:
    assert asg_tags(plan({"node_pools": [{}, pool]}), "gpu") == {}


def test_bottlerocket_nvidia_gets_no_al2023_node_config_and_no_second_device_plugin() -> None:
    pool = {
        "name": "gpu",
        "instance_type": "p5.48xlarge",
        "nodes": 2,
        "ami_type": "BOTTLEROCKET_x86_64_NVIDIA",
        "local_nvme_raid0": False,
    }
    graph = plan({"node_pools": [{}, pool]})
    assert "userData" not in launch_template(graph, "gpu")
    assert node_group(graph, "gpu")["amiType"] == "BOTTLEROCKET_x86_64_NVIDIA"
    charts = {r.inputs.get("chart") for r in graph.of_type("kubernetes:helm.sh/v4:Chart")}
    assert "nvidia-device-plugin" not in charts
    # The AL2023 NVIDIA AMI has no device plugin: there, clusterforge adds one.
    graph = plan({"node_pools": [{}, {**pool, "ami_type": None}]})
    charts = {r.inputs.get("chart") for r in graph.of_type("kubernetes:helm.sh/v4:Chart")}
    assert "nvidia-device-plugin" in charts
