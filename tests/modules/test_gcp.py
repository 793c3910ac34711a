"""GKE wiring: extra networks and GKE network objects per machine type, node pools (GPU and
TPU), storage with its CSI add-ons, protection."""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.catalog import load
from clusterforge.catalog.gcp_network import nic_networks
from clusterforge.engine import plan_offline
from clusterforge.graph import ResourceGraph
from clusterforge.spec.models import Cluster
from clusterforge.validate import validate

GKE_BASE: dict[str, Any] = {
    "name": "gke-test",
    "cloud": "gcp",
    "project": "ml-platform-1",
    "region": "us-central1",
    "zone": "us-central1-a",
    "node_pools": [{"name": "system", "instance_type": "n2-standard-8", "nodes": 2}],
}


def gke_plan(
    pools: list[dict[str, Any]] | None = None,
    storage: list[dict[str, Any]] | None = None,
    **top: Any,
) -> ResourceGraph:
    spec = {
        **GKE_BASE,
        **top,
        "node_pools": GKE_BASE["node_pools"] + (pools or []),
        "storage": storage or [],
    }
    resolved, findings = validate(Cluster.model_validate(spec))
    errors = [(f.rule, f.path, f.message) for f in findings if f.severity.value == "error"]
    assert not errors
    return plan_offline(resolved)


def node_pool(graph: ResourceGraph, name: str) -> dict[str, Any]:
    return next(
        r.inputs
        for r in graph.of_type("gcp:container/nodePool:NodePool")
        if r.inputs["name"] == name
    )


@pytest.mark.parametrize(
    ("machine", "zone", "vpcs", "subnets", "device_modes"),
    [
        ("a3-highgpu-8g", "us-central1-a", 4, 4, {"NetDevice"}),
        ("a3-megagpu-8g", "us-central1-a", 8, 8, {"NetDevice"}),
        ("a3-ultragpu-8g", "us-central1-b", 2, 9, {"NetDevice", "RDMA"}),
        ("a4-highgpu-8g", "us-central1-b", 2, 9, {"NetDevice", "RDMA"}),
    ],
)
def test_extra_networks_per_machine_type(
    machine: str, zone: str, vpcs: int, subnets: int, device_modes: set[str]
) -> None:
    # A3 Ultra and A4 are sold by reservation, Spot or Flex-start (GKE009), not on demand.
    capacity = {"type": "spot"} if "rdma" in str(device_modes).lower() else {}
    graph = gke_plan(
        [{"name": "gpu", "instance_type": machine, "nodes": 2, "zone": zone, "capacity": capacity}]
    )
    fabric = [r for r in graph.resources if r.parent and "GpuNetworks" in r.parent]
    networks = [r for r in fabric if r.type == "gcp:compute/network:Network"]
    assert len(networks) == vpcs
    assert len([r for r in fabric if r.type == "gcp:compute/subnetwork:Subnetwork"]) == subnets
    pool = node_pool(graph, "gpu")
    attached = pool["networkConfig"]["additionalNodeNetworkConfigs"]
    assert len(attached) == subnets  # one additional node network per extra NIC
    params = graph.of_type("kubernetes:networking.gke.io/v1:GKENetworkParamSet")
    assert (
        len(params) == subnets and {p.inputs["spec"]["deviceMode"] for p in params} == device_modes
    )
    assert len(graph.of_type("kubernetes:networking.gke.io/v1:Network")) == subnets
    assert graph.of_type("gcp:container/cluster:Cluster")[0].inputs["enableMultiNetworking"] is True
    if "RDMA" in device_modes:
        roce = next(n for n in networks if n.inputs.get("networkProfile"))
        assert (
            roce.inputs["networkProfile"]
            == f"projects/ml-platform-1/global/networkProfiles/{zone}-vpc-roce"
        )
        assert roce.inputs["mtu"] == 8896
    else:
        assert all(n.inputs["mtu"] == 8244 for n in networks)
    offering = load("gcp").get(machine)
    assert offering is not None
    assert sum(n.subnet_count for n in nic_networks(offering)) == subnets


@pytest.mark.parametrize(
    ("machine", "fabric"),
    [
        ("a3-highgpu-8g", "gpudirect-tcpx"),
        ("a3-megagpu-8g", "gpudirect-tcpxo"),
        ("a3-ultragpu-8g", "rdma"),
    ],
)
def test_nccl_installer_for_the_fabric(machine: str, fabric: str) -> None:
    zone = "us-central1-b" if fabric == "rdma" else "us-central1-a"
    capacity = {"type": "spot"} if fabric == "rdma" else {}
    graph = gke_plan(
        [{"name": "gpu", "instance_type": machine, "nodes": 1, "zone": zone, "capacity": capacity}]
    )
    installers = [r for r in graph.resources if r.type == "kubernetes:yaml/v2:ConfigFile"]
    urls = [r.inputs["file"] for r in installers]
    assert any(f"nccl-{fabric.replace('gpudirect-', '')}-installer.yaml" in u for u in urls)
    assert all("/master/" not in u for u in urls)  # pinned to commits
    if fabric.startswith("gpudirect-"):  # their pods' device annotations need the NRI injector
        injector = next(r for r in installers if "nri-device-injector" in r.inputs["file"])
        installer = next(r for r in installers if "installer.yaml" in r.inputs["file"])
        assert injector.urn in installer.dependencies
    else:
        assert len(installers) == 1


def test_gpu_pool_driver_gvnic_placement_and_no_extra_networks_without_fabric() -> None:
    graph = gke_plan(
        [
            {"name": "gpu", "instance_type": "a3-megagpu-8g", "nodes": 2},
            {"name": "l4", "instance_type": "g2-standard-48", "nodes": 1, "zone": "us-central1-a"},
        ]
    )
    pool = node_pool(graph, "gpu")
    config = pool["nodeConfig"]
    accel = config["guestAccelerators"][0]
    assert accel == {**accel, "type": "nvidia-h100-mega-80gb", "count": 8}
    assert accel["gpuDriverInstallationConfig"]["gpuDriverVersion"] == "LATEST"
    assert (
        config["gvnic"]["enabled"] is True
        and config["workloadMetadataConfig"]["mode"] == "GKE_METADATA"
    )
    assert config["ephemeralStorageLocalSsdConfig"]["localSsdCount"] == 16
    assert pool["placementPolicy"]["type"] == "COMPACT" and pool["nodeLocations"] == [
        "us-central1-a"
    ]
    l4 = node_pool(graph, "l4")
    assert "networkConfig" not in l4 and "placementPolicy" not in l4
    assert l4["nodeConfig"]["guestAccelerators"][0]["type"] == "nvidia-l4"


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [
        ({"type": "spot"}, {"spot": True}),
        (
            {"type": "reservation", "reservation_id": "res-a"},
            {
                "reservationAffinity": {
                    "consumeReservationType": "SPECIFIC_RESERVATION",
                    "key": "compute.googleapis.com/reservation-name",
                    "values": ["res-a"],
                }
            },
        ),
        ({"type": "flex_start"}, {"flexStart": True}),
    ],
)
def test_capacity_wiring(capacity: dict[str, Any], expected: dict[str, Any]) -> None:
    graph = gke_plan(
        [{"name": "gpu", "instance_type": "a3-megagpu-8g", "nodes": 2, "capacity": capacity}]
    )
    pool = node_pool(graph, "gpu")
    for key, value in expected.items():
        assert pool["nodeConfig"][key] == value
    if capacity["type"] == "flex_start":
        assert pool["management"]["autoRepair"] is False and "placementPolicy" not in pool
    if capacity["type"] == "reservation":
        assert "placementPolicy" not in pool


def test_queued_provisioning_pool_starts_empty_and_autoscales() -> None:
    graph = gke_plan(
        [
            {
                "name": "gpu",
                "instance_type": "a3-megagpu-8g",
                "min_nodes": 0,
                "max_nodes": 8,
                "capacity": {"type": "flex_start", "queued_provisioning": True},
            }
        ]
    )
    pool = node_pool(graph, "gpu")
    assert pool["queuedProvisioning"]["enabled"] is True
    assert (
        pool["autoscaling"]["totalMinNodeCount"] == 0
        and pool["autoscaling"]["totalMaxNodeCount"] == 8
    )
    assert pool["nodeConfig"]["reservationAffinity"]["consumeReservationType"] == "NO_RESERVATION"


def test_tpu_multi_slice_pools_with_node_count_and_topology() -> None:
    graph = gke_plan(
        [{"name": "v5p", "accelerator": "tpu-v5p", "topology": "4x4x4", "slices": 2}],
        region="us-east5",
        zone="us-east5-a",
    )
    pools = [
        r.inputs
        for r in graph.of_type("gcp:container/nodePool:NodePool")
        if r.inputs["name"].startswith("v5p")
    ]
    assert sorted(p["name"] for p in pools) == ["v5p-s0", "v5p-s1"]
    for pool in pools:
        assert pool["nodeCount"] == 16 and "autoscaling" not in pool
        assert pool["nodeConfig"]["machineType"] == "ct5p-hightpu-4t"
        assert pool["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "4x4x4"}
        assert "guestAccelerators" not in pool["nodeConfig"]


def test_single_host_tpu_has_no_topology_placement() -> None:
    graph = gke_plan(
        [{"name": "v6e", "accelerator": "tpu-v6e", "topology": "2x4"}],
        region="us-east5",
        zone="us-east5-b",
    )
    pool = node_pool(graph, "v6e")
    assert pool["nodeCount"] == 1 and pool["nodeConfig"]["machineType"] == "ct6e-standard-8t"
    assert "placementPolicy" not in pool


def test_cluster_security_and_csi_addons_follow_storage() -> None:
    graph = gke_plan(
        storage=[
            {
                "name": "data",
                "type": "lustre",
                "capacity_gib": 18000,
                "throughput_mbps_per_tib": 500,
                "mount_path": "/data",
            },
            {"name": "home", "type": "filestore", "capacity_gib": 2048, "mount_path": "/home"},
            {"name": "ckpt", "type": "gcsfuse", "mount_path": "/ckpt"},
        ]
    )
    cluster = graph.of_type("gcp:container/cluster:Cluster")[0].inputs
    addons = cluster["addonsConfig"]
    # Nodes of 1.35 (the default) are past 1.33.2-gke.4655000: no legacy Lustre port.
    assert addons["lustreCsiDriverConfig"] == {"enabled": True}
    assert addons["gcpFilestoreCsiDriverConfig"]["enabled"] is True
    assert addons["gcsFuseCsiDriverConfig"]["enabled"] is True
    assert "parallelstoreCsiDriverConfig" not in addons
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster["workloadIdentityConfig"]["workloadPool"] == "ml-platform-1.svc.id.goog"
    assert (
        cluster["datapathProvider"] == "ADVANCED_DATAPATH"
        and cluster["enableShieldedNodes"] is True
    )
    assert (
        cluster["enableLegacyAbac"] is False and cluster["releaseChannel"]["channel"] == "REGULAR"
    )
    assert "enableMultiNetworking" not in cluster  # no GPUDirect pool
    for type_token in (
        "gcp:lustre/instance:Instance",
        "gcp:filestore/instance:Instance",
        "gcp:storage/bucket:Bucket",
    ):
        resource = graph.of_type(type_token)[0]
        assert resource.options["protect"] is True and resource.options["retainOnDelete"] is True
    lustre = graph.of_type("gcp:lustre/instance:Instance")[0]
    assert (
        lustre.inputs["perUnitStorageThroughput"] == "500"
        and lustre.inputs["location"] == "us-central1-a"
    )
    assert lustre.dependencies and any("servicenetworking" in d for d in lustre.dependencies)
    firewall = next(
        r for r in graph.of_type("gcp:compute/firewall:Firewall") if r.name.endswith("-data-lustre")
    )
    assert firewall.inputs["allows"] == [{"protocol": "tcp", "ports": ["988"]}]
    assert firewall.inputs["sourceRanges"] == ["10.72.0.0/20"]  # the PSA range, not the nodes
    assert not lustre.inputs.get("gkeSupportEnabled")
    grants = graph.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    assert [g.inputs["role"] for g in grants] == ["roles/storage.objectUser"]
    assert (
        grants[0]
        .inputs["member"]
        .endswith("/workloadIdentityPools/ml-platform-1.svc.id.goog/namespace/default")
    )
    bucket = graph.of_type("gcp:storage/bucket:Bucket")[0].inputs
    assert (
        bucket["publicAccessPrevention"] == "enforced"
        and bucket["uniformBucketLevelAccess"] is True
    )


def test_network_has_secondary_ranges_and_nat() -> None:
    graph = gke_plan()
    subnet = graph.of_type("gcp:compute/subnetwork:Subnetwork")[0].inputs
    assert [r["rangeName"] for r in subnet["secondaryIpRanges"]] == ["pods", "services"]
    assert subnet["privateIpGoogleAccess"] is True
    assert len(graph.of_type("gcp:compute/routerNat:RouterNat")) == 1


def test_secrets_are_encrypted_with_a_retained_kms_key() -> None:
    graph = gke_plan()
    cluster = graph.of_type("gcp:container/cluster:Cluster")[0]
    key = graph.of_type("gcp:kms/cryptoKey:CryptoKey")[0]
    assert cluster.inputs["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key.id}
    assert (
        key.options["retainOnDelete"] is True
        and graph.of_type("gcp:kms/keyRing:KeyRing")[0].options["retainOnDelete"] is True
    )
    grant = graph.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")[0]
    assert (
        grant.inputs["member"]
        == "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"
    )
    assert grant.urn in cluster.dependencies


@pytest.mark.parametrize(("fabric", "second_nic"), [("auto", True), ("none", False)])
def test_v6e_multi_host_pool_gets_its_second_nic_network(fabric: str, second_nic: bool) -> None:
    """Google's v6e recipes: a second MTU-8896 VPC attached as an additional node network, on a
    multi-networking (Dataplane V2) cluster; `fabric: none` keeps the pool on one NIC."""
    graph = gke_plan(
        [{"name": "v6e", "accelerator": "tpu-v6e", "topology": "4x4", "fabric": fabric}],
        region="us-east5",
        zone="us-east5-b",
    )
    pool = node_pool(graph, "v6e")
    assert pool["nodeCount"] == 4 and pool["nodeConfig"]["machineType"] == "ct6e-standard-4t"
    vpcs = [r.inputs for r in graph.of_type("gcp:compute/network:Network")]
    cluster = next(r.inputs for r in graph.of_type("gcp:container/cluster:Cluster"))
    if second_nic:
        extra = [v for v in vpcs if v["name"] == "gke-test-v6e-gvnic1"]
        assert len(vpcs) == 2 and extra and extra[0]["mtu"] == 8896
        assert pool["networkConfig"]["additionalNodeNetworkConfigs"] == [
            {"network": "gke-test-v6e-gvnic1", "subnetwork": "gke-test-v6e-gvnic1-sub"}
        ]
        assert cluster["enableMultiNetworking"] is True
    else:
        assert len(vpcs) == 1 and "networkConfig" not in pool
