"""Cluster-level rules (rules/cluster.py): names, VPC CIDR, region and zones, Kubernetes, endpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp
from tests.validate.support import Case, bad, check, good, run

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
PUBLIC = {"endpoint_public_access": True}

CASES = [
    # NAME001: DNS-1123 labels of at most 40 characters.
    good("NAME001", "baseline", {}),
    good(
        "NAME001",
        "40-characters",
        {"node_pools": {1: {"name": "a" * 40}}, "storage": {0: {"pools": ["a" * 40]}}},
    ),
    good("NAME001", "digits-and-dashes", {"name": "llm-7b-2026"}),
    # The cluster name starts every Helm release: the baseline's longest is
    # <name>-addons-nvidia-device-plugin, so a name over 40 is told 53 - 28 = 25 (ADD015's budget).
    bad(
        "NAME001",
        "41-character-cluster-name",
        {"name": "a" * 41},
        ERROR,
        "name",
        "is 41 characters long (at most 25: the Helm release "
        f"{'a' * 41}-addons-nvidia-device-plugin must fit Helm's 53 characters",
    ),
    bad(
        "NAME001",
        "uppercase-cluster",
        {"name": "Train"},
        ERROR,
        "name",
        "'Train'",
        "must be lowercase",
    ),
    bad(
        "NAME001",
        "41-characters",
        {"node_pools": {0: {"name": "s" * 41}}},
        ERROR,
        "node_pools[0].name",
        "is 41 characters long (at most 40)",
    ),
    bad(
        "NAME001",
        "underscore",
        {"storage": {0: {"name": "my_fs"}}},
        ERROR,
        "storage[0].name",
        "'my_fs'",
        "lowercase letters",
    ),
    bad(
        "NAME001",
        "trailing-dash",
        {"name": "train-"},
        ERROR,
        "name",
        "ending with a letter or digit",
    ),
    bad(
        "NAME001",
        "empty",
        {"node_pools": {0: {"name": ""}}},
        ERROR,
        "node_pools[0].name",
        "is empty",
    ),
    # NAME002: unique pool and storage names; the second use is reported.
    good("NAME002", "baseline", {}),
    bad(
        "NAME002",
        "duplicate-pool",
        {
            "node_pools": {
                2: {
                    "name": "h100",
                    "instance_type": "p5.48xlarge",
                    "nodes": 1,
                    "zone": "us-east-1a",
                }
            }
        },
        ERROR,
        "node_pools[2].name",
        "node pool name 'h100' is used 2 times",
        "give every entry its own name",
    ),
    bad(
        "NAME002",
        "duplicate-storage",
        {
            "storage": {
                1: {
                    "name": "scratch",
                    "type": "lustre",
                    "capacity_gib": 1200,
                    "mount_path": "/mnt/b",
                }
            }
        },
        ERROR,
        "storage[1].name",
        "name 'scratch' is used 2 times",
    ),
    # NET001: a private IPv4 VPC between /16 and /20.
    good("NET001", "baseline", {}),
    good("NET001", "slash-20", {"network": {"cidr": "172.16.0.0/20"}}),
    bad(
        "NET001",
        "invalid",
        {"network": {"cidr": "10.0.0.300/16"}},
        ERROR,
        "network.cidr",
        "is not a valid CIDR",
    ),
    bad(
        "NET001",
        "host-bits",
        {"network": {"cidr": "10.0.0.1/16"}},
        ERROR,
        "network.cidr",
        "has host bits set",
        "10.0.0.0/16",
    ),
    bad(
        "NET001",
        "ipv6",
        {"network": {"cidr": "fd00:10::/56"}},
        ERROR,
        "network.cidr",
        "is not IPv4",
    ),
    bad(
        "NET001",
        "slash-8",
        {"network": {"cidr": "10.0.0.0/8"}},
        ERROR,
        "network.cidr",
        "a /8 VPC is outside what AWS accepts",
    ),
    bad(
        "NET001",
        "slash-24",
        {"network": {"cidr": "10.0.0.0/24"}},
        ERROR,
        "network.cidr",
        "a /24 VPC is too small",
        "at least /20",
    ),
    bad(
        "NET001",
        "public-range",
        {"network": {"cidr": "8.8.0.0/16"}},
        WARNING,
        "network.cidr",
        "is not a private range",
    ),
    # NET001 on GCP: network.cidr is the nodes' subnet; AWS's VPC sizes and VPC CNI do not apply.
    good("NET001", "gcp-slash-8-node-range", gcp({"network": {"cidr": "10.0.0.0/8"}})),
    good("NET001", "gcp-slash-24-node-range", gcp({"network": {"cidr": "10.0.0.0/24"}})),
    bad(
        "NET001",
        "gcp-public-range",
        gcp({"network": {"cidr": "8.8.0.0/16"}}),
        WARNING,
        "network.cidr",
        "8.8.0.0/16 (the nodes' subnet) is not a private range",
    ),
    # REGION001: a region, and zones of that region.
    good("REGION001", "baseline", {}),
    good(
        "REGION001",
        "region-without-catalog-zones",
        {
            "region": "eu-west-1",
            "network": {"zones": ["eu-west-1a", "eu-west-1b"]},
            "node_pools": {1: {"zone": "eu-west-1a"}},
        },
    ),
    bad("REGION001", "no-region", {"region": None}, ERROR, "region", "aws stacks need a region"),
    bad(
        "REGION001",
        "unknown-aws-region",
        {
            "region": "us-east1",
            "zone": None,
            "network": {"zones": None},
            "node_pools": {1: {"zone": None}},
        },
        ERROR,
        "region",
        "is not a aws region",
        "did you mean 'us-east-1'",
    ),
    bad(
        "REGION001",
        "pool-zone-in-other-region",
        {"node_pools": {1: {"zone": "us-west-2a"}}},
        ERROR,
        "node_pools[1].zone",
        "zone 'us-west-2a' is not in region 'us-east-1'",
        "us-east-1a",
    ),
    bad(
        "REGION001",
        "cluster-zone-in-other-region",
        {"zone": "us-west-2a"},
        ERROR,
        "zone",
        "zone 'us-west-2a' is not in region 'us-east-1'",
    ),
    bad(
        "REGION001",
        "storage-zone-unknown",
        {"storage": {0: {"zone": "us-east-1z"}}},
        ERROR,
        "storage[0].zone",
        "zone 'us-east-1z' does not exist in us-east-1",
        "us-east-1a, us-east-1b",
    ),
    bad(
        "REGION001",
        "network-zone-in-other-region",
        {"network": {"zones": ["us-east-1a", "eu-west-1b"]}},
        ERROR,
        "network.zones[1]",
        "'eu-west-1b' is not in region",
    ),
    # NET002: EKS needs two zones; every pool zone has a subnet.
    good("NET002", "baseline", {}),
    good("NET002", "zones-defaulted", {"network": {"zones": None}}),
    bad(
        "NET002",
        "one-zone",
        {"network": {"zones": ["us-east-1a"]}},
        ERROR,
        "network.zones",
        "at least two zones",
    ),
    bad(
        "NET002",
        "same-zone-twice",
        {"network": {"zones": ["us-east-1a", "us-east-1a"]}},
        ERROR,
        "network.zones",
        "at least two zones",
    ),
    bad(
        "NET002",
        "pool-zone-without-subnet",
        {"network": {"zones": ["us-east-1b", "us-east-1c"]}},
        ERROR,
        "node_pools[1].zone",
        "pool zone us-east-1a is not one of network.zones",
    ),
    # K8S001: a version EKS offers and still supports (today pinned to 2026-11-21).
    good("K8S001", "baseline", {}),
    good("K8S001", "in-standard-support", {"kubernetes": {"version": "1.34"}}),
    good("K8S001", "newest-without-dates", {"kubernetes": {"version": "1.36"}}),
    bad(
        "K8S001",
        "unknown-version",
        {"kubernetes": {"version": "1.27"}},
        ERROR,
        "kubernetes.version",
        "EKS does not offer Kubernetes '1.27'",
        "offered: 1.31, 1.32, 1.33, 1.34, 1.35, 1.36",
    ),
    bad(
        "K8S001",
        "extended-support",
        {"kubernetes": {"version": "1.31"}},
        WARNING,
        "kubernetes.version",
        "left EKS standard support on 2025-11-26",
        "6x",
    ),
    bad(
        "K8S001",
        "past-extended-support",
        {"kubernetes": {"version": "1.29"}},
        ERROR,
        "kubernetes.version",
        "reached the end of EKS extended support on 2026-03-23",
    ),
    # K8S002: the API endpoint is reachable, and a public one is restricted.
    good("K8S002", "baseline-private-only", {}),
    good(
        "K8S002",
        "public-with-cidrs",
        {"kubernetes": {**PUBLIC, "public_access_cidrs": ["203.0.113.0/24"]}},
    ),
    bad(
        "K8S002",
        "public-without-cidrs",
        {"kubernetes": PUBLIC},
        ERROR,  # the severity of CF-AWS-001, which sees the same problem in the plan
        "kubernetes.public_access_cidrs",
        "open to the whole internet (no public_access_cidrs)",
    ),
    bad(
        "K8S002",
        "public-to-everyone",
        {"kubernetes": {**PUBLIC, "public_access_cidrs": ["0.0.0.0/0"]}},
        ERROR,
        "kubernetes.public_access_cidrs",
        "public_access_cidrs cover every address",
    ),
    bad(
        "K8S002",
        "two-halves-are-everyone",
        {"kubernetes": {**PUBLIC, "public_access_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}},
        ERROR,
        "kubernetes.public_access_cidrs",
        "cover every address",
    ),
    good(
        "K8S002",
        "halves-minus-a-bit",
        {"kubernetes": {**PUBLIC, "public_access_cidrs": ["0.0.0.0/1", "128.0.0.0/2"]}},
    ),
    # GKE: clusterforge sends master authorized networks, so an empty list is closed, not open.
    bad(
        "K8S002",
        "gke-public-empty-list-is-closed",
        gcp({"kubernetes": PUBLIC}),
        INFO,
        "kubernetes.public_access_cidrs",
        "admits no listed network",
    ),
    bad(
        "K8S002",
        "gke-public-to-everyone",
        gcp({"kubernetes": {**PUBLIC, "public_access_cidrs": ["::/0", "0.0.0.0/0"]}}),
        ERROR,
        "kubernetes.public_access_cidrs",
        "open to the whole internet",
    ),
    bad(
        "K8S002",
        "public-cidr-invalid",
        {"kubernetes": {**PUBLIC, "public_access_cidrs": ["10.0.0.0/8", "office"]}},
        ERROR,
        "kubernetes.public_access_cidrs[1]",
        "'office' is not a CIDR",
    ),
    bad(
        "K8S002",
        "no-endpoint-at-all",
        {"kubernetes": {"private_endpoint": False}},
        ERROR,
        "kubernetes.private_endpoint",
        "nothing can reach the API server",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_cluster_rule(case: Case) -> None:
    check(case)


def test_duplicate_storage_name_message_says_storage() -> None:
    override = {
        "storage": {
            1: {"name": "scratch", "type": "lustre", "capacity_gib": 1200, "mount_path": "/mnt/b"}
        }
    }
    (finding,) = [f for f in run(override) if f.rule == "NAME002"]
    assert finding.message.startswith("storage name 'scratch'")


@pytest.mark.parametrize(
    ("today", "severity"),
    [
        pytest.param(dt.date(2026, 12, 1), None, id="day-before-end-of-standard"),
        pytest.param(dt.date(2026, 12, 2), WARNING, id="end-of-standard-day"),
        pytest.param(dt.date(2027, 12, 1), WARNING, id="day-before-end-of-extended"),
        pytest.param(dt.date(2027, 12, 2), ERROR, id="end-of-extended-day"),
    ],
)
def test_support_window_follows_the_date(
    monkeypatch: pytest.MonkeyPatch, today: dt.date, severity: Severity | None
) -> None:
    """Kubernetes 1.34: standard support ends 2026-12-02, extended support 2027-12-02."""
    monkeypatch.setattr("clusterforge.validate.rules._util.today", lambda: today)
    findings = [f for f in run({"kubernetes": {"version": "1.34"}}) if f.rule == "K8S001"]
    assert [f.severity for f in findings] == ([severity] if severity else [])


def test_support_hint_names_a_version_still_in_standard_support() -> None:
    (finding,) = [f for f in run({"kubernetes": {"version": "1.29"}}) if f.rule == "K8S001"]
    # 1.34 and 1.35 are in standard support on the pinned date; 1.36 has no dates in the catalog
    # yet, so the newest version with a known, current support window is suggested.
    assert finding.hint == "use 1.35"
