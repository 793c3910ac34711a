"""Kubernetes objects: pinned chart versions, tolerations for accelerator taints, and resources set on
InferenceServices and TrainJobs.

GPU and Neuron nodes are tainted (``nvidia.com/gpu``, ``aws.amazon.com/neuron``, and on GKE
``google.com/tpu``) so system pods stay off them; a workload that asks for an accelerator but does
not tolerate the taint stays Pending, and so does a device plugin that cannot land on the nodes.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from clusterforge.policies.registry import resource_policy
from clusterforge.policies.rules._props import entries, get, is_unknown, items, text
from clusterforge.policies.rules._tokens import (
    HELM_CHART,
    HELM_RELEASE,
    INFERENCE_SERVICE,
    POD,
    TRAIN_JOB,
    WORKLOADS,
)

#: Extended resource prefix -> the taint key nodes with that accelerator carry.
ACCELERATOR_TAINTS = {
    "nvidia.com/gpu": "nvidia.com/gpu",
    "aws.amazon.com/neuron": "aws.amazon.com/neuron",
    "google.com/tpu": "google.com/tpu",
}
_EXACT_VERSION = re.compile(r"^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]+)?$")
_LOCAL_CHART = ("./", "../", "/", "file://")
EFA_DEVICE_PLUGIN = "aws-efa-k8s-device-plugin"
KSERVE_FRAMEWORKS = ("model", "sklearn", "xgboost", "lightgbm", "tensorflow", "pytorch", "triton", "onnx", "pmml",
                     "paddle", "huggingface")  # fmt: skip


def _chart(props: Any) -> str:
    return text(get(props, "chart")) or ""


@resource_policy(
    "CF-K8S-001",
    "helm-chart-version-pinned",
    types=(HELM_RELEASE, HELM_CHART),
    description="Helm releases and charts pin an exact chart version (no range, no `latest`, not left out), so a "
    "preview shows what will be installed and an update never upgrades a chart by surprise.",
    remediation="Set `version` to an exact chart version (for example 25.3.0); local chart directories and .tgz "
    "archives are pinned by their content.",
    spec_field="version",
)
def helm_chart_version_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    chart = _chart(args.props)
    if chart.startswith(_LOCAL_CHART) or chart.endswith(".tgz"):
        return
    version = get(args.props, "version")
    if is_unknown(version):
        return
    if not isinstance(version, str) or not _EXACT_VERSION.match(version.strip()):
        shown = f"`{version}`" if version else "no version"
        report(
            f"{args.name}: chart {chart or '(unnamed)'} has {shown}; pin an exact version.", None
        )


def pod_spec(resource_type: str, props: Any) -> Any:
    """The pod spec inside a workload's inputs."""
    if resource_type == POD:
        return get(props, "spec")
    if resource_type.endswith(":CronJob"):
        return get(props, "spec", "jobTemplate", "spec", "template", "spec")
    return get(props, "spec", "template", "spec")


def accelerator_taints(pod: Any) -> set[str]:
    """Taint keys of the accelerators the pod's containers ask for."""
    wanted: set[str] = set()
    for key in ("initContainers", "containers"):
        for container in items(get(pod, key)):
            for kind in ("limits", "requests"):
                for name, _ in entries(get(container, "resources", kind)):
                    wanted |= {
                        taint
                        for prefix, taint in ACCELERATOR_TAINTS.items()
                        if name.startswith(prefix)
                    }
    return wanted


def tolerated(tolerations: Any, taint: str) -> bool:
    for toleration in items(tolerations):
        key, operator = get(toleration, "key"), get(toleration, "operator")
        if key == taint or (not key and operator == "Exists"):
            return True
    return False


@resource_policy(
    "CF-K8S-002",
    "accelerator-tolerations",
    types=WORKLOADS,
    description="A workload that requests GPUs, Neuron devices or TPUs tolerates the matching node taint "
    "(nvidia.com/gpu, aws.amazon.com/neuron, google.com/tpu); EKS does not add these tolerations by itself.",
    remediation="Add a toleration `{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}` (or the Neuron/TPU "
    "key) to the pod template.",
)
def accelerator_tolerations(args: ResourceValidationArgs, report: ReportViolation) -> None:
    pod = pod_spec(args.resource_type, args.props)
    tolerations = get(pod, "tolerations")
    if is_unknown(pod) or is_unknown(tolerations):
        return
    missing = sorted(t for t in accelerator_taints(pod) if not tolerated(tolerations, t))
    if missing:
        report(
            f"{args.name}: requests accelerators but does not tolerate the {', '.join(missing)} taint; its pods stay Pending.",
            None,
        )


@resource_policy(
    "CF-K8S-003",
    "efa-device-plugin-tolerations",
    types=(HELM_RELEASE, HELM_CHART),
    description="The EFA device plugin chart (aws-efa-k8s-device-plugin) tolerates the accelerator taints: it has no "
    "tolerations by default and would never run on the GPU/Trainium nodes it serves.",
    remediation="Set chart values `tolerations: [{key: nvidia.com/gpu, operator: Exists}, {key: aws.amazon.com/neuron, "
    "operator: Exists}]` (or `operator: Exists` with no key).",
)
def efa_device_plugin_tolerations(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if EFA_DEVICE_PLUGIN not in _chart(args.props):
        return
    tolerations = get(args.props, "values", "tolerations")
    if is_unknown(tolerations):
        return
    if not any(
        tolerated(tolerations, taint) for taint in ("nvidia.com/gpu", "aws.amazon.com/neuron")
    ):
        report(f"{args.name}: the EFA device plugin does not tolerate the GPU/Neuron taints.", None)


def _resources_set(component: Any) -> bool:
    resources = get(component, "resources")
    return bool(list(entries(get(resources, "requests")))) and bool(
        list(entries(get(resources, "limits")))
    )


@resource_policy(
    "CF-K8S-004",
    "inferenceservice-resources",
    types=(INFERENCE_SERVICE,),
    description="Every model server of a KServe InferenceService (predictor, transformer, explainer) sets resource "
    "requests and limits, so it is scheduled on the right nodes and cannot starve its neighbours.",
    remediation="Set `resources: {requests: {cpu, memory}, limits: {memory, nvidia.com/gpu}}` on the predictor's "
    "model (and on any containers).",
)
def inferenceservice_resources(args: ResourceValidationArgs, report: ReportViolation) -> None:
    spec = get(args.props, "spec")
    if is_unknown(spec):
        return
    missing = []
    for part in ("predictor", "transformer", "explainer"):
        component = get(spec, part)
        if component is None or is_unknown(component):
            continue
        servers = [
            (f"{part}.{key}", get(component, key))
            for key in KSERVE_FRAMEWORKS
            if get(component, key) is not None
        ]
        servers += [
            (f"{part}.containers[{i}]", c)
            for i, c in enumerate(items(get(component, "containers")))
        ]
        missing += [
            name
            for name, server in servers
            if not is_unknown(server) and not _resources_set(server)
        ]
    if missing:
        report(f"{args.name}: no resource requests and limits on {', '.join(missing)}.", None)


@resource_policy(
    "CF-K8S-005",
    "trainjob-resources",
    types=(TRAIN_JOB,),
    description="A Kubeflow TrainJob sets the resources of each training node (`spec.trainer.resourcesPerNode`), so "
    "its pods ask for the accelerators they train on.",
    remediation="Set `spec.trainer.resourcesPerNode.limits` (for example `nvidia.com/gpu: 8`) and `numNodes`.",
)
def trainjob_resources(args: ResourceValidationArgs, report: ReportViolation) -> None:
    per_node = get(args.props, "spec", "trainer", "resourcesPerNode")
    if is_unknown(per_node):
        return
    if not list(entries(get(per_node, "limits"))) and not list(entries(get(per_node, "requests"))):
        report(f"{args.name}: spec.trainer.resourcesPerNode sets no requests or limits.", None)
