"""Kubernetes objects: pinned chart versions, tolerations for accelerator taints, and resources set on
InferenceServices and TrainJobs.

GPU and Neuron nodes are tainted (``nvidia.com/gpu``, ``aws.amazon.com/neuron``, and on GKE
``google.com/tpu``) so system pods stay off them; a workload that asks for an accelerator but does
not tolerate the taint stays Pending, and so does a device plugin that cannot land on the nodes.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from clusterforge.catalog.ami import traits as ami_traits
from clusterforge.catalog.resolve import NEURON_TAINT, NVIDIA_TAINT, TPU_TAINT
from clusterforge.policies.registry import resource_policy, stack_policy
from clusterforge.policies.rules._props import StackView, entries, get, is_unknown, items, text
from clusterforge.policies.rules._tokens import (
    EKS_CLUSTER,
    GKE_CLUSTER,
    HELM_CHART,
    HELM_RELEASE,
    INFERENCE_SERVICE,
    JOBSET,
    NODE_GROUP,
    POD,
    REMOTE_COMPONENTS,
    TRAIN_JOB,
    WORKLOADS,
)
from clusterforge.spec.models import Taint

#: The vendor taints clusterforge puts on accelerator nodes (one source: catalog.resolve), by the
#: extended resource whose pods must tolerate them.
ACCELERATOR_TAINTS: dict[str, Taint] = {
    taint.key: taint for taint in (NVIDIA_TAINT, NEURON_TAINT, TPU_TAINT)
}
#: Helm's chart `version` is a semver *constraint* (Masterminds/semver): a partial version such as
#: "1" or "1.2" matches a range of releases, so only major.minor.patch (with pre-release/build) is a pin.
_EXACT_VERSION = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
)
_LOCAL_CHART = ("./", "../", "/", "file://")
EFA_DEVICE_PLUGIN = "aws-efa-k8s-device-plugin"
KSERVE_FRAMEWORKS = ("model", "sklearn", "xgboost", "lightgbm", "tensorflow", "pytorch", "triton", "onnx", "pmml",
                     "paddle", "huggingface")  # fmt: skip
#: Managed clusters whose API server runs the ExtendedResourceToleration admission controller: a
#: pod requesting extended resource R gets `{key: R, operator: Exists, effect: NoSchedule}`
#: (kubernetes/kubernetes PR 55839; GKE's GPU docs; Ray's Kubernetes GPU guide for EKS and GKE).
ADMISSION_TOLERATES = (EKS_CLUSTER, GKE_CLUSTER)


def _chart(props: Any) -> str:
    return text(get(props, "chart")) or ""


def engine_hides_inputs(resource_type: str, props: Any) -> bool:
    """Whether these are a remote component's inputs as the engine shows them: none at all.

    ``helm.sh/v4:Chart`` and ``yaml/v2:ConfigFile`` are provider-side components; the engine sends
    analyzers their type and name but not their inputs (pulumi-kubernetes issue 2144). A rule has
    nothing to judge then; the offline plan records the inputs and runs the check there.
    """
    return resource_type in REMOTE_COMPONENTS and not list(entries(props))


@resource_policy(
    "CF-K8S-001",
    "helm-chart-version-pinned",
    types=(HELM_RELEASE, HELM_CHART),
    description="Helm releases and charts pin an exact chart version (major.minor.patch: no range, no `latest`, not "
    "left out; Helm reads a partial `1` or `1.2` as a constraint matching several releases), so a preview shows what will be installed and an update never "
    "upgrades a chart by surprise. v4 Charts are checked offline only: the engine does not show their inputs.",
    remediation="Set `version` to an exact chart version (for example 25.3.0); local chart directories and .tgz "
    "archives are pinned by their content.",
    spec_field="version",
)
def helm_chart_version_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if engine_hides_inputs(args.resource_type, args.props):
        return
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


def pod_specs(resource_type: str, props: Any) -> list[Any]:
    """The pod specs inside a workload's inputs (a JobSet has one per replicated job; a KServe
    InferenceService's predictor, transformer and explainer are pod specs themselves)."""
    if resource_type == POD:
        return [get(props, "spec")]
    if resource_type.endswith(":CronJob"):
        return [get(props, "spec", "jobTemplate", "spec", "template", "spec")]
    if resource_type == JOBSET:
        return [
            get(job, "template", "spec", "template", "spec")
            for job in items(get(props, "spec", "replicatedJobs"))
        ]
    if resource_type == INFERENCE_SERVICE:
        spec = get(props, "spec")
        return [
            get(spec, part)
            for part in ("predictor", "transformer", "explainer")
            if get(spec, part) is not None
        ]
    return [get(props, "spec", "template", "spec")]


def requested_resources(pod: Any) -> set[str]:
    """Extended resource names the pod's containers (and KServe model servers) ask for."""
    containers = [c for key in ("initContainers", "containers") for c in items(get(pod, key))]
    containers += [get(pod, key) for key in KSERVE_FRAMEWORKS if get(pod, key) is not None]
    names: set[str] = set()
    for container in containers:
        for kind in ("limits", "requests"):
            names |= {name for name, _ in entries(get(container, "resources", kind))}
    return names


def accelerator_taints(pod: Any) -> list[Taint]:
    """The vendor taints of the accelerators the pod asks for (nvidia.com/gpu, ...)."""
    wanted = requested_resources(pod)
    return [taint for resource, taint in ACCELERATOR_TAINTS.items() if resource in wanted]


def tolerates(toleration: Any, key: str, value: str, effect: str) -> bool:
    """Kubernetes' matching: effect empty or equal; an empty key with Exists matches every taint;
    else the key matches and the operator is Exists, or Equal (the default) with the same value."""
    tol_effect, tol_key = get(toleration, "effect") or "", get(toleration, "key") or ""
    operator = get(toleration, "operator") or "Equal"
    if tol_effect and tol_effect != effect:
        return False
    if not tol_key:
        return operator == "Exists"
    if tol_key != key:
        return False
    return operator == "Exists" or (
        operator == "Equal" and (get(toleration, "value") or "") == value
    )


def tolerated(tolerations: Any, taint: Taint | str) -> bool:
    """Whether any of ``tolerations`` tolerates ``taint`` (a vendor taint or just its key)."""
    if isinstance(taint, str):
        taint = ACCELERATOR_TAINTS.get(taint) or Taint(key=taint, value="", effect="NoSchedule")
    return any(tolerates(t, taint.key, taint.value or "", taint.effect) for t in items(tolerations))


def admission_tolerated(resource: str, taint: Taint) -> bool:
    """What ExtendedResourceToleration adds for a requested resource tolerates ``taint``."""
    return resource == taint.key and taint.effect == "NoSchedule"


@stack_policy(
    "CF-K8S-002",
    "accelerator-tolerations",
    types=(*WORKLOADS, JOBSET, INFERENCE_SERVICE),
    description="A workload that requests GPUs, Neuron devices or TPUs tolerates the matching node taint "
    "(nvidia.com/gpu, aws.amazon.com/neuron, google.com/tpu =present:NoSchedule), matched by key, operator, value and "
    "effect as Kubernetes does. On EKS and GKE the API server's ExtendedResourceToleration admission controller adds "
    "the toleration for a requested resource named like the taint; on other clusters the pod template must carry it. "
    "Pod templates of Deployments, Jobs, CronJobs, DaemonSets, JobSets and KServe InferenceServices are read.",
    remediation="Add a toleration `{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}` (or the Neuron/TPU "
    "key) to the pod template.",
)
def accelerator_tolerations(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    managed = bool(view.of_type(*ADMISSION_TOLERATES))
    for workload in view.of_type(*WORKLOADS, JOBSET, INFERENCE_SERVICE):
        missing: set[str] = set()
        for pod in pod_specs(workload.resource_type, workload.props):
            tolerations = get(pod, "tolerations")
            if is_unknown(pod) or is_unknown(tolerations):
                continue
            requested = requested_resources(pod)
            for taint in accelerator_taints(pod):
                if managed and any(admission_tolerated(r, taint) for r in requested):
                    continue
                if not tolerated(tolerations, taint):
                    missing.add(taint.key)
        if missing:
            report(
                f"{workload.name}: requests accelerators but does not tolerate the {', '.join(sorted(missing))} "
                "taint; its pods stay Pending.",
                workload.urn,
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
    if engine_hides_inputs(args.resource_type, args.props):
        return
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


#: EKS AMI type families whose nodes carry an accelerator, and the taint they need.
AMI_TAINTS = {"NVIDIA": NVIDIA_TAINT, "NEURON": NEURON_TAINT}
_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


@resource_policy(
    "CF-K8S-006",
    "accelerator-pool-taint",
    types=(NODE_GROUP,),
    description="An EKS accelerator node group (NVIDIA or Neuron AMI) carries its vendor taint "
    "(`nvidia.com/gpu` / `aws.amazon.com/neuron`, NoSchedule or NoExecute), so system pods and CPU workloads stay "
    "off the expensive nodes. GKE taints its GPU and TPU nodes itself.",
    remediation="Add the taint `{key: nvidia.com/gpu, value: present, effect: NO_SCHEDULE}` (or the Neuron key) to "
    "the node group (clusterforge pools do).",
    spec_field="taints",
)
def accelerator_pool_taint(args: ResourceValidationArgs, report: ReportViolation) -> None:
    ami = get(args.props, "amiType")
    taints = get(args.props, "taints")
    if is_unknown(ami) or is_unknown(taints) or not isinstance(ami, str):
        return
    found = ami_traits(ami)  # the catalog's one reading of an AMI type (AL2_x86_64_GPU too)
    for family, taint in AMI_TAINTS.items():
        if not (found.nvidia if family == "NVIDIA" else found.neuron):
            continue
        keys = {
            get(t, "key")
            for t in items(taints)
            if _EFFECTS.get(str(get(t, "effect"))) in ("NoSchedule", "NoExecute")
        }
        if taint.key not in keys:
            report(f"{args.name}: {ami} nodes without the {taint.key} taint take any pod.", None)
