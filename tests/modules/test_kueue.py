"""Kueue objects: a job stays on the accelerator type it asked for, topology-aware scheduling on
multi-node fabric pools, quotas in the units the device plugins advertise, and every object valid
against the pinned Kueue version's CRD schemas (tests/data/crds/kueue-<version>/)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from clusterforge.catalog.addons import catalog
from clusterforge.catalog.resolve import resolve
from clusterforge.modules.kubernetes import objects
from clusterforge.spec.loader import load_stack
from clusterforge.spec.models import Cluster

from helpers import BASE, EXAMPLES, ROOT, crd_schema_path, crd_validator, merge

CRDS = ROOT / "tests" / "data" / "crds" / f"kueue-{catalog()['kueue'].version}"

#: p5 (H100, EFA, 4 nodes) next to g6e (L40S, one node) and a second H100 pool.
MIXED = merge(
    BASE,
    {
        "node_pools": [
            {},
            {"nodes": 4},
            {"name": "l40s", "instance_type": "g6e.12xlarge", "nodes": 1, "fabric": "none"},
            {"name": "h100-spare", "instance_type": "p5.48xlarge", "nodes": 1},
        ],
        "namespaces": ["research", "prod"],
        "addons": [{"name": "kueue"}],
    },
)


def kinds(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {
        f"{m['metadata'].get('namespace', '')}/{m['metadata']['name']}".lstrip("/"): m
        for m in manifests
        if m["kind"] == kind
    }


def mixed() -> tuple[Any, list[dict[str, Any]]]:
    resolved = resolve(Cluster.model_validate(MIXED))
    return resolved, objects.kueue_objects(resolved)


def test_each_accelerator_type_has_its_own_cluster_queue() -> None:
    resolved, manifests = mixed()
    queues = kinds(manifests, "ClusterQueue")
    assert sorted(queues) == ["h100", "l40s"]
    pools = {p.name: p for p in resolved.pools}
    for name, queue in queues.items():
        flavor_names = [f["name"] for g in queue["spec"]["resourceGroups"] for f in g["flavors"]]
        # Every flavor a queue can admit to is a pool of that queue's accelerator: a job sent to
        # the l40s queue has no H100 flavor to land on, and the other way round.
        assert {pools[f].offering.accelerator.lower() for f in flavor_names} == {name}
    assert [f["name"] for f in queues["h100"]["spec"]["resourceGroups"][0]["flavors"]] == [
        "gpu",
        "h100-spare",
    ]
    # No flavor is shared between two queues.
    used = [f["name"] for q in queues.values() for f in q["spec"]["resourceGroups"][0]["flavors"]]
    assert len(used) == len(set(used))
    # A flavor's node labels select only its own pool's nodes.
    flavors = kinds(manifests, "ResourceFlavor")
    assert flavors["l40s"]["spec"]["nodeLabels"] == {"clusterforge.io/pool": "l40s"}


def test_teams_get_a_local_queue_per_accelerator_type() -> None:
    _, manifests = mixed()
    local = kinds(manifests, "LocalQueue")
    assert sorted(local) == ["prod/h100", "prod/l40s", "research/h100", "research/l40s"]
    assert all(q["spec"]["clusterQueue"] == q["metadata"]["name"] for q in local.values())


def test_quota_per_queue_is_what_its_pools_hold() -> None:
    _, manifests = mixed()
    queues = kinds(manifests, "ClusterQueue")
    h100 = {
        f["name"]: {r["name"]: r["nominalQuota"] for r in f["resources"]}
        for f in queues["h100"]["spec"]["resourceGroups"][0]["flavors"]
    }
    assert h100["gpu"]["nvidia.com/gpu"] == 32 and h100["h100-spare"]["nvidia.com/gpu"] == 8
    l40s = queues["l40s"]["spec"]["resourceGroups"][0]
    assert l40s["coveredResources"] == ["cpu", "memory", "nvidia.com/gpu"]
    assert l40s["flavors"][0]["resources"][2] == {"name": "nvidia.com/gpu", "nominalQuota": 4}


def test_multi_node_fabric_pools_use_the_clouds_topology() -> None:
    _, manifests = mixed()
    topology = kinds(manifests, "Topology")["eks-default"]
    assert [level["nodeLabel"] for level in topology["spec"]["levels"]] == [
        "topology.k8s.aws/network-node-layer-1",
        "topology.k8s.aws/network-node-layer-2",
        "topology.k8s.aws/network-node-layer-3",
        "kubernetes.io/hostname",
    ]
    flavors = kinds(manifests, "ResourceFlavor")
    assert flavors["gpu"]["spec"]["topologyName"] == "eks-default"
    # One node, or no fabric: nothing to place close together.
    assert "topologyName" not in flavors["l40s"]["spec"]
    assert "topologyName" not in flavors["h100-spare"]["spec"]

    gke = load_stack(EXAMPLES / "gcp-a3-mega-training.yaml").cluster
    manifests = objects.kueue_objects(resolve(gke))
    levels = kinds(manifests, "Topology")["gke-default"]["spec"]["levels"]
    assert levels[0] == {"nodeLabel": "cloud.google.com/gce-topology-block"}
    assert all(
        f["spec"]["topologyName"] == "gke-default"
        for f in kinds(manifests, "ResourceFlavor").values()
    )


def test_no_topology_without_a_multi_node_fabric_pool() -> None:
    single = merge(BASE, {"node_pools": [{}, {"nodes": 1}], "addons": [{"name": "kueue"}]})
    assert not kinds(objects.kueue_objects(resolve(Cluster.model_validate(single))), "Topology")


@pytest.mark.parametrize(("instance_type", "cores"), [("trn2.48xlarge", 64), ("trn1.32xlarge", 32)])
def test_neuron_quota_counts_the_cores_the_device_plugin_advertises(
    instance_type: str, cores: int
) -> None:
    """Trn2 runs LNC=2 by default: 16 chips x 8 physical cores are 64 logical NeuronCores."""
    spec = merge(
        BASE,
        {
            "region": "us-east-2" if instance_type.startswith("trn2") else "us-west-2",
            "zone": "us-east-2c" if instance_type.startswith("trn2") else "us-west-2d",
            "node_pools": [{}, {"instance_type": instance_type, "nodes": 1}],
            "storage": [],
        },
    )
    assert objects.accelerator_totals(resolve(Cluster.model_validate(spec))) == {
        "aws.amazon.com/neuroncore": cores
    }


# ------------------------------------------------------------------------ CRD schemas


def schema_for(manifest: dict[str, Any]) -> Any:
    """The strict validator of the pinned Kueue's CRD (tests/helpers.py, one cache)."""
    path = crd_schema_path(manifest["apiVersion"], manifest["kind"])
    assert path is not None and path.parent == CRDS, path  # the pinned version's folder
    return crd_validator(manifest["apiVersion"], manifest["kind"], strict=True)


def _kueue_stacks() -> list[Any]:
    stacks = [("mixed-p5-g6e", Cluster.model_validate(MIXED))]
    for path in sorted(Path(EXAMPLES).iterdir()):
        if path.suffix in (".yaml", ".py"):
            stacks.append((path.name, load_stack(path).cluster))
    return stacks


@pytest.mark.parametrize(("name", "cluster"), _kueue_stacks(), ids=lambda v: str(v)[:30])
def test_kueue_objects_validate_against_the_pinned_crds(name: str, cluster: Cluster) -> None:
    for manifest in objects.kueue_objects(resolve(cluster)):
        assert manifest["apiVersion"] == objects.KUEUE_API
        schema_for(manifest).validate(manifest)


def test_the_strict_schema_refuses_a_misspelt_field() -> None:
    _, manifests = mixed()
    flavor = copy.deepcopy(kinds(manifests, "ResourceFlavor")["gpu"])
    flavor["spec"]["topology"] = flavor["spec"].pop("topologyName")
    with pytest.raises(jsonschema.ValidationError):
        schema_for(flavor).validate(flavor)
