"""Chart values per add-on, fitted to the cloud and the node pools (pure functions).

The same values feed the Pulumi program and the GitOps rendering (`clusterforge render`), so an
Argo CD or Flux deployment gets exactly what `clusterforge up` installs. User values from the
spec are merged last (deep merge: the user wins).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from clusterforge.catalog.addons import ResolvedAddon, autoscaler_image_tag
from clusterforge.catalog.resolve import ResolvedCluster, ResolvedPool
from clusterforge.clouds import profile

#: Grafana.com dashboard of the NVIDIA DCGM exporter (dashboard 12239, "NVIDIA DCGM Exporter Dashboard").
DCGM_DASHBOARD_ID = 12239


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def accelerator_tolerations(
    resolved: ResolvedCluster, *, kinds: tuple[str, ...] = ("nvidia", "neuron", "tpu")
) -> list[dict[str, str]]:
    """Tolerations for the vendor taints (and user taints) of the accelerator pools of ``kinds``."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for pool in resolved.pools:
        if not _is_kind(pool, kinds):
            continue
        for taint in pool.taints:
            toleration = {"key": taint.key, "operator": "Exists", "effect": taint.effect}
            seen.setdefault((taint.key, taint.effect), toleration)
    return list(seen.values())


def _is_kind(pool: ResolvedPool, kinds: tuple[str, ...]) -> bool:
    offering = pool.offering
    if offering is None:
        return False
    return (
        ("nvidia" in kinds and offering.is_nvidia)
        or ("neuron" in kinds and offering.is_neuron)
        or ("tpu" in kinds and offering.is_tpu)
    )


def _gpu_operator(
    resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]
) -> dict[str, Any]:
    cloud = resolved.spec.cloud
    values: dict[str, Any] = {
        "daemonsets": {"tolerations": accelerator_tolerations(resolved, kinds=("nvidia",))}
    }
    if cloud == "aws":
        # EKS AL2023 NVIDIA AMIs ship the driver, the container toolkit and fabric manager
        # (NVIDIA GPU Operator docs, "Amazon EKS": driver.enabled=false, toolkit.enabled=false).
        values.update(driver={"enabled": False}, toolkit={"enabled": False})
    # GKE: clusterforge refuses the operator (rule ADD005): GKE installs the driver, runs its
    # own device plugin and exports DCGM metrics itself.
    if "network-operator" in names:
        # One Node Feature Discovery: the Network Operator (installed first) deploys it.
        values["nfd"] = {"enabled": False}
        # The hosts' own MOFED/DOCA driver by default (DGX and most InfiniBand images ship it);
        # with useHostMofed false the generated NicClusterPolicy deploys the DOCA driver.
        values.setdefault("driver", {})["rdma"] = {"enabled": True, "useHostMofed": True}
    if "dcgm-exporter" in names:
        values["dcgmExporter"] = {"enabled": False}  # the standalone exporter add-on runs instead
    return values


def _device_plugin(
    resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]
) -> dict[str, Any]:
    return {"tolerations": accelerator_tolerations(resolved, kinds=("nvidia",))}


def _dcgm_exporter(
    resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]
) -> dict[str, Any]:
    return {
        "tolerations": accelerator_tolerations(resolved, kinds=("nvidia",)),
        "nodeSelector": {"nvidia.com/gpu.present": "true"},
        "serviceMonitor": {"enabled": "kube-prometheus-stack" in names},
    }


#: Scrape targets EKS and GKE manage or do not expose (control plane; kube-proxy binds its metrics
#: to 127.0.0.1 on EKS, and GKE's Dataplane V2 has none): their rules would alert forever.
MANAGED_SCRAPES = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")


def _prometheus(resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]) -> dict[str, Any]:
    managed = (
        {key: {"enabled": False} for key in MANAGED_SCRAPES}
        if profile(resolved.spec.cloud).creates_cluster  # a managed control plane (EKS, GKE)
        else {}
    )
    return {
        **managed,
        # Find the DCGM exporter's ServiceMonitor, which the chart did not create itself.
        "prometheus": {"prometheusSpec": {"serviceMonitorSelectorNilUsesHelmValues": False}},
        "grafana": {
            "dashboardProviders": {
                "dashboardproviders.yaml": {
                    "apiVersion": 1,
                    "providers": [
                        {
                            "name": "gpu",
                            "orgId": 1,
                            "folder": "GPU",
                            "type": "file",
                            "disableDeletion": False,
                            "options": {"path": "/var/lib/grafana/dashboards/gpu"},
                        }  # fmt: skip
                    ],
                }
            },
            "dashboards": {
                "gpu": {
                    "nvidia-dcgm": {
                        "gnetId": DCGM_DASHBOARD_ID,
                        "revision": 2,
                        "datasource": "Prometheus",
                    }
                }
            },
        },
    }


def _efa(resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]) -> dict[str, Any]:
    # The chart has no tolerations by default: without them it never runs on tainted GPU nodes.
    return {"tolerations": accelerator_tolerations(resolved)}


def _neuron(resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]) -> dict[str, Any]:
    return {"devicePlugin": {"tolerations": accelerator_tolerations(resolved, kinds=("neuron",))}}


def _network_operator(
    resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]
) -> dict[str, Any]:
    # The chart deploys NFD (for itself and the GPU Operator, whose own NFD is turned off); the
    # NicClusterPolicy is generated by clusterforge (objects.nic_cluster_policy): the chart's
    # deployCR value was removed upstream in 24.10.
    return {"nfd": {"enabled": True}}


def _cert_manager(
    resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]
) -> dict[str, Any]:
    return {"crds": {"enabled": True}}


def _kserve(resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]) -> dict[str, Any]:
    # KServe v0.20 pkg/constants: "Knative" ("Serverless" is its deprecated name) and "Standard"
    # (was RawDeployment), which runs plain Deployments and needs only cert-manager.
    mode = "Knative" if (addon.mode or "standard") == "knative" else "Standard"
    return {"kserve": {"controller": {"deploymentMode": mode}}}


def _fsx_csi(resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]) -> dict[str, Any]:
    return {
        # The controller's IAM role comes through EKS Pod Identity on this service account.
        "controller": {"serviceAccount": {"create": True, "name": "fsx-csi-controller-sa"}},
        # The node plugin must run on tainted accelerator nodes: they are the ones mounting Lustre.
        "node": {"tolerateAllTaints": True},
    }


def _cluster_autoscaler(
    resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]
) -> dict[str, Any]:
    spec = resolved.spec
    image = {"tag": tag} if (tag := autoscaler_image_tag(addon, spec.kubernetes.version)) else {}
    return {
        # The autoscaler release made for the cluster's Kubernetes minor (its version skew policy).
        **({"image": image} if image else {}),
        # EKS tags every managed node group's Auto Scaling group for auto-discovery.
        "autoDiscovery": {"clusterName": spec.name},
        "awsRegion": spec.region,
        # The controller's IAM role comes through EKS Pod Identity on this service account.
        "rbac": {"serviceAccount": {"create": True, "name": "cluster-autoscaler"}},
        "extraArgs": {
            "balance-similar-node-groups": True,
            "expander": "least-waste",
            "skip-nodes-with-local-storage": False,
        },
    }


def _trainer(resolved: ResolvedCluster, addon: ResolvedAddon, names: set[str]) -> dict[str, Any]:
    # The default ClusterTrainingRuntimes (torch, deepspeed, mlx, ...) come with the chart.
    return {"runtimes": {"defaultEnabled": True}}


VALUES: dict[str, Callable[[ResolvedCluster, ResolvedAddon, set[str]], dict[str, Any]]] = {
    "cluster-autoscaler": _cluster_autoscaler,
    "kubeflow-trainer": _trainer,
    "gpu-operator": _gpu_operator,
    "nvidia-device-plugin": _device_plugin,
    "dcgm-exporter": _dcgm_exporter,
    "kube-prometheus-stack": _prometheus,
    "efa-device-plugin": _efa,
    # aws-dranet's DaemonSet tolerates only CriticalAddonsOnly (eks-charts v0.0.242): same fix.
    "aws-dranet": _efa,
    "neuron-device-plugin": _neuron,
    "network-operator": _network_operator,
    "cert-manager": _cert_manager,
    "kserve": _kserve,
    "fsx-csi-driver": _fsx_csi,
}


def chart_values(
    resolved: ResolvedCluster, addon: ResolvedAddon, installed: list[ResolvedAddon]
) -> dict[str, Any]:
    """The tool's values for ``addon`` with the user's values merged over them."""
    names = {a.name for a in installed}
    own = VALUES.get(addon.name, lambda *_: {})(resolved, addon, names)
    return deep_merge(own, addon.values)
