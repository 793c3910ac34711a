"""FSx for Lustre data paths as one decision: how a file system links S3, what it exports, and
whether FSx backs it up — read by the validation rules (FSX003/FSX004) and built by
``modules/aws/fsx.py``, so the two cannot disagree.

Facts come from ``data/aws/services.json`` (``storage.fsx_lustre``, with its sources):

- A data repository association (DRA) links one file system path to one S3 prefix, with its own
  automatic import and export policies. DRAs exist on Lustre 2.12/2.15 for every deployment type
  except SCRATCH_1; Lustre 2.10 and SCRATCH_1 only have the legacy ImportPath/ExportPath on the
  file system, where the export bucket must be the import bucket.
- Automatic export of ``DELETED`` deletes the S3 objects when files are deleted on the file
  system (FSx API AutoExportPolicy). clusterforge exports only when asked, and ``DELETED`` only
  with its own opt-in (``export_deletes: true``).
- FSx backs up only persistent file systems not linked to a data repository (FSx API
  CreateBackup): an S3-linked file system gets no automatic backups, and nothing promises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clusterforge.spec.models import Storage

#: Export events when an export path is set and the user lists none (never DELETED).
DEFAULT_EXPORT_EVENTS = ("NEW", "CHANGED")
#: Import events of an association: objects new, changed or deleted in S3 show on the file system
#: (deleting an S3 object removes the file's metadata, never S3 data).
IMPORT_EVENTS = ("NEW", "CHANGED", "DELETED")


@dataclass(frozen=True)
class LustrePort:
    """A TCP port range FSx for Lustre clients and servers use (services.json ``lustre_ports``)."""

    protocol: str
    from_port: int
    to_port: int
    purpose: str


def lustre_ports(facts: dict[str, Any]) -> list[LustrePort]:
    return [
        LustrePort(p["protocol"], int(p["from_port"]), int(p["to_port"]), p.get("purpose", ""))
        for p in facts.get("lustre_ports", [])
    ]


@dataclass(frozen=True)
class Association:
    """One data repository association to build."""

    s3_path: str
    file_system_path: str
    import_events: tuple[str, ...]
    export_events: tuple[str, ...]


@dataclass(frozen=True)
class DataPaths:
    """How one FSx for Lustre file system links S3."""

    #: "association", "legacy" or "none".
    mode: str
    associations: tuple[Association, ...] = ()
    #: Legacy ImportPath / ExportPath on the file system itself.
    legacy_import_path: str | None = None
    legacy_export_path: str | None = None
    automatic_backups: bool = False
    #: What is wrong, as (spec field, message, hint); the rules report these as errors.
    problems: tuple[tuple[str, str, str], ...] = ()

    @property
    def export_events(self) -> tuple[str, ...]:
        return tuple(e for a in self.associations for e in a.export_events)

    @property
    def linked(self) -> bool:
        return self.mode != "none"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def associations_available(facts: dict[str, Any], deployment_type: str) -> bool:
    """Whether the deployment type on the catalog's Lustre version takes DRAs."""
    deployment = facts.get("deployment_types", {}).get(deployment_type, {})
    version = str(facts.get("file_system_type_version", ""))
    minimum = str(facts.get("data_repository_associations_min_version", "2.12"))
    return bool(deployment.get("data_repository_associations")) and _version(version) >= _version(
        minimum
    )


def s3_bucket(path: str) -> str:
    """The bucket of an ``s3://bucket/prefix`` path."""
    return path.removeprefix("s3://").split("/", 1)[0]


def data_paths(facts: dict[str, Any], deployment_type: str, spec: Storage) -> DataPaths:
    """The data repository layout of ``spec`` on ``deployment_type`` (facts: services.json)."""
    deployment = facts.get("deployment_types", {}).get(deployment_type, {})
    events: tuple[str, ...] = tuple(spec.auto_export or ())
    if spec.export_path and not events:
        events = DEFAULT_EXPORT_EVENTS
    if spec.export_deletes and "DELETED" not in events:
        events = (*events, "DELETED")
    problems: list[tuple[str, str, str]] = []
    if "DELETED" in events and not spec.export_deletes:
        problems.append(
            (
                "auto_export",
                "auto_export lists DELETED, which deletes the S3 objects when their files are "
                "deleted on the file system",
                "remove DELETED, or confirm with `export_deletes: true` if S3 must mirror deletions",
            )
        )
    linked = bool(spec.import_path or spec.export_path)
    backups = bool(deployment.get("automatic_backups")) and not linked
    if not linked:
        if events:
            problems.append(
                (
                    "auto_export",
                    "auto_export without an S3 path to export to",
                    "set export_path (or import_path) to an s3:// prefix, or drop auto_export",
                )
            )
        return DataPaths("none", automatic_backups=backups, problems=tuple(problems))
    if associations_available(facts, deployment_type):
        if spec.import_path and spec.export_path and spec.export_path != spec.import_path:
            problems.append(
                (
                    "export_path",
                    f"export_path {spec.export_path} differs from import_path {spec.import_path}: "
                    "one data repository association links the file system to one S3 prefix",
                    "set export_path to the import_path (or drop it), or give the exports their "
                    "own storage entry",
                )
            )
        target = spec.import_path or spec.export_path or ""
        association = Association(
            s3_path=target,
            file_system_path="/",
            import_events=IMPORT_EVENTS if spec.import_path else (),
            export_events=tuple(events),
        )
        return DataPaths(
            "association",
            associations=(association,),
            automatic_backups=backups,
            problems=tuple(problems),
        )
    # Legacy data repository (SCRATCH_1, Lustre 2.10): no automatic export at all.
    if events and spec.auto_export:
        problems.append(
            (
                "auto_export",
                f"{deployment_type} has no automatic export (legacy data repository)",
                "export with a data repository task, or use SCRATCH_2 / PERSISTENT_2",
            )
        )
    if not spec.import_path:
        problems.append(
            (
                "export_path",
                f"{deployment_type} exports only to the bucket it imports from",
                "set import_path too",
            )
        )
    elif spec.export_path and s3_bucket(spec.export_path) != s3_bucket(spec.import_path):
        problems.append(
            (
                "export_path",
                f"export bucket {s3_bucket(spec.export_path)} is not the import bucket "
                f"{s3_bucket(spec.import_path)}; {deployment_type} links one bucket",
                f"export to a prefix of s3://{s3_bucket(spec.import_path)}",
            )
        )
    return DataPaths(
        "legacy",
        legacy_import_path=spec.import_path,
        legacy_export_path=spec.export_path,
        automatic_backups=backups,
        problems=tuple(problems),
    )


@dataclass(frozen=True)
class MetadataConfiguration:
    """The Lustre metadata configuration of a PERSISTENT_2 file system (FSx API
    CreateFileSystemLustreMetadataConfiguration)."""

    mode: str
    iops: int | None = None


#: The storage class clusterforge builds: the spec has no option for another, and SSD is the one
#: every Lustre deployment type offers (services.json ``storage_types``, botocore's FSx model).
BUILT_STORAGE_TYPE = "SSD"


def storage_type(facts: dict[str, Any], deployment_type: str) -> str:
    """The ``StorageType`` of a file system of ``deployment_type``: :data:`BUILT_STORAGE_TYPE`,
    checked against what the type offers (PERSISTENT_1 also HDD, PERSISTENT_2 also
    INTELLIGENT_TIERING; services.json ``deployment_types.*.storage_types``, with its source)."""
    from clusterforge.errors import CatalogError

    offered = facts.get("deployment_types", {}).get(deployment_type, {}).get("storage_types")
    if not offered or BUILT_STORAGE_TYPE not in offered:
        raise CatalogError(
            f"the FSx catalog (data/aws/services.json) lists no {BUILT_STORAGE_TYPE} storage for "
            f"{deployment_type} (storage_types: {offered})"
        )
    return BUILT_STORAGE_TYPE


def metadata_configuration(spec: Storage) -> MetadataConfiguration | None:
    """USER_PROVISIONED with the IOPS the spec gives; AUTOMATIC for an EFA-enabled file system
    (EFA needs a metadata configuration); none otherwise (FSx's default)."""
    if spec.metadata_iops is not None:
        return MetadataConfiguration("USER_PROVISIONED", spec.metadata_iops)
    if spec.efa:
        return MetadataConfiguration("AUTOMATIC")
    return None


def metadata_iops_problem(facts: dict[str, Any], iops: int) -> str | None:
    """Why FSx refuses ``iops`` metadata IOPS on SSD (services.json ``fsx_lustre.efa``)."""
    rule_ = facts["efa"]["metadata_iops"]
    if iops in rule_["allowed"] or (iops % rule_["increment"] == 0 and iops <= rule_["max"]):
        return None
    firsts = ", ".join(str(v) for v in rule_["allowed"])
    return f"must be {firsts} or a multiple of {rule_['increment']} up to {rule_['max']}"


def efa_throughput_tiers(facts: dict[str, Any]) -> list[int]:
    """The throughput tiers (MB/s/TiB) FSx documents an EFA capacity step for, ascending."""
    return sorted(int(t) for t in facts["efa"]["capacity_increment_gib_by_throughput"])


def efa_capacity_increment(facts: dict[str, Any], throughput: int | None) -> int | None:
    """The capacity step (GiB) of an EFA-enabled file system at a throughput tier; None when
    FSx documents none for the tier."""
    steps = facts["efa"]["capacity_increment_gib_by_throughput"]
    value = steps.get(str(throughput)) if throughput is not None else None
    return int(value) if value is not None else None
