"""Data-safety policies (CF-DATA-*): a passing and a failing case each, through the pulumi_policy SDK."""

from __future__ import annotations

import pytest

from clusterforge.policies.rules._tokens import (
    EFS,
    EFS_BACKUP,
    FILESTORE,
    FSX_DRA,
    FSX_LUSTRE,
    FSX_OPENZFS,
    GCP_LUSTRE,
    GCS_BUCKET,
)

from tests.policies.support import res, violations

PERSISTENT = {
    "deploymentType": "PERSISTENT_2",
    "storageCapacity": 2400,
    "automaticBackupRetentionDays": 7,
}

CASES = [
    # CF-DATA-005 buckets holding data
    pytest.param(
        "CF-DATA-005",
        [res(GCS_BUCKET, "data", {"forceDestroy": False}, protect=True)],
        None,
        0,
        id="DATA005-protected",
    ),
    pytest.param(
        "CF-DATA-005",
        [res(GCS_BUCKET, "data", {"forceDestroy": False})],
        None,
        1,
        id="DATA005-unprotected",
    ),
    pytest.param(
        "CF-DATA-005",
        [res(GCS_BUCKET, "data", {"forceDestroy": True}, protect=True)],
        None,
        1,
        id="DATA005-force-destroy",
    ),
    # CF-DATA-001 protected
    pytest.param(
        "CF-DATA-001",
        [res(FSX_LUSTRE, "fs", PERSISTENT, protect=True, retainOnDelete=True)],
        None,
        0,
        id="DATA001-protected",
    ),
    pytest.param(
        "CF-DATA-001", [res(FSX_LUSTRE, "fs", PERSISTENT)], None, 1, id="DATA001-fsx-unprotected"
    ),
    pytest.param(
        "CF-DATA-001",
        [res(GCP_LUSTRE, "lustre", {"capacityGib": "36000"}, protect=False)],
        None,
        1,
        id="DATA001-managed-lustre",
    ),
    pytest.param(
        "CF-DATA-001",
        [res(FILESTORE, "nfs", {"tier": "ZONAL"}, protect=True)],
        None,
        0,
        id="DATA001-filestore-protected",
    ),
    # CF-DATA-002 backups
    pytest.param(
        "CF-DATA-002", [res(FSX_LUSTRE, "fs", PERSISTENT)], None, 0, id="DATA002-persistent-7-days"
    ),
    pytest.param(
        "CF-DATA-002",
        [res(FSX_LUSTRE, "scratch", {"deploymentType": "SCRATCH_2"})],
        None,
        0,
        id="DATA002-scratch-has-none",
    ),
    pytest.param(
        "CF-DATA-002",
        [res(FSX_LUSTRE, "fs", {"deploymentType": "PERSISTENT_2"})],
        None,
        1,
        id="DATA002-persistent-no-backups",
    ),
    pytest.param(
        "CF-DATA-002",
        [res(FSX_LUSTRE, "fs", PERSISTENT)],
        {"minRetentionDays": 14},
        1,
        id="DATA002-fewer-than-configured",
    ),
    pytest.param(
        "CF-DATA-002",
        [res(FSX_OPENZFS, "zfs", {"automaticBackupRetentionDays": 0})],
        None,
        1,
        id="DATA002-openzfs-off",
    ),
    pytest.param(
        "CF-DATA-002",
        [
            res(EFS, "efs", {"encrypted": True}),
            res(
                EFS_BACKUP,
                "efs-backup",
                {"backupPolicy": {"status": "ENABLED"}},
                deps=((EFS, "efs"),),
            ),
        ],
        None,
        0,
        id="DATA002-efs-backup-policy",
    ),  # fmt: skip
    pytest.param(
        "CF-DATA-002",
        [res(EFS, "efs", {"encrypted": True})],
        None,
        1,
        id="DATA002-efs-without-backup-policy",
    ),
    # CF-DATA-003 no delete-before-replace
    pytest.param(
        "CF-DATA-003",
        [res(FSX_LUSTRE, "fs", PERSISTENT, protect=True)],
        None,
        0,
        id="DATA003-default",
    ),
    pytest.param(
        "CF-DATA-003",
        [res(FSX_LUSTRE, "fs", PERSISTENT, deleteBeforeReplace=True)],
        None,
        1,
        id="DATA003-delete-first",
    ),
    # CF-DATA-004 data repository association keeps files
    pytest.param(
        "CF-DATA-004",
        [res(FSX_DRA, "dra", {"deleteDataInFilesystem": False})],
        None,
        0,
        id="DATA004-keeps-files",
    ),
    pytest.param(
        "CF-DATA-004",
        [res(FSX_DRA, "dra", {"deleteDataInFilesystem": True, "fileSystemPath": "/data"})],
        None,
        1,
        id="DATA004-deletes",
    ),
]


@pytest.mark.parametrize(("rule_id", "resources", "settings", "expected"), CASES)
def test_data_policy(rule_id: str, resources: list, settings: dict | None, expected: int) -> None:
    found = violations(rule_id, resources, settings)
    assert len(found) == expected, [f.message for f in found]
    assert all(f.rule == rule_id for f in found)


def test_an_unprotected_file_system_is_named() -> None:
    (finding,) = violations("CF-DATA-001", [res(FSX_LUSTRE, "scratch-fs", PERSISTENT)])
    assert finding.message.startswith("scratch-fs (FSx for Lustre) is not protected")
    assert finding.severity.value == "error" and "protect: true" in finding.hint
