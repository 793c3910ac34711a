"""GKE node pools: CPU system pools, GPU pools with their GPUDirect networks, TPU slices.

* GPU pools: GKE installs the driver (``gpu_driver_installation_config``) and runs its own
  device plugin, so no GPU Operator is needed; gVNIC on; every extra network of the machine type
  attached as an additional node network; compact placement for fabric pools; reservation
  affinity, spot, flex-start (DWS, auto-repair off) and queued provisioning from the capacity.
* TPU pools: one node pool per slice, node count = chips in the topology / chips per VM, and a
  COMPACT placement policy carrying the topology for multi-host slices.
* GKE taints GPU and TPU nodes itself (``nvidia.com/gpu``, ``google.com/tpu``); only the user's
  own taints are passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

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
    pool: ResolvedPool, base_labels: dict[str, str]
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
        disk_type=offering.boot_disk_type or "pd-balanced",
        ephemeral_storage_local_ssd_config=local_ssd,
        spot=True if capacity.type == "spot" else None,
        flex_start=True if capacity.type == "flex_start" else None,
        reservation_affinity=reservation_affinity(pool),
        labels={**pool.labels},
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
        oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
    )


def placement(pool: ResolvedPool) -> gcp.container.NodePoolPlacementPolicyArgs | None:
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
        if args.networks:
            network_config = gcp.container.NodePoolNetworkConfigArgs(
                additional_node_network_configs=[
                    gcp.container.NodePoolNetworkConfigAdditionalNodeNetworkConfigArgs(
                        network=n.network.name, subnetwork=n.subnetwork.name
                    )
                    for n in args.networks
                ]
            )
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
                    node_config=node_config(pool, base),
                    network_config=network_config,
                    placement_policy=placement(pool),
                    # Flex-start VMs are not repaired in place (GKE requires auto-repair off).
                    management=gcp.container.NodePoolManagementArgs(
                        auto_repair=capacity.type != "flex_start" and not queued, auto_upgrade=True
                    ),
                    upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
                        max_surge=0 if pool.is_tpu else 1, max_unavailable=1
                    ),
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
