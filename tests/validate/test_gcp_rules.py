"""GKE rules (rules/gcp.py): project, compact placement, capacity combinations, ranges, fabric."""

from __future__ import annotations

import pytest

from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp, tpu
from tests.validate.support import Case, bad, check, good

ERROR, WARNING = Severity.ERROR, Severity.WARNING
#: An A4X pool filling one NVL72 domain from a reservation.
A4X = {
    "instance_type": "a4x-highgpu-4g",
    "nodes": 18,
    "capacity": {"type": "reservation", "reservation_id": "gb200-res"},
}

CASES = [
    good("GCP001", "baseline", gcp()),
    bad("GCP001", "missing", gcp({"project": None}), ERROR, "project", "need a project id"),
    bad(
        "GCP001",
        "malformed",
        gcp({"project": "My_Project"}),
        ERROR,
        "project",
        "is not a GCP project id",
    ),
    good("GKE001", "zoned-fabric-pool", gcp()),
    bad(
        "GKE001",
        "compact-without-zone",
        gcp({"zone": None, "storage": []}),
        ERROR,
        "node_pools[1].zone",
        "compact placement needs the pool in one zone",
    ),
    good(
        "GKE002",
        "queued-flex",
        gcp(
            {
                "node_pools": {
                    1: {
                        "nodes": None,
                        "min_nodes": 0,
                        "max_nodes": 4,
                        "capacity": {"type": "flex_start", "queued_provisioning": True},
                    }
                }
            }
        ),
    ),
    bad(
        "GKE002",
        "queued-on-spot",
        gcp(
            {
                "node_pools": {
                    1: {
                        "nodes": None,
                        "min_nodes": 0,
                        "max_nodes": 4,
                        "capacity": {"type": "spot", "queued_provisioning": True},
                    }
                }
            }
        ),
        ERROR,
        "node_pools[1].capacity.queued_provisioning",
        "cannot use spot",
    ),
    bad(
        "GKE002",
        "queued-min-nodes",
        gcp(
            {
                "node_pools": {
                    1: {
                        "nodes": None,
                        "min_nodes": 2,
                        "max_nodes": 4,
                        "capacity": {"queued_provisioning": True},
                    }
                }
            }
        ),
        ERROR,
        "node_pools[1].min_nodes",
        "must be 0",
    ),
    bad(
        "GKE002",
        "flex-forced-compact",
        gcp({"node_pools": {1: {"placement_group": True, "capacity": {"type": "flex_start"}}}}),
        WARNING,
        "node_pools[1].placement_group",
        "Dynamic Workload Scheduler",
    ),
    good("GKE003", "defaults", gcp()),
    bad(
        "GKE003",
        "pods-overlap-nodes",
        gcp({"network": {"pods_cidr": "10.0.128.0/17"}}),
        ERROR,
        "network.pods_cidr",
        "overlaps network.cidr",
    ),
    bad(
        "GKE003",
        "master-not-28",
        gcp({"network": {"master_cidr": "172.16.0.0/24"}}),
        ERROR,
        "network.master_cidr",
        "must be a /28",
    ),
    bad(
        "GKE003",
        "invalid",
        gcp({"network": {"services_cidr": "10.68.0.0/99"}}),
        ERROR,
        "network.services_cidr",
        "not a valid CIDR",
    ),
    bad(
        "GKE003",
        "gpu-range-overlaps-nodes",
        gcp({"network": {"cidr": "192.168.0.0/16"}}),
        ERROR,
        "network.gpu_cidr",
        "overlaps network.cidr",
    ),
    good(
        "GKE003",
        "gpu-range-unused-without-gpu-nics",
        gcp(
            {
                "network": {"cidr": "192.168.0.0/16"},
                "node_pools": {1: {"instance_type": "g2-standard-8"}},
                "storage": [],
            }
        ),
    ),
    bad(
        "GKE003",
        "psa-overlaps-pods",
        gcp({"network": {"psa_cidr": "10.64.0.0/20"}}),
        ERROR,
        "network.psa_cidr",
        "overlaps network.pods_cidr",
    ),
    good("GKE005", "mega-fits-16", gcp()),
    bad(
        "GKE005",
        "three-pools-24-subnets-in-a-16",
        gcp(
            {
                "node_pools": {
                    2: {"name": "h100b", "instance_type": "a3-megagpu-8g", "nodes": 2},
                    3: {"name": "h100c", "instance_type": "a3-megagpu-8g", "nodes": 2},
                }
            }
        ),
        ERROR,
        "network.gpu_cidr",
        "too small for the extra NIC subnets",
    ),
    good(
        "GKE005",
        "three-pools-in-a-15",
        gcp(
            {
                "network": {"gpu_cidr": "192.168.0.0/15"},
                "node_pools": {
                    2: {"name": "h100b", "instance_type": "a3-megagpu-8g", "nodes": 2},
                    3: {"name": "h100c", "instance_type": "a3-megagpu-8g", "nodes": 2},
                },
            }
        ),
    ),
    good(
        "GKE006",
        "one-nvl72-domain",
        gcp({"kubernetes": {"version": "1.35"}, "node_pools": {1: A4X}, "storage": []}),
    ),
    bad(
        "GKE006",
        "beyond-one-domain",
        gcp(
            {
                "kubernetes": {"version": "1.35"},
                "node_pools": {1: {**A4X, "nodes": 20}},
                "storage": [],
            }
        ),
        ERROR,
        "node_pools[1].nodes",
        "domain of 18 VMs",
    ),
    good(
        "GKE007",
        "a4x-on-1.35",
        gcp({"kubernetes": {"version": "1.35"}, "node_pools": {1: A4X}, "storage": []}),
    ),
    bad(
        "GKE007",
        "a4x-on-1.33",
        gcp({"kubernetes": {"version": "1.33"}, "node_pools": {1: A4X}, "storage": []}),
        ERROR,
        "kubernetes.version",
        "needs GKE 1.34.1-gke.1829001 or later",
    ),
    bad(
        "GKE007",
        "a4x-on-early-1.34",
        gcp({"kubernetes": {"version": "1.34"}, "node_pools": {1: A4X}, "storage": []}),
        WARNING,
        "kubernetes.version",
        "early 1.34 patches are older",
    ),
    good("GKE008", "small-compact-pool", gcp()),
    good(
        "GKE008",
        "1500-a3-vms-in-one-policy",
        gcp({"node_pools": {1: {"nodes": 1500}}, "network": {"gpu_cidr": "192.168.0.0/13"}}),
    ),
    bad(
        "GKE008",
        "compact-pool-beyond-1500",
        gcp({"node_pools": {1: {"nodes": 1501}}, "network": {"gpu_cidr": "192.168.0.0/13"}}),
        ERROR,
        "node_pools[1].nodes",
        "holds at most 1500 A3 VMs",
    ),
    bad(
        "GKE008",
        "autoscaling-beyond-1500",
        gcp(
            {
                "node_pools": {1: {"nodes": None, "min_nodes": 0, "max_nodes": 2000}},
                "network": {"gpu_cidr": "192.168.0.0/13"},
            }
        ),
        ERROR,
        "node_pools[1].max_nodes",
        "split it into pools of at most 1500 nodes",
    ),
    good(
        "GKE008",
        "forced-on-e2-is-efa005s",
        gcp({"node_pools": {0: {"instance_type": "e2-standard-8", "placement_group": True}}}),
    ),
    bad(
        "GKE008",
        "g4-beyond-gkes-1500",
        gcp(
            {
                "node_pools": {
                    1: {"instance_type": "g4-standard-48", "placement_group": True, "nodes": 1501}
                },
                "storage": [],
                "network": {"gpu_cidr": "192.168.0.0/13"},
            }
        ),
        ERROR,
        "node_pools[1].nodes",
        "holds at most 1500 G4 VMs",
    ),
    good(
        "GKE009",
        "a4x-from-a-reservation",
        gcp({"kubernetes": {"version": "1.35"}, "node_pools": {1: A4X}, "storage": []}),
    ),
    bad(
        "GKE009",
        "a4x-on-demand",
        gcp(
            {
                "kubernetes": {"version": "1.35"},
                "node_pools": {1: {**A4X, "capacity": {"type": "on_demand"}}},
                "storage": [],
            }
        ),
        ERROR,
        "node_pools[1].capacity.type",
        "a4x-highgpu-4g is not sold as on-demand",
    ),
    bad(
        "GKE009",
        "a3-highgpu-1g-on-demand",
        gcp({"node_pools": {1: {"instance_type": "a3-highgpu-1g", "nodes": 1}}, "storage": []}),
        ERROR,
        "node_pools[1].capacity.type",
        "sold as: spot, flex-start",
    ),
    good(
        "GKE010",
        "mega-with-network-profile",
        gcp({"kubernetes": {"version": "1.35"}, "node_pools": {1: {"network_profile": "auto"}}}),
    ),
    bad(
        "GKE010",
        "g2-with-network-profile",
        gcp(
            {
                "node_pools": {1: {"instance_type": "g2-standard-8", "network_profile": "auto"}},
                "storage": [],
            }
        ),
        ERROR,
        "node_pools[1].network_profile",
        "does not serve g2-standard-8",
    ),
    bad(
        "GKE007",
        "network-profile-on-1.33",
        gcp({"kubernetes": {"version": "1.33"}, "node_pools": {1: {"network_profile": "auto"}}}),
        ERROR,
        "kubernetes.version",
        "needs GKE 1.34.1-gke.1829001 or later",
    ),
    good("GKE004", "auto", gcp()),
    good("GKE004", "explicit-right", gcp({"node_pools": {1: {"fabric": "gpudirect-tcpxo"}}})),
    bad(
        "GKE004",
        "tcpx-on-mega",
        gcp({"node_pools": {1: {"fabric": "gpudirect-tcpx"}}}),
        ERROR,
        "node_pools[1].fabric",
        "a3-megagpu-8g has gpudirect-tcpxo, not gpudirect-tcpx",
    ),
    bad(
        "GKE004",
        "rdma-on-g2",
        gcp(
            {
                "node_pools": {
                    1: {
                        "instance_type": "g2-standard-48",
                        "fabric": "rdma",
                        "zone": "us-central1-a",
                    }
                }
            }
        ),
        ERROR,
        "node_pools[1].fabric",
        "has no GPUDirect NICs",
    ),
    # LABEL002: cluster tags as GCP labels.
    good(
        "LABEL002",
        "tags-written-as-labels",
        gcp({"tags": {"Team": "Research", "cost.center": "ml"}}),
    ),
    good(
        "LABEL002",
        "aws-tags-are-not-gcp-labels",
        {"tags": {"1team": "a", "Team": "b", "team": "c"}},
    ),
    bad(
        "LABEL002",
        "tag-key-starts-with-a-digit",
        gcp({"tags": {"1team": "a"}}),
        ERROR,
        "tags.1team",
        "becomes the GCP label key '1team'",
        "start with a lowercase letter",
    ),
    bad(
        "LABEL002",
        "tags-collapse-to-one-label",
        gcp({"tags": {"team": "a", "Team": "b"}}),
        ERROR,
        "tags.Team",
        "tags 'team' and 'Team' both become the GCP label key 'team'",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_gcp_rule(case: Case) -> None:
    check(case)


def test_tpu_helper_is_valid() -> None:
    # The TPU baseline used by the TPU tables passes the GKE rules too.
    check(Case("GKE001", tpu()))
