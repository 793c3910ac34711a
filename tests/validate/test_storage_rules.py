"""Storage rules (rules/storage.py): types, mounts, zones, protection, FSx for Lustre values."""

from __future__ import annotations

import pytest

from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp
from tests.validate.support import Case, bad, check, good, run

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def fs(**fields: object) -> dict[str, object]:
    """An override of the baseline's Lustre file system (storage[0])."""
    return {"storage": {0: fields}}


GCP_CASES = [
    # STO005: file systems have a capacity, buckets do not.
    good("STO005", "baseline", {}),
    good(
        "STO005",
        "bucket",
        gcp({"storage": {1: {"name": "ckpt", "type": "gcsfuse", "mount_path": "/ckpt"}}}),
    ),
    bad(
        "STO005",
        "lustre-without-capacity",
        fs(capacity_gib=None),
        ERROR,
        "storage[0].capacity_gib",
        "needs capacity_gib",
    ),
    bad(
        "STO005",
        "bucket-with-capacity",
        gcp(
            {
                "storage": {
                    1: {
                        "name": "ckpt",
                        "type": "gcsfuse",
                        "capacity_gib": 10,
                        "mount_path": "/ckpt",
                    }
                }
            }
        ),
        WARNING,
        "storage[1].capacity_gib",
        "has no capacity",
    ),
    # LUS001: Managed Lustre tiers and capacities.
    good("LUS001", "baseline", gcp()),
    bad(
        "LUS001",
        "tier",
        gcp({"storage": {0: {"throughput_mbps_per_tib": 300}}}),
        ERROR,
        "storage[0].throughput_mbps_per_tib",
        "does not offer 300",
    ),
    bad(
        "LUS001",
        "too-small",
        gcp({"storage": {0: {"capacity_gib": 4800}}}),
        ERROR,
        "storage[0].capacity_gib",
        "starts at 18,000 GiB",
        "use capacity_gib: 18000",
    ),
    bad(
        "LUS001",
        "off-the-step",
        gcp({"storage": {0: {"capacity_gib": 20000}}}),
        ERROR,
        "storage[0].capacity_gib",
        "grows in steps of 18,000 GiB",
        "use capacity_gib: 18000",
    ),
    good("LUS001", "on-the-step", gcp({"storage": {0: {"capacity_gib": 36000}}})),
    bad(
        "LUS001",
        "above-threshold-large-step",
        gcp({"storage": {0: {"capacity_gib": 3078000}}}),
        ERROR,
        "storage[0].capacity_gib",
        "grows in steps of 144,000 GiB above 3,060,000 GiB",
    ),
    # FST001: Filestore tiers and capacities.
    good(
        "FST001",
        "zonal",
        gcp(
            {
                "storage": {
                    0: {"type": "filestore", "capacity_gib": 2048, "throughput_mbps_per_tib": None}
                }
            }
        ),
    ),
    bad(
        "FST001",
        "unknown-tier",
        gcp(
            {
                "storage": {
                    0: {
                        "type": "filestore",
                        "tier": "PREMIUM_PLUS",
                        "capacity_gib": 2048,
                        "throughput_mbps_per_tib": None,
                    }
                }
            }
        ),
        ERROR,
        "storage[0].tier",
        "unknown Filestore tier",
    ),
    bad(
        "FST001",
        "basic-ssd-too-small",
        gcp(
            {
                "storage": {
                    0: {
                        "type": "filestore",
                        "tier": "BASIC_SSD",
                        "capacity_gib": 1024,
                        "throughput_mbps_per_tib": None,
                    }
                }
            }
        ),
        ERROR,
        "storage[0].capacity_gib",
        "BASIC_SSD takes 2560",
    ),
    # PST001: Parallelstore is called out.
    good("PST001", "lustre", gcp()),
    bad(
        "PST001",
        "parallelstore",
        gcp(
            {
                "storage": {
                    0: {
                        "type": "parallelstore",
                        "capacity_gib": 12288,
                        "throughput_mbps_per_tib": None,
                    }
                }
            }
        ),
        WARNING,
        "storage[0].type",
        "invitation only",
        "Managed Lustre",
    ),
]

CASES = [
    # STO001: the storage type is built on AWS.
    good("STO001", "baseline", {}),
    good("STO001", "parallel", fs(type="parallel")),
    bad(
        "STO001",
        "filestore-on-aws",
        fs(type="filestore"),
        ERROR,
        "storage[0].type",
        "storage type 'filestore' is not built on aws",
        "use one of: lustre, parallel",
    ),
    # STO002: mounted by pools that exist, on distinct absolute paths.
    good("STO002", "baseline", {}),
    good("STO002", "named-pools", fs(pools=["h100", "system"])),
    good(
        "STO002",
        "two-file-systems",
        {
            "storage": {
                1: {"name": "home", "type": "lustre", "capacity_gib": 1200, "mount_path": "/home"}
            }
        },
    ),
    bad(
        "STO002",
        "misspelt-pool",
        fs(pools=["h100", "h10"]),
        ERROR,
        "storage[0].pools[1]",
        "no node pool named 'h10'",
        "did you mean 'h100'",
    ),
    bad(
        "STO002",
        "unknown-pool",
        fs(pools=["zzz"]),
        ERROR,
        "storage[0].pools[0]",
        "no node pool named 'zzz'",
        "pools: system, h100",
    ),
    bad(
        "STO002",
        "relative-mount-path",
        fs(mount_path="mnt/data"),
        ERROR,
        "storage[0].mount_path",
        "'mnt/data' is not absolute",
    ),
    bad(
        "STO002",
        "same-mount-path",
        {"storage": {1: {"name": "home", "type": "lustre", "capacity_gib": 1200}}},
        ERROR,
        "storage[1].mount_path",
        "mount path /mnt/data is used by 2 file systems",
    ),
    # STO003: storage sits in the zone of the pools that mount it.
    good("STO003", "baseline-zone-from-pool", {}),
    good("STO003", "explicit-same-zone", fs(zone="us-east-1a")),
    bad(
        "STO003",
        "other-zone",
        fs(zone="us-east-1b"),
        ERROR,
        "storage[0].zone",
        "scratch is in us-east-1b but pool 'h100' that mounts it is in us-east-1a",
        "put the file system in us-east-1a",
    ),
    bad(
        "STO003",
        "no-zone",
        fs(pools=["system"]),
        ERROR,
        "storage[0].zone",
        "the file system has no zone",
        "set `zone` on the storage or the cluster",
    ),
    # STO004 (error, the level of the CF-DATA-001 policy): unprotected storage.
    good("STO004", "baseline-protected", {}),
    bad(
        "STO004",
        "unprotected",
        fs(protect=False),
        ERROR,
        "storage[0].protect",
        "scratch is not protected",
    ),
    # FSX001: deployment type and capacity FSx accepts (services.json facts).
    good("FSX001", "baseline-2400", {}),
    good("FSX001", "persistent-2-1200", fs(capacity_gib=1200)),
    good("FSX001", "persistent-2-4800", fs(capacity_gib=4800)),
    good("FSX001", "lowercase-deployment", fs(deployment_type="persistent_2")),
    good(
        "FSX001",
        "scratch-1-3600",
        fs(deployment_type="SCRATCH_1", throughput_mbps_per_tib=None, capacity_gib=3600),
    ),
    good(
        "FSX001",
        "scratch-1-7200",
        fs(deployment_type="SCRATCH_1", throughput_mbps_per_tib=None, capacity_gib=7200),
    ),
    bad(
        "FSX001",
        "persistent-2-3000",
        fs(capacity_gib=3000),
        ERROR,
        "storage[0].capacity_gib",
        "FSx PERSISTENT_2 capacity 3000 GiB must be 1200, 2400 or a multiple of 2400 GiB",
        "the next valid size up: 4800 GiB",
    ),
    bad(
        "FSX001",
        "persistent-2-100",
        fs(capacity_gib=100),
        ERROR,
        "storage[0].capacity_gib",
        "the next valid size up: 1200 GiB",
    ),
    bad(
        "FSX001",
        "scratch-1-4800",
        fs(deployment_type="SCRATCH_1", throughput_mbps_per_tib=None, capacity_gib=4800),
        ERROR,
        "storage[0].capacity_gib",
        "a multiple of 3600 GiB",
        "the next valid size up: 7200 GiB",
    ),
    bad(
        "FSX001",
        "unknown-deployment",
        fs(deployment_type="PERSISTENT_3"),
        ERROR,
        "storage[0].deployment_type",
        "unknown FSx for Lustre deployment type 'PERSISTENT_3'",
        "PERSISTENT_2, PERSISTENT_1, SCRATCH_2, SCRATCH_1",
    ),
    # FSX002: a throughput tier the deployment type offers, none on scratch.
    good("FSX002", "baseline-250", {}),
    good("FSX002", "persistent-2-default", fs(throughput_mbps_per_tib=None)),
    good(
        "FSX002",
        "persistent-1-default",
        fs(deployment_type="PERSISTENT_1", throughput_mbps_per_tib=None),
    ),
    good(
        "FSX002",
        "scratch-2-without-throughput",
        fs(deployment_type="SCRATCH_2", throughput_mbps_per_tib=None),
    ),
    bad(
        "FSX002",
        "persistent-2-300",
        fs(throughput_mbps_per_tib=300),
        ERROR,
        "storage[0].throughput_mbps_per_tib",
        "PERSISTENT_2 does not offer 300 MB/s/TiB",
        "tiers: 125, 250, 500, 1000",
    ),
    bad(
        "FSX002",
        "persistent-1-250",
        fs(deployment_type="PERSISTENT_1"),
        ERROR,
        "storage[0].throughput_mbps_per_tib",
        "PERSISTENT_1 does not offer 250 MB/s/TiB",
        "tiers: 50, 100, 200",
    ),
    bad(
        "FSX002",
        "scratch-2-with-throughput",
        fs(deployment_type="SCRATCH_2", throughput_mbps_per_tib=200),
        ERROR,
        "storage[0].throughput_mbps_per_tib",
        "SCRATCH_2 has a fixed throughput",
        "drop it, or use PERSISTENT_2",
    ),
    # FSX003: S3 data repository paths.
    good("FSX003", "baseline-no-repository", {}),
    good(
        "FSX003",
        "import-and-export-same",
        fs(import_path="s3://data/llm", export_path="s3://data/llm"),
    ),
    good("FSX003", "import-only", fs(import_path="s3://datasets/llm")),
    good("FSX003", "export-only-association", fs(export_path="s3://datasets/out")),
    good(
        "FSX003",
        "deletes-with-their-own-opt-in",
        fs(import_path="s3://data/ckpt", auto_export=["NEW", "DELETED"], export_deletes=True),
    ),
    good("FSX003", "dotted-bucket-name", fs(import_path="s3://my.datasets-2026/llm/v1")),
    good("FSX003", "bucket-without-prefix", fs(import_path="s3://datasets")),
    bad(
        "FSX003",
        "bucket-name-uppercase-and-underscore",
        fs(import_path="s3://Bad_Bucket/x"),
        ERROR,
        "storage[0].import_path",
        "bucket name 'Bad_Bucket' must be lowercase letters, digits, '.' and '-'",
        "bucket naming rules",
    ),
    bad(
        "FSX003",
        "bucket-name-too-short",
        fs(export_path="s3://ab/out"),
        ERROR,
        "storage[0].export_path",
        "bucket name 'ab' is 2 characters long (S3 takes 3 to 63)",
    ),
    bad(
        "FSX003",
        "bucket-name-an-ip-address",
        fs(import_path="s3://192.168.5.4/x"),
        ERROR,
        "storage[0].import_path",
        "formatted as an IP address",
    ),
    bad(
        "FSX003",
        "bucket-name-adjacent-periods",
        fs(import_path="s3://my..data/x"),
        ERROR,
        "storage[0].import_path",
        "two adjacent periods",
    ),
    bad(
        "FSX003",
        "empty-bucket-name",
        fs(import_path="s3:///x"),
        ERROR,
        "storage[0].import_path",
        "bucket name '' is 0 characters long",
    ),
    bad(
        "FSX003",
        "import-not-s3",
        fs(import_path="datasets/llm"),
        ERROR,
        "storage[0].import_path",
        "'datasets/llm' is not an s3:// path",
        "s3://bucket/prefix",
    ),
    bad(
        "FSX003",
        "export-path-differs-from-import-path",
        fs(import_path="s3://datasets/llm", export_path="s3://datasets/llm-out"),
        ERROR,
        "storage[0].export_path",
        "differs from import_path s3://datasets/llm",
        "set export_path to the import_path",
    ),
    bad(
        "FSX003",
        "deleted-without-its-opt-in",
        fs(import_path="s3://datasets/llm", auto_export=["NEW", "DELETED"]),
        ERROR,
        "storage[0].auto_export",
        "deletes the S3 objects",
        "export_deletes: true",
    ),
    bad(
        "FSX003",
        "auto-export-with-nowhere-to-go",
        fs(auto_export=["NEW"]),
        ERROR,
        "storage[0].auto_export",
        "without an S3 path",
        "set export_path",
    ),
    bad(
        "FSX003",
        "scratch-1-export-bucket-is-not-the-import-bucket",
        fs(
            deployment_type="SCRATCH_1",
            throughput_mbps_per_tib=None,
            capacity_gib=3600,
            import_path="s3://datasets/llm",
            export_path="s3://other/out",
        ),
        ERROR,
        "storage[0].export_path",
        "export bucket other is not the import bucket datasets",
        "export to a prefix of s3://datasets",
    ),
    bad(
        "FSX003",
        "scratch-1-has-no-auto-export",
        fs(
            deployment_type="SCRATCH_1",
            throughput_mbps_per_tib=None,
            capacity_gib=3600,
            import_path="s3://datasets/llm",
            auto_export=["NEW"],
        ),
        ERROR,
        "storage[0].auto_export",
        "SCRATCH_1 has no automatic export",
        "data repository task",
    ),
    # FSX004: what export and S3 links do, said out loud.
    good("FSX004", "unlinked", {}),
    bad(
        "FSX004",
        "exported-deletions",
        fs(import_path="s3://d/ckpt", export_deletes=True),
        WARNING,
        "storage[0].export_deletes",
        "deletes its object in s3://d/ckpt",
        "S3 must mirror",
    ),
    bad(
        "FSX004",
        "linked-persistent-has-no-backups",
        fs(import_path="s3://d/llm"),
        INFO,
        "storage[0].import_path",
        "FSx makes no backups of a file system linked to S3",
        "export what must survive",
    ),
]

# FSX005: EFA-enabled FSx for Lustre (baseline: PERSISTENT_2 at 250 MB/s/TiB, mounted by the
# EFA p5 pool).
CASES += [
    good("FSX005", "baseline", {}),
    good("FSX005", "efa-1000-tier", fs(efa=True, capacity_gib=4800, throughput_mbps_per_tib=1000)),
    good("FSX005", "efa-250-tier", fs(efa=True, capacity_gib=38400)),
    good("FSX005", "metadata-iops-without-efa", fs(metadata_iops=24000)),
    bad(
        "FSX005",
        "efa-capacity-off-step",
        fs(efa=True, capacity_gib=2400),
        ERROR,
        "storage[0].capacity_gib",
        "grows in steps of 19,200 GiB; 2,400 GiB is not one",
        "the next valid size up: 19200 GiB (or a higher throughput tier, whose step is smaller)",
    ),
    bad(
        "FSX005",
        "efa-tier-without-capacity-step",
        fs(efa=True, capacity_gib=19200, throughput_mbps_per_tib=200),
        ERROR,
        "storage[0].throughput_mbps_per_tib",
        "FSx documents no EFA capacity step for 200 MB/s/TiB",
        "use 125, 250, 500 or 1000 MB/s/TiB",  # the tiers of capacity_increment_gib_by_throughput
    ),
    bad(
        "FSX005",
        "efa-on-scratch",
        fs(efa=True, deployment_type="SCRATCH_2", throughput_mbps_per_tib=None),
        ERROR,
        "storage[0].efa",
        "EFA only on PERSISTENT_2, not SCRATCH_2",
    ),
    bad(
        "FSX005",
        "metadata-iops-not-a-step",
        fs(metadata_iops=5000),
        ERROR,
        "storage[0].metadata_iops",
        "must be 1500, 3000, 6000, 12000 or a multiple of 12000 up to 192000",
    ),
    bad(
        "FSX005",
        "metadata-on-persistent-1",
        fs(metadata_iops=3000, deployment_type="PERSISTENT_1", throughput_mbps_per_tib=200),
        ERROR,
        "storage[0].metadata_iops",
        "only on PERSISTENT_2, not PERSISTENT_1",
    ),
    bad(
        "FSX005",
        "trn2-clients",
        {
            **fs(efa=True, capacity_gib=19200),
            "node_pools": {1: {"instance_type": "trn2.48xlarge"}},
        },
        WARNING,
        "storage[0].pools",
        "FSx does not serve EFA to h100 (trn2 clients are excluded)",
    ),
    bad(
        "FSX005",
        "efa-without-efa-clients",
        fs(efa=True, capacity_gib=19200, pools=["system"]),
        WARNING,
        "storage[0].efa",
        "no pool that mounts it has EFA",
    ),
]

CASES += GCP_CASES


@pytest.mark.parametrize("case", CASES)
def test_storage_rule(case: Case) -> None:
    check(case)


def test_efa_step_hint_at_the_highest_tier_offers_no_higher_tier() -> None:
    """At 1000 MB/s/TiB (the highest EFA tier) the hint names only the next valid size."""
    findings = [
        f
        for f in run(fs(efa=True, capacity_gib=2400, throughput_mbps_per_tib=1000))
        if f.rule == "FSX005" and f.path == "storage[0].capacity_gib"
    ]
    assert [f.hint for f in findings] == ["the next valid size up: 4800 GiB"]
