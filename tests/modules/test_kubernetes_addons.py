"""Add-ons: implied add-ons, values per cloud, install order and engines, Kueue quotas, volumes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clusterforge.catalog.resolve import resolve
from clusterforge.engine import plan_offline
from clusterforge.graph import ResourceGraph
from clusterforge.modules.kubernetes import objects
from clusterforge.modules.kubernetes.values import chart_values
from clusterforge.spec.models import Cluster

from helpers import BASE, cluster_from, merge, plan

GKE: dict[str, Any] = {
    "name": "gke-addons",
    "cloud": "gcp",
    "project": "ml-platform-1",
    "region": "us-central1",
    "zone": "us-central1-a",
    "node_pools": [
        {"name": "system", "instance_type": "n2-standard-8", "nodes": 2},
        {"name": "h100", "instance_type": "a3-megagpu-8g", "nodes": 2},
    ],
}


def charts(graph: ResourceGraph) -> dict[str, Any]:
    """Add-on name -> its chart resource (v3 Release or v4 Chart), by the resource name suffix."""
    found = {}
    for resource in graph.resources:
        if resource.type in ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"):
            found[resource.name.split("-addons-", 1)[1]] = resource
    return found


def values_of(resolved: Any, name: str) -> dict[str, Any]:
    addon = resolved.addon(name)
    return chart_values(resolved, addon, list(resolved.addons))


def test_the_pools_and_storage_bring_their_add_ons() -> None:
    resolved = resolve(cluster_from())
    reasons = {a.name: a.reason for a in resolved.addons}
    assert set(reasons) == {"efa-device-plugin", "fsx-csi-driver", "nvidia-device-plugin"}
    assert "EFA" in reasons["efa-device-plugin"] and "FSx" in reasons["fsx-csi-driver"]
    off = resolve(cluster_from({"addons": [{"name": "efa-device-plugin", "enabled": False}]}))
    assert off.addon("efa-device-plugin") is None


def test_trainium_brings_the_neuron_plugin() -> None:
    resolved = resolve(
        cluster_from(
            {
                "region": "us-west-2",
                "zone": "us-west-2d",
                "node_pools": [{}, {"instance_type": "trn1.32xlarge"}],
                "storage": [],
            }
        )
    )
    assert (
        resolved.addon("neuron-device-plugin") is not None
        and resolved.addon("nvidia-device-plugin") is None
    )
    assert (
        values_of(resolved, "neuron-device-plugin")["devicePlugin"]["tolerations"][0]["key"]
        == "aws.amazon.com/neuron"
    )


def test_gpu_operator_values_per_cloud() -> None:
    eks = resolve(cluster_from({"addons": [{"name": "gpu-operator"}]}))
    values = values_of(eks, "gpu-operator")
    assert values["driver"] == {"enabled": False} and values["toolkit"] == {"enabled": False}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in values[
        "daemonsets"
    ]["tolerations"]
    assert eks.addon("nvidia-device-plugin") is None  # the operator brings its own plugin

    # With the Network Operator, exactly one NFD: the Network Operator's.
    both = resolve(cluster_from({"addons": [{"name": "network-operator"}]}))
    assert values_of(both, "gpu-operator")["nfd"] == {"enabled": False}
    assert values_of(both, "network-operator")["nfd"] == {"enabled": True}
    assert "nfd" not in values

    user = resolve(
        cluster_from(
            {
                "addons": [
                    {
                        "name": "gpu-operator",
                        "values": {"toolkit": {"enabled": True}, "mig": {"strategy": "mixed"}},
                    }
                ]
            }
        )
    )
    values = values_of(user, "gpu-operator")
    assert values["toolkit"] == {"enabled": True} and values["mig"] == {
        "strategy": "mixed"
    }  # the user wins


def test_efa_plugin_tolerates_the_gpu_taint() -> None:
    resolved = resolve(cluster_from())
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in values_of(
        resolved, "efa-device-plugin"
    )["tolerations"]


def test_efa_dra_driver_tolerates_the_gpu_taint_and_keeps_the_chart_keys() -> None:
    resolved = resolve(
        cluster_from({"kubernetes": {"version": "1.35"}, "addons": [{"name": "aws-dranet"}]})
    )
    values = values_of(resolved, "aws-dranet")
    # The chart tolerates only CriticalAddonsOnly (eks-charts v0.0.242 daemonset.yaml).
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in values[
        "tolerations"
    ]
    assert set(values) <= {"tolerations"}


def test_install_order_and_engines() -> None:
    graph = plan(
        {
            "addons": [
                {"name": "kserve"},
                {"name": "dcgm-exporter"},
                {"name": "kube-prometheus-stack"},
                {"name": "kueue"},
            ]
        }
    )
    found = charts(graph)
    # kserve-crd before kserve, cert-manager before both
    assert found["cert-manager"].urn in found["kserve-crd"].dependencies
    assert found["kserve-crd"].urn in found["kserve"].dependencies
    assert found["kube-prometheus-stack"].urn in found["dcgm-exporter"].dependencies
    # hooks → helm.v3.Release; hook-free charts → helm.v4.Chart (every object visible in the plan)
    assert found["kube-prometheus-stack"].type == "kubernetes:helm.sh/v3:Release"
    assert found["dcgm-exporter"].type == "kubernetes:helm.sh/v4:Chart"
    assert found["efa-device-plugin"].type == "kubernetes:helm.sh/v4:Chart"
    kserve = found["kserve"].inputs
    assert (
        kserve["chart"] == "oci://ghcr.io/kserve/charts/kserve-resources"
        and kserve["values"]["kserve"]["controller"]["deploymentMode"] == "Standard"
    )
    # charts wait for nodes: the add-on component depends on the node pools
    component = next(r for r in graph.resources if r.type == "clusterforge:kubernetes:Addons")
    assert any("NodePool" in d for d in component.dependencies)


def test_knative_mode_brings_istio_and_knative() -> None:
    resolved = resolve(cluster_from({"addons": [{"name": "kserve", "mode": "knative"}]}))
    names = [a.name for a in resolved.addons]
    assert names.index("istio") < names.index("knative-serving") < names.index("kserve")
    assert values_of(resolved, "kserve")["kserve"]["controller"]["deploymentMode"] == "Knative"
    assert (
        objects.knative_serving(resolved.addon("knative-serving"))[1]["spec"]["ingress"]["istio"][
            "enabled"
        ]
        is True
    )


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"node_pools": [{}, {"nodes": 4}]}, {"nvidia.com/gpu": 32}),
        (
            {"node_pools": [{}, {"nodes": 2, "min_nodes": 0, "max_nodes": 6}]},
            {"nvidia.com/gpu": 48},
        ),
    ],
)
def test_kueue_quota_is_the_real_accelerator_count(
    override: dict[str, Any], expected: dict[str, int]
) -> None:
    resolved = resolve(
        cluster_from(
            merge(override, {"addons": [{"name": "kueue"}], "namespaces": ["research", "prod"]})
        )
    )
    manifests = objects.kueue_objects(resolved)
    queue = next(m for m in manifests if m["kind"] == "ClusterQueue")
    flavor = queue["spec"]["resourceGroups"][0]["flavors"][0]
    quota = {r["name"]: r["nominalQuota"] for r in flavor["resources"]}
    assert (
        {k: v for k, v in quota.items() if "/" in k}
        == expected
        == objects.accelerator_totals(resolved)
    )
    assert quota["cpu"] == 192 * (expected["nvidia.com/gpu"] // 8)
    flavors = [m for m in manifests if m["kind"] == "ResourceFlavor"]
    assert [f["metadata"]["name"] for f in flavors] == ["gpu"]
    assert flavors[0]["spec"]["nodeLabels"] == {"clusterforge.io/pool": "gpu"}
    assert flavors[0]["spec"]["tolerations"][0]["key"] == "nvidia.com/gpu"
    locals_ = [m for m in manifests if m["kind"] == "LocalQueue"]
    assert sorted(m["metadata"]["namespace"] for m in locals_) == ["prod", "research"]
    assert all(m["apiVersion"] == "kueue.x-k8s.io/v1beta2" for m in manifests)


def test_kueue_counts_tpu_chips_and_neuron_cores() -> None:
    tpu = resolve(Cluster.model_validate({**GKE, "region": "us-east5", "zone": "us-east5-a", "node_pools": [
        GKE["node_pools"][0], {"name": "v5p", "accelerator": "tpu-v5p", "topology": "4x4x4", "slices": 2}]}))  # fmt: skip
    assert objects.accelerator_totals(tpu) == {"google.com/tpu": 128}
    trn = resolve(
        cluster_from(
            {
                "region": "us-west-2",
                "zone": "us-west-2d",
                "node_pools": [{}, {"instance_type": "trn1.32xlarge", "nodes": 4}],
                "storage": [],
            }
        )
    )
    assert objects.accelerator_totals(trn) == {"aws.amazon.com/neuroncore": 128}


def test_queued_provisioning_gets_an_admission_check() -> None:
    resolved = resolve(Cluster.model_validate({**GKE, "addons": [{"name": "kueue"}], "node_pools": [
        GKE["node_pools"][0], {"name": "dws", "instance_type": "a3-megagpu-8g", "min_nodes": 0, "max_nodes": 8,
                               "capacity": {"type": "flex_start", "queued_provisioning": True}}]}))  # fmt: skip
    manifests = objects.kueue_objects(resolved)
    kinds = {m["kind"]: m for m in manifests}
    assert (
        kinds["ProvisioningRequestConfig"]["spec"]["provisioningClassName"]
        == "queued-provisioning.gke.io"
    )
    assert kinds["AdmissionCheck"]["spec"]["parameters"]["name"] == "dws-dws"
    assert kinds["ClusterQueue"]["spec"]["admissionChecksStrategy"]["admissionChecks"] == [
        {"name": "dws-dws", "onFlavors": ["dws"]}
    ]


def test_every_file_system_gets_a_volume_and_claim_per_team() -> None:
    graph = plan({"namespaces": ["research", "prod"]})
    pvs = graph.of_type("kubernetes:core/v1:PersistentVolume")
    pvcs = graph.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    assert len(pvs) == len(pvcs) == 2
    fs = graph.of_type("aws:fsx/lustreFileSystem:LustreFileSystem")[0]
    for pv in pvs:
        csi = pv.inputs["spec"]["csi"]
        assert csi["driver"] == "fsx.csi.aws.com" and csi["volumeHandle"] == fs.id
        assert (
            csi["volumeAttributes"]["mountname"]
            and pv.inputs["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
        )
    claim = next(c for c in pvcs if c.inputs["metadata"]["namespace"] == "research")
    assert claim.inputs["metadata"]["annotations"]["clusterforge.io/mount-path"] == "/scratch"
    fsx_csi = next(r for r in graph.resources if r.name.endswith("-addons-fsx-csi-driver"))
    assert fsx_csi.urn in claim.dependencies
    association = graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")[0].inputs
    assert (
        association["serviceAccount"] == "fsx-csi-controller-sa"
        and association["namespace"] == "kube-system"
    )


def test_gke_volumes_for_lustre_filestore_and_gcs() -> None:
    spec = {**GKE, "storage": [
        {"name": "data", "type": "lustre", "capacity_gib": 18000, "throughput_mbps_per_tib": 500, "mount_path": "/data"},
        {"name": "home", "type": "filestore", "capacity_gib": 2048, "mount_path": "/home"},
        {"name": "ckpt", "type": "gcsfuse", "mount_path": "/ckpt"}]}  # fmt: skip
    graph = plan_offline(resolve(Cluster.model_validate(spec)))
    drivers = sorted(
        pv.inputs["spec"]["csi"]["driver"]
        for pv in graph.of_type("kubernetes:core/v1:PersistentVolume")
    )
    assert drivers == [
        "filestore.csi.storage.gke.io",
        "gcsfuse.csi.storage.gke.io",
        "lustre.csi.storage.gke.io",
    ]
    lustre = next(
        pv
        for pv in graph.of_type("kubernetes:core/v1:PersistentVolume")
        if "lustre" in pv.inputs["spec"]["csi"]["driver"]
    )
    assert (
        lustre.inputs["spec"]["csi"]["volumeHandle"]
        == "ml-platform-1/us-central1-a/gke-addons-data"
    )
    assert lustre.inputs["spec"]["csi"]["volumeAttributes"]["ip"]


def test_existing_cluster_installs_only_add_ons() -> None:
    spec = {"name": "onprem", "cloud": "kubernetes", "kubernetes": {"context": "lab"}, "namespaces": ["ml"],
            "node_pools": [{"name": "dgx", "accelerator": "H100", "accelerators_per_node": 8, "nodes": 4, "vcpus": 224,
                            "memory_gib": 2048, "fabric": "infiniband", "node_selector": {"pool": "dgx"}}],
            "addons": [{"name": "network-operator"}, {"name": "kueue"}]}  # fmt: skip
    resolved = resolve(Cluster.model_validate(spec))
    assert [a.name for a in resolved.addons] == ["network-operator", "kueue", "gpu-operator"] or [
        a.name for a in resolved.addons
    ].index("network-operator") < [a.name for a in resolved.addons].index("gpu-operator")
    graph = plan_offline(resolved)
    assert {r.type.split(":")[0] for r in graph.custom_resources} == {"kubernetes"}
    provider = next(r for r in graph.resources if r.type == "pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "lab"
    policy = graph.of_type("kubernetes:mellanox.com/v1alpha1:NicClusterPolicy")[0].inputs
    assert "rdmaSharedDevicePlugin" in policy["spec"]
    operator = charts(graph)["gpu-operator"].inputs["values"]
    assert (
        operator["driver"]["rdma"]["enabled"] is True and "enabled" not in operator["driver"]
    )  # on-prem: the operator installs the driver
    flavor = graph.of_type("kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor")[0].inputs
    assert flavor["spec"]["nodeLabels"] == {"pool": "dgx"}
    assert objects.accelerator_totals(resolved) == {"nvidia.com/gpu": 32}


def test_base_spec_has_no_addon_namespace_objects_without_addons() -> None:
    resolved = resolve(Cluster.model_validate(merge(BASE, {"storage": []})))
    assert all(m["metadata"]["name"] != "default" for m in objects.namespaces(resolved))


def test_autoscaled_eks_pools_bring_the_cluster_autoscaler_with_its_role() -> None:
    graph = plan({"node_pools": [{}, {"nodes": 1, "min_nodes": 0, "max_nodes": 4}]})
    release = next(r for r in graph.resources if r.name.endswith("-addons-cluster-autoscaler"))
    values = release.inputs["values"]
    assert (
        values["autoDiscovery"]["clusterName"] == "test-cluster"
        and values["awsRegion"] == "us-east-1"
    )
    association = next(
        r
        for r in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.name.endswith("-autoscaler")
    )
    assert association.inputs["serviceAccount"] == "cluster-autoscaler"
    policy = json.loads(
        next(
            r
            for r in graph.of_type("aws:iam/rolePolicy:RolePolicy")
            if r.name.endswith("-autoscaler-policy")
        ).inputs["policy"]
    )
    scoped = next(s for s in policy["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"])
    assert scoped["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/test-cluster": "owned"
    }
    fixed = resolve(cluster_from())
    assert fixed.addon("cluster-autoscaler") is None


def test_prometheus_does_not_scrape_what_eks_and_gke_manage() -> None:
    for spec in (cluster_from(), Cluster.model_validate(GKE)):
        resolved = resolve(
            Cluster.model_validate(
                {
                    **spec.model_dump(exclude_none=True),
                    "addons": [{"name": "kube-prometheus-stack"}],
                }
            )
        )
        values = values_of(resolved, "kube-prometheus-stack")
        for target in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
            assert values[target] == {"enabled": False}, (spec.cloud, target)


@pytest.mark.parametrize(("minor", "tag"), [("1.35", "v1.35.2"), ("1.33", "v1.33.6")])
def test_cluster_autoscaler_image_matches_the_cluster_minor(minor: str, tag: str) -> None:
    resolved = resolve(
        cluster_from(
            {"kubernetes": {"version": minor}, "node_pools": [{}, {"min_nodes": 1, "max_nodes": 4}]}
        )
    )
    assert values_of(resolved, "cluster-autoscaler")["image"] == {"tag": tag}


def test_gke_gpu_pools_get_managed_dcgm_metrics() -> None:
    graph = plan_offline(resolve(Cluster.model_validate(GKE)))
    cluster = next(r for r in graph.resources if r.type == "gcp:container/cluster:Cluster")
    assert "DCGM" in cluster.inputs["monitoringConfig"]["enableComponents"]
    cpu_only = {**GKE, "node_pools": GKE["node_pools"][:1]}
    graph = plan_offline(resolve(Cluster.model_validate(cpu_only)))
    cluster = next(r for r in graph.resources if r.type == "gcp:container/cluster:Cluster")
    assert "monitoringConfig" not in cluster.inputs
