"""GKE fidelity: jumbo-MTU primary VPC, GPU NIC subnets carved from network.gpu_cidr, the
Lustre firewall from the private-services range and the legacy port by node version, upgrade
settings of reserved pools, the node service account, and the A4X / G4 / TPU7x wiring.

Each stack is planned once (module fixtures) through the real Pulumi SDK under the offline engine.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from clusterforge.engine import plan_offline
from clusterforge.graph import ResourceGraph
from clusterforge.spec.loader import load_stack
from clusterforge.spec.models import Cluster
from clusterforge.validate import validate

from tests.modules.test_gcp import GKE_BASE, node_pool

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def plan_spec(spec: dict[str, Any]) -> ResourceGraph:
    resolved, findings = validate(Cluster.model_validate(spec))
    assert not [f for f in findings if f.severity.value == "error"], findings
    return plan_offline(resolved)


def plan_example(name: str) -> ResourceGraph:
    loaded = load_stack(EXAMPLES / name)
    assert loaded.cluster is not None
    resolved, findings = validate(loaded.cluster)
    assert not [f for f in findings if f.severity.value == "error"], findings
    return plan_offline(resolved)


@pytest.fixture(scope="module")
def mega() -> ResourceGraph:
    """A3 Mega + Managed Lustre on GKE 1.33 (legacy Lustre port), from a specific reservation."""
    return plan_spec(
        {
            **GKE_BASE,
            "kubernetes": {"version": "1.33"},
            "node_pools": [
                *GKE_BASE["node_pools"],
                {
                    "name": "h100",
                    "instance_type": "a3-megagpu-8g",
                    "nodes": 4,
                    "capacity": {"type": "reservation", "reservation_id": "mega-res"},
                },
            ],
            "storage": [
                {"name": "data", "type": "lustre", "capacity_gib": 18000,
                 "throughput_mbps_per_tib": 500}
            ],
        }
    )  # fmt: skip


def test_primary_vpc_takes_the_tcpxo_jumbo_mtu(mega: ResourceGraph) -> None:
    vpcs = {r.name: r.inputs for r in mega.of_type("gcp:compute/network:Network")}
    assert vpcs["gke-test-net-vpc"]["mtu"] == 8244
    assert all(v["mtu"] == 8244 for v in vpcs.values())


def test_gpu_subnets_are_20s_inside_gpu_cidr_and_disjoint(mega: ResourceGraph) -> None:
    subnets = [
        ipaddress.ip_network(r.inputs["ipCidrRange"])
        for r in mega.of_type("gcp:compute/subnetwork:Subnetwork")
    ]
    nodes = ipaddress.ip_network("10.0.0.0/16")
    gpu = [s for s in subnets if s != nodes]
    assert len(gpu) == 8 and all(s.prefixlen == 20 for s in gpu)
    assert all(s.subnet_of(ipaddress.ip_network("192.168.0.0/16")) for s in gpu)
    assert not any(a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])


def test_lustre_firewall_admits_the_psa_range_on_the_legacy_port(mega: ResourceGraph) -> None:
    psa = mega.of_type("gcp:compute/globalAddress:GlobalAddress")[0].inputs
    assert (psa["address"], psa["prefixLength"]) == ("10.72.0.0", 20)
    firewall = next(
        r.inputs for r in mega.of_type("gcp:compute/firewall:Firewall") if "lustre" in r.name
    )
    assert firewall["sourceRanges"] == ["10.72.0.0/20"]
    assert firewall["allows"] == [{"protocol": "tcp", "ports": ["6988"]}]
    assert mega.of_type("gcp:lustre/instance:Instance")[0].inputs["gkeSupportEnabled"] is True
    addons = mega.of_type("gcp:container/cluster:Cluster")[0].inputs["addonsConfig"]
    assert addons["lustreCsiDriverConfig"] == {"enabled": True, "enableLegacyLustrePort": True}


def test_reserved_pool_upgrades_without_surge(mega: ResourceGraph) -> None:
    assert node_pool(mega, "h100")["upgradeSettings"] == {
        "strategy": "SURGE", "maxSurge": 0, "maxUnavailable": 1,
    }  # fmt: skip
    assert node_pool(mega, "system")["upgradeSettings"]["maxSurge"] == 1


def test_nodes_run_as_a_dedicated_least_privilege_service_account(mega: ResourceGraph) -> None:
    accounts = mega.of_type("gcp:serviceaccount/account:Account")
    assert len(accounts) == 1 and accounts[0].inputs["accountId"] == "gke-test-nodes"
    roles = sorted(r.inputs["role"] for r in mega.of_type("gcp:projects/iAMMember:IAMMember"))
    assert "roles/editor" not in roles and "roles/logging.logWriter" in roles
    for name in ("h100", "system"):
        config = node_pool(mega, name)["nodeConfig"]
        assert "serviceAccount" in config  # the account's email (computed)
        assert "https://www.googleapis.com/auth/cloud-platform" not in config["oauthScopes"]
    pool = next(
        r for r in mega.of_type("gcp:container/nodePool:NodePool") if r.name.endswith("h100")
    )
    assert any("serviceaccount" in d.lower() for d in pool.dependencies)


@pytest.fixture(scope="module")
def a4x() -> ResourceGraph:
    return plan_example("gcp-a4x-gb200.yaml")


def test_a4x_uses_a_1x72_workload_policy_and_dranet(a4x: ResourceGraph) -> None:
    policy = a4x.of_type("gcp:compute/resourcePolicy:ResourcePolicy")[0].inputs
    assert policy["workloadPolicy"] == {"type": "HIGH_THROUGHPUT", "acceleratorTopology": "1x72"}
    pool = node_pool(a4x, "gb200")
    assert pool["placementPolicy"] == {"type": "COMPACT", "policyName": policy["name"]}
    assert pool["networkConfig"] == {"acceleratorNetworkProfile": "auto"}
    config = pool["nodeConfig"]
    assert config["labels"]["cloud.google.com/gke-networking-dra-driver"] == "true"
    assert config["guestAccelerators"][0]["type"] == "nvidia-gb200"
    assert config["diskType"] == "hyperdisk-balanced"
    assert pool["upgradeSettings"]["maxSurge"] == 0
    # GKE builds the RDMA networks: no hand-built GPU VPCs, no multi-networking objects.
    assert len(a4x.of_type("gcp:compute/network:Network")) == 1
    assert not a4x.of_type("kubernetes:networking.gke.io/v1:Network")
    cluster = a4x.of_type("gcp:container/cluster:Cluster")[0].inputs
    exclusion = cluster["maintenancePolicy"]["maintenanceExclusions"][0]
    assert exclusion["exclusionOptions"]["scope"] == "NO_MINOR_OR_NODE_UPGRADES"


def test_g4_pool_gets_the_rtx_pro_6000() -> None:
    graph = plan_example("gcp-g4-inference.yaml")
    config = node_pool(graph, "rtxpro")["nodeConfig"]
    assert config["guestAccelerators"][0] == {
        "type": "nvidia-rtx-pro-6000",
        "count": 1,
        "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"},
    }
    assert "diskType" not in config  # no catalog fact: GKE chooses
    # No GPUDirect, no Lustre: the primary VPC keeps GCE's default MTU.
    assert "mtu" not in graph.of_type("gcp:compute/network:Network")[0].inputs


def test_tpu7x_slices_use_the_workload_policy_not_tpu_topology() -> None:
    graph = plan_example("gcp-tpu7x-training.yaml")
    policy = graph.of_type("gcp:compute/resourcePolicy:ResourcePolicy")[0].inputs
    assert policy["workloadPolicy"]["acceleratorTopology"] == "4x4x4"
    slices = [
        r.inputs
        for r in graph.of_type("gcp:container/nodePool:NodePool")
        if r.inputs["name"].startswith("ironwood")
    ]
    assert len(slices) == 2
    for pool in slices:
        assert pool["nodeCount"] == 16
        assert pool["placementPolicy"] == {"type": "COMPACT", "policyName": policy["name"]}
        assert pool["nodeConfig"]["machineType"] == "tpu7x-standard-4t"
    assert graph.of_type("gcp:compute/network:Network")[0].inputs["mtu"] == 8896


def test_network_profile_auto_replaces_the_hand_built_gpu_vpcs() -> None:
    graph = plan_spec(
        {
            **GKE_BASE,
            "kubernetes": {"version": "1.35"},
            "node_pools": [
                *GKE_BASE["node_pools"],
                {"name": "h100", "instance_type": "a3-megagpu-8g", "nodes": 2,
                 "network_profile": "auto"},
            ],
        }
    )  # fmt: skip
    pool = node_pool(graph, "h100")
    assert pool["networkConfig"] == {"acceleratorNetworkProfile": "auto"}
    assert pool["nodeConfig"]["labels"]["cloud.google.com/gke-networking-dra-driver"] == "true"
    assert len(graph.of_type("gcp:compute/network:Network")) == 1  # only the primary VPC
    # The primary VPC still carries GPUDirect traffic: the jumbo MTU stays.
    assert graph.of_type("gcp:compute/network:Network")[0].inputs["mtu"] == 8244
