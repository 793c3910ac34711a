"""Add-on rules: known names and versions, prerequisites and conflicts, what the tool adds itself,
and the existing-cluster (`cloud: kubernetes`) declarations."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from clusterforge.catalog.addons import catalog as addon_catalog
from clusterforge.findings import Finding, Severity
from clusterforge.validate.registry import Context, rule
from clusterforge.validate.rules._util import did_you_mean, name_problem

VERSION = re.compile(r"^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?$")
KSERVE_MODES = ("standard", "knative")
NETWORK_OPERATOR_MODES = ("rdma-shared", "sriov")


def _declared(ctx: Context, name: str) -> tuple[int, bool] | None:
    """(index, enabled) of an add-on the stack lists."""
    for i, addon in enumerate(ctx.cluster.addons):
        if addon.name == name:
            return i, addon.enabled
    return None


@rule("ADD001", "Add-on names are ones clusterforge knows")
def unknown_addon(ctx: Context) -> Iterator[Finding]:
    known = sorted(addon_catalog())
    for index, name in ctx.resolved.unknown_addons:
        yield ctx.finding(
            f"addons[{index}].name",
            f"unknown add-on {name!r}",
            did_you_mean(difflib.get_close_matches(name, known, n=2))
            or f"known: {', '.join(known)}",
        )


@rule("ADD002", "Add-on versions and modes are well formed")
def addon_versions(ctx: Context) -> Iterator[Finding]:
    for i, addon in enumerate(ctx.cluster.addons):
        if addon.version is not None and not VERSION.match(addon.version):
            yield ctx.finding(
                f"addons[{i}].version",
                f"{addon.version!r} is not a version",
                "write it as 1.2.3 or v1.2.3",
            )
        allowed = {"kserve": KSERVE_MODES, "network-operator": NETWORK_OPERATOR_MODES}.get(
            addon.name
        )
        if addon.mode is not None and (allowed is None or addon.mode not in allowed):
            hint = f"modes: {', '.join(allowed)}" if allowed else f"{addon.name} has no modes"
            yield ctx.finding(f"addons[{i}].mode", f"{addon.name} has no mode {addon.mode!r}", hint)


@rule("ADD003", "Add-ons the tool adds itself are said out loud", severity=Severity.INFO)
def implied_addons(ctx: Context) -> Iterator[Finding]:
    for addon in ctx.resolved.addons:
        if addon.reason:
            yield ctx.finding(
                "addons",
                f"adds {addon.name} {addon.version}: {addon.reason}",
                f"turn it off with {{name: {addon.name}, enabled: false}}",
            )


@rule("ADD004", "A prerequisite the stack turned off is still needed")
def disabled_prerequisite(ctx: Context) -> Iterator[Finding]:
    needs = {
        "efa-device-plugin": any(p.fabric == "efa" for p in ctx.resolved.pools),
        "fsx-csi-driver": any(s.service == "fsx-lustre" for s in ctx.resolved.storage),
        "neuron-device-plugin": any(
            p.offering is not None and p.offering.is_neuron for p in ctx.resolved.pools
        ),
    }
    kserve = ctx.resolved.addon("kserve")
    if kserve is not None:
        needs["cert-manager"] = True
        if (kserve.mode or "standard") == "knative":
            needs["istio"] = needs["knative-serving"] = True
    for name, needed in needs.items():
        found = _declared(ctx, name)
        if needed and found is not None and not found[1]:
            severity = (
                Severity.ERROR
                if name in ("cert-manager", "istio", "knative-serving")
                else Severity.WARNING
            )
            yield ctx.finding(
                f"addons[{found[0]}].enabled",
                f"{name} is turned off but the stack needs it",
                "install it another way before workloads run, or turn it back on",
                severity=severity,
            )


@rule(
    "ADD005",
    "The GPU Operator does not fight drivers the nodes already have",
    severity=Severity.WARNING,
)
def gpu_operator_drivers(ctx: Context) -> Iterator[Finding]:
    found = _declared(ctx, "gpu-operator")
    addon = ctx.resolved.addon("gpu-operator")
    if addon is None:
        return
    path = f"addons[{found[0]}]" if found else "addons"
    driver = (addon.values.get("driver") or {}).get("enabled")
    if ctx.cluster.cloud == "aws" and driver:
        yield ctx.finding(
            f"{path}.values.driver.enabled",
            "the EKS AL2023 NVIDIA AMI already ships the NVIDIA driver: a second driver from the operator fails to load",
            "leave driver.enabled unset (clusterforge turns it off on EKS)",
        )
    if ctx.cluster.cloud == "gcp":
        yield ctx.finding(
            path,
            "GKE installs the NVIDIA driver and runs its own device plugin: the GPU Operator runs with driver, toolkit "
            "and device plugin off (monitoring and feature discovery only)",
            "drop gpu-operator on GKE unless you need its other components",
        )


@rule("ADD006", "Device-plugin add-ons have devices to serve", severity=Severity.WARNING)
def plugin_without_devices(ctx: Context) -> Iterator[Finding]:
    checks = {
        "efa-device-plugin": (
            any(p.fabric == "efa" for p in ctx.resolved.pools),
            "no pool uses EFA",
        ),
        "neuron-device-plugin": (
            any(p.offering is not None and p.offering.is_neuron for p in ctx.resolved.pools),
            "no pool has Neuron devices",
        ),
        "network-operator": (
            any(p.fabric in ("infiniband", "rdma") for p in ctx.resolved.pools),
            "no pool has an RDMA-capable fabric (infiniband or rdma)",
        ),
        "nvidia-device-plugin": (
            any(p.offering is not None and p.offering.is_nvidia for p in ctx.resolved.pools),
            "no pool has NVIDIA GPUs",
        ),
    }
    for name, (has_devices, why) in checks.items():
        found = _declared(ctx, name)
        if found is not None and found[1] and not has_devices:
            yield ctx.finding(
                f"addons[{found[0]}].name", f"{name} is listed but {why}", f"drop {name}"
            )


@rule("ADD007", "Add-ons that conflict are not installed together")
def conflicts(ctx: Context) -> Iterator[Finding]:
    pairs = (
        (
            "kubeflow-trainer",
            "jobset",
            "Kubeflow Trainer v2 installs JobSet itself; a second JobSet controller conflicts",
        ),
        (
            "gpu-operator",
            "nvidia-device-plugin",
            "the GPU Operator runs its own device plugin; two plugins double-advertise GPUs",
        ),
    )
    for first, second, why in pairs:
        a, b = _declared(ctx, first), _declared(ctx, second)
        if a and b and a[1] and b[1]:
            if first == "gpu-operator" and ctx.cluster.cloud == "gcp":
                continue  # on GKE the operator's device plugin is off
            yield ctx.finding(
                f"addons[{b[0]}].name", f"{second} together with {first}: {why}", f"drop {second}"
            )


@rule("ADD008", "An add-on is available where the stack runs")
def addon_cloud(ctx: Context) -> Iterator[Finding]:
    for addon in ctx.resolved.addons:
        if ctx.cluster.cloud not in addon.facts.clouds:
            yield ctx.finding(
                addon.path,
                f"{addon.name} is for {', '.join(addon.facts.clouds)}, not {ctx.cluster.cloud}",
                f"drop {addon.name}",
            )


@rule("ADD009", "Team namespaces are valid and distinct")
def team_namespaces(ctx: Context) -> Iterator[Finding]:
    seen: set[str] = set()
    for i, namespace in enumerate(ctx.cluster.namespaces):
        problem = name_problem(namespace, limit=63)
        if problem:
            yield ctx.finding(
                f"namespaces[{i}]",
                f"namespace {namespace!r} {problem}",
                "use a DNS-1123 label such as 'research'",
            )
        elif namespace in seen:
            yield ctx.finding(
                f"namespaces[{i}]", f"namespace {namespace!r} is listed twice", "list each once"
            )
        elif namespace.startswith("kube-"):
            yield ctx.finding(
                f"namespaces[{i}]", f"{namespace!r} is reserved for Kubernetes", "pick a team name"
            )
        seen.add(namespace)


@rule(
    "KUB001",
    "An existing cluster names its context and how to find each pool's nodes",
    clouds=("kubernetes",),
)
def existing_cluster(ctx: Context) -> Iterator[Finding]:
    if not ctx.cluster.kubernetes.context:
        yield ctx.finding(
            "kubernetes.context",
            "cloud: kubernetes needs the kubeconfig context of the cluster",
            "add kubernetes: {context: my-cluster}",
        )
    for pool in ctx.resolved.pools:
        if not pool.spec.node_selector:
            yield ctx.finding(
                f"{pool.path}.node_selector",
                "an existing cluster's pool needs the labels that select its nodes",
                "add node_selector: {nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3} (or your own pool label)",
            )
        if pool.spec.accelerator and pool.offering is None and not pool.spec.accelerators_per_node:
            yield ctx.finding(
                f"{pool.path}.accelerators_per_node",
                "say how many accelerators each node has (quotas count them)",
                "e.g. accelerators_per_node: 8",
            )


@rule(
    "ADD010",
    "Add-ons are installed through the API endpoint: say how it is reached",
    severity=Severity.INFO,
    clouds=("aws", "gcp"),
)
def addons_through_private_endpoint(ctx: Context) -> Iterator[Finding]:
    """clusterforge installs charts with the Kubernetes provider, which talks to the API server."""
    k8s = ctx.cluster.kubernetes
    if ctx.resolved.addons and not k8s.endpoint_public_access:
        yield ctx.finding(
            "kubernetes.endpoint_public_access",
            f"{len(ctx.resolved.addons)} add-ons are installed through the private API endpoint: `up` must run "
            "where the VPC is reachable (a VPN, a bastion, a runner in the VPC)",
            "or set endpoint_public_access: true with public_access_cidrs for your CI runners",
        )


@rule("ADD011", "Each add-on is listed once")
def duplicate_addons(ctx: Context) -> Iterator[Finding]:
    seen: set[str] = set()
    for i, addon in enumerate(ctx.cluster.addons):
        if addon.name in seen:
            yield ctx.finding(
                f"addons[{i}].name",
                f"{addon.name} is listed twice",
                "merge the two entries into one",
            )
        seen.add(addon.name)
