"""GKE node pools: CPU system pools, GPU pools with their GPUDirect networks, TPU slices.

* GPU pools: GKE installs the driver (``gpu_driver_installation_config``) and runs its own
  device plugin, so no GPU Operator is needed; gVNIC on; every extra network of the machine type
  attached as an additional node network; compact placement for fabric pools; reservation
  affinity, spot, flex-start (DWS, auto-repair off) and queued provisioning from the capacity.
* TPU pools: one node pool per slice, node count = chips in the topology / chips per VM, and a
  COMPACT placement policy carrying the topology for multi-host slices — or, for generations
  placed by a workload policy (TPU7x), a HIGH_THROUGHPUT workload policy with the topology.
* A4X (GB200 NVL72): a HIGH_THROUGHPUT workload policy with accelerator topology 1x72, and GKE's
  accelerator network profile ``auto`` (DRANET) instead of hand-built RDMA VPCs.
* Upgrades: pools on a specific reservation (no spare capacity) and TPU slices upgrade with
  maxSurge 0 / maxUnavailable 1 — a surge node could never be placed; others surge one node.
* Nodes run as the cluster's own least-privilege node service account with GKE's default
  scopes, never as the Compute Engine default account with cloud-platform.
* GKE taints GPU and TPU nodes itself (``nvidia.com/gpu``, ``google.com/tpu``); only the user's
  own taints are passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from clusterforge.catalog.gcp_network import is_specific_reservation, uses_network_profile
from clusterforge.catalog.resolve import ResolvedPool
from clusterforge.modules.gcp.common import labels as gcp_labels
from clusterforge.modules.gcp.common import resource_name
from clusterforge.modules.gcp.fabric import AttachedNetwork

TAINT_EFFECT = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
DEFAULT_DISK_GB = {"system": 100, "accelerator": 500}
#: GKE-managed NVIDIA driver channel.
GPU_DRIVER_VERSION = "LATEST"
#: Node label GKE's DRANET driver selects nodes by (Cluster Toolkit gke-node-pool main.tf).
DRANET_LABEL = "cloud.google.com/gke-networking-dra-driver"


@dataclass(frozen=True)
class NodePoolArgs:
    cluster: pulumi.Input[str]
    cluster_name: str
    project: str
    region: str
    pool: ResolvedPool
    networks: list[AttachedNetwork] = field(default_factory=list)
    version: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    #: The node service account's email, and the OAuth scopes its nodes get.
    service_account: pulumi.Input[str] | None = None
    oauth_scopes: list[str] = field(default_factory=list)
    #: Topology of the HIGH_THROUGHPUT workload policy to place the pool by (A4X, TPU7x).
    workload_policy_topology: str | None = None


def upgrade_settings(pool: ResolvedPool) -> gcp.container.NodePoolUpgradeSettingsArgs:
    """maxSurge 0 / maxUnavailable 1 where a surge node cannot be placed: a specific reservation
    has no spare capacity and a TPU slice is all of its hosts; else surge one node."""
    no_surge = pool.is_tpu or is_specific_reservation(pool)
    return gcp.container.NodePoolUpgradeSettingsArgs(
        strategy="SURGE", max_surge=0 if no_surge else 1, max_unavailable=1
    )


def reservation_affinity(
    pool: ResolvedPool,
) -> gcp.container.NodePoolNodeConfigReservationAffinityArgs | None:
    capacity = pool.spec.capacity
    if capacity.type == "reservation" and capacity.reservation_id:
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(
            consume_reservation_type="SPECIFIC_RESERVATION",
            key="compute.googleapis.com/reservation-name",
            values=[capacity.reservation_id],
        )
    if capacity.type in ("spot", "flex_start") or capacity.queued_provisioning:
        # Spot, flex-start and queued provisioning must not consume reservations.
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(
            consume_reservation_type="NO_RESERVATION"
        )
    return None


def node_config(
    pool: ResolvedPool,
    base_labels: dict[str, str],
    service_account: pulumi.Input[str] | None = None,
    oauth_scopes: list[str] | None = None,
) -> gcp.container.NodePoolNodeConfigArgs:
    offering = pool.offering
    assert offering is not None, "validation guarantees a resolved machine type"
    role = "accelerator" if pool.is_accelerated else "system"
    accelerators = None
    if offering.is_nvidia:
        accelerators = [
            gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                type=offering.gke_accelerator or "",
                count=offering.accelerator_count,
                gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                    gpu_driver_version=GPU_DRIVER_VERSION
                ),
            )
        ]
    capacity = pool.spec.capacity
    local_ssd = None
    if offering.local_nvme_disks and pool.spec.local_nvme_raid0:
        # Bundled local SSDs as one ephemeral-storage volume (GKE assembles them as RAID0).
        local_ssd = gcp.container.NodePoolNodeConfigEphemeralStorageLocalSsdConfigArgs(
            local_ssd_count=offering.local_nvme_disks
        )
    return gcp.container.NodePoolNodeConfigArgs(
        machine_type=offering.instance_type,
        guest_accelerators=accelerators,
        gvnic=gcp.container.NodePoolNodeConfigGvnicArgs(enabled=True),
        image_type="COS_CONTAINERD",
        disk_size_gb=pool.spec.disk_size_gib or DEFAULT_DISK_GB[role],
        # None (no catalog fact, e.g. G4): GKE chooses, as Cluster Toolkit's blueprints do.
        disk_type=offering.boot_disk_type,
        ephemeral_storage_local_ssd_config=local_ssd,
        spot=True if capacity.type == "spot" else None,
        flex_start=True if capacity.type == "flex_start" else None,
        reservation_affinity=reservation_affinity(pool),
        labels={
            **pool.labels,
            **({DRANET_LABEL: "true"} if uses_network_profile(pool) else {}),
        },
        resource_labels=base_labels,
        taints=[
            gcp.container.NodePoolNodeConfigTaintArgs(
                key=t.key, value=t.value, effect=TAINT_EFFECT[t.effect]
            )
            for t in pool.spec.taints
        ],
        workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
            mode="GKE_METADATA"
        ),
        shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
            enable_secure_boot=True, enable_integrity_monitoring=True
        ),
        service_account=service_account,
        oauth_scopes=list(oauth_scopes) if oauth_scopes else None,
    )


def placement(
    pool: ResolvedPool, policy_name: pulumi.Input[str] | None = None
) -> gcp.container.NodePoolPlacementPolicyArgs | None:
    if policy_name is not None:
        # The workload policy carries the topology; it replaces tpu_topology (TPU7x, A4X).
        return gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", policy_name=policy_name)
    if not pool.placement_group:
        return None
    topology = pool.topology if pool.is_tpu and pool.desired > 1 else None
    return gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", tpu_topology=topology)


class NodePool(pulumi.ComponentResource):
    """One spec pool: a GKE node pool, or one per slice for multi-slice TPU pools."""

    def __init__(
        self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:gcp:NodePool", name, None, opts)
        pool = args.pool
        base = gcp_labels(args.labels, args.cluster_name, **{"clusterforge-pool": pool.name})
        capacity = pool.spec.capacity
        queued = capacity.queued_provisioning
        autoscaled = (
            pool.min_size != pool.max_size or queued or capacity.type == "flex_start"
        ) and not pool.is_tpu
        network_config = None
        if uses_network_profile(pool):
            # GKE builds the NIC networks and DRANET hands them to pods (A4X).
            network_config = gcp.container.NodePoolNetworkConfigArgs(
                accelerator_network_profile="auto"
            )
        elif args.networks:
            network_config = gcp.container.NodePoolNetworkConfigArgs(
                additional_node_network_configs=[
                    gcp.container.NodePoolNetworkConfigAdditionalNodeNetworkConfigArgs(
                        network=n.network.name, subnetwork=n.subnetwork.name
                    )
                    for n in args.networks
                ]
            )
        policy_name: pulumi.Output[str] | None = None
        if args.workload_policy_topology:
            policy = gcp.compute.ResourcePolicy(
                f"{name}-workload",
                name=resource_name(args.cluster_name, pool.name, "workload"),
                project=args.project,
                region=args.region,
                workload_policy=gcp.compute.ResourcePolicyWorkloadPolicyArgs(
                    type="HIGH_THROUGHPUT", accelerator_topology=args.workload_policy_topology
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            policy_name = policy.name
        self.node_pools: list[gcp.container.NodePool] = []
        for slice_index in range(pool.slices):
            suffix = f"-s{slice_index}" if pool.slices > 1 else ""
            self.node_pools.append(
                gcp.container.NodePool(
                    f"{name}{suffix}",
                    name=resource_name(pool.name + suffix, limit=40),
                    project=args.project,
                    location=args.region,
                    cluster=args.cluster,
                    node_locations=[pool.zone] if pool.zone else None,
                    version=args.version,
                    node_count=None if autoscaled else pool.desired,
                    initial_node_count=pool.min_size if autoscaled else None,
                    autoscaling=gcp.container.NodePoolAutoscalingArgs(
                        total_min_node_count=0 if queued else pool.min_size,
                        total_max_node_count=pool.max_size,
                        location_policy="ANY"
                        if queued or capacity.type == "flex_start"
                        else "BALANCED",
                    )
                    if autoscaled
                    else None,
                    queued_provisioning=gcp.container.NodePoolQueuedProvisioningArgs(enabled=True)
                    if queued
                    else None,
                    node_config=node_config(pool, base, args.service_account, args.oauth_scopes),
                    network_config=network_config,
                    placement_policy=placement(pool, policy_name),
                    # Flex-start VMs are not repaired in place (GKE requires auto-repair off).
                    management=gcp.container.NodePoolManagementArgs(
                        auto_repair=capacity.type != "flex_start" and not queued, auto_upgrade=True
                    ),
                    upgrade_settings=upgrade_settings(pool),
                    opts=pulumi.ResourceOptions(
                        parent=self, ignore_changes=["nodeCount"] if autoscaled else None
                    ),
                )
            )
        self.register_outputs(
            {
                "specPath": pool.path,
                "nodePools": [p.name for p in self.node_pools],
                "machineType": pool.instance_type,
                "additionalNetworks": [n.object_name for n in args.networks],
            }
        )
