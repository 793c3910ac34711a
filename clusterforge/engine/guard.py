"""The data-loss guard: which engine steps would delete or replace a resource that holds data.

A Pulumi *replace* creates a new resource and deletes the old one; for a file system, a bucket,
a volume or an encryption key the data goes with the old one. ``clusterforge up`` previews first,
passes the preview's steps through :func:`data_loss` and refuses to apply unless the user said
``--allow-data-loss``. Protection (``protect``) already stops the engine from deleting protected
resources; the guard also covers the unprotected ones (``protect: false`` scratch storage, buckets,
keys) and says *before* the update what would be lost, rather than failing half-way through it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

#: Resource types whose deletion or replacement loses data, as ``fnmatch`` patterns over Pulumi type
#: tokens. This is the one list of stateful types: the guard, the destroy summary and the tests
#: read it. Why each is here:
#:   * file systems (FSx for Lustre, GCP Managed Lustre, Filestore, Parallelstore): the data sets,
#:     checkpoints and home directories the cluster exists for;
#:   * the FSx data repository association: replacing it re-links the S3 prefix and, when it was
#:     created with ``deleteDataInFilesystem``, deletes the imported files;
#:   * EBS volumes and S3 / Cloud Storage buckets and objects: data at rest;
#:   * KMS keys: deleting one (after its waiting period) makes everything it encrypted — the EKS
#:     secrets envelope, encrypted volumes — unreadable.
STATEFUL_TYPES: tuple[str, ...] = (
    "aws:fsx/lustreFileSystem:LustreFileSystem",
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation",
    "aws:fsx/ontapFileSystem:OntapFileSystem",
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem",
    "aws:fsx/windowsFileSystem:WindowsFileSystem",
    "aws:efs/fileSystem:FileSystem",
    "aws:ebs/volume:Volume",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucketObject:BucketObject",
    "aws:s3/bucketObjectv2:BucketObjectv2",
    "aws:kms/key:Key",
    "gcp:lustre/instance:Instance",
    "gcp:filestore/instance:Instance",
    "gcp:parallelstore/instance:Instance",
    "gcp:storage/bucket:Bucket",
)

#: Engine step operations that remove the existing physical resource (``pulumi.automation.OpType``
#: values). A replacement shows up as ``replace`` plus ``create-replacement`` and
#: ``delete-replaced``; any of them is enough.
DATA_LOSS_OPS = frozenset({"delete", "replace", "create-replacement", "delete-replaced"})


def is_stateful(type_token: str) -> bool:
    """Whether resources of ``type_token`` hold data (see :data:`STATEFUL_TYPES`)."""
    return any(fnmatch.fnmatchcase(type_token, pattern) for pattern in STATEFUL_TYPES)


@dataclass(frozen=True)
class DataLoss:
    """A step that would delete or replace a stateful resource."""

    urn: str
    type: str
    op: str

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def to_dict(self) -> dict[str, str]:
        return {"urn": self.urn, "type": self.type, "name": self.name, "op": self.op}


def data_loss(steps: Iterable[tuple[str, str, str]]) -> list[DataLoss]:
    """The stateful resources that ``steps`` — ``(urn, type, op)`` triples — delete or replace.

    One entry per resource (a replacement's three steps count once), in first-seen order.
    """
    found: dict[str, DataLoss] = {}
    for urn, type_token, op in steps:
        if op in DATA_LOSS_OPS and urn not in found and is_stateful(type_token):
            found[urn] = DataLoss(urn, type_token, "delete" if op == "delete" else "replace")
    return list(found.values())
