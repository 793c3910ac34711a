"""GCP storage: Managed Lustre (private services access; its firewall rule admits the PSA range,
where the Lustre servers live), Filestore, a Cloud Storage
bucket for GCS FUSE, Parallelstore. Every file system and bucket is protected from deletion
(Pulumi protect + retain on delete) unless the spec turns protection off.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from clusterforge.catalog.resolve import ResolvedStorage
from clusterforge.modules.gcp.common import labels as gcp_labels
from clusterforge.modules.gcp.common import resource_name


@dataclass(frozen=True)
class StorageArgs:
    cluster_name: str
    project: str
    region: str
    network: gcp.compute.Network
    #: The private services access range (spec network.psa_cidr): Lustre servers' addresses.
    psa_cidr: str
    storage: ResolvedStorage
    #: Managed Lustre's port and legacy port (catalog gcp_network.lustre_ports).
    lustre_ports: tuple[int, int]
    #: Managed Lustre: serve on the legacy port 6988 with gke_support_enabled (GKE node versions
    #: older than 1.33.2-gke.4655000; catalog gcp_network.lustre_legacy_port).
    lustre_legacy_port: bool = False
    #: Team namespaces whose pods (their Kubernetes service accounts) may use a GCS FUSE bucket.
    namespaces: list[str] = field(default_factory=list)
    private_service_access: pulumi.Resource | None = None
    labels: dict[str, str] = field(default_factory=dict)


class PrivateServiceAccess(pulumi.ComponentResource):
    """A reserved peering range and the Service Networking connection Managed Lustre uses."""

    def __init__(
        self,
        name: str,
        *,
        cluster_name: str,
        project: str,
        network: gcp.compute.Network,
        cidr: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("clusterforge:gcp:PrivateServiceAccess", name, None, opts)
        # An explicit range (spec network.psa_cidr), so firewall rules can name it and
        # validation can keep it apart from the node, pod, service and GPU ranges.
        block = ipaddress.ip_network(cidr, strict=True)
        child = pulumi.ResourceOptions(parent=self)
        self.range = gcp.compute.GlobalAddress(
            f"{name}-range",
            name=resource_name(cluster_name, "psa"),
            project=project,
            network=network.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=str(block.network_address),
            prefix_length=block.prefixlen,
            opts=child,
        )
        self.connection = gcp.servicenetworking.Connection(
            f"{name}-connection",
            network=network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[self.range.name],
            opts=child,
        )
        self.register_outputs(
            {"specPath": "network.psa_cidr", "range": self.range.name, "cidr": cidr}
        )


class Storage(pulumi.ComponentResource):
    """One spec storage entry on GCP."""

    def __init__(
        self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:gcp:Storage", name, None, opts)
        storage = args.storage
        spec = storage.spec
        base = gcp_labels(args.labels, args.cluster_name, **{"clusterforge-storage": spec.name})
        keep = pulumi.ResourceOptions(
            parent=self,
            protect=spec.protect,
            retain_on_delete=spec.protect,
            depends_on=[args.private_service_access] if args.private_service_access else None,
        )
        child = pulumi.ResourceOptions(parent=self)
        ident = resource_name(args.cluster_name, spec.name)
        self.resource: gcp.filestore.Instance | gcp.lustre.Instance | gcp.storage.Bucket
        #: What a PersistentVolume needs to mount it (objects.csi_source).
        self.volume_source: dict[str, object] = {}
        outputs: dict[str, object] = {"specPath": storage.path, "mountPath": spec.mount_path}
        if storage.service == "managed-lustre":
            port = args.lustre_ports[1] if args.lustre_legacy_port else args.lustre_ports[0]
            gcp.compute.Firewall(
                f"{name}-lustre",
                name=resource_name(ident, "lustre"),
                project=args.project,
                network=args.network.id,
                direction="INGRESS",
                # Lustre servers live in the private services access range and talk back to
                # the clients (Cluster Toolkit gke-a4/gke-a4x: source = PSA range, tcp:988).
                source_ranges=[args.psa_cidr],
                allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(port)])],
                description=f"Managed Lustre {spec.name} servers (private services access) to clients",
                opts=child,
            )
            self.resource = gcp.lustre.Instance(
                f"{name}-lustre",
                instance_id=ident,
                project=args.project,
                location=storage.zone,
                capacity_gib=str(spec.capacity_gib),
                filesystem=_fs_name(spec.name),
                network=args.network.id,
                per_unit_storage_throughput=str(storage.throughput_mbps_per_tib),
                gke_support_enabled=args.lustre_legacy_port,
                labels=base,
                opts=keep,
            )
            outputs["instance"] = self.resource.id
            lustre = self.resource
            self.volume_source = {
                "volumeHandle": f"{args.project}/{storage.zone}/{ident}",
                "ip": lustre.mount_point.apply(lambda m: (m or "").split("@")[0]),
                "filesystem": _fs_name(spec.name),
            }
        elif storage.service == "filestore":
            regional = storage.tier in ("REGIONAL", "ENTERPRISE")
            self.resource = gcp.filestore.Instance(
                f"{name}-filestore",
                name=ident,
                project=args.project,
                location=args.region if regional else storage.zone,
                tier=storage.tier,
                file_shares=gcp.filestore.InstanceFileSharesArgs(
                    name="share1", capacity_gb=spec.capacity_gib or 0
                ),
                networks=[
                    gcp.filestore.InstanceNetworkArgs(
                        network=args.network.name,
                        modes=["MODE_IPV4"],
                        connect_mode="DIRECT_PEERING",
                    )
                ],
                deletion_protection_enabled=spec.protect,
                labels=base,
                opts=keep,
            )
            outputs["instance"] = self.resource.id
            location = args.region if regional else storage.zone
            self.volume_source = {
                "volumeHandle": f"modeInstance/{location}/{ident}/share1",
                "ip": self.resource.networks.apply(
                    lambda n: (n[0].ip_addresses or [""])[0] if n else ""
                ),
                "share": "share1",
            }
        elif storage.service == "gcs-bucket":
            self.resource = gcp.storage.Bucket(
                f"{name}-bucket",
                name=spec.bucket or ident,
                project=args.project,
                location=args.region.upper(),
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                # Hierarchical namespace: folder operations and higher QPS for GCS FUSE checkpoints.
                hierarchical_namespace=gcp.storage.BucketHierarchicalNamespaceArgs(enabled=True),
                force_destroy=False,
                labels=base,
                opts=keep,
            )
            outputs["bucket"] = self.resource.name
            self.volume_source = {"bucket": self.resource.name}
            # GCS FUSE mounts as the pod's Kubernetes service account (Workload Identity): let
            # every service account of the team namespaces read and write the bucket.
            number = gcp.organizations.get_project(
                project_id=args.project, opts=pulumi.InvokeOptions(parent=self)
            ).number
            pool = f"{args.project}.svc.id.goog"
            for namespace in args.namespaces:
                gcp.storage.BucketIAMMember(
                    f"{name}-bucket-{namespace}",
                    bucket=self.resource.name,
                    role="roles/storage.objectUser",
                    member=f"principalSet://iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/{pool}/namespace/{namespace}",
                    opts=child,
                )
        elif storage.service == "parallelstore":
            self.resource = gcp.parallelstore.Instance(
                f"{name}-parallelstore",
                instance_id=ident,
                project=args.project,
                location=storage.zone,
                capacity_gib=str(spec.capacity_gib),
                network=args.network.id,
                labels=base,
                opts=keep,
            )
            outputs["instance"] = self.resource.id
        self.register_outputs(outputs)


def _fs_name(name: str) -> str:
    """Managed Lustre file system names: at most 8 lowercase letters and digits, starting with a letter."""
    cleaned = "".join(ch for ch in name.lower() if ch.isalnum())
    if not cleaned or not cleaned[0].isalpha():
        cleaned = "fs" + cleaned
    return cleaned[:8]
