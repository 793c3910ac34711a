"""VPC and EKS wiring."""

from __future__ import annotations

import ipaddress
import json

import pytest

from clusterforge.catalog.ipspace import subnet_layout
from clusterforge.graph import ResourceGraph

from helpers import plan


def test_subnet_layout_is_disjoint_and_inside_the_vpc() -> None:
    plans = subnet_layout("10.0.0.0/16", ["a", "b", "c"])
    cidrs = [ipaddress.ip_network(c) for p in plans for c in (p.private_cidr, p.public_cidr)]
    vpc = ipaddress.ip_network("10.0.0.0/16")
    assert all(c.subnet_of(vpc) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])
    assert plans[0].private_cidr == "10.0.0.0/18"
    with pytest.raises(ValueError):
        subnet_layout("10.0.0.0/16", ["a", "b", "c", "d"])


def test_vpc_has_private_and_public_subnets_per_zone_nat_and_s3_endpoint(
    base_graph: ResourceGraph,
) -> None:
    subnets = base_graph.of_type("aws:ec2/subnet:Subnet")
    zones = sorted({s.inputs["availabilityZone"] for s in subnets})
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert (
        sum("private" in s.name for s in subnets) == 3
        and sum("public" in s.name for s in subnets) == 3
    )
    assert not any(s.inputs.get("mapPublicIpOnLaunch") for s in subnets)
    assert len(base_graph.of_type("aws:ec2/natGateway:NatGateway")) == 1
    endpoint = base_graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")[0].inputs
    assert (
        endpoint["serviceName"] == "com.amazonaws.us-east-1.s3"
        and endpoint["vpcEndpointType"] == "Gateway"
    )
    assert len(endpoint["routeTableIds"]) == 4


def test_nat_per_zone() -> None:
    graph = plan({"network": {"nat": "per_zone"}})
    assert len(graph.of_type("aws:ec2/natGateway:NatGateway")) == 3


def test_explicit_zones_are_used() -> None:
    graph = plan({"network": {"zones": ["us-east-1a", "us-east-1d"]}})
    assert sorted(
        {s.inputs["availabilityZone"] for s in graph.of_type("aws:ec2/subnet:Subnet")}
    ) == ["us-east-1a", "us-east-1d"]


def test_eks_cluster_private_encrypted_logged(base_graph: ResourceGraph) -> None:
    cluster = base_graph.of_type("aws:eks/cluster:Cluster")[0].inputs
    vpc = cluster["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    assert len(vpc["subnetIds"]) == 3
    key = base_graph.of_type("aws:kms/key:Key")[0]
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert (
        cluster["encryptionConfig"]["provider"]["keyArn"]
        == f"arn:aws:kms:us-east-1:123456789012:key/{key.id}"
    )
    assert key.inputs["enableKeyRotation"] is True
    assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    assert cluster["version"] == "1.35"


def test_public_endpoint_restricted_to_cidrs_and_admin_access_entries() -> None:
    graph = plan(
        {
            "kubernetes": {
                "endpoint_public_access": True,
                "public_access_cidrs": ["203.0.113.0/24"],
                "admins": ["arn:aws:iam::111122223333:role/admin"],
            }
        }
    )
    vpc = graph.of_type("aws:eks/cluster:Cluster")[0].inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    entry = graph.of_type("aws:eks/accessEntry:AccessEntry")[0].inputs
    assoc = graph.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")[0].inputs
    assert entry["principalArn"] == assoc["principalArn"] == "arn:aws:iam::111122223333:role/admin"
    assert assoc["policyArn"].endswith("AmazonEKSClusterAdminPolicy")


def test_managed_addons_and_their_order(base_graph: ResourceGraph) -> None:
    addons = {r.inputs["addonName"]: r for r in base_graph.of_type("aws:eks/addon:Addon")}
    assert sorted(addons) == [
        "aws-ebs-csi-driver",
        "coredns",
        "eks-node-monitoring-agent",  # the GPU pool has node repair
        "eks-pod-identity-agent",
        "kube-proxy",
        "vpc-cni",
    ]
    system_group = next(
        r
        for r in base_graph.of_type("aws:eks/nodeGroup:NodeGroup")
        if r.name.endswith("-system-ng")
    )
    assert system_group.urn in addons["coredns"].dependencies
    ebs = addons["aws-ebs-csi-driver"].inputs["podIdentityAssociations"][0]
    assert ebs["serviceAccount"] == "ebs-csi-controller-sa"
    # Node groups wait for the networking add-ons.
    gpu_pool = next(
        r
        for r in base_graph.resources
        if r.type == "clusterforge:aws:NodePool" and r.name.endswith("-gpu")
    )
    assert addons["vpc-cni"].urn in gpu_pool.dependencies


def test_every_custom_resource_is_parented_to_a_component_and_uses_the_cluster_provider(
    base_graph: ResourceGraph,
) -> None:
    for resource in base_graph.custom_resources:
        parent = base_graph.get(resource.parent)
        assert parent is not None and parent.type.startswith("clusterforge:")
        expected = (
            "test-cluster-k8s" if resource.type.startswith("kubernetes:") else "test-cluster-aws"
        )
        assert resource.options.get("provider") == expected


def test_tags_on_taggable_resources(base_graph: ResourceGraph) -> None:
    for type_token in (
        "aws:ec2/vpc:Vpc",
        "aws:eks/cluster:Cluster",
        "aws:fsx/lustreFileSystem:LustreFileSystem",
        "aws:eks/nodeGroup:NodeGroup",
    ):
        for resource in base_graph.of_type(type_token):
            assert resource.inputs["tags"]["team"] == "ml"
            assert resource.inputs["tags"]["clusterforge.io/cluster"] == "test-cluster"


def test_stack_outputs_mask_the_kubeconfig(base_graph: ResourceGraph) -> None:
    outputs = base_graph.stack_outputs
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["clusterName"] == "test-cluster"
    assert outputs["fileSystems"]["scratch"]["mountName"]
    assert set(outputs["nodeGroups"]) == {"system", "gpu"}


def test_no_node_monitoring_agent_without_node_repair() -> None:
    graph = plan({"node_pools": [{}, {"name": "gpu", "instance_type": "m7i.4xlarge", "nodes": 2}]})
    names = {r.inputs["addonName"] for r in graph.of_type("aws:eks/addon:Addon")}
    assert "eks-node-monitoring-agent" not in names
    assert all(
        "nodeRepairConfig" not in r.inputs for r in graph.of_type("aws:eks/nodeGroup:NodeGroup")
    )


def test_vpc_cni_settings_reach_the_managed_add_on(base_graph: ResourceGraph) -> None:
    def vpc_cni(graph: ResourceGraph) -> dict[str, object]:
        return next(
            r.inputs
            for r in graph.of_type("aws:eks/addon:Addon")
            if r.inputs["addonName"] == "vpc-cni"
        )

    assert "configurationValues" not in vpc_cni(base_graph)  # the CNI's defaults
    graph = plan({"network": {"vpc_cni": {"prefix_delegation": True, "warm_prefix_target": 1}}})
    assert json.loads(str(vpc_cni(graph)["configurationValues"])) == {
        "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
    }
