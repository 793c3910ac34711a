"""CF-DATA-002 on S3-linked FSx for Lustre: FSx backs up only persistent file systems that are not
linked to S3, so a linked one is not asked for backups that cannot exist; an unlinked one still is."""

from __future__ import annotations

from clusterforge.policies.rules._tokens import FSX_DRA, FSX_LUSTRE

from tests.policies.support import res, violations

NO_BACKUPS = {"deploymentType": "PERSISTENT_2", "automaticBackupRetentionDays": 0}


def test_a_file_system_linked_through_an_association_needs_no_backups() -> None:
    fs = res(FSX_LUSTRE, "fs", {**NO_BACKUPS, "id": "fs-1"})
    dra = res(FSX_DRA, "fs-s3", {"fileSystemId": "fs-1"}, deps=((FSX_LUSTRE, "fs"),))
    assert violations("CF-DATA-002", [fs, dra]) == []


def test_an_unlinked_persistent_file_system_without_backups_fails() -> None:
    (finding,) = violations("CF-DATA-002", [res(FSX_LUSTRE, "fs", NO_BACKUPS)])
    assert "keeps 0 day(s) of automatic backups" in finding.message
