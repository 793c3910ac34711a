"""Kubernetes objects clusterforge generates itself, as plain manifests (pure functions).

* Namespaces for add-ons and team namespaces.
* Kueue: a ResourceFlavor per accelerator pool, a ClusterQueue per accelerator type whose nominal
  quota is the real accelerator count of its pools (GPUs, Neuron cores as the device plugin
  advertises them, TPU chips) plus the CPU and memory of those nodes, a LocalQueue per team
  namespace and type, the cloud's Topology for multi-node fabric pools, and the
  ProvisioningRequest admission check for GKE queued-provisioning pools.
* The NVIDIA Network Operator's NicClusterPolicy (RDMA shared device plugin or SR-IOV).
* For every file system: a PersistentVolume per team namespace and its PersistentVolumeClaim, so
  pods mount it at ``mount_path`` by claim name.

The Pulumi program and `clusterforge render` both use these functions; values that exist only
after deployment (file system ids) arrive in ``volumes`` (Pulumi outputs in the program, stack
outputs when rendering).
"""

from __future__ import annotations

import json
import re
from typing import Any

from clusterforge.catalog.addons import ResolvedAddon, advertised_neuron_cores, kueue_topology
from clusterforge.catalog.resolve import ResolvedCluster, ResolvedPool, ResolvedStorage

#: Kueue 0.19.2's CRDs serve v1beta1 and v1beta2 (the storage version): objects use v1beta2.
KUEUE_API = "kueue.x-k8s.io/v1beta2"
DEFAULT_NAMESPACE = "default"
#: Kubernetes extended resource of each accelerator kind.
GPU, NEURON_CORE, TPU = "nvidia.com/gpu", "aws.amazon.com/neuroncore", "google.com/tpu"
#: GKE's ProvisioningRequest class for Dynamic Workload Scheduler queued provisioning.
QUEUED_PROVISIONING_CLASS = "queued-provisioning.gke.io"

Manifest = dict[str, Any]


def team_namespaces(resolved: ResolvedCluster) -> list[str]:
    return list(resolved.spec.namespaces) or [DEFAULT_NAMESPACE]


def namespace(name: str, labels: dict[str, str] | None = None) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels or {}},
    }


def namespaces(resolved: ResolvedCluster) -> list[Manifest]:
    """Namespaces of the add-ons (not kube-system) and of the teams."""
    names: list[str] = []
    for addon in resolved.addons:
        if (
            addon.namespace not in ("kube-system", DEFAULT_NAMESPACE)
            and addon.namespace not in names
        ):
            names.append(addon.namespace)
    for team in resolved.spec.namespaces:
        if team not in names and team != DEFAULT_NAMESPACE:
            names.append(team)
    return [namespace(n, {"app.kubernetes.io/managed-by": "clusterforge"}) for n in names]


# ------------------------------------------------------------------------------------ Kueue


def accelerator_resource(pool: ResolvedPool) -> tuple[str, int] | None:
    """(extended resource, amount per node the device plugin advertises) of a pool's accelerators."""
    offering = pool.offering
    if offering is None or not offering.is_accelerated:
        return None
    if offering.is_tpu:
        return TPU, offering.accelerator_count
    if offering.is_neuron:
        return NEURON_CORE, advertised_neuron_cores(offering.accelerator, offering.neuron_cores)
    if offering.is_nvidia:
        return GPU, offering.accelerator_count
    return None


def quota_nodes(pool: ResolvedPool) -> int:
    """Nodes the queue may fill: the pool's maximum (the autoscaler adds what is admitted)."""
    return pool.max_size * pool.slices


def accelerator_queue(pool: ResolvedPool) -> str:
    """The ClusterQueue (and team LocalQueue) name of a pool's accelerator type: ``h100``,
    ``l40s``, ``trainium2``, ``tpu-v5p``."""
    offering = pool.offering
    assert offering is not None
    name = (offering.tpu_generation or offering.accelerator or pool.name).lower()
    return re.sub(r"[^a-z0-9-]+", "-", name).strip("-")


def uses_topology(pool: ResolvedPool) -> bool:
    """Multi-node pools on a fabric: their jobs gain from topology-aware placement."""
    offering = pool.offering
    return (
        pool.fabric != "none"
        and quota_nodes(pool) > 1
        and offering is not None
        and not offering.is_tpu
    )


def kueue_objects(resolved: ResolvedCluster) -> list[Manifest]:
    """Kueue objects that keep every job on the accelerator type it asked for.

    One ClusterQueue per accelerator type (its flavors: the pools of that type), so a job sent to
    the ``h100`` queue can only be admitted on H100 nodes: Kueue admits a workload to the first
    flavor with free quota among its queue's flavors, and one queue holding H100 and L40S flavors
    under one ``nvidia.com/gpu`` group would place an unpinned job on either. Each team namespace
    gets a LocalQueue per type, named like the type. Multi-node fabric pools reference the
    cloud's Kueue ``Topology`` (node labels the cloud sets) for topology-aware scheduling.
    """
    pools = [p for p in resolved.pools if accelerator_resource(p)]
    if not pools:
        return []
    objects: list[Manifest] = []
    topology = kueue_topology(resolved.spec.cloud)
    if topology and any(uses_topology(p) for p in pools):
        objects.append(
            {
                "apiVersion": KUEUE_API,
                "kind": "Topology",
                "metadata": {"name": topology["name"]},
                "spec": {"levels": [{"nodeLabel": label} for label in topology["levels"]]},
            }
        )
    queues: dict[str, list[ResolvedPool]] = {}
    for pool in pools:
        queues.setdefault(accelerator_queue(pool), []).append(pool)
    for queue, members in queues.items():
        objects += _queue_objects(queue, members, topology)
    for team in team_namespaces(resolved):
        for queue in queues:
            objects.append(
                {
                    "apiVersion": KUEUE_API,
                    "kind": "LocalQueue",
                    "metadata": {"name": queue, "namespace": team},
                    "spec": {"clusterQueue": queue},
                }
            )
    return objects


def _queue_objects(
    queue: str, pools: list[ResolvedPool], topology: dict[str, Any] | None
) -> list[Manifest]:
    """The ResourceFlavors of one accelerator type's pools, their admission checks and the
    ClusterQueue whose nominal quota is what those pools hold at their maximum size."""
    resource = accelerator_resource(pools[0])[0]  # type: ignore[index]
    covered = ["cpu", "memory", resource]
    objects: list[Manifest] = []
    flavors = []
    checks: list[str] = []
    for pool in pools:
        _, per_node = accelerator_resource(pool)  # type: ignore[misc]
        nodes = quota_nodes(pool)
        offering = pool.offering
        assert offering is not None
        tolerations = [
            {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect}
            for t in pool.taints
        ]
        flavor_spec: dict[str, Any] = {
            "nodeLabels": pool.node_labels,
            **({"tolerations": tolerations} if tolerations else {}),
        }
        if topology and uses_topology(pool):
            flavor_spec["topologyName"] = topology["name"]
        objects.append(
            {
                "apiVersion": KUEUE_API,
                "kind": "ResourceFlavor",
                "metadata": {"name": pool.name},
                "spec": flavor_spec,
            }
        )
        quotas = {
            "cpu": offering.vcpus * nodes,
            "memory": f"{int(offering.memory_gib * nodes)}Gi",
            resource: per_node * nodes,
        }
        flavors.append(
            {
                "name": pool.name,
                "resources": [{"name": r, "nominalQuota": quotas[r]} for r in covered],
            }
        )
        if pool.spec.capacity.queued_provisioning:
            check = f"{pool.name}-dws"
            checks.append(check)
            objects += [
                {
                    "apiVersion": KUEUE_API,
                    "kind": "ProvisioningRequestConfig",
                    "metadata": {"name": check},
                    "spec": {
                        "provisioningClassName": QUEUED_PROVISIONING_CLASS,
                        "managedResources": [resource],
                    },
                },
                {
                    "apiVersion": KUEUE_API,
                    "kind": "AdmissionCheck",
                    "metadata": {"name": check},
                    "spec": {
                        "controllerName": "kueue.x-k8s.io/provisioning-request",
                        "parameters": {
                            "apiGroup": "kueue.x-k8s.io",
                            "kind": "ProvisioningRequestConfig",
                            "name": check,
                        },
                    },
                },
            ]
    queue_spec: dict[str, Any] = {
        "namespaceSelector": {},
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": [{"coveredResources": covered, "flavors": flavors}],
    }
    if checks:
        queue_spec["admissionChecksStrategy"] = {
            "admissionChecks": [{"name": c, "onFlavors": [c.removesuffix("-dws")]} for c in checks]
        }
    objects.append(
        {
            "apiVersion": KUEUE_API,
            "kind": "ClusterQueue",
            "metadata": {"name": queue},
            "spec": queue_spec,
        }
    )
    return objects


def accelerator_totals(resolved: ResolvedCluster) -> dict[str, int]:
    """Extended resource -> the cluster's total (what the ClusterQueue's quotas add up to)."""
    totals: dict[str, int] = {}
    for pool in resolved.pools:
        found = accelerator_resource(pool)
        if found:
            totals[found[0]] = totals.get(found[0], 0) + found[1] * quota_nodes(pool)
    return totals


# ---------------------------------------------------------------------- Network Operator


#: The resource each Network Operator mode advertises (one place: the NicClusterPolicy below
#: builds it, `verify` requests it). The RDMA shared device plugin's resourcePrefix defaults to
#: "rdma" (Mellanox/k8s-rdma-shared-dev-plugin v1.5.3 README, checked 2026-12-03).
RDMA_SHARED_RESOURCE = ("rdma", "rdma_shared_device_a")
SRIOV_RESOURCE = ("nvidia.com", "hostdev")


def rdma_resource(mode: str | None) -> str:
    """The extended resource an RDMA pod requests under the Network Operator in ``mode``."""
    prefix, name = SRIOV_RESOURCE if mode == "sriov" else RDMA_SHARED_RESOURCE
    return f"{prefix}/{name}"


def nic_cluster_policy(
    addon: ResolvedAddon, images: dict[str, dict[str, str]], *, deploy_driver: bool = False
) -> Manifest:
    """RDMA shared device plugin (default) or SR-IOV device plugin for Mellanox NICs, and the DOCA
    driver container when the hosts have no MOFED of their own (``deploy_driver``)."""
    mode = addon.mode or "rdma-shared"
    if mode == "sriov":
        image = images["sriov-device-plugin"]
        config: dict[str, Any] = {
            "resourceList": [
                {
                    "resourcePrefix": SRIOV_RESOURCE[0],
                    "resourceName": SRIOV_RESOURCE[1],
                    "selectors": {"vendors": ["15b3"], "isRdma": True},
                }
            ]
        }
        spec = {"sriovDevicePlugin": {**image, "config": json.dumps(config)}}
    else:
        image = images["rdma-shared-device-plugin"]
        config = {
            "configList": [
                {
                    "resourceName": RDMA_SHARED_RESOURCE[1],
                    "rdmaHcaMax": 63,
                    "selectors": {"vendors": ["15b3"]},
                }
            ]
        }
        spec = {"rdmaSharedDevicePlugin": {**image, "config": json.dumps(config)}}
    if deploy_driver:
        spec["ofedDriver"] = dict(images["doca-driver"])
    return {
        "apiVersion": "mellanox.com/v1alpha1",
        "kind": "NicClusterPolicy",
        "metadata": {"name": "nic-cluster-policy"},
        "spec": spec,
    }


# ------------------------------------------------------------------------------ Knative


def host_mofed(resolved: ResolvedCluster) -> bool:
    """Whether the GPU Operator uses the hosts' MOFED (its driver.rdma.useHostMofed, default true)."""
    operator = resolved.addon("gpu-operator")
    rdma = ((operator.values.get("driver") or {}).get("rdma") or {}) if operator else {}
    return bool(rdma.get("useHostMofed", True))


def knative_serving(addon: ResolvedAddon) -> list[Manifest]:
    """The KnativeServing object the Knative Operator reconciles (Istio as the networking layer)."""
    minor = ".".join(addon.version.lstrip("v").split(".")[:2])
    return [
        namespace("knative-serving", {"app.kubernetes.io/managed-by": "clusterforge"}),
        {
            "apiVersion": "operator.knative.dev/v1beta1",
            "kind": "KnativeServing",
            "metadata": {"name": "knative-serving", "namespace": "knative-serving"},
            "spec": {"version": minor, "ingress": {"istio": {"enabled": True}}},
        },
    ]


# ------------------------------------------------------------------------------ storage


def volume_manifests(
    resolved: ResolvedCluster, storage: ResolvedStorage, source: dict[str, Any]
) -> list[Manifest]:
    """A PV per team namespace (pointing at the same file system) and the claim bound to it."""
    csi = csi_source(resolved, storage, source)
    if csi is None:
        return []
    capacity = f"{storage.spec.capacity_gib or 1}Gi"
    objects: list[Manifest] = []
    for team in team_namespaces(resolved):
        pv_name = f"{resolved.spec.name}-{storage.name}-{team}"
        pv: Manifest = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": pv_name, "labels": {"clusterforge.io/storage": storage.name}},
            "spec": {
                "capacity": {"storage": capacity},
                "volumeMode": "Filesystem",
                "accessModes": ["ReadWriteMany"],
                # The data outlives the claim: deleting a PVC never deletes the file system.
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": "",
                "csi": csi["csi"],
                **({"mountOptions": csi["mountOptions"]} if csi.get("mountOptions") else {}),
                "claimRef": {"namespace": team, "name": storage.name},
            },
        }
        pvc: Manifest = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": storage.name,
                "namespace": team,
                "annotations": {"clusterforge.io/mount-path": storage.spec.mount_path},
            },
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "volumeName": pv_name,
                "resources": {"requests": {"storage": capacity}},
            },
        }
        objects += [pv, pvc]
    return objects


def csi_source(
    resolved: ResolvedCluster, storage: ResolvedStorage, source: dict[str, Any]
) -> dict[str, Any] | None:
    """The PV's CSI block for a storage service, from the file system's attributes."""
    service = storage.service
    if service == "fsx-lustre":
        return {
            "csi": {
                "driver": "fsx.csi.aws.com",
                "volumeHandle": source["id"],
                "volumeAttributes": {
                    "dnsname": source["dnsName"],
                    "mountname": source["mountName"],
                },
            },
            "mountOptions": ["flock"],
        }
    if service == "managed-lustre":
        return {
            "csi": {
                "driver": "lustre.csi.storage.gke.io",
                "volumeHandle": source["volumeHandle"],
                "volumeAttributes": {"ip": source["ip"], "filesystem": source["filesystem"]},
            }
        }
    if service == "filestore":
        return {
            "csi": {
                "driver": "filestore.csi.storage.gke.io",
                "volumeHandle": source["volumeHandle"],
                "volumeAttributes": {"ip": source["ip"], "volume": source["share"]},
            }
        }
    if service == "gcs-bucket":
        return {
            "csi": {"driver": "gcsfuse.csi.storage.gke.io", "volumeHandle": source["bucket"]},
            "mountOptions": ["implicit-dirs"],
        }
    return None
