"""Add-on rules: known names and versions, prerequisites and conflicts, what the tool adds itself,
and the existing-cluster (`cloud: kubernetes`) declarations."""

from __future__ import annotations

import re
from collections.abc import Iterator

from clusterforge.catalog.addons import (
    autoscaler_image_tag,
    chart_values_facts,
    closest_values_path,
    unknown_values,
)
from clusterforge.catalog.addons import catalog as addon_catalog
from clusterforge.catalog.gcp_network import uses_network_profile
from clusterforge.catalog.gpudirect import (
    dranet_pod,
    gpudirect_set,
    network_object_prefixes,
    pod_network_names,
)
from clusterforge.catalog.releases import DNS_LABEL_MAX, cluster_name_budget, helm_releases
from clusterforge.findings import Finding, Severity
from clusterforge.spelling import close_names, did_you_mean
from clusterforge.validate.registry import Context, rule
from clusterforge.validate.rules._util import name_problem

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
            did_you_mean(close_names(name, known, 2)) or f"known: {', '.join(known)}",
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


@rule("ADD005", "The NVIDIA GPU stack is the one the platform documents")
def gpu_operator_drivers(ctx: Context) -> Iterator[Finding]:
    """EKS: the AL2023 NVIDIA AMI has driver and toolkit. GKE: clusterforge uses GKE's own stack
    (GKE installs the driver, runs its device plugin and exports DCGM metrics through Cloud
    Monitoring). NVIDIA's GKE guide for the operator needs node pools without GKE's driver
    (gpu-driver-version=disabled) and GKE's device plugin turned off by node label — which also
    takes away what Google's GPUDirect installers and managed DCGM rely on; Google recommends
    GKE's GPU management (kubernetes-engine/docs/how-to/gpu-operator) — so it is refused
    (docs/addons-upstream.md)."""
    operator = ctx.resolved.addon("gpu-operator")
    exporter = ctx.resolved.addon("dcgm-exporter")
    if ctx.cluster.cloud == "gcp":
        for addon in (a for a in (operator, exporter) if a is not None):
            yield ctx.finding(
                addon.path,
                f"{addon.name} does not run on GKE as clusterforge builds it: GKE installs the NVIDIA "
                "driver, runs its own device plugin and exports DCGM GPU metrics itself (clusterforge "
                "turns on the cluster's managed DCGM metrics for GPU pools)",
                f"drop {addon.name}: GPU metrics arrive in Cloud Monitoring / Managed Prometheus",
            )
        return
    if operator is None:
        return
    found = _declared(ctx, "gpu-operator")
    path = f"addons[{found[0]}]" if found else "addons"
    if ctx.cluster.cloud == "aws":
        # docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/amazon-eks.html (checked
        # 2026-12-03): on EKS-optimized AMIs NVIDIA documents the device plugin, not the operator.
        yield ctx.finding(
            path,
            "NVIDIA's EKS guide runs the GPU Operator on node groups with an OS it supports; on the EKS "
            "AL2023 NVIDIA AMI (driver and toolkit preinstalled) it documents the NVIDIA device plugin "
            "instead: clusterforge runs the operator with driver and toolkit off",
            "drop gpu-operator to get the device plugin (implied for NVIDIA pools), unless you need "
            "its MIG manager, DCGM or GPUDirect RDMA parts",
            severity=Severity.INFO,
        )
    driver = (operator.values.get("driver") or {}).get("enabled")
    if ctx.cluster.cloud == "aws" and driver:
        yield ctx.finding(
            f"{path}.values.driver.enabled",
            "the EKS AL2023 NVIDIA AMI already ships the NVIDIA driver: a second driver from the operator fails to load",
            "leave driver.enabled unset (clusterforge turns it off on EKS)",
            severity=Severity.WARNING,
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
        problem = name_problem(namespace, limit=DNS_LABEL_MAX)
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
    """clusterforge installs charts with the Kubernetes provider, which talks to the API server.
    Only a private-only endpoint needs saying (with both off, K8S002 reports a cluster nothing can
    reach). The finding points at what the user wrote that causes it: their endpoint setting, else
    the first add-on they listed, else their `kubernetes` block, else the pools that imply the
    add-ons (device plugins, CSI drivers) — never the document's first line."""
    k8s = ctx.cluster.kubernetes
    addons = ctx.resolved.addons
    if not addons or k8s.endpoint_public_access or not k8s.private_endpoint:
        return
    listed = next((a for a in addons if a.index is not None), None)
    if (
        "endpoint_public_access" in k8s.model_fields_set
        or "private_endpoint" in k8s.model_fields_set
    ):
        path = "kubernetes.endpoint_public_access"
        if "endpoint_public_access" not in k8s.model_fields_set:
            path = "kubernetes.private_endpoint"
    elif listed is not None:
        path = listed.path
    elif "kubernetes" in ctx.cluster.model_fields_set:
        path = "kubernetes"
    else:  # every add-on is implied by the pools or the storage (device plugins, CSI drivers)
        path = "node_pools"
    plural = len(addons) != 1
    names = ", ".join(a.name for a in addons[:3]) + (", ..." if len(addons) > 3 else "")
    yield ctx.finding(
        path,
        f"{len(addons)} add-on{'s' if plural else ''} ({names}) {'are' if plural else 'is'} "
        "installed through the private API endpoint: `up` must run where "
        "the cluster's network is reachable (a VPN, a bastion, a CI runner in the network)",
        "or set kubernetes.endpoint_public_access: true with public_access_cidrs for your CI runners",
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


@rule("ADD012", "Chart values are keys the pinned chart has", severity=Severity.WARNING)
def unknown_values_keys(ctx: Context) -> Iterator[Finding]:
    """A misspelt or removed values key is ignored by Helm without a word: say so, with the
    nearest key of that chart version (facts extracted from its values.yaml)."""
    for addon in ctx.resolved.addons:
        if addon.index is None or not addon.values:
            continue
        facts = chart_values_facts(addon.facts.chart, addon.version)
        if facts is None:
            continue  # ADD013 says the version cannot be checked
        for key in unknown_values(facts, addon.values):
            near = closest_values_path(facts, key)
            yield ctx.finding(
                f"{addon.path}.values.{key}",
                f"{addon.facts.chart} {addon.version} has no value {key!r} (Helm ignores it)",
                did_you_mean([near]) if near else f"see the chart's values.yaml at {facts.ref}",
            )


@rule("ADD013", "Pinned versions are ones clusterforge has checked", severity=Severity.WARNING)
def unchecked_versions(ctx: Context) -> Iterator[Finding]:
    for addon in ctx.resolved.addons:
        if addon.index is not None and addon.version != addon.facts.version:
            if addon.facts.kind == "helm" and chart_values_facts(addon.facts.chart, addon.version):
                continue
            yield ctx.finding(
                f"{addon.path}.version",
                f"{addon.name} {addon.version} is not a version clusterforge has checked upstream "
                f"(pinned: {addon.facts.version}): its values cannot be checked offline",
                f"make sure {addon.facts.repo} publishes {addon.version}, or drop version: to use "
                f"{addon.facts.version}",
            )
    autoscaler = ctx.resolved.addon("cluster-autoscaler")
    if autoscaler is not None and not autoscaler_image_tag(
        autoscaler, ctx.cluster.kubernetes.version
    ):
        yield ctx.finding(
            "kubernetes.version",
            f"no cluster-autoscaler release is recorded for Kubernetes {ctx.cluster.kubernetes.version}: "
            "the chart's default image may not match the cluster",
            f"known minors: {', '.join(sorted(autoscaler.facts.image_by_minor))}; or set values.image.tag",
        )


@rule(
    "ADD014",
    "GPUDirect pools: what a training pod must declare",
    severity=Severity.INFO,
    clouds=("gcp",),
)
def gpudirect_pod_needs(ctx: Context) -> Iterator[Finding]:
    """clusterforge installs the fabric's installer set; the pods' side comes from Google's NCCL
    test manifests at the same commit (catalog gpudirect.json). The networks a pod lists are the
    names the component gives this pool's objects (a second pool of a fabric has its own, prefixed
    names); the GPUs are the pool's; a DRANET pool (GKE builds its NICs) claims them through DRA."""
    prefixes = network_object_prefixes(ctx.resolved.pools)
    for pool in ctx.resolved.pools:
        found = gpudirect_set(pool.fabric)
        if found is None or pool.offering is None or not pool.offering.is_nvidia:
            continue
        gpus = pool.offering.accelerator_count
        if uses_network_profile(pool):
            dra = dranet_pod()
            notes = "; ".join(f"{k}: {v}" for k, v in dra.annotations.items())
            yield ctx.finding(
                f"{pool.path}.fabric",
                f"pods on {pool.name} ({pool.instance_type}, NICs built by GKE through DRANET) need "
                f"the annotation {notes}; a resource claim {dra.resource_claim!r} from a "
                f"ResourceClaimTemplate ({dra.resource_claim_template!r} in Cluster Toolkit; "
                f"clusterforge does not create it) instead of networking.gke.io/interfaces; and "
                f"nvidia.com/gpu: {gpus} per node",
                f"copy the pod from Cluster Toolkit's examples/gke-a4x/nccl-jobset-example.yaml "
                f"@ {dra.commit[:8]}; see the README section on GPUDirect pods",
            )
            continue
        if pool.name not in prefixes:
            continue  # no NIC networks for this pool (no zone): nothing to list
        networks = ", ".join(pod_network_names(pool, prefixes[pool.name]))
        needs = [
            "networking.gke.io/default-interface: eth0",
            f"networking.gke.io/interfaces listing default, {networks}",
        ]
        needs += [
            a + " (device paths, served by the NRI device injector)"
            for a in found.pod_annotations
            if a.startswith("devices.gke.io/")
        ]
        sidecar = f"; the rxdm sidecar {found.rxdm_image}" if found.rxdm_image else ""
        yield ctx.finding(
            f"{pool.path}.fabric",
            f"pods on {pool.name} ({pool.fabric}) need the annotations {'; '.join(needs)}"
            f"{sidecar}; and nvidia.com/gpu: {gpus} per node",
            f"copy the pod from Google's {found.source}; see the README section on GPUDirect pods",
        )


@rule("ADD015", "Helm release names fit Helm's limit", clouds=("aws", "gcp", "kubernetes"))
def release_name_length(ctx: Context) -> Iterator[Finding]:
    """Release names are ``<name>-addons-<add-on>`` (catalog/releases.py, the names `up` and
    `render` use); Helm refuses one longer than its limit, so `up` would fail halfway."""
    budget = cluster_name_budget(ctx.resolved.addons, ctx.cluster.name)  # NAME001's too
    limit = budget.limit
    releases = helm_releases(ctx.resolved.addons, ctx.cluster.name)
    too_long = [r for r in releases if len(r.release) > limit.max_length]
    if not too_long:
        return
    # A release named after the cluster fits once the name is within the budget (below 1: no
    # name fits); a catalog row's fixed release name does not change with the cluster name.
    fixed = [r for r in too_long if r.release != r.resource]
    hints = []
    if len(fixed) < len(too_long):
        if budget.max_length >= 1:
            hints.append(f"shorten name to at most {budget.max_length} characters")
        elif budget.longest is not None:
            hints.append(f"leave out {budget.longest.addon} (no cluster name is short enough)")
    hints += [
        f"leave out {r.addon}: its release name {r.release} does not depend on the cluster name"
        for r in fixed
    ]
    listed = ", ".join(f"{r.release} ({len(r.release)})" for r in too_long[:3])
    more = f" and {len(too_long) - 3} more" if len(too_long) > 3 else ""
    yield ctx.finding(
        "name",
        f"Helm release names longer than Helm's limit of {limit.max_length} characters "
        f"({limit.source}: maxReleaseNameLen): {listed}{more}; `up` would fail installing them",
        "; ".join(hints),
    )
