"""GCP storage: Managed Lustre (private service access, TCP 988), Filestore, a Cloud Storage
bucket for GCS FUSE, Parallelstore. Every file system and bucket is protected from deletion
(Pulumi protect + retain on delete) unless the spec turns protection off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from clusterforge.catalog.resolve import ResolvedStorage
from clusterforge.modules.gcp.common import labels as gcp_labels
from clusterforge.modules.gcp.common import resource_name

#: Lustre ports: 988, and 6988 where an instance made for GKE (gke_support_enabled) listens so
#: as not to clash with GKE's own use of 988 (catalog services.json: managed_lustre.ports).
LUSTRE_PORTS = ["988", "6988"]
#: Private services access range reserved for Google-managed storage (Managed Lustre, Filestore).
PSA_PREFIX_LENGTH = 20


@dataclass(frozen=True)
class StorageArgs:
    cluster_name: str
    project: str
    region: str
    network: gcp.compute.Network
    node_cidrs: list[str]
    storage: ResolvedStorage
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
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("clusterforge:gcp:PrivateServiceAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.range = gcp.compute.GlobalAddress(
            f"{name}-range",
            name=resource_name(cluster_name, "psa"),
            project=project,
            network=network.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            prefix_length=PSA_PREFIX_LENGTH,
            opts=child,
        )
        self.connection = gcp.servicenetworking.Connection(
            f"{name}-connection",
            network=network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[self.range.name],
            opts=child,
        )
        self.register_outputs({"specPath": "network", "range": self.range.name})


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
            gcp.compute.Firewall(
                f"{name}-lustre",
                name=resource_name(ident, "lustre"),
                project=args.project,
                network=args.network.id,
                direction="INGRESS",
                source_ranges=args.node_cidrs,
                allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=LUSTRE_PORTS)],
                description=f"Lustre clients to Managed Lustre {spec.name}",
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
                gke_support_enabled=True,
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
