"""Helm release names and namespaces of a cluster's add-ons: the one rule `up` and `render` share.

The Pulumi program (modules/kubernetes/addons.py) and `clusterforge render` both call
:func:`chart_installs`, so a cluster deployed with `up` and later moved to Argo CD or Flux keeps
the same Helm releases (same names, same namespace) instead of getting a second copy of every
add-on.

The names are the ones `up` has always used — the add-on component's name (``<cluster>-addons``)
and the chart — so releases already installed by `up` are never renamed (a rename would
uninstall and reinstall the add-on, and with it whatever data it holds). A catalog row may name
its main chart's release (istio's gateway: ``istio-ingressgateway``, which Knative selects).

This module imports nothing heavy: `render` uses it without loading Pulumi.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from clusterforge.catalog import _read
from clusterforge.catalog.addons import ResolvedAddon

#: A DNS-1123 label's own limit (RFC 1123 via Kubernetes' IsDNS1123Label): namespaces, and the
#: object names `render` derives (Flux sources).
DNS_LABEL_MAX = 63


@dataclass(frozen=True)
class ChartInstall:
    """One chart (or kustomize path) of an add-on, in install order."""

    #: The add-on it belongs to (``kserve``).
    addon: str
    #: Chart name, or the kustomize path under the add-on's repository.
    chart: str
    #: Pulumi resource name, and the Helm release name unless ``release`` says otherwise.
    resource: str
    #: Helm release name (for kustomize add-ons: the resource name, no Helm release exists).
    release: str
    namespace: str
    version: str
    #: True for the add-on's main chart (the one that gets the add-on's values).
    main: bool


def chart_installs(addon: ResolvedAddon, component: str) -> list[ChartInstall]:
    """The charts of ``addon`` in install order (extra charts first, the main chart last).

    ``component`` is the name of the Pulumi component that installs the add-ons,
    ``<cluster name>-addons`` on every cloud (see :func:`component_name`).
    """
    installs = []
    for extra in addon.facts.extra_charts:
        resource = f"{component}-{extra['chart']}"
        installs.append(
            ChartInstall(
                addon=addon.name,
                chart=extra["chart"],
                resource=resource,
                release=resource,
                namespace=addon.namespace,
                version=addon.version,
                main=False,
            )
        )
    resource = f"{component}-{addon.name}"
    installs.append(
        ChartInstall(
            addon=addon.name,
            chart=addon.facts.chart,
            resource=resource,
            release=addon.facts.release or resource,
            namespace=addon.namespace,
            version=addon.version,
            main=True,
        )
    )
    return installs


def component_name(cluster_name: str) -> str:
    """The add-on component's name: ``<cluster>-addons`` (the prefix of every release name)."""
    return f"{cluster_name}-addons"


@dataclass(frozen=True)
class ReleaseNameLimit:
    """Helm's limit on release names (``helm install`` refuses a longer one, dry runs included)."""

    max_length: int
    source: str


@functools.cache
def release_name_limit() -> ReleaseNameLimit:
    data = _read("common", "helm.json")
    tags = ", ".join(f"{tag} @{commit[:8]}" for tag, commit in data["refs"].items())
    return ReleaseNameLimit(int(data["release_name_max"]), f"{data['repo']} {tags}")


def helm_releases(addons: Iterable[ResolvedAddon], cluster_name: str) -> list[ChartInstall]:
    """Every Helm release `up` and `render` create for ``addons`` (kustomize add-ons have none)."""
    component = component_name(cluster_name)
    return [
        install
        for addon in addons
        if addon.facts.kind == "helm"
        for install in chart_installs(addon, component)
    ]


@dataclass(frozen=True)
class ClusterNameBudget:
    """How long the cluster name may be so that every Helm release named after it fits Helm's
    limit: NAME001 reports a longer name, ADD015 what no shorter name fixes."""

    #: The longest cluster name whose releases all fit (below 1: no name fits; leave out
    #: :attr:`longest`'s add-on).
    max_length: int
    #: The release that sets the budget (the longest one named after the cluster), if any.
    longest: ChartInstall | None
    limit: ReleaseNameLimit


def cluster_name_budget(addons: Iterable[ResolvedAddon], cluster_name: str) -> ClusterNameBudget:
    """The cluster-name budget of ``addons`` (:class:`ClusterNameBudget`), from the release names
    :func:`helm_releases` gives: a catalog row's fixed release name does not depend on it."""
    limit = release_name_limit()
    named = [r for r in helm_releases(addons, cluster_name) if r.release == r.resource]
    if not named:
        return ClusterNameBudget(limit.max_length, None, limit)
    longest = max(named, key=lambda r: len(r.release))
    suffix = len(longest.release) - len(cluster_name)
    return ClusterNameBudget(limit.max_length - suffix, longest, limit)
