"""Kubernetes add-ons: the pinned chart/manifest catalog (``data/addons.json``) and the resolver
that decides which add-ons a cluster gets, in which order.

An add-on is installed when the stack lists it, or when something in the stack needs it (the EFA
device plugin for an EFA pool, the FSx CSI driver for an FSx file system, ...). Such an implied
add-on carries the reason, the plan shows it, and ``{name: X, enabled: false}`` turns it off.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from clusterforge.catalog import _read
from clusterforge.catalog.ami import traits
from clusterforge.catalog.resolve import ResolvedCluster

#: Helm's own engine runs chart hooks; pulumi-kubernetes' Chart v4 renders templates and drops them.
RELEASE, CHART, KUSTOMIZE = "helm-release", "helm-chart", "kustomize"


@dataclass(frozen=True)
class AddonFacts:
    """One catalog row: where the add-on comes from and how it is installed."""

    name: str
    description: str
    kind: str
    repo: str
    chart: str
    version: str
    namespace: str
    #: RELEASE when the chart needs Helm hooks, CHART otherwise, KUSTOMIZE for manifest sets.
    engine: str
    engine_why: str
    requires: tuple[str, ...] = ()
    clouds: tuple[str, ...] = ("aws", "gcp", "kubernetes")
    source: str = ""
    #: Further charts installed before this one, in order (kserve: kserve-crd first).
    extra_charts: tuple[dict[str, str], ...] = ()
    #: Helm release name of the main chart when it matters (istio's gateway: istio-ingressgateway).
    release: str | None = None

    @property
    def is_oci(self) -> bool:
        return self.repo.startswith("oci://")


@dataclass(frozen=True)
class ResolvedAddon:
    facts: AddonFacts
    version: str
    namespace: str
    mode: str | None
    values: dict[str, Any] = field(default_factory=dict)
    #: Why the tool added it (None when the stack lists it).
    reason: str | None = None
    #: Index in the spec's `addons` list (None when implied).
    index: int | None = None
    requires: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.facts.name

    @property
    def path(self) -> str:
        return f"addons[{self.index}]" if self.index is not None else "addons"


@functools.cache
def catalog() -> dict[str, AddonFacts]:
    data = _read("common", "addons.json")
    return {
        name: AddonFacts(
            name=name,
            description=row["description"],
            kind=row["kind"],
            repo=row["repo"],
            chart=row["chart"],
            version=row["version"],
            namespace=row["namespace"],
            engine=row["engine"],
            engine_why=row["engine_why"],
            requires=tuple(row.get("requires", ())),
            clouds=tuple(row.get("clouds", ("aws", "gcp", "kubernetes"))),
            source=row.get("source", ""),
            extra_charts=tuple(row.get("extra_charts", ())),
            release=row.get("release"),
        )
        for name, row in data["addons"].items()
    }


def implied(resolved: ResolvedCluster, declared: dict[str, Any]) -> dict[str, str]:
    """Add-ons the cluster needs that the stack did not list: name -> reason."""
    spec = resolved.spec
    needs: dict[str, str] = {}
    pools = resolved.pools
    efa = [p.name for p in pools if p.fabric == "efa"]
    if efa:
        needs["efa-device-plugin"] = f"pool {efa[0]} uses EFA: pods request vpc.amazonaws.com/efa"
    neuron = [p.name for p in pools if p.offering is not None and p.offering.is_neuron]
    if neuron:
        needs["neuron-device-plugin"] = (
            f"pool {neuron[0]} has AWS Neuron devices: pods request aws.amazon.com/neuroncore"
        )
    nvidia = [
        p.name
        for p in pools
        if p.offering is not None
        and p.offering.is_nvidia
        and not traits(p.ami_type or "").ships_nvidia_device_plugin  # Bottlerocket NVIDIA
    ]
    if (
        spec.cloud == "aws"
        and nvidia
        and not {"gpu-operator", "nvidia-device-plugin"} & set(declared)
    ):
        needs["nvidia-device-plugin"] = (
            f"pool {nvidia[0]} runs the EKS AL2023 NVIDIA AMI, which ships the driver and container toolkit "
            "but not the Kubernetes device plugin"
        )
    scaled = [p.name for p in pools if p.min_size != p.max_size]
    if spec.cloud == "aws" and scaled:
        needs["cluster-autoscaler"] = (
            f"pool {scaled[0]} autoscales, and EKS does not scale managed node groups by itself"
        )
    fsx = [s.name for s in resolved.storage if s.service == "fsx-lustre"]
    if fsx:
        needs["fsx-csi-driver"] = f"FSx for Lustre {fsx[0]} is mounted through the FSx CSI driver"
    kserve = declared.get("kserve")
    if kserve is not None and kserve.enabled:
        needs["cert-manager"] = "KServe's webhooks need cert-manager certificates"
        if (kserve.mode or "standard") == "knative":
            needs["istio"] = "KServe Knative mode routes through Istio"
            needs["knative-serving"] = "KServe Knative mode runs on Knative Serving"
    network_operator = declared.get("network-operator")
    if network_operator is not None and network_operator.enabled:
        needs["gpu-operator"] = (
            "the Network Operator's RDMA devices need the GPU Operator with GPUDirect RDMA"
        )
    return {name: why for name, why in needs.items() if name not in declared}


def resolve_addons(resolved: ResolvedCluster) -> tuple[list[ResolvedAddon], list[tuple[int, str]]]:
    """The add-ons to install, dependencies first, and the (index, name) of unknown ones."""
    known = catalog()
    declared = {a.name: a for a in resolved.spec.addons}
    unknown = [(i, a.name) for i, a in enumerate(resolved.spec.addons) if a.name not in known]
    chosen: dict[str, ResolvedAddon] = {}
    # What the cluster itself needs (device plugins, CSI drivers, prerequisites) goes first.
    for name, reason in implied(resolved, declared).items():
        if name in known:
            needed = known[name]
            chosen[name] = ResolvedAddon(
                facts=needed,
                version=needed.version,
                namespace=needed.namespace,
                mode=None,
                reason=reason,
            )
    for index, addon in enumerate(resolved.spec.addons):
        facts = known.get(addon.name)
        if facts is None or not addon.enabled:
            continue
        chosen[addon.name] = ResolvedAddon(
            facts=facts,
            version=addon.version or facts.version,
            namespace=addon.namespace or facts.namespace,
            mode=addon.mode,
            values=dict(addon.values),
            index=index,
        )
    ordered = _dependency_order(chosen)
    return ordered, unknown


def _dependency_order(chosen: dict[str, ResolvedAddon]) -> list[ResolvedAddon]:
    """Stable topological order: every add-on after the chosen add-ons it requires."""
    result: list[ResolvedAddon] = []
    placed: set[str] = set()

    def place(name: str, trail: tuple[str, ...]) -> None:
        if name in placed or name not in chosen or name in trail:
            return
        addon = chosen[name]
        for dependency in addon.facts.requires:
            place(dependency, (*trail, name))
        placed.add(name)
        requires = tuple(d for d in addon.facts.requires if d in chosen)
        result.append(ResolvedAddon(**{**addon.__dict__, "requires": requires}))

    for name in chosen:
        place(name, ())
    return result


@functools.cache
def images() -> dict[str, dict[str, str]]:
    """Container images clusterforge itself references in generated objects (NicClusterPolicy)."""
    return {
        k: v
        for k, v in _read("common", "addons.json").get("images", {}).items()
        if isinstance(v, dict)
    }
