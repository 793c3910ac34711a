"""The resolver: one decision per pool (type, fabric, placement, sizes, taints) and per file system."""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.catalog import load
from clusterforge.catalog.resolve import (
    DEFAULT_FSX_DEPLOYMENT,
    DEFAULT_FSX_THROUGHPUT,
    NEURON_TAINT,
    NVIDIA_TAINT,
    ResolvedCluster,
    ResolvedPool,
    resolve,
    resolve_fabric,
    sizes,
)
from clusterforge.spec.models import Cluster, NodePool, Taint


def cluster(
    *pools: dict[str, Any], storage: tuple[dict[str, Any], ...] = (), **fields: Any
) -> Cluster:
    values: dict[str, Any] = {
        "name": "demo",
        "cloud": "aws",
        "region": "us-east-1",
        "zone": "us-east-1a",
    }
    values.update(fields)
    return Cluster(**values, node_pools=list(pools), storage=list(storage))


def pool(**fields: Any) -> ResolvedPool:
    """The resolved form of one pool in an otherwise default cluster."""
    resolved = resolve(cluster({"name": "pool", **fields}))
    return resolved.pools[0]


# --- instance type and fabric -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "fabric", "efa_interfaces"),
    [
        ("p5.48xlarge", "efa", 32),
        ("trn1.32xlarge", "efa", 8),
        ("inf2.48xlarge", "none", 0),
        ("g6e.xlarge", "none", 0),
        ("m7i.large", "none", 0),
    ],
)
def test_fabric_auto(instance_type: str, fabric: str, efa_interfaces: int) -> None:
    resolved = pool(instance_type=instance_type)
    assert (resolved.fabric, resolved.efa_interfaces) == (fabric, efa_interfaces)


def test_fabric_none_wins_over_efa_hardware() -> None:
    resolved = pool(instance_type="p5.48xlarge", fabric="none")
    assert (resolved.fabric, resolved.efa_interfaces, resolved.placement_group) == (
        "none",
        0,
        False,
    )


def test_fabric_without_an_offering_is_none() -> None:
    assert resolve_fabric(NodePool(name="gpu", fabric="efa"), None) == "none"
    assert pool(instance_type="p9.unknown").fabric == "none"


def test_pool_by_accelerator_picks_from_the_catalog() -> None:
    assert pool(accelerator="H100", accelerators_per_node=8).instance_type == "p5.48xlarge"
    region = "us-east-1"
    candidates = load("aws").find("L40S", 4, region=region, fabric=False)
    cheapest = min(candidates, key=lambda o: o.price_usd_per_hour[region])
    assert pool(accelerator="l40s", accelerators_per_node=4, fabric="none").offering == cheapest


def test_ami_type_from_offering_unless_overridden() -> None:
    assert pool(instance_type="p5.48xlarge").ami_type == "AL2023_x86_64_NVIDIA"
    assert (
        pool(instance_type="p5.48xlarge", ami_type="BOTTLEROCKET_x86_64_NVIDIA").ami_type
        == "BOTTLEROCKET_x86_64_NVIDIA"
    )


def test_zone_defaults_to_the_cluster_zone_for_accelerator_pools_only() -> None:
    assert pool(instance_type="p5.48xlarge").zone == "us-east-1a"
    assert pool(instance_type="p5.48xlarge", zone="us-east-1c").zone == "us-east-1c"
    assert pool(instance_type="m7i.large").zone is None


# --- placement group ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"capacity": {"type": "on_demand"}}, True),
        ({"capacity": {"type": "spot"}}, True),
        ({"capacity": {"type": "capacity_block", "reservation_id": "cr-0123"}}, False),
        ({"capacity": {"type": "reservation", "reservation_id": "cr-0123"}}, False),
        (
            {
                "capacity": {"type": "capacity_block", "reservation_id": "cr-0123"},
                "placement_group": True,
            },
            True,
        ),
        ({"capacity": {"type": "on_demand"}, "placement_group": False}, False),
        ({"fabric": "none"}, False),
    ],
)
def test_placement_group_on_efa_pools(fields: dict[str, Any], expected: bool) -> None:
    assert pool(instance_type="p5.48xlarge", **fields).placement_group is expected


def test_no_placement_group_for_cpu_pools() -> None:
    assert pool(instance_type="m7i.large").placement_group is False
    assert pool(instance_type="m7i.large", placement_group=True).placement_group is True


# --- sizes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, (1, 1, 1)),
        ({"nodes": 4}, (4, 4, 4)),
        ({"nodes": 0}, (0, 0, 0)),
        ({"min_nodes": 2, "max_nodes": 10}, (2, 2, 10)),
        ({"min_nodes": 2}, (2, 2, 2)),
        ({"max_nodes": 5}, (1, 1, 5)),
        ({"nodes": 3, "min_nodes": 1, "max_nodes": 5}, (3, 1, 5)),
        ({"nodes": 3, "max_nodes": 8}, (3, 3, 8)),
    ],
)
def test_sizes(fields: dict[str, Any], expected: tuple[int, int, int]) -> None:
    assert sizes(NodePool(name="pool", **fields)) == expected


def test_sizes_respect_max_nodes_zero() -> None:
    desired, low, high = sizes(NodePool(name="pool", max_nodes=0))
    assert low <= desired <= high


# --- taints and labels --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "taints"),
    [
        ("p5.48xlarge", [NVIDIA_TAINT]),
        ("g6e.xlarge", [NVIDIA_TAINT]),
        ("trn1.32xlarge", [NEURON_TAINT]),
        ("inf2.48xlarge", [NEURON_TAINT]),
        ("m7i.large", []),
    ],
)
def test_vendor_taints(instance_type: str, taints: list[Taint]) -> None:
    assert pool(instance_type=instance_type).taints == taints


def test_vendor_taint_constants() -> None:
    assert (NVIDIA_TAINT.key, NEURON_TAINT.key) == ("nvidia.com/gpu", "aws.amazon.com/neuron")


def test_user_taint_with_the_vendor_key_replaces_it() -> None:
    own = Taint(key="nvidia.com/gpu", value="reserved", effect="NoExecute")
    assert pool(instance_type="p5.48xlarge", taints=[own]).taints == [own]


def test_user_taints_come_before_the_vendor_taint() -> None:
    resolved = pool(instance_type="trn1.32xlarge", taints=["team=ml:NoSchedule"])
    assert resolved.taints == [Taint(key="team", value="ml", effect="NoSchedule"), NEURON_TAINT]


def test_labels() -> None:
    labels = pool(instance_type="p5.48xlarge", labels={"team": "ml"}).labels
    assert labels == {
        "clusterforge.io/pool": "pool",
        "clusterforge.io/accelerator": "h100",
        "clusterforge.io/fabric": "efa",
        "nvidia.com/gpu.present": "true",  # what the NVIDIA device plugin and DCGM charts select on
        "team": "ml",
    }
    assert "clusterforge.io/fabric" not in pool(instance_type="m7i.large").labels
    assert "nvidia.com/gpu.present" not in pool(instance_type="trn1.32xlarge").labels


# --- storage ------------------------------------------------------------------------------------


def lustre(**fields: Any) -> dict[str, Any]:
    return {"name": "data", "type": "lustre", "capacity_gib": 1200, **fields}


def test_storage_zone_follows_the_pools_that_mount_it() -> None:
    resolved = resolve(
        cluster(
            {"name": "system", "instance_type": "m7i.large"},
            {"name": "gpu", "instance_type": "p5.48xlarge", "zone": "us-east-1b"},
            storage=(lustre(),),
        )
    )
    (fs,) = resolved.storage
    assert (fs.zone, fs.pools) == ("us-east-1b", ("gpu",))


def test_storage_zone_explicit_or_cluster_zone_when_pools_disagree() -> None:
    pools = (
        {"name": "a", "instance_type": "p5.48xlarge", "zone": "us-east-1b"},
        {"name": "b", "instance_type": "p5.48xlarge", "zone": "us-east-1c"},
    )
    assert resolve(cluster(*pools, storage=(lustre(),))).storage[0].zone == "us-east-1a"
    assert (
        resolve(cluster(*pools, storage=(lustre(zone="us-east-1d"),))).storage[0].zone
        == "us-east-1d"
    )
    assert resolve(cluster(*pools, storage=(lustre(pools=["b"]),))).storage[0].zone == "us-east-1c"


@pytest.mark.parametrize(
    ("fields", "deployment", "throughput"),
    [
        ({}, "PERSISTENT_2", 250),
        ({"type": "parallel"}, "PERSISTENT_2", 250),
        ({"throughput_mbps_per_tib": 1000}, "PERSISTENT_2", 1000),
        ({"deployment_type": "persistent_1"}, "PERSISTENT_1", 200),
        ({"deployment_type": "SCRATCH_2"}, "SCRATCH_2", None),
    ],
)
def test_fsx_deployment(fields: dict[str, Any], deployment: str, throughput: int | None) -> None:
    fs = resolve(cluster(storage=(lustre(**fields),))).storage[0]
    assert (fs.deployment_type, fs.throughput_mbps_per_tib) == (deployment, throughput)


def test_fsx_defaults() -> None:
    assert (DEFAULT_FSX_DEPLOYMENT, DEFAULT_FSX_THROUGHPUT) == ("PERSISTENT_2", 250)


def test_no_fsx_deployment_off_aws() -> None:
    resolved = resolve(
        cluster(storage=(lustre(),), cloud="gcp", region="us-central1", zone="us-central1-a")
    )
    assert resolved.catalog is not None and resolved.catalog.cloud == "gcp"
    assert resolved.storage[0].deployment_type is None
    assert resolved.storage[0].service == "managed-lustre"


# --- the whole cluster --------------------------------------------------------------------------


def test_resolved_cluster_lookups() -> None:
    resolved: ResolvedCluster = resolve(
        cluster(
            {"name": "system", "instance_type": "m7i.large"},
            {"name": "gpu", "instance_type": "p5.48xlarge"},
        )
    )
    assert resolved.catalog is load("aws")
    assert [p.name for p in resolved.accelerator_pools] == ["gpu"]
    gpu = resolved.pool("gpu")
    assert gpu is not None and gpu.path == "node_pools[1]"
    assert resolved.pool("nope") is None
