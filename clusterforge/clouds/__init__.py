"""One profile per cloud: what the core asks of a cloud, as data, instead of ``cloud ==`` branches.

A :class:`CloudProfile` says what a cloud is called, where a stack without a region is planned,
what its zones look like, what it calls a tight placement (AWS ``cluster`` placement groups,
GCP ``COMPACT`` placement policies), which fabrics, capacity types and storage services
clusterforge builds there, the provider settings a stack gets from its spec and the CLI choices
it appears in. The values live in
``clusterforge/catalog/data/common/clouds.json``; :func:`profile` and :data:`CLOUDS` are what
resolve, validation, the engine, the CLI and the report read.

What is code rather than data (the command that fetches a cluster's credentials, the prices of a
cloud's managed services, the CI login steps) is a hook: a function in the cloud's own module
``clusterforge/clouds/<cloud>.py`` that the profile names as ``module:function`` (as it names
``module:Class`` of the top component). :data:`HOOKS` lists those every profile names,
:data:`OPTIONAL_HOOKS` those a profile may leave out (its caller's default then holds); the
callers reach them only through :meth:`CloudProfile.hook` and :meth:`CloudProfile.optional_hook`.
A hook module sits at the level of its lowest caller (cost, level 3): it imports the catalog layer
and this package, never its callers (tests/test_layering.py counts each hook named in clouds.json
as an import by its caller).

A branch about one cloud's own facts (the AWS reservation-id format, EC2 usage classes, what an
empty GKE authorized-networks list means) stays in that cloud's rule or catalog module.

Adding a cloud: a profile entry in ``clouds.json``, the cloud's name in the spec's ``Cloud``
literal, its catalog folder under ``catalog/data/<cloud>/``, its ``modules/<cloud>/`` folder
whose top component the profile names and its hooks module ``clusterforge/clouds/<cloud>.py``
(README, "Architecture"; tests/test_clouds.py checks that every profile names every required
hook, and that each hook named exists with its parameters).
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The hooks every profile names (``module:function``), each with the parameters it takes:
#:
#: - ``github_login(region, step)``: the GitHub Actions job condition that says credentials are
#:   configured and the steps that log in (``region``: the stack's, :func:`region_of`;
#:   ``step(action, name, **with)`` makes a pinned action step; workflow/ci.py);
#: - ``gitlab_login()``: the GitLab rule variable that says credentials are configured, the
#:   script lines that log in and the job's ``id_tokens`` (workflow/ci.py).
HOOKS: dict[str, tuple[str, ...]] = {
    "github_login": ("region", "step"),
    "gitlab_login": (),
}

#: The hooks a profile may leave out, each with its parameters; without one, its caller's
#: default holds:
#:
#: - ``credentials_command(resolved)``: the cloud CLI command that writes the stack's cluster
#:   into ~/.kube/config (verify prints it when it cannot read the stack's kubeconfig); none:
#:   verify asks for --kubeconfig (a cluster clusterforge did not create);
#: - ``service_costs(resolved, catalog, today)``: the cost items of the cloud's managed services
#:   (control plane, NAT, file systems) beside the node pools, priced from ``catalog`` (the
#:   cloud's offerings catalog) as of ``today`` (None: the date today; cost.py); none: the
#:   estimate has the node pools only.
OPTIONAL_HOOKS: dict[str, tuple[str, ...]] = {
    "credentials_command": ("resolved",),
    "service_costs": ("resolved", "catalog", "today"),
}


@dataclass(frozen=True)
class CloudProfile:
    """What the core needs to know about one cloud."""

    name: str
    title: str
    #: The region a stack without one is planned in (None: the cloud has no regions here).
    default_region: str | None
    #: Between the region and the zone letter (``us-east-1a``: ""; ``us-central1-a``: "-");
    #: None when the cloud's zones are not checked.
    zone_separator: str | None
    #: The shape region names must have, when no offline list of them exists.
    region_pattern: re.Pattern[str] | None
    #: What a tight placement of one pool is called on this cloud (None: not managed here).
    placement: str | None
    #: What those placements are, in findings (``cluster placement groups``).
    placement_kind: str | None
    #: ``module:Class`` of the cluster's top Pulumi component (built by ``modules.build``).
    component: str
    #: The spec fabrics a pool may ask for here (EFA001's neighbours; GPUDirect is GCP's).
    fabrics: tuple[str, ...]
    #: The capacity types sold here (CAP003).
    capacity_types: tuple[str, ...]
    #: Spec storage type → the storage service built for it (STO001; resolve).
    storage: dict[str, str]
    #: Pulumi stack config key → the spec field it comes from (``aws:region`` ← ``region``).
    provider_config: dict[str, str]
    #: The regions whose prices ``clusterforge catalog`` shows in its table.
    price_regions: tuple[str, ...]
    #: False for an existing cluster: clusterforge builds no cluster, network or node pools there
    #: (and has no offerings catalog of its own).
    creates_cluster: bool
    #: The cloud whose offerings catalog describes its pools (its own; an existing cluster's
    #: pools are AWS-shaped): what ``clusterforge new``'s stack points ``catalog --cloud`` at.
    offerings_catalog: str
    #: Every pool pinned to one zone (GKE counts a pool's nodes per zone).
    zonal_pools: bool
    #: What the spec's ``network.cidr`` becomes here, in findings (``the VPC``; None: no network
    #: is built).
    network_cidr: str | None
    #: Hook name (:data:`HOOKS`, :data:`OPTIONAL_HOOKS`) → ``module:function`` in the cloud's
    #: own module.
    hooks: dict[str, str]

    def hook(self, name: str) -> Callable[..., Any]:
        """The function this cloud names for the required hook ``name`` (:data:`HOOKS`; imported
        when first asked for)."""
        return _hook(self.hooks[name])

    def optional_hook(self, name: str) -> Callable[..., Any] | None:
        """The function this cloud names for the optional hook ``name`` (:data:`OPTIONAL_HOOKS`),
        or None when the profile leaves it out (the caller's default holds)."""
        target = self.hooks.get(name)
        return _hook(target) if target is not None else None

    def example_zone(self, region: str) -> str:
        """A zone of ``region``, for hints (``us-east-1a``, ``us-central1-a``)."""
        return f"{region}{self.zone_separator or ''}a"

    def zone_in_region(self, zone: str, region: str) -> bool:
        """Whether ``zone`` has the shape of a zone of ``region`` (only its prefix when the
        cloud's zone shape is not known)."""
        if self.zone_separator is None:
            return zone.startswith(region)
        letter = zone[len(region) + len(self.zone_separator) :]
        return (
            zone.startswith(region + self.zone_separator)
            and len(letter) == 1
            and "a" <= letter <= "z"
        )


#: The profiles' data file, read by path as clusterforge.catalog reads its data (pip installs
#: packages unpacked; ``importlib.resources`` would cost validate its tempfile/zip machinery).
_PROFILES_FILE = Path(__file__).parent.parent / "catalog" / "data" / "common" / "clouds.json"


@functools.cache
def _profiles() -> dict[str, CloudProfile]:
    text = _PROFILES_FILE.read_text(encoding="utf-8")
    data = json.loads(text)
    return {
        name: CloudProfile(
            name=name,
            title=entry["title"],
            default_region=entry["default_region"],
            zone_separator=entry["zone_separator"],
            region_pattern=re.compile(entry["region_pattern"]) if entry["region_pattern"] else None,
            placement=entry["placement"],
            placement_kind=entry["placement_kind"],
            component=entry["component"],
            fabrics=tuple(entry["fabrics"]),
            capacity_types=tuple(entry["capacity_types"]),
            storage=dict(entry["storage"]),
            provider_config=dict(entry["provider_config"]),
            price_regions=tuple(entry["price_regions"]),
            creates_cluster=entry["creates_cluster"],
            offerings_catalog=entry["offerings_catalog"],
            zonal_pools=entry["zonal_pools"],
            network_cidr=entry["network_cidr"],
            hooks=dict(entry["hooks"]),
        )
        for name, entry in data.items()
        if not name.startswith("_")
    }


@functools.cache
def _hook(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def profile(cloud: str) -> CloudProfile:
    """The profile of ``cloud`` (``aws``, ``gcp``, ``kubernetes``); KeyError for another name."""
    return _profiles()[cloud]


def default_region(cloud: str) -> str:
    """The region a stack of ``cloud`` without one is planned in (clouds.json). A cloud with no
    regions of its own (an existing cluster) plans its few cloud-shaped values as AWS does."""
    return profile(cloud).default_region or profile("aws").default_region or ""


def region_of(cloud: str, region: str | None) -> str:
    """The region a stack of ``cloud`` is planned, built and fetched in: its own ``region``, else
    the cloud's :func:`default_region`. Every caller that needs a region goes through here."""
    return region or default_region(cloud)


def names() -> tuple[str, ...]:
    """Every cloud with a profile, in the data file's order."""
    return tuple(_profiles())


def cluster_clouds() -> tuple[str, ...]:
    """The clouds clusterforge creates clusters on, each with its offerings catalog: the choices of
    ``--cloud`` (a portable stack put on a cloud) and of ``clusterforge catalog``."""
    return tuple(name for name, cloud in _profiles().items() if cloud.creates_cluster)
