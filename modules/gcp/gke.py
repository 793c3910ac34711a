"""The GKE control plane: private nodes, Workload Identity, Dataplane V2, release channel,
shielded nodes, multi-networking when GPU pools bring extra networks, and the CSI add-ons for
the storage the stack uses. Node pools are separate resources (the default pool is removed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from clusterforge.catalog.gcp_names import gke_cluster_name
from clusterforge.modules.gcp.common import resource_name
from clusterforge.modules.gcp.network import PODS_RANGE, SERVICES_RANGE
from clusterforge.modules.kubernetes.kubeconfig import exec_kubeconfig


@dataclass(frozen=True)
class GkeArgs:
    cluster_name: str
    project: str
    region: str
    network: pulumi.Input[str]
    subnetwork: pulumi.Input[str]
    version: str
    release_channel: str
    master_cidr: str
    public_endpoint: bool
    authorized_cidrs: list[str]
    multi_networking: bool
    storage_services: frozenset[str]
    secrets_encryption: bool = True
    #: Lustre CSI driver on the legacy port 6988 (node versions before 1.33.2-gke.4655000).
    lustre_legacy_port: bool = False
    #: Start of a NO_MINOR_OR_NODE_UPGRADES maintenance exclusion until end of support.
    maintenance_exclusion_start: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    #: GPU pools: GKE's managed DCGM metrics (NVIDIA's dcgm-exporter chart needs NVIDIA as the
    #: default container runtime, which GKE nodes lack).
    gpu_metrics: bool = False


def monitoring_config(gpu_metrics: bool) -> gcp.container.ClusterMonitoringConfigArgs | None:
    """System metrics plus DCGM GPU metrics into Managed Service for Prometheus (GKE's
    ``monitoring_config.enable_components`` takes ``DCGM``; pulumi-gcp 10.2 ClusterMonitoringConfig)."""
    if not gpu_metrics:
        return None
    return gcp.container.ClusterMonitoringConfigArgs(
        enable_components=["SYSTEM_COMPONENTS", "DCGM"],
        managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True),
    )


def addons_config(
    storage_services: frozenset[str], lustre_legacy_port: bool = False
) -> gcp.container.ClusterAddonsConfigArgs:
    """CSI drivers for exactly the storage services the stack uses (plus the PD driver)."""
    configs: dict[str, object] = {
        "gce_persistent_disk_csi_driver_config": gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
            enabled=True
        )
    }
    if "managed-lustre" in storage_services:
        # Older nodes (before 1.33.2-gke.4655000) reach gke_support_enabled instances on 6988;
        # newer ones use 988 and the legacy flag is deprecated (GKE API LustreCsiDriverConfig).
        configs["lustre_csi_driver_config"] = (
            gcp.container.ClusterAddonsConfigLustreCsiDriverConfigArgs(
                enabled=True, enable_legacy_lustre_port=True if lustre_legacy_port else None
            )
        )
    if "filestore" in storage_services:
        configs["gcp_filestore_csi_driver_config"] = (
            gcp.container.ClusterAddonsConfigGcpFilestoreCsiDriverConfigArgs(enabled=True)
        )
    if "gcs-bucket" in storage_services:
        configs["gcs_fuse_csi_driver_config"] = (
            gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True)
        )
    if "parallelstore" in storage_services:
        configs["parallelstore_csi_driver_config"] = (
            gcp.container.ClusterAddonsConfigParallelstoreCsiDriverConfigArgs(enabled=True)
        )
    return gcp.container.ClusterAddonsConfigArgs(**configs)  # type: ignore[arg-type]


class GkeCluster(pulumi.ComponentResource):
    """A regional, private GKE Standard cluster."""

    def __init__(
        self, name: str, args: GkeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:gcp:GkeCluster", name, None, opts)
        encryption, encryption_deps = None, []
        if args.secrets_encryption:
            key, grant = self._secrets_key(name, args)
            encryption = gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=key.id
            )
            encryption_deps = [grant]
        authorized = gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
            cidr_blocks=[
                gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                    cidr_block=c, display_name=f"allowed-{i}"
                )
                for i, c in enumerate(args.authorized_cidrs)
            ]
        )
        self.cluster = gcp.container.Cluster(
            f"{name}-gke",
            name=gke_cluster_name(args.cluster_name),
            project=args.project,
            location=args.region,
            network=args.network,
            subnetwork=args.subnetwork,
            # Node pools are managed as their own resources.
            remove_default_node_pool=True,
            initial_node_count=1,
            min_master_version=args.version,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=args.release_channel),
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=PODS_RANGE,
                services_secondary_range_name=SERVICES_RANGE,
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not args.public_endpoint,
                master_ipv4_cidr_block=args.master_cidr,
            ),
            master_authorized_networks_config=authorized,
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{args.project}.svc.id.goog"
            ),
            # Dataplane V2; GKE multi-networking (GPUDirect NICs) requires it.
            datapath_provider="ADVANCED_DATAPATH",
            enable_multi_networking=True if args.multi_networking else None,
            enable_shielded_nodes=True,
            enable_legacy_abac=False,
            addons_config=addons_config(args.storage_services, args.lustre_legacy_port),
            maintenance_policy=maintenance_policy(args.maintenance_exclusion_start),
            monitoring_config=monitoring_config(args.gpu_metrics),
            database_encryption=encryption,
            resource_labels=args.labels,
            # The cluster holds no user data (file systems are separate, protected resources);
            # Pulumi, not the API flag, guards it, so `destroy` works when asked for.
            deletion_protection=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=encryption_deps),
        )
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(
                self.cluster.name,
                self.cluster.endpoint,
                self.cluster.master_auth.cluster_ca_certificate,
            ).apply(lambda v: kubeconfig(v[0], v[1], v[2]))
        )
        self.register_outputs(
            {
                "specPath": "kubernetes",
                "clusterName": self.cluster.name,
                "endpoint": self.cluster.endpoint,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _secrets_key(
        self, name: str, args: GkeArgs
    ) -> tuple[gcp.kms.CryptoKey, gcp.kms.CryptoKeyIAMMember]:
        """A Cloud KMS key for application-layer secrets encryption, usable by the GKE service agent.

        Key rings cannot be deleted in Cloud KMS, and destroying a key makes what it encrypted
        unreadable: both are retained when the stack is destroyed.
        """
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        ring = gcp.kms.KeyRing(
            f"{name}-keyring",
            name=resource_name(args.cluster_name, "gke"),
            project=args.project,
            location=args.region,
            opts=keep,
        )
        key = gcp.kms.CryptoKey(
            f"{name}-secrets",
            name="secrets",
            key_ring=ring.id,
            rotation_period="7776000s",
            purpose="ENCRYPT_DECRYPT",
            opts=keep,
        )
        number = gcp.organizations.get_project(
            project_id=args.project, opts=pulumi.InvokeOptions(parent=self)
        ).number
        grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-secrets-gke",
            crypto_key_id=key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=f"serviceAccount:service-{number}@container-engine-robot.iam.gserviceaccount.com",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key, grant


def maintenance_policy(start: str | None) -> gcp.container.ClusterMaintenancePolicyArgs | None:
    """A maintenance exclusion that holds minor and node upgrades from ``start`` until the
    version's end of support (Cluster Toolkit gke-a4x: NO_MINOR_OR_NODE_UPGRADES,
    UNTIL_END_OF_SUPPORT), so a running training job is not drained by an automatic upgrade.
    The daily window next to it is Cluster Toolkit gke-cluster's default (09:00 GMT)."""
    if not start:
        return None
    return gcp.container.ClusterMaintenancePolicyArgs(
        daily_maintenance_window=gcp.container.ClusterMaintenancePolicyDailyMaintenanceWindowArgs(
            start_time="09:00"
        ),
        maintenance_exclusions=[
            gcp.container.ClusterMaintenancePolicyMaintenanceExclusionArgs(
                exclusion_name="clusterforge-hold-node-upgrades",
                start_time=start,
                exclusion_options=gcp.container.ClusterMaintenancePolicyMaintenanceExclusionExclusionOptionsArgs(
                    scope="NO_MINOR_OR_NODE_UPGRADES", end_time_behavior="UNTIL_END_OF_SUPPORT"
                ),
            )
        ],
    )


def kubeconfig(name: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig that authenticates with gke-gcloud-auth-plugin (no long-lived credentials)."""
    return exec_kubeconfig(
        name,
        f"https://{endpoint}",
        ca_data,
        {"command": "gke-gcloud-auth-plugin", "provideClusterInfo": True},
    )
