"""AWS node pool rules (rules/aws.py): AMI type vs accelerator, architecture and Kubernetes
version; zones the VPC has; Capacity Block upgrades; Bottlerocket local disks; subnet IP space
and VPC CNI settings."""

from __future__ import annotations

import pytest

from clusterforge.findings import Severity

from tests.validate.support import Case, bad, check, good

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def h100(**fields: object) -> dict[str, object]:
    return {"node_pools": {1: fields}}


CASES = [
    # AWS001: the AMI type exists.
    good("AWS001", "default", {}),
    good("AWS001", "bottlerocket-nvidia", h100(ami_type="BOTTLEROCKET_x86_64_NVIDIA")),
    bad(
        "AWS001",
        "typo",
        h100(ami_type="AL2023_X86_64_NVIDIA"),
        ERROR,
        "node_pools[1].ami_type",
        "unknown EKS AMI type 'AL2023_X86_64_NVIDIA'",
        "AL2023_x86_64_NVIDIA",
    ),
    # AWS002: the AMI drives the accelerator, on the right architecture.
    good("AWS002", "al2023-nvidia-on-p5", h100(ami_type="AL2023_x86_64_NVIDIA")),
    good(
        "AWS002",
        "neuron-on-trn2",
        h100(instance_type="trn2.48xlarge", ami_type="AL2023_x86_64_NEURON", zone="us-east-1b"),
    ),
    bad(
        "AWS002",
        "standard-on-p5",
        h100(ami_type="AL2023_x86_64_STANDARD"),
        ERROR,
        "node_pools[1].ami_type",
        "AL2023_x86_64_STANDARD has no NVIDIA driver",
        "use AL2023_x86_64_NVIDIA",
    ),
    bad(
        "AWS002",
        "arm-ami-on-x86",
        h100(ami_type="AL2023_ARM_64_NVIDIA"),
        ERROR,
        "node_pools[1].ami_type",
        "AL2023_ARM_64_NVIDIA is an arm64 AMI; p5.48xlarge is x86_64",
        "AL2023_x86_64_NVIDIA",
    ),
    bad(
        "AWS002",
        "nvidia-ami-on-trainium",
        h100(instance_type="trn1.32xlarge", ami_type="AL2023_x86_64_NVIDIA"),
        ERROR,
        "node_pools[1].ami_type",
        "is not the EKS Neuron AMI",
        "AL2023_x86_64_NEURON",
    ),
    bad(
        "AWS002",
        "gpu-ami-on-cpu-pool",
        {"node_pools": {0: {"ami_type": "AL2023_x86_64_NVIDIA"}}},
        WARNING,
        "node_pools[0].ami_type",
        "is an accelerated AMI on m7i.2xlarge",
        "AL2023_x86_64_STANDARD",
    ),
    # AWS003: zones the VPC has.
    good("AWS003", "listed", {}),
    good("AWS003", "three-derived", {"network": {"zones": None}, "zone": "us-east-1c"}),
    bad(
        "AWS003",
        "pool-zone-not-listed",
        h100(zone="us-east-1c"),
        ERROR,
        "node_pools[1].zone",
        "zone us-east-1c is not in network.zones (us-east-1a, us-east-1b)",
        "add us-east-1c to network.zones",
    ),
    bad(
        "AWS003",
        "storage-zone-not-listed",
        {"storage": {0: {"zone": "us-east-1d"}}},
        ERROR,
        "storage[0].zone",
        "zone us-east-1d is not in network.zones",
        "add us-east-1d",
    ),
    bad(
        "AWS003",
        "four-zones",
        {
            "network": {"zones": None},
            "zone": "us-east-1b",
            "node_pools": {0: {"zone": "us-east-1c"}, 1: {"zone": "us-east-1a"}},
            "storage": {0: {"zone": "us-east-1d"}},
        },
        ERROR,
        "network.zones",
        "need 4 zones",
        "at most three zones",
    ),
    # AWS004: no AL2 for Kubernetes versions after EKS stopped building it.
    good(
        "AWS004",
        "al2-on-1.32",
        {"kubernetes": {"version": "1.32"}, "node_pools": {1: {"ami_type": "AL2_x86_64_GPU"}}},
    ),
    bad(
        "AWS004",
        "al2-on-1.35",
        {"kubernetes": {"version": "1.35"}, "node_pools": {1: {"ami_type": "AL2_x86_64_GPU"}}},
        ERROR,
        "node_pools[1].ami_type",
        "no Amazon Linux 2 AMI for Kubernetes 1.35 (the last is 1.32)",
        "AL2023",
    ),
    # AWS005: Capacity Block upgrades happen at desired size 0.
    good("AWS005", "on-demand", {}),
    bad(
        "AWS005",
        "capacity-block",
        h100(capacity={"type": "capacity_block", "reservation_id": "cr-0123456789abcdef0"}),
        WARNING,
        "node_pools[1].capacity",
        "only at desired size 0",
        "set nodes: 0 and apply",
    ),
    # AWS006: Bottlerocket does not read the AL2023 RAID0 NodeConfig.
    good("AWS006", "al2023", {}),
    good(
        "AWS006",
        "bottlerocket-raid-off",
        h100(ami_type="BOTTLEROCKET_x86_64_NVIDIA", local_nvme_raid0=False),
    ),
    bad(
        "AWS006",
        "bottlerocket-raid",
        h100(ami_type="BOTTLEROCKET_x86_64_NVIDIA"),
        WARNING,
        "node_pools[1].local_nvme_raid0",
        "not assembled into RAID0 on Bottlerocket",
        "local_nvme_raid0: false",
    ),
    # AWS007: each zone's private subnet holds its pools at max size. Baseline: two zones of a
    # /16 (a /18 each: 16,379 usable), p5.48xlarge takes 50 (one card-0 interface for the CNI
    # beside the efa-only one), m7i.2xlarge 60.
    good("AWS007", "baseline", {}),
    good("AWS007", "p5-fills-its-zone", h100(nodes=326)),  # 326 x 50 + 60 = 16,360
    bad(
        "AWS007",
        "p5-overflows-a-16",
        h100(nodes=330),
        ERROR,
        "network.cidr",
        "10.0.0.0/18 of us-east-1a has 16,379 usable addresses (AWS reserves 5)",
        "need 16,560",
        "node_pools[1] (h100): 330 nodes x 50",
        "a /16 VPC (the largest EC2 allows)",
    ),
    bad(
        "AWS007",
        "small-vpc",
        {"network": {"cidr": "10.0.0.0/20"}, **h100(nodes=25)},
        ERROR,
        "network.cidr",
        "has 1,019 usable addresses",
        "need 1,310",
        "network.cidr a /19 or larger",
    ),
    bad(
        "AWS007",
        "b300-secondary-ips",
        h100(instance_type="p6-b300.48xlarge", nodes=90),
        ERROR,
        "network.cidr",
        "90 nodes x 200 (198 max pods",
    ),
    # Over 30 vCPUs a managed node group admits 250 pods with prefix delegation: 248 pod
    # addresses in 16 prefixes + 1 warm + the interface's own = 273 per node.
    bad(
        "AWS007",
        "b300-prefix-delegation",
        {
            "network": {"vpc_cni": {"prefix_delegation": True}},
            **h100(instance_type="p6-b300.48xlarge", nodes=90),
        },
        ERROR,
        "network.cidr",
        "90 nodes x 273 (250 max pods",
    ),
    good(
        "AWS007",
        "b300-prefix-delegation-fits",
        {
            "network": {"vpc_cni": {"prefix_delegation": True}},
            **h100(instance_type="p6-b300.48xlarge", nodes=59),
        },
    ),
    # At most 30 vCPUs the cap is 110 in both modes: c7i.4xlarge (16 vCPUs, 8 interfaces of 30)
    # holds 5 interfaces (150) for 108 pod addresses, prefix delegation 8 prefixes + 1 (129).
    bad(
        "AWS007",
        "c7i-secondary-ips",
        {"network": {"cidr": "10.0.0.0/20"}, **h100(instance_type="c7i.4xlarge", nodes=7)},
        ERROR,
        "network.cidr",
        "7 nodes x 150 (110 max pods",
        "prefix_delegation: true needs 1,032 here (max pods 110 per node, in /28 prefixes of 16)",
    ),
    good(
        "AWS007",
        "c7i-fits",
        {"network": {"cidr": "10.0.0.0/20"}, **h100(instance_type="c7i.4xlarge", nodes=6)},
    ),
    # AWS008: warm targets the CNI reads together.
    good("AWS008", "defaults", {}),
    good(
        "AWS008",
        "prefix-delegation-warm-prefix",
        {"network": {"vpc_cni": {"prefix_delegation": True, "warm_prefix_target": 2}}},
    ),
    bad(
        "AWS008",
        "warm-prefix-without-prefixes",
        {"network": {"vpc_cni": {"warm_prefix_target": 1}}},
        ERROR,
        "network.vpc_cni.warm_prefix_target",
        "only with prefix delegation",
    ),
    bad(
        "AWS008",
        "minimum-without-warm",
        {"network": {"vpc_cni": {"minimum_ip_target": 30}}},
        WARNING,
        "network.vpc_cni.minimum_ip_target",
        "pods beyond it stay pending",
        "warm_ip_target",
    ),
]

CASES += [
    # AWS010: pod addresses for every pod max pods admits. p5.48xlarge: card 0 has 2 interfaces
    # of 50 addresses (max pods 2 x 49 + 2 = 100); the efa-only at card 0 / device 1 leaves the
    # CNI one interface, 49 pod addresses. p6-b300's card 0 has no EFA.
    good("AWS010", "b300-card-0-without-efa", h100(instance_type="p6-b300.48xlarge")),
    good("AWS010", "p5-without-efa", h100(fabric="none")),
    good(
        "AWS010",
        "p5-prefix-delegation",
        {"network": {"vpc_cni": {"prefix_delegation": True}}, **h100()},
    ),
    bad(
        "AWS010",
        "p5-efa-only-on-card-0",
        h100(),
        WARNING,
        "node_pools[1].fabric",
        "p5.48xlarge: the EKS AMI admits 100 pods per node",
        "1 card-0 interface(s) and 49 pod addresses (secondary IPs); pods beyond 51",
        "prefix_delegation: true (/28 prefixes of 16 per interface slot: 248 pod addresses for "
        "250 max pods)",
        "at most 49 pod-network pods per node",
    ),
    # AWS009: the EFA DRA driver on Kubernetes 1.34+, with EFA pools to serve.
    good("AWS009", "no-dra", {}),
    good(
        "AWS009",
        "dra-on-1.35",
        {"kubernetes": {"version": "1.35"}, "addons": [{"name": "aws-dranet"}]},
    ),
    bad(
        "AWS009",
        "dra-on-1.33",
        {"kubernetes": {"version": "1.33"}, "addons": [{"name": "aws-dranet"}]},
        ERROR,
        "addons[0]",
        "needs Kubernetes 1.34 or later",
        "the cluster runs 1.33",
    ),
    bad(
        "AWS009",
        "dra-without-efa",
        {
            "kubernetes": {"version": "1.35"},
            "addons": [{"name": "aws-dranet"}],
            "node_pools": {1: {"fabric": "none"}},
        },
        WARNING,
        "addons[0]",
        "no pool uses EFA",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_aws_rule(case: Case) -> None:
    check(case)
