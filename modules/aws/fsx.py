"""FSx for Lustre in the subnet of the pools that mount it, protected from deletion.

Lustre clients talk to the file servers on TCP 988 and 1018-1023, and the servers to each
other: the security group allows both from the group itself and from the nodes' cluster security
group. PERSISTENT_2 links S3 through a data repository association (automatic import and export
of new, changed and deleted objects); SCRATCH_2 and PERSISTENT_1 take the import path on the
file system itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

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
    #: (from, to) TCP port ranges Lustre uses — catalog services.json.
    ports: list[tuple[int, int]]
    file_system_type_version: str
    data_repository_associations: bool
    automatic_backups: bool
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
        for low, high in args.ports:
            for source, ref in (
                ("self", self.security_group.id),
                ("nodes", args.client_security_group_id),
            ):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-lustre-{low}-{high}-{source}",
                    security_group_id=self.security_group.id,
                    referenced_security_group_id=ref,
                    ip_protocol="tcp",
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

        persistent = (storage.deployment_type or "").startswith("PERSISTENT")
        use_dra = args.data_repository_associations and spec.import_path is not None
        # Deleting or replacing a file system loses its data: protect it and keep it if the
        # stack is destroyed, unless the user explicitly turned protection off.
        keep = pulumi.ResourceOptions(
            parent=self, protect=spec.protect, retain_on_delete=spec.protect
        )
        self.file_system = aws.fsx.LustreFileSystem(
            f"{name}-fs",
            storage_capacity=spec.capacity_gib,
            storage_type="SSD",
            deployment_type=storage.deployment_type,
            per_unit_storage_throughput=storage.throughput_mbps_per_tib if persistent else None,
            subnet_ids=args.subnet_id,  # FSx for Lustre takes exactly one subnet
            security_group_ids=[self.security_group.id],
            data_compression_type="LZ4" if spec.data_compression else "NONE",
            file_system_type_version=args.file_system_type_version,
            import_path=None if use_dra else spec.import_path,
            export_path=None if use_dra else (spec.export_path if spec.import_path else None),
            auto_import_policy="NEW_CHANGED_DELETED"
            if (spec.import_path and not use_dra and storage.deployment_type != "SCRATCH_1")
            else None,
            automatic_backup_retention_days=BACKUP_RETENTION_DAYS
            if args.automatic_backups
            else None,
            copy_tags_to_backups=True if args.automatic_backups else None,
            # The provider defaults to no final backup: if a persistent file system is ever
            # deleted (protection turned off), keep its data in a last backup.
            skip_final_backup=False if args.automatic_backups else None,
            tags={**base, "Name": f"{args.cluster_tag}-{spec.name}"},
            opts=keep,
        )
        self.data_repository_association = None
        if use_dra:
            events = ["NEW", "CHANGED", "DELETED"]
            self.data_repository_association = aws.fsx.DataRepositoryAssociation(
                f"{name}-s3",
                file_system_id=self.file_system.id,
                data_repository_path=spec.import_path,
                file_system_path="/",
                batch_import_meta_data_on_create=True,
                delete_data_in_filesystem=False,
                s3=aws.fsx.DataRepositoryAssociationS3Args(
                    auto_import_policy=aws.fsx.DataRepositoryAssociationS3AutoImportPolicyArgs(
                        events=events
                    ),
                    auto_export_policy=aws.fsx.DataRepositoryAssociationS3AutoExportPolicyArgs(
                        events=events
                    ),
                ),
                tags=base,
                opts=child,
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
                "fileSystemId": self.file_system.id,
                "dnsName": self.file_system.dns_name,
                "mountName": self.file_system.mount_name,
                "mountPath": spec.mount_path,
            }
        )
