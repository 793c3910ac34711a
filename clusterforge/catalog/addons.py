"""Kubernetes add-ons: the pinned chart/manifest catalog (``data/addons.json``) and the resolver
that decides which add-ons a cluster gets, in which order.

An add-on is installed when the stack lists it, or when something in the stack needs it (the EFA
device plugin for an EFA pool, the FSx CSI driver for an FSx file system, ...). Such an implied
add-on carries the reason, the plan shows it, and ``{name: X, enabled: false}`` turns it off.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clusterforge.catalog import _read
from clusterforge.catalog.ami import traits
from clusterforge.spelling import close_names

if TYPE_CHECKING:
    # Only a type here: resolve() runs resolve_addons over the pools and storage it resolved, so
    # at run time the import points one way, resolve -> addons (tests/test_layering.py).
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
    #: Where the pin was verified: repo, ref (tag or commit), commit, date (tools/upstream_facts.py).
    upstream: dict[str, Any] = field(default_factory=dict)
    #: cluster-autoscaler: Kubernetes minor -> the autoscaler image tag released for it.
    image_by_minor: dict[str, str] = field(default_factory=dict)
    #: kueue: cloud -> {name, levels, source} of the Kueue Topology built from the node labels
    #: the cloud sets.
    topologies: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: neuron-device-plugin: accelerator -> default logical NeuronCore configuration (LNC).
    logical_core_config: dict[str, int] = field(default_factory=dict)
    #: The oldest Kubernetes minor the add-on runs on (aws-dranet: 1.34), None when unstated;
    #: its source is the row's ``min_kubernetes_source``.
    min_kubernetes: str | None = None

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
            upstream=dict(row.get("upstream", {})),
            image_by_minor={
                k: v for k, v in row.get("image_by_minor", {}).items() if k != "source"
            },
            topologies=dict(row.get("topologies", {})),
            logical_core_config={
                k: int(v) for k, v in row.get("logical_core_config", {}).items() if k != "source"
            },
            min_kubernetes=row.get("min_kubernetes"),
        )
        for name, row in data["addons"].items()
    }


# ------------------------------------------------------------------- chart values facts


@dataclass(frozen=True)
class ChartValues:
    """The values paths one chart version has (extracted by tools/upstream_facts.py)."""

    chart: str
    version: str
    repo: str
    ref: str
    paths: frozenset[str]
    #: Paths under which anything goes: scalars, lists, empty or free-form maps.
    leaves: frozenset[str]
    #: Top-level keys that are subcharts' values (not extracted: checked only for the key).
    subcharts: frozenset[str]


@functools.cache
def chart_values_facts(chart: str, version: str) -> ChartValues | None:
    """The values facts of ``chart`` at ``version``, or None when clusterforge has none."""
    data = _read("chart_values", f"{chart}-{version.lstrip('v')}.json", required=False)
    if not data:
        return None
    return ChartValues(
        chart=data["chart"],
        version=data["version"],
        repo=data["repo"],
        ref=data["ref"],
        paths=frozenset(data["paths"]),
        leaves=frozenset(data["leaves"]),
        subcharts=frozenset(data.get("subcharts", ())),
    )


def unknown_values(facts: ChartValues, values: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of ``values`` that the chart does not have (a path stops at a chart leaf)."""
    unknown: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if not prefix and str(key) in facts.subcharts:
            continue  # a subchart's values: the subchart's own values.yaml is not extracted
        if path not in facts.paths:
            unknown.append(path)
            continue
        if path in facts.leaves or not isinstance(value, dict):
            continue
        unknown += unknown_values(facts, value, f"{path}.")
    return unknown


def closest_values_path(facts: ChartValues, path: str) -> str | None:
    """The chart's path nearest to a misspelt ``path`` (same parent first), for a did-you-mean."""
    parent, _, last = path.rpartition(".")
    siblings = [p.rpartition(".")[2] for p in facts.paths if p.rpartition(".")[0] == parent]
    match = close_names(last, siblings)
    if match:
        return f"{parent}.{match[0]}" if parent else match[0]
    anywhere = close_names(path, sorted(facts.paths))
    return anywhere[0] if anywhere else None


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


def autoscaler_image_tag(addon: ResolvedAddon, kubernetes_version: str) -> str | None:
    """The cluster-autoscaler image released for the cluster's minor (None when unknown)."""
    minor = ".".join(kubernetes_version.split(".")[:2])
    return addon.facts.image_by_minor.get(minor)


def advertised_neuron_cores(accelerator: str | None, physical_cores: int) -> int:
    """NeuronCores the Neuron device plugin advertises (``aws.amazon.com/neuroncore``) on a node
    with ``physical_cores``: logical cores at the accelerator's default LNC (Trn2: 2)."""
    lnc = catalog()["neuron-device-plugin"].logical_core_config.get(accelerator or "", 1)
    return physical_cores // lnc


def kueue_topology(cloud: str) -> dict[str, Any] | None:
    """{name, levels} of the Kueue Topology for the node labels ``cloud`` sets, or None."""
    return catalog()["kueue"].topologies.get(cloud)
