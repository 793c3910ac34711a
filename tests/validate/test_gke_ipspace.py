"""GKE011 (rules/gke_ipspace.py, computed by catalog/gke_ipspace.py): the node subnet and the Pod range
hold every node at the pools' maximum size; the Pod and Service ranges are IPv4."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterforge.api import validate_stack
from clusterforge.catalog import gke_ipspace, load
from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp, tpu
from tests.validate.support import Case, bad, check, good

ERROR = Severity.ERROR
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CASES = [
    good("GKE011", "defaults", gcp()),
    # 2 system + 2 a3-megagpu-8g nodes: a /29 has exactly 8 - 4 reserved = 4 addresses.
    good("GKE011", "node-subnet-exactly-full", gcp({"network": {"cidr": "10.0.0.0/29"}})),
    bad(
        "GKE011",
        "node-subnet-too-small",
        gcp({"network": {"cidr": "10.0.0.0/29"}, "node_pools": {1: {"nodes": 125}}}),
        ERROR,
        "network.cidr",
        "has 4 usable addresses (8 less 4 reserved)",
        "grow to 127 nodes",
        "use a /24 or larger node subnet",  # a /25 has 124 usable addresses
    ),
    bad(
        "GKE011",
        "node-subnet-counts-max-nodes",
        gcp(
            {
                "network": {"cidr": "10.0.0.0/29"},
                "node_pools": {1: {"nodes": None, "min_nodes": 0, "max_nodes": 3}},
            }
        ),
        ERROR,
        "network.cidr",
        "grow to 5 nodes",
        "use a /28",
    ),
    # A /22 Pod range is four /24 node blocks: exactly the baseline's four nodes.
    good("GKE011", "pod-range-exactly-full", gcp({"network": {"pods_cidr": "10.64.0.0/22"}})),
    bad(
        "GKE011",
        "pod-range-too-small",
        gcp({"node_pools": {1: {"nodes": 1400, "placement_group": False}}}),
        ERROR,
        "network.pods_cidr",
        "10.64.0.0/14 holds 1,024 nodes",
        "a /24 of it for its 110 maximum Pods",
        "grow to 1,402 nodes",
        "use a /13 or larger Pod range",
    ),
    bad(
        "GKE011",
        "pod-range-below-one-node-block",
        gcp({"network": {"pods_cidr": "10.64.0.0/25"}}),
        ERROR,
        "network.pods_cidr",
        "holds 0 nodes",
    ),
    # Every slice of a TPU pool is its own set of hosts: 64 slices of a 4x4x4 v5p (16 hosts).
    good("GKE011", "tpu-slices-fit", tpu(slices=2)),
    bad(
        "GKE011",
        "tpu-slices-count",
        tpu(slices=64),
        ERROR,
        "network.pods_cidr",
        "grow to 1,028 nodes",
    ),
    bad(
        "GKE011",
        "services-ipv6",
        gcp({"network": {"services_cidr": "fd00::/112"}}),
        ERROR,
        "network.services_cidr",
        "fd00::/112 is IPv6",
        "use a private IPv4 range such as 10.68.0.0/20",
    ),
    bad(
        "GKE011",
        "pods-ipv6",
        gcp({"network": {"pods_cidr": "fd00:1::/48"}}),
        ERROR,
        "network.pods_cidr",
        "is IPv6",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_gke_ipspace_rule(case: Case) -> None:
    check(case)


def test_per_node_pod_block_follows_googles_table() -> None:
    facts = gke_ipspace.facts(load("gcp"))
    blocks = {n: gke_ipspace.per_node_pod_prefix(n, facts) for n in (8, 9, 16, 32, 33, 64, 110)}
    assert blocks == {8: 28, 9: 27, 16: 27, 32: 26, 33: 25, 64: 25, 110: 24}
    assert facts["default_max_pods_per_node"] == 110
    with pytest.raises(ValueError, match="no Pod block size for 111"):
        gke_ipspace.per_node_pod_prefix(111, facts)


@pytest.mark.parametrize(
    ("name", "cloud"),
    [(p.name, None) for p in sorted(EXAMPLES.glob("gcp-*.yaml"))] + [("portable-h100.yaml", "gcp")],
)
def test_examples_have_no_ip_space_finding(name: str, cloud: str | None) -> None:
    _, report = validate_stack(EXAMPLES / name, cloud=cloud)
    assert [f for f in report.findings if f.rule == "GKE011"] == []
    assert report.resolved is not None and report.resolved.spec.cloud == "gcp"
