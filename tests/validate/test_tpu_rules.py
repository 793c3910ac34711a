"""TPU rules (rules/tpu.py): topology per generation, machine type, node count, placement."""

from __future__ import annotations

import pytest

from clusterforge.catalog import load
from clusterforge.catalog.resolve import resolve
from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp, tpu
from tests.validate.support import Case, bad, check, cluster_from, good, merge

ERROR = Severity.ERROR
#: A v4 pool (4x4x8 slice) in us-central2, the v4 region.
V4 = merge(
    tpu(accelerator="tpu-v4", topology="4x4x8"),
    {"region": "us-central2", "zone": "us-central2-b"},
)

CASES = [
    good("TPU001", "v5p-4x4x4", tpu()),
    good("TPU001", "v5p-base-2x2x4", tpu(topology="2x2x4")),
    good("TPU001", "v6e-2x4", tpu(accelerator="tpu-v6e", topology="2x4")),
    bad(
        "TPU001",
        "missing",
        tpu(topology=None),
        ERROR,
        "node_pools[2].topology",
        "needs a slice topology",
        "2x2x1",
    ),
    bad(
        "TPU001",
        "not-a-multiple-of-4",
        tpu(topology="4x4x6"),
        ERROR,
        "node_pools[2].topology",
        "'4x4x6' is not a tpu-v5p topology",
    ),
    bad(
        "TPU001",
        "decreasing",
        tpu(topology="8x4x4"),
        ERROR,
        "node_pools[2].topology",
        "not a tpu-v5p topology",
    ),
    good("TPU001", "v5p-largest-16x16x24", tpu(topology="16x16x24")),
    bad(
        "TPU001",
        "v5p-xpk-only-12x24x24",
        tpu(topology="12x24x24"),
        ERROR,
        "node_pools[2].topology",
        "the largest tpu-v5p slice is 6144 chips",
    ),
    good("TPU001", "v4-4x4x8", V4),
    bad(
        "TPU001",
        "v4-decreasing-4x8x4",
        merge(V4, {"node_pools": {2: {"topology": "4x8x4"}}}),
        ERROR,
        "node_pools[2].topology",
        "write the dimensions non-decreasing: 4x4x8",
    ),
    good(
        "TPU003",
        "v6e-2x4-on-two-4t-vms",
        tpu(accelerator=None, instance_type="ct6e-standard-4t", topology="2x4", nodes=2),
    ),
    bad(
        "TPU001",
        "2d-on-3d",
        tpu(topology="4x4"),
        ERROR,
        "node_pools[2].topology",
        "write it as AxBxC",
    ),
    bad(
        "TPU001",
        "v6e-unknown",
        tpu(accelerator="tpu-v6e", topology="4x16"),
        ERROR,
        "node_pools[2].topology",
        "1x1, 2x2, 2x4, 4x4, 4x8, 8x8, 8x16, 16x16",
    ),
    bad(
        "TPU001",
        "topology-on-gpu",
        gcp({"node_pools": {1: {"topology": "2x2"}}}),
        ERROR,
        "node_pools[1].topology",
        "only for TPU pools",
    ),
    good("TPU002", "right-machine", tpu(accelerator=None, instance_type="ct5p-hightpu-4t")),
    bad(
        "TPU002",
        "single-host-type-multi-host-slice",
        tpu(accelerator=None, instance_type="ct6e-standard-8t", topology="4x4"),
        ERROR,
        "node_pools[2].instance_type",
        "cannot form a 4x4 slice",
        "use ct6e-standard-4t",
    ),
    good("TPU003", "derived", tpu()),
    good("TPU003", "matching", tpu(nodes=16)),
    bad("TPU003", "disagrees", tpu(nodes=4), ERROR, "node_pools[2].nodes", "is 16 node(s), not 4"),
    bad(
        "TPU001",
        "zero",
        tpu(topology="0x0x0"),
        ERROR,
        "node_pools[2].topology",
        "not a tpu-v5p topology",
    ),
    good("TPU005", "tpu-slices", tpu(slices=2)),
    # A rejected topology (TPU001's error) leaves the pool unresolved: still a TPU pool.
    good("TPU005", "v6e-bad-topology", tpu(accelerator="tpu-v6e", topology="3x3", slices=4)),
    good("TPU005", "tpu7x-bad-topology", tpu(accelerator="tpu7x", topology="8x4x4", slices=4)),
    bad(
        "TPU005",
        "gpu-slices",
        gcp({"node_pools": {1: {"slices": 4}}}),
        ERROR,
        "node_pools[1].slices",
        "not a TPU pool",
    ),
    good("TPU004", "default", tpu()),
    bad(
        "TPU004",
        "placement-off",
        tpu(placement_group=False),
        ERROR,
        "node_pools[2].placement_group",
        "COMPACT placement",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_tpu_rule(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    ("accelerator", "topology", "machine", "hosts"),
    [
        ("tpu-v5p", "2x2x1", "ct5p-hightpu-4t", 1),
        ("tpu-v5p", "4x4x4", "ct5p-hightpu-4t", 16),
        ("tpu-v5p", "16x16x24", "ct5p-hightpu-4t", 1536),
        ("tpu-v4", "2x2x4", "ct4p-hightpu-4t", 4),
        ("tpu-v5e", "1x1", "ct5lp-hightpu-1t", 1),
        ("tpu-v5e", "2x4", "ct5lp-hightpu-8t", 1),
        ("tpu-v5e", "16x16", "ct5lp-hightpu-4t", 64),
        ("tpu-v6e", "8x16", "ct6e-standard-4t", 32),
    ],
)
def test_topology_decides_machine_type_and_node_count(
    accelerator: str, topology: str, machine: str, hosts: int
) -> None:
    resolved = resolve(cluster_from(tpu(accelerator=accelerator, topology=topology)))
    pool = resolved.pools[2]
    assert pool.instance_type == machine
    assert (pool.desired, pool.min_size, pool.max_size) == (hosts, hosts, hosts)
    assert pool.placement_group is (hosts > 1)


def test_generations_in_the_catalog() -> None:
    tpus = load("gcp").tpus
    assert set(tpus) >= {"tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e"}
    assert tpus["tpu-v5p"].max_chips == 6144 and not tpus["tpu-v5p"].is_valid("16x16x28")
