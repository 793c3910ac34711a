"""Data safety: file systems are protected, backed up where the service can, and never replaced.

Policies see the ``protect`` and ``deleteBeforeReplace`` resource options but not
``retainOnDelete`` (the engine does not pass it to analyzers) and not the previous state, so a
replacement caused by a change of an immutable property (an FSx subnet, deployment type, security
groups or KMS key) is prevented the way Pulumi prevents it: a protected resource is never
replaced — the update stops instead — and it is never deleted *before* its replacement exists.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from clusterforge.policies.registry import config_schema, resource_policy, stack_policy
from clusterforge.policies.rules._props import StackView, flag, get, is_unknown, number, text
from clusterforge.policies.rules._tokens import (
    EFS,
    EFS_BACKUP,
    FILE_SYSTEMS,
    FSX_DRA,
    FSX_LUSTRE,
    FSX_ONTAP,
    FSX_OPENZFS,
    FSX_WINDOWS,
    GCS_BUCKET,
)

KIND = {
    "aws:fsx/lustreFileSystem:LustreFileSystem": "FSx for Lustre",
    "aws:fsx/ontapFileSystem:OntapFileSystem": "FSx for ONTAP",
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem": "FSx for OpenZFS",
    "aws:fsx/windowsFileSystem:WindowsFileSystem": "FSx for Windows",
    "aws:efs/fileSystem:FileSystem": "EFS",
    "gcp:filestore/instance:Instance": "Filestore",
    "gcp:lustre/instance:Instance": "Managed Lustre",
    "gcp:parallelstore/instance:Instance": "Parallelstore",
}
DEFAULT_MIN_RETENTION_DAYS = 1


@resource_policy(
    "CF-DATA-001",
    "filesystem-protected",
    types=FILE_SYSTEMS,
    description="A file system is protected (`protect`): Pulumi refuses to delete or replace it, so neither a "
    "destroy nor a change of an immutable property can lose its data. Set retainOnDelete too; the engine does not show it to policies.",
    remediation="Set `protect: true` on the storage in the stack (the default), or the `protect` and "
    "`retainOnDelete` resource options in a Pulumi program.",
    spec_field="protect",
    same_as=("STO004",),
)
def filesystem_protected(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.opts.protect:
        report(
            f"{args.name} ({KIND.get(args.resource_type, 'file system')}) is not protected: a destroy, or a change that "
            "replaces it, deletes the file system and its data.",
            None,
        )


@stack_policy(
    "CF-DATA-002",
    "filesystem-backups",
    types=(FSX_LUSTRE, FSX_DRA, FSX_ONTAP, FSX_OPENZFS, FSX_WINDOWS, EFS, EFS_BACKUP),
    description="File systems whose service has automatic backups keep them: FSx (persistent Lustre, ONTAP, OpenZFS, "
    "Windows) retain automatic backups for at least `minRetentionDays`, EFS has an enabled backup policy. Scratch "
    "Lustre, Lustre linked to S3 (FSx backs up only persistent file systems not linked to S3), Filestore, Managed "
    "Lustre and Parallelstore have no automatic backups to turn on.",
    remediation="Set `automaticBackupRetentionDays` (FSx) or add an `aws.efs.BackupPolicy` with status ENABLED (EFS).",
    config=config_schema(
        minRetentionDays={
            "type": "integer",
            "minimum": 1,
            "default": DEFAULT_MIN_RETENTION_DAYS,
            "description": "Fewest days of automatic backups an FSx file system keeps.",
        }
    ),
)
def filesystem_backups(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    minimum = int(args.get_config().get("minRetentionDays", DEFAULT_MIN_RETENTION_DAYS))
    # FSx backs up only Lustre file systems not linked to S3 (FSx Lustre guide, "Working with
    # backups"): a data repository association or a legacy import path rules backups out.
    linked = {
        target.urn
        for dra in view.of_type(FSX_DRA)
        for target in view.referenced(dra, "fileSystemId", FSX_LUSTRE)
    }
    for fs in view.of_type(FSX_LUSTRE, FSX_ONTAP, FSX_OPENZFS, FSX_WINDOWS):
        deployment = get(fs.props, "deploymentType")
        if fs.resource_type == FSX_LUSTRE and (
            is_unknown(deployment) or not str(deployment or "").startswith("PERSISTENT")
        ):
            continue  # scratch file systems cannot be backed up
        if fs.resource_type == FSX_LUSTRE and (fs.urn in linked or get(fs.props, "importPath")):
            continue  # linked to S3: FSx makes no backups of it
        days = get(fs.props, "automaticBackupRetentionDays")
        if is_unknown(days):
            continue
        # Lustre's API default is 0 (off); the other FSx services default to 7 days when unset.
        effective = (
            number(days) if days is not None else (0 if fs.resource_type == FSX_LUSTRE else 7)
        )
        if effective is not None and effective < minimum:
            report(
                f"{fs.name} ({KIND[fs.resource_type]}) keeps {effective:g} day(s) of automatic backups; at least {minimum} required.",
                fs.urn,
            )
    policies = view.of_type(EFS_BACKUP)
    for fs in view.of_type(EFS):
        attached = [
            p
            for p in policies
            if fs.urn in {r.urn for r in view.referenced(p, "fileSystemId", EFS)}
        ]
        statuses = [get(p.props, "backupPolicy", "status") for p in attached]
        if any(is_unknown(s) for s in statuses):
            continue
        if "ENABLED" not in statuses:
            report(f"{fs.name} (EFS) has no enabled backup policy.", fs.urn)


@resource_policy(
    "CF-DATA-003",
    "filesystem-no-delete-before-replace",
    types=FILE_SYSTEMS,
    description="A file system does not set `deleteBeforeReplace`: if a change of an immutable property ever forces a "
    "replacement, the old file system (and its data) would be deleted before the new one exists.",
    remediation="Remove the `deleteBeforeReplace` resource option from the file system; keep it protected so such a "
    "change fails the update instead.",
    spec_field="protect",
)
def filesystem_no_delete_before_replace(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    if args.opts.delete_before_replace:
        report(
            f"{args.name}: `deleteBeforeReplace` deletes the data before a replacement exists.",
            None,
        )


@resource_policy(
    "CF-DATA-004",
    "data-repository-keeps-files",
    types=(FSX_DRA,),
    description="An FSx for Lustre data repository association does not delete the file system's files when it is "
    "removed (`deleteDataInFilesystem`).",
    remediation="Set `deleteDataInFilesystem: false` on the data repository association.",
    spec_field="import_path",
)
def data_repository_keeps_files(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if flag(get(args.props, "deleteDataInFilesystem")):
        path = text(get(args.props, "fileSystemPath")) or "/"
        report(
            f"{args.name}: removing the association deletes every file under {path} in the file system.",
            None,
        )


@resource_policy(
    "CF-DATA-005",
    "bucket-keeps-data",
    types=(GCS_BUCKET,),
    description="A Cloud Storage bucket holding datasets or checkpoints is protected (`protect`) and does not set "
    "`forceDestroy`: Pulumi would otherwise delete the bucket and every object in it on a destroy or a replacing "
    "change.",
    remediation="Keep `protect: true` on the bucket's storage in the stack (the default); remove `forceDestroy: true`.",
    spec_field="protect",
    same_as=("STO004",),
)
def bucket_keeps_data(args: ResourceValidationArgs, report: ReportViolation) -> None:
    force = flag(get(args.props, "forceDestroy")) is True
    if not args.opts.protect or force:
        why = " and `forceDestroy` deletes its objects with it" if force else ""
        report(f"{args.name} (Cloud Storage bucket) is not protected{why}.", None)
