"""GKE GPUDirect: installer sets matched per fabric, and network objects named as Google names
them (pods copied from Google's NCCL tests list vpc1.., rdma-0.., gvnic-1)."""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.catalog.gpudirect import gpudirect_sets, network_object_name
from clusterforge.catalog.resolve import resolve
from clusterforge.engine import plan_offline
from clusterforge.spec.models import Cluster
from clusterforge.validate import validate

GKE: dict[str, Any] = {
    "name": "gpudirect",
    "cloud": "gcp",
    "project": "ml-platform-1",
    "region": "us-central1",
    "zone": "us-central1-a",
}
SYSTEM = {"name": "system", "instance_type": "n2-standard-8", "nodes": 2}


def plan_pools(*pools: dict[str, Any]) -> Any:
    return plan_offline(resolve(Cluster.model_validate({**GKE, "node_pools": [SYSTEM, *pools]})))


def network_names(graph: Any) -> list[str]:
    return [
        r.inputs["metadata"]["name"]
        for r in graph.resources
        if r.type == "kubernetes:networking.gke.io/v1:Network"
    ]


@pytest.mark.parametrize(
    ("machine", "zone", "names"),
    [
        ("a3-highgpu-8g", "us-central1-a", [f"vpc{i}" for i in range(1, 5)]),
        ("a3-megagpu-8g", "us-central1-a", [f"vpc{i}" for i in range(1, 9)]),
        ("a3-ultragpu-8g", "us-central1-b", ["gvnic-1", *(f"rdma-{i}" for i in range(8))]),
    ],
)
def test_network_objects_carry_googles_names(machine: str, zone: str, names: list[str]) -> None:
    graph = plan_pools({"name": "gpu", "instance_type": machine, "nodes": 2, "zone": zone})
    assert network_names(graph) == names
    fabric = (
        resolve(
            Cluster.model_validate(
                {
                    **GKE,
                    "node_pools": [SYSTEM, {"name": "gpu", "instance_type": machine, "zone": zone}],
                }
            )
        )
        .pools[1]
        .fabric
    )
    # What Google's NCCL test pod for this fabric lists is exactly what exists.
    assert set(gpudirect_sets()[fabric].pod_networks) <= set(names)


def test_a_second_pool_of_the_same_fabric_gets_its_own_prefixed_objects() -> None:
    graph = plan_pools(
        {"name": "mega-a", "instance_type": "a3-megagpu-8g", "nodes": 2},
        {"name": "mega-b", "instance_type": "a3-megagpu-8g", "nodes": 2},
    )
    names = network_names(graph)
    assert names[:8] == [f"vpc{i}" for i in range(1, 9)]
    assert names[8:] == [f"mega-b-vpc{i}" for i in range(1, 9)]
    assert len(set(names)) == 16


@pytest.mark.parametrize(
    ("key", "subnet", "subnets", "prefix", "name"),
    [
        ("gpu0", 0, 1, "", "vpc1"),
        ("gpu7", 0, 1, "", "vpc8"),
        ("gvnic1", 0, 1, "", "gvnic-1"),
        ("rdma", 5, 8, "", "rdma-5"),
        ("rdma", 0, 8, "b", "b-rdma-0"),
    ],
)
def test_network_object_name(key: str, subnet: int, subnets: int, prefix: str, name: str) -> None:
    assert network_object_name(key, subnet, subnets, prefix) == name


def test_each_fabric_set_comes_from_one_commit_with_pinned_images() -> None:
    sets = gpudirect_sets()
    assert set(sets) == {"gpudirect-tcpx", "gpudirect-tcpxo", "rdma"}
    commits = {s.commit for s in sets.values()}
    assert len(commits) == 1
    for found in sets.values():
        assert all(f"/{found.commit}/" in url for _, url in found.manifests)
        assert not any(image.endswith(":latest") for image in found.images)
    assert [n for n, _ in sets["gpudirect-tcpx"].manifests][0] == "nri-device-injector"
    assert [n for n, _ in sets["gpudirect-tcpxo"].manifests][0] == "nri-device-injector"
    assert sets["gpudirect-tcpxo"].rxdm_image.endswith(":v1.0.21")
    assert sets["rdma"].rxdm_image is None  # gIB needs no receive-datapath sidecar


def test_the_plan_says_what_a_training_pod_needs() -> None:
    cluster = Cluster.model_validate(
        {**GKE, "node_pools": [SYSTEM, {"name": "mega", "instance_type": "a3-megagpu-8g"}]}
    )
    findings = [f for f in validate(cluster)[1] if f.rule == "ADD014"]
    assert len(findings) == 1 and findings[0].path == "node_pools[1].fabric"
    text = findings[0].message
    assert "devices.gke.io/container.tcpxo-daemon" in text and "vpc8" in text
    assert "tcpgpudmarxd-dev:v1.0.21" in text and "nvidia.com/gpu: 8" in text
    cpu = Cluster.model_validate({**GKE, "node_pools": [SYSTEM]})
    assert not [f for f in validate(cpu)[1] if f.rule == "ADD014"]
