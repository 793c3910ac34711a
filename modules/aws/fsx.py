"""FSx for Lustre in the subnet of the pools that mount it, protected from deletion.

Lustre clients talk to the file servers on TCP 988 and 1018-1023, and the servers to each
other: the security group allows both from the group itself and from the nodes' cluster security
group. How S3 is linked is decided once, in ``clusterforge.catalog.fsx.data_paths``: a data
repository association where FSx has them (Lustre 2.12/2.15, every deployment type but
SCRATCH_1), protected like the file system; import of new, changed and deleted S3 objects; export
only when the spec asks, and deletions exported only with their own opt-in. The legacy
ImportPath/ExportPath remain for SCRATCH_1. FSx backs up only persistent file systems that are
not linked to S3, so an S3-linked one gets no backup settings. An EFA-enabled file system
(``efa: true``, PERSISTENT_2) gets a metadata configuration and all-traffic rules by group id
between itself and the nodes' cluster security group, which EFA requires.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from clusterforge.catalog.fsx import DataPaths, LustrePort, metadata_configuration
from clusterforge.catalog.resolve import ResolvedStorage
from clusterforge.modules.aws.common import tags

#: Daily automatic backups kept for persistent deployment types (scratch has no backups).
BACKUP_RETENTION_DAYS = 7


@dataclass(frozen=True)
class LustreArgs:
    cluster_tag: str
    storage: ResolvedStorage
    subnet_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    client_security_group_id: pulumi.Input[str]
    #: Port ranges Lustre uses — catalog services.json (catalog.fsx.lustre_ports).
    ports: list[LustrePort]
    file_system_type_version: str
    #: FSx ``StorageType`` (catalog.fsx.storage_type: SSD, which every deployment type offers).
    storage_type: str
    #: How the file system links S3 (catalog.fsx.data_paths).
    data_paths: DataPaths
    tags: dict[str, str] = field(default_factory=dict)


class LustreFileSystem(pulumi.ComponentResource):
    """An FSx for Lustre file system with its security group and S3 link."""

    def __init__(
        self, name: str, args: LustreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:aws:LustreFileSystem", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        storage = args.storage
        spec = storage.spec
        base = tags(args.tags, args.cluster_tag, **{"clusterforge.io/storage": spec.name})

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"FSx for Lustre {spec.name}: Lustre traffic from cluster nodes",
            tags={**base, "Name": f"{args.cluster_tag}-{spec.name}-lustre"},
            opts=child,
        )
        for port in args.ports:
            low, high = port.from_port, port.to_port
            for source, ref in (
                ("self", self.security_group.id),
                ("nodes", args.client_security_group_id),
            ):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-lustre-{low}-{high}-{source}",
                    security_group_id=self.security_group.id,
                    referenced_security_group_id=ref,
                    ip_protocol=port.protocol,
                    from_port=low,
                    to_port=high,
                    description=f"Lustre TCP {low}-{high} from {source}",
                    opts=child,
                )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress",
            security_group_id=self.security_group.id,
            cidr_ipv4=args.vpc_cidr,
            ip_protocol="-1",
            description="Lustre servers to clients and to each other inside the VPC",
            opts=child,
        )
        if spec.efa:
            self._efa_rules(name, args.client_security_group_id, child)

        persistent = (storage.deployment_type or "").startswith("PERSISTENT")
        paths = args.data_paths
        legacy = paths.mode == "legacy"
        backups = paths.automatic_backups
        metadata = metadata_configuration(spec)
        # Deleting or replacing a file system loses its data: protect it and keep it if the
        # stack is destroyed, unless the user explicitly turned protection off.
        keep = pulumi.ResourceOptions(
            parent=self, protect=spec.protect, retain_on_delete=spec.protect
        )
        self.file_system = aws.fsx.LustreFileSystem(
            f"{name}-fs",
            storage_capacity=spec.capacity_gib,
            storage_type=args.storage_type,
            deployment_type=storage.deployment_type,
            per_unit_storage_throughput=storage.throughput_mbps_per_tib if persistent else None,
            subnet_ids=args.subnet_id,  # FSx for Lustre takes exactly one subnet
            security_group_ids=[self.security_group.id],
            data_compression_type="LZ4" if spec.data_compression else "NONE",
            efa_enabled=True if spec.efa else None,
            metadata_configuration=aws.fsx.LustreFileSystemMetadataConfigurationArgs(
                mode=metadata.mode, iops=metadata.iops
            )
            if metadata
            else None,
            file_system_type_version=args.file_system_type_version,
            import_path=paths.legacy_import_path if legacy else None,
            export_path=paths.legacy_export_path if legacy else None,
            # SCRATCH_1 has no automatic import (FSx refuses the policy there).
            auto_import_policy="NEW_CHANGED_DELETED"
            if legacy and storage.deployment_type != "SCRATCH_1"
            else None,
            automatic_backup_retention_days=BACKUP_RETENTION_DAYS if backups else None,
            copy_tags_to_backups=True if backups else None,
            # The provider defaults to no final backup: if a persistent file system is ever
            # deleted (protection turned off), keep its data in a last backup.
            skip_final_backup=False if backups else None,
            tags={**base, "Name": f"{args.cluster_tag}-{spec.name}"},
            opts=keep,
        )
        self.data_repository_associations: list[aws.fsx.DataRepositoryAssociation] = []
        for index, link in enumerate(paths.associations):
            s3 = aws.fsx.DataRepositoryAssociationS3Args(
                auto_import_policy=aws.fsx.DataRepositoryAssociationS3AutoImportPolicyArgs(
                    events=list(link.import_events)
                )
                if link.import_events
                else None,
                auto_export_policy=aws.fsx.DataRepositoryAssociationS3AutoExportPolicyArgs(
                    events=list(link.export_events)
                )
                if link.export_events
                else None,
            )
            self.data_repository_associations.append(
                aws.fsx.DataRepositoryAssociation(
                    f"{name}-s3" if index == 0 else f"{name}-s3-{index}",
                    file_system_id=self.file_system.id,
                    data_repository_path=link.s3_path,
                    file_system_path=link.file_system_path,
                    batch_import_meta_data_on_create=bool(link.import_events),
                    delete_data_in_filesystem=False,
                    s3=s3,
                    tags=base,
                    # The link is protected like the file system: removing it stops import and
                    # export, and FSx could drop the linked files' data with it.
                    opts=keep,
                )
            )
        self.data_repository_association = (
            self.data_repository_associations[0] if self.data_repository_associations else None
        )
        #: What a PersistentVolume needs to mount it (objects.csi_source).
        self.volume_source = {
            "id": self.file_system.id,
            "dnsName": self.file_system.dns_name,
            "mountName": self.file_system.mount_name,
        }
        self.register_outputs(
            {
                "specPath": storage.path,
                "efaEnabled": spec.efa,
                "fileSystemId": self.file_system.id,
                "dnsName": self.file_system.dns_name,
                "mountName": self.file_system.mount_name,
                "mountPath": spec.mount_path,
            }
        )

    def _efa_rules(
        self, name: str, clients: pulumi.Input[str], child: pulumi.ResourceOptions
    ) -> None:
        """EFA-enabled security groups (FSx for Lustre User Guide, "EFA-enabled security
        groups"): the file system's group allows all traffic to and from itself and to and from
        the clients' group, and the clients' group to and from the file system's — by group id,
        since CIDR rules do not satisfy EFA."""
        fs = self.security_group.id
        for rule_name, group, peer, what in (
            ("efa-self", fs, fs, "the file system's group itself"),
            ("efa-nodes", fs, clients, "the cluster nodes"),
            ("efa-nodes-to-fs", clients, fs, "the EFA-enabled file system"),
        ):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{rule_name}-in",
                security_group_id=group,
                referenced_security_group_id=peer,
                ip_protocol="-1",
                description=f"EFA FSx: all traffic from {what}",
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{rule_name}-out",
                security_group_id=group,
                referenced_security_group_id=peer,
                ip_protocol="-1",
                description=f"EFA FSx: all traffic to {what}",
                opts=child,
            )
