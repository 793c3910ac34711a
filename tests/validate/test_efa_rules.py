"""Fabric rules (rules/efa.py): EFA availability, one zone, fabric names, placement, EFA layout."""

from __future__ import annotations

import pytest

from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp
from tests.validate.support import Case, bad, check, good, patched_catalog, run

ERROR, INFO = Severity.ERROR, Severity.INFO
#: Every type in the catalog data supports cluster placement groups; EFA005 needs one that does not.
NO_CLUSTER_PLACEMENT = {"p5.48xlarge": {"placement_strategies": ("partition", "spread")}}


def h100(**fields: object) -> dict[str, object]:
    """An override of the baseline's H100 pool (node_pools[1])."""
    return {"node_pools": {1: fields}}


CASES = [
    # EFA001: fabric: efa only on types with EFA interfaces.
    good("EFA001", "baseline", {}),
    good("EFA001", "g6e-with-efa", h100(instance_type="g6e.8xlarge")),
    bad(
        "EFA001",
        "g6e-xlarge",
        h100(instance_type="g6e.xlarge"),
        ERROR,
        "node_pools[1].fabric",
        "g6e.xlarge has no EFA interface",
        "L40S types with EFA: g6e.8xlarge",
    ),
    bad(
        "EFA001",
        "cpu-type",
        {"node_pools": {0: {"fabric": "efa", "zone": "us-east-1a"}}},
        ERROR,
        "node_pools[0].fabric",
        "m7i.2xlarge has no EFA interface",
        "set fabric: none",
    ),
    # EFA002: an EFA pool lives in one zone.
    good("EFA002", "baseline", {}),
    good("EFA002", "zone-from-cluster", {"zone": "us-east-1a", "node_pools": {1: {"zone": None}}}),
    good(
        "EFA002",
        "auto-fabric-without-efa",
        h100(instance_type="g6e.xlarge", fabric="auto", zone=None),
    ),
    bad(
        "EFA002",
        "no-zone",
        h100(zone=None),
        ERROR,
        "node_pools[1].zone",
        "the EFA pool has no zone",
        "set `zone` on the pool or the cluster",
    ),
    bad(
        "EFA002",
        "auto-fabric-no-zone",
        h100(fabric="auto", zone=None),
        ERROR,
        "node_pools[1].zone",
        "has no zone",
    ),
    # EFA003: the fabric is one AWS builds.
    good("EFA003", "baseline", {}),
    good("EFA003", "none", h100(fabric="none")),
    bad(
        "EFA003",
        "gcp-fabric",
        h100(fabric="gpudirect-tcpxo"),
        ERROR,
        "node_pools[1].fabric",
        "fabric 'gpudirect-tcpxo' does not exist on aws",
        "use one of: auto, none, efa",
    ),
    bad(
        "EFA003",
        "infiniband",
        h100(fabric="infiniband"),
        ERROR,
        "node_pools[1].fabric",
        "'infiniband' does not exist on aws",
    ),
    # EFA004 (info): a multi-node accelerator pool on auto fabric without EFA is pointed out.
    good("EFA004", "baseline", {}),
    good("EFA004", "single-node", h100(instance_type="g6e.xlarge", fabric="auto", nodes=1)),
    good("EFA004", "fabric-none-on-purpose", h100(instance_type="g6e.xlarge", fabric="none")),
    bad(
        "EFA004",
        "multi-node-without-efa",
        h100(instance_type="g6e.xlarge", fabric="auto"),
        INFO,
        "node_pools[1].fabric",
        "g6e.xlarge has no EFA: traffic between its nodes goes over ENA TCP",
    ),
    # EFA005: a placement group only on types that support cluster placement.
    good("EFA005", "baseline", {}),
    good("EFA005", "forced-placement-supported", h100(placement_group=True)),
    good("EFA005", "unsupported-but-not-asked", {}, offerings=NO_CLUSTER_PLACEMENT),
    bad(
        "EFA005",
        "forced-placement-unsupported",
        h100(placement_group=True),
        ERROR,
        "node_pools[1].placement_group",
        "p5.48xlarge does not support cluster placement groups",
        "drop placement_group",
        offerings=NO_CLUSTER_PLACEMENT,
    ),
    # EFA005 on GCP: support comes from instances.json placement_strategies (one table).
    bad(
        "EFA005",
        "forced-on-e2",
        gcp({"node_pools": {0: {"instance_type": "e2-standard-8", "placement_group": True}}}),
        ERROR,
        "node_pools[0].placement_group",
        "e2-standard-8 does not support compact placement policies",
    ),
    good(
        "EFA005",
        "forced-on-g4",
        gcp(
            {
                "node_pools": {1: {"instance_type": "g4-standard-48", "placement_group": True}},
                "storage": [],
            }
        ),
    ),
    good(
        "EFA005",
        "a4x-placed-by-its-workload-policy",
        gcp(
            {
                "kubernetes": {"version": "1.35"},
                "node_pools": {
                    1: {
                        "instance_type": "a4x-highgpu-4g",
                        "nodes": 18,
                        "capacity": {"type": "reservation", "reservation_id": "gb200-res"},
                        "placement_group": True,
                    }
                },
                "storage": [],
            }
        ),
    ),
    # EFA006 (info): the EFA layout of a multi-interface type is reported.
    good("EFA006", "one-interface", h100(instance_type="p5.4xlarge")),
    good("EFA006", "fabric-none", h100(fabric="none")),
    bad(
        "EFA006",
        "p5-32-interfaces",
        {},
        INFO,
        "node_pools[1].fabric",
        "p5.48xlarge: 32 EFA interfaces on cards 0-31 (32 efa-only) of 32 network cards",
        "VPC CNI >= 1.18.5",
    ),
    bad(
        "EFA006",
        "p5en-16-interfaces",
        h100(instance_type="p5en.48xlarge"),
        INFO,
        "node_pools[1].fabric",
        "16 EFA interfaces",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_efa_rule(case: Case) -> None:
    check(case)


def test_efa_hint_for_a_cpu_type_when_the_catalog_has_cpu_types_with_efa() -> None:
    # EC2 sells CPU types with EFA (c7i.48xlarge, hpc7a); the current catalog rows stop at 8xlarge.
    with patched_catalog({"c7i.8xlarge": {"efa_interfaces": 1, "efa_supported": True}}):
        (finding,) = [
            f
            for f in run({"node_pools": {0: {"fabric": "efa", "zone": "us-east-1a"}}})
            if f.rule == "EFA001"
        ]
    assert "None" not in finding.hint, finding.hint
