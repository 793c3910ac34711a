"""Node pool rules (rules/pools.py): catalog types and accelerators, sizes, zones, system pool, spot."""

from __future__ import annotations

import pytest

from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp
from tests.validate.support import BASELINE, Case, Expected, bad, check, good

ERROR, WARNING = Severity.ERROR, Severity.WARNING
#: The H100 pool described by accelerator and count instead of an explicit instance type.
BY_ACCELERATOR = {"instance_type": None, "accelerator": "H100", "accelerators_per_node": 8}
ONLY_H100_POOL = [BASELINE["node_pools"][1]]

CASES = [
    # POOL008: autoscaled EKS pools need an autoscaler the stack does not install.
    good("POOL008", "fixed-size", {}),
    good(
        "POOL008",
        "autoscaled-with-the-autoscaler",
        {"node_pools": {1: {"nodes": 1, "min_nodes": 0, "max_nodes": 4}}},
    ),
    bad(
        "POOL008",
        "autoscaler-turned-off",
        {
            "node_pools": {1: {"nodes": 1, "min_nodes": 0, "max_nodes": 4}},
            "addons": [{"name": "cluster-autoscaler", "enabled": False}],
        },
        WARNING,
        "node_pools[1].max_nodes",
        "does not scale managed node groups",
    ),
    # POOL001: the instance type is in the catalog.
    good("POOL001", "baseline", {}),
    good("POOL001", "by-accelerator", {"node_pools": {1: BY_ACCELERATOR}}),
    bad(
        "POOL001",
        "misspelt",
        {"node_pools": {1: {"instance_type": "p5.48xlarg"}}},
        ERROR,
        "node_pools[1].instance_type",
        "unknown aws instance type 'p5.48xlarg'",
        "did you mean 'p5.48xlarge'",
    ),
    bad(
        "POOL001",
        "ultraserver-type",
        {"node_pools": {1: {"instance_type": "p6e-gb200.36xlarge"}}},
        ERROR,
        "node_pools[1].instance_type",
        "p6e-gb200.36xlarge is a P6e-GB200 UltraServer instance (4 x GB200 per instance, arm64, "
        "Capacity Blocks only), but clusterforge does not build it yet: sold only inside",
        "p6-b200.48xlarge",
    ),
    bad(
        "POOL001",
        "nothing-close",
        {"node_pools": {0: {"instance_type": "zz9.nothing"}}},
        ERROR,
        "node_pools[0].instance_type",
        "unknown aws instance type 'zz9.nothing'",
        "`clusterforge catalog` lists the known types",
    ),
    bad(
        "POOL001",
        "documented-but-not-built",
        gcp({"node_pools": {1: {"instance_type": "a4x-maxgpu-4g-metal", "nodes": 2}}}),
        ERROR,
        "node_pools[1].instance_type",
        "clusterforge does not build it yet",
        "use a4x-highgpu-4g (GB200)",
    ),
    # POOL002: some type has the accelerator model, in that count.
    good("POOL002", "h100-x8", {"node_pools": {1: BY_ACCELERATOR}}),
    good(
        "POOL002", "lowercase-model", {"node_pools": {1: {**BY_ACCELERATOR, "accelerator": "h100"}}}
    ),
    good("POOL002", "h100-x1", {"node_pools": {1: {**BY_ACCELERATOR, "accelerators_per_node": 1}}}),
    bad(
        "POOL002",
        "unknown-model",
        {"node_pools": {1: {**BY_ACCELERATOR, "accelerator": "H20"}}},
        ERROR,
        "node_pools[1].accelerator",
        "no aws instance type has a 'H20' accelerator",
        "did you mean 'H200'?",
        "known: A100, A10G",
    ),
    bad(
        "POOL002",
        "count-not-offered",
        {"node_pools": {1: {**BY_ACCELERATOR, "accelerators_per_node": 4}}},
        ERROR,
        "node_pools[1].accelerators_per_node",
        "no aws instance type has 4 x H100",
        "H100 comes in 1, 8 per node",
    ),
    bad(
        "POOL002",
        "count-without-model",
        {"node_pools": {1: {"instance_type": None, "accelerators_per_node": 8}}},
        ERROR,
        "node_pools[1].accelerators_per_node",
        "accelerators_per_node without an accelerator",
    ),
    # POOL003: an explicit type agrees with the accelerator and count also given.
    good("POOL003", "baseline", {}),
    good(
        "POOL003",
        "consistent",
        {"node_pools": {1: {"accelerator": "h100", "accelerators_per_node": 8}}},
    ),
    bad(
        "POOL003",
        "other-model",
        {"node_pools": {1: {"accelerator": "A100"}}},
        ERROR,
        "node_pools[1].accelerator",
        "p5.48xlarge has H100, not A100",
    ),
    bad(
        "POOL003",
        "cpu-type-with-model",
        {"node_pools": {0: {"accelerator": "H100"}}},
        ERROR,
        "node_pools[0].accelerator",
        "m7i.2xlarge has no accelerator, not H100",
    ),
    bad(
        "POOL003",
        "other-count",
        {"node_pools": {1: {"accelerators_per_node": 4}}},
        ERROR,
        "node_pools[1].accelerators_per_node",
        "p5.48xlarge has 8 accelerators per node, not 4",
    ),
    # POOL004: min_nodes <= nodes <= max_nodes, and an EKS node group of at least one.
    good("POOL004", "baseline", {}),
    good(
        "POOL004", "autoscaling", {"node_pools": {0: {"min_nodes": 1, "nodes": 2, "max_nodes": 4}}}
    ),
    good(
        "POOL004",
        "scale-from-zero",
        {"node_pools": {0: {"nodes": None, "min_nodes": 0, "max_nodes": 3}}},
    ),
    bad(
        "POOL004",
        "min-above-max",
        {"node_pools": {0: {"nodes": None, "min_nodes": 3, "max_nodes": 1}}},
        ERROR,
        "node_pools[0].min_nodes",
        "min_nodes 3 is greater than max_nodes 1",
        "swap them",
    ),
    bad(
        "POOL004",
        "nodes-below-min",
        {"node_pools": {0: {"nodes": 1, "min_nodes": 2}}},
        ERROR,
        "node_pools[0].nodes",
        "nodes 1 is below min_nodes 2",
    ),
    bad(
        "POOL004",
        "nodes-above-max",
        {"node_pools": {0: {"nodes": 5, "max_nodes": 4}}},
        ERROR,
        "node_pools[0].nodes",
        "nodes 5 is above max_nodes 4",
    ),
    bad(
        "POOL004",
        "max-zero",
        {"node_pools": {0: {"nodes": 0, "max_nodes": 0}}},
        ERROR,
        "node_pools[0].max_nodes",
        "needs max_nodes of at least 1",
    ),
    # POOL005: the type is offered in the pool's zone (catalog zones: p5en.48xlarge is in
    # us-east-1a and us-east-1c only; p5e.48xlarge is not offered in us-east-1 at all).
    good("POOL005", "baseline", {}),
    good("POOL005", "p5en-in-its-zone", {"node_pools": {1: {"instance_type": "p5en.48xlarge"}}}),
    good(
        "POOL005",
        "region-without-zone-data",
        {
            "region": "eu-west-1",
            "network": {"zones": ["eu-west-1a", "eu-west-1b"]},
            "node_pools": {1: {"zone": "eu-west-1a"}},
        },
    ),
    bad(
        "POOL005",
        "zone-not-offering-type",
        {"node_pools": {1: {"instance_type": "p5en.48xlarge", "zone": "us-east-1b"}}},
        ERROR,
        "node_pools[1].zone",
        "p5en.48xlarge is not offered in us-east-1b",
        "zones offering it: us-east-1a, us-east-1c",
    ),
    bad(
        "POOL005",
        "region-not-offering-type",
        {"node_pools": {1: {"instance_type": "p5e.48xlarge"}}},
        ERROR,
        "node_pools[1].instance_type",
        "p5e.48xlarge is not offered in us-east-1",
    ),
    # POOL006: some CPU pool runs CoreDNS and the controllers.
    good("POOL006", "baseline", {}),
    bad(
        "POOL006",
        "only-accelerator-pools",
        {"node_pools": ONLY_H100_POOL},
        WARNING,
        "node_pools",
        "every pool is an accelerator pool",
        "m7i.2xlarge",
    ),
    bad(
        "POOL006",
        "no-pools",
        {"node_pools": [], "storage": []},
        WARNING,
        "node_pools",
        "declares no node pools",
    ),
    # POOL007: no spot on a multi-node fabric pool.
    good("POOL007", "baseline", {}),
    good(
        "POOL007",
        "spot-single-node",
        {"node_pools": {1: {"nodes": 1, "capacity": {"type": "spot"}}}},
    ),
    good("POOL007", "spot-cpu-pool", {"node_pools": {0: {"capacity": {"type": "spot"}}}}),
    bad(
        "POOL007",
        "spot-efa-pool",
        {"node_pools": {1: {"capacity": {"type": "spot"}}}},
        WARNING,
        "node_pools[1].capacity.type",
        "spot capacity on a multi-node efa pool",
        "use on_demand",
    ),
    # LABEL001: labels, node selectors and taints in Kubernetes label syntax.
    good(
        "LABEL001",
        "prefixed-keys-dotted-values-empty-value",
        {
            "node_pools": {
                1: {
                    "labels": {"example.com/team": "Research_a.1", "tier": "", "a" * 63: "b" * 63},
                    "taints": ["example.com/dedicated=yes:NoSchedule", "maintenance:NoExecute"],
                }
            }
        },
    ),
    good(
        "LABEL001",
        "node-selector-of-existing-nodes",
        {"node_pools": {1: {"node_selector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}}}},
    ),
    bad(
        "LABEL001",
        "label-key-punctuation",
        {"node_pools": {1: {"labels": {"team!": "a"}}}},
        ERROR,
        "node_pools[1].labels.team!",
        "labels key 'team!' must be alphanumeric characters",
        "starting and ending with an alphanumeric",
    ),
    bad(
        "LABEL001",
        "label-value-with-a-space",
        {"node_pools": {1: {"labels": {"team": "a b"}}}},
        ERROR,
        "node_pools[1].labels.team",
        "labels value 'a b' of 'team' must be empty or alphanumeric",
    ),
    bad(
        "LABEL001",
        "label-key-not-ascii",
        {"node_pools": {1: {"labels": {"tëam": "a"}}}},
        ERROR,
        "node_pools[1].labels.tëam",
        "labels key 'tëam'",
    ),
    bad(
        "LABEL001",
        "label-value-not-ascii",
        {"node_pools": {1: {"labels": {"team": "ø"}}}},
        ERROR,
        "node_pools[1].labels.team",
        "labels value 'ø'",
    ),
    bad(
        "LABEL001",
        "label-name-too-long",
        {"node_pools": {1: {"labels": {"a" * 64: "b"}}}},
        ERROR,
        f"node_pools[1].labels.{'a' * 64}",
        "64-character name (at most 63)",
    ),
    bad(
        "LABEL001",
        "label-value-too-long",
        {"node_pools": {1: {"labels": {"team": "b" * 64}}}},
        ERROR,
        "node_pools[1].labels.team",
        "is 64 characters long (at most 63)",
    ),
    bad(
        "LABEL001",
        "label-prefix-not-a-dns-subdomain",
        {"node_pools": {1: {"labels": {"Example.com/team": "a"}}}},
        ERROR,
        "node_pools[1].labels.Example.com/team",
        "prefix 'Example.com', which is not a DNS subdomain",
    ),
    bad(
        "LABEL001",
        "prefixed-label-name",
        {"node_pools": {1: {"labels": {"example.com/-team": "a"}}}},
        ERROR,
        "node_pools[1].labels.example.com/-team",
        "has name '-team', which must be",
    ),
    bad(
        "LABEL001",
        "label-key-two-slashes",
        {"node_pools": {1: {"labels": {"a/b/c": "a"}}}},
        ERROR,
        "node_pools[1].labels.a/b/c",
        "more than one '/'",
    ),
    bad(
        "LABEL001",
        "label-key-empty-name",
        {"node_pools": {1: {"labels": {"example.com/": "a"}}}},
        ERROR,
        "node_pools[1].labels.example.com/",
        "has an empty name after '/'",
    ),
    bad(
        "LABEL001",
        "node-selector-key",
        {"node_pools": {1: {"node_selector": {"gpu type": "h100"}}}},
        ERROR,
        "node_pools[1].node_selector.gpu type",
        "node_selector key 'gpu type'",
    ),
    bad(
        "LABEL001",
        "taint-key-with-a-space",
        {"node_pools": {1: {"taints": ["na ive=yes:NoSchedule"]}}},
        ERROR,
        "node_pools[1].taints[0].key",
        "taint key 'na ive' must be alphanumeric",
    ),
    bad(
        "LABEL001",
        "taint-value",
        {"node_pools": {1: {"taints": [{"key": "dedicated", "value": "-yes"}]}}},
        ERROR,
        "node_pools[1].taints[0].value",
        "taint value '-yes' of 'dedicated' must be empty",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_pool_rule(case: Case) -> None:
    check(case)


def test_type_not_offered_in_region_is_reported_without_a_zone() -> None:
    # An inference pool (no fabric, so no zone) of a type EC2 does not sell in us-east-1.
    pool = {"instance_type": "p5e.48xlarge", "fabric": "none", "zone": None}
    expected = Expected(
        ERROR, "node_pools[1].instance_type", ("p5e.48xlarge is not offered in us-east-1",)
    )
    check(Case("POOL005", {"node_pools": {1: pool}}, expected))
