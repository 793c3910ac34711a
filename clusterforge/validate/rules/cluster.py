"""Cluster-level rules: names, network, region/zone, Kubernetes version, control-plane access."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import Counter
from collections.abc import Iterator

from clusterforge.catalog.ipspace import cidr_prefix_range
from clusterforge.catalog.network import internet_open_endpoint, parse_cidrs
from clusterforge.catalog.regions import aws_regions
from clusterforge.catalog.releases import cluster_name_budget
from clusterforge.clouds import profile
from clusterforge.findings import Finding, Severity
from clusterforge.spelling import close_names, did_you_mean
from clusterforge.validate.registry import Context, rule
from clusterforge.validate.rules import _util
from clusterforge.validate.rules._util import MAX_NAME, name_problem

#: clusterforge carves per-zone subnets from the VPC and needs at least a /20. The sizes AWS
#: accepts (/16 to /28) are catalog facts (catalog.ipspace.cidr_prefix_range).
MAX_USABLE_PREFIX = 20


@rule("NAME001", "Names are DNS-1123 labels of at most 40 characters")
def invalid_names(ctx: Context) -> Iterator[Finding]:
    """Cluster, pool and storage names become Kubernetes labels and parts of cloud resource names.
    The cluster name also starts every Helm release name (``<name>-addons-<add-on>``): a name over
    40 is told the limit those releases leave (catalog/releases.py's budget, the one ADD015 reports
    for shorter names), so shortening it once is enough."""
    named = [(f"node_pools[{i}].name", p.name) for i, p in enumerate(ctx.cluster.node_pools)]
    named += [(f"storage[{i}].name", s.name) for i, s in enumerate(ctx.cluster.storage)]
    hint = "use a short lowercase name such as 'h100-train'"
    name = ctx.cluster.name
    budget = cluster_name_budget(ctx.resolved.addons, name)
    problem = name_problem(name)
    if len(name) > MAX_NAME and budget.longest is not None and 0 < budget.max_length < MAX_NAME:
        # The limit a user can act on: ADD015 reports the same budget for shorter names.
        problem = (
            f"is {len(name)} characters long (at most {budget.max_length}: the Helm release "
            f"{budget.longest.release} must fit Helm's {budget.limit.max_length} characters, "
            f"{budget.limit.source}: maxReleaseNameLen)"
        )
        hint = f"shorten name to at most {budget.max_length} characters"
    if problem:
        yield ctx.finding("name", f"name {name!r} {problem}", hint)
    for path, value in named:
        problem = name_problem(value)
        if problem:
            yield ctx.finding(
                path, f"name {value!r} {problem}", "use a short lowercase name such as 'h100-train'"
            )


@rule("NAME002", "Pool and storage names are unique")
def duplicate_names(ctx: Context) -> Iterator[Finding]:
    sections = (
        ("node_pools", "node pool", [p.name for p in ctx.cluster.node_pools]),
        ("storage", "storage", [s.name for s in ctx.cluster.storage]),
    )
    for section, noun, names in sections:
        counts = Counter(names)
        seen: set[str] = set()
        for i, name in enumerate(names):
            if counts[name] > 1 and name in seen:
                yield ctx.finding(
                    f"{section}[{i}].name",
                    f"{noun} name {name!r} is used {counts[name]} times",
                    "give every entry its own name",
                )
            seen.add(name)


@rule(
    "NET001",
    "The network CIDR is a valid private IPv4 range (on AWS, a VPC size AWS accepts)",
    clouds=("aws", "gcp"),
)
def vpc_cidr(ctx: Context) -> Iterator[Finding]:
    """Validity and private space on every cloud. The size limits are AWS's: a VPC is /16 to /28
    and the VPC CNI gives every pod a VPC address. On GCP `network.cidr` is the nodes' subnet
    (pods and services use secondary ranges, which GKE003 checks), so no AWS size is applied."""
    cidr = ctx.cluster.network.cidr
    where = profile(ctx.cluster.cloud).network_cidr
    if where is None:  # no network is built there (an existing cluster)
        return
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        yield ctx.finding(
            "network.cidr", f"{cidr!r} is not a valid CIDR: {exc}", "write it as 10.0.0.0/16"
        )
        return
    if network.version != 4:
        yield ctx.finding(
            "network.cidr", f"{cidr} is not IPv4", "use an RFC 1918 IPv4 range such as 10.0.0.0/16"
        )
        return
    if not network.is_private:
        yield ctx.finding(
            "network.cidr",
            f"{cidr} ({where}) is not a private range",
            "use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 space",
            severity=Severity.WARNING,
        )
    if ctx.cluster.cloud != "aws" or ctx.catalog is None:
        return
    largest, smallest = cidr_prefix_range(ctx.catalog.extra["network"])
    if not largest <= network.prefixlen <= smallest:
        yield ctx.finding(
            "network.cidr",
            f"a /{network.prefixlen} VPC is outside what AWS accepts (/{largest} to /{smallest})",
            f"use a /{largest}",
        )
    elif network.prefixlen > MAX_USABLE_PREFIX:
        yield ctx.finding(
            "network.cidr",
            f"a /{network.prefixlen} VPC is too small for per-zone subnets and pod IPs (VPC CNI gives every pod a VPC address)",
            "use a /16 (at least /20)",
        )


def _regions(cloud: str) -> list[str] | None:
    """AWS regions from botocore's endpoint data file (offline, follows the installed SDK); GCP
    regions have no offline list, so only their shape is checked (None here)."""
    if cloud != "aws":
        return None
    return list(aws_regions("ec2"))


@rule("REGION001", "A region is set, exists, and the zones belong to it", clouds=("aws", "gcp"))
def region_and_zones(ctx: Context) -> Iterator[Finding]:
    region = ctx.cluster.region
    cloud = profile(ctx.cluster.cloud)
    example = cloud.default_region
    if not region:
        yield ctx.finding(
            "region", f"{ctx.cluster.cloud} stacks need a region", f"add e.g. `region: {example}`"
        )
        return
    if cloud.region_pattern is not None and not cloud.region_pattern.match(region):
        yield ctx.finding(
            "region",
            f"{region!r} is not a {cloud.title} region name",
            f"{cloud.title} regions look like {example}",
        )
        return
    known_regions = _regions(ctx.cluster.cloud)
    if known_regions is not None and region not in known_regions:
        close = close_names(region, known_regions, 2)
        yield ctx.finding(
            "region",
            f"{region!r} is not a {ctx.cluster.cloud} region",
            did_you_mean(close) or f"e.g. {example}",
        )
        return
    known = ctx.catalog.zones.get(region) if ctx.catalog else None
    region_zones = sorted({z for zones in known.values() for z in zones}) if known else None
    zoned = [("zone", ctx.cluster.zone)]
    zoned += [(f"node_pools[{i}].zone", p.zone) for i, p in enumerate(ctx.cluster.node_pools)]
    zoned += [(f"storage[{i}].zone", s.zone) for i, s in enumerate(ctx.cluster.storage)]
    zoned += [(f"network.zones[{i}]", z) for i, z in enumerate(ctx.cluster.network.zones or [])]
    for path, zone in zoned:
        if zone is None:
            continue
        if not cloud.zone_in_region(zone, region):
            yield ctx.finding(
                path,
                f"zone {zone!r} is not in region {region!r}",
                f"use a zone of {region}, e.g. {cloud.example_zone(region)}",
            )
        elif region_zones is not None and zone not in region_zones:
            yield ctx.finding(
                path,
                f"zone {zone!r} does not exist in {region}",
                f"zones of {region}: {', '.join(region_zones)}",
            )


@rule("NET002", "At least two zones for the VPC (EKS needs subnets in two zones)", clouds=("aws",))
def two_zones(ctx: Context) -> Iterator[Finding]:
    zones = ctx.cluster.network.zones
    if zones is not None and len(set(zones)) < 2:
        yield ctx.finding(
            "network.zones",
            "EKS needs subnets in at least two zones",
            "list two or three zones of the region",
        )
    if zones is not None and len(set(zones)) > 3:
        yield ctx.finding(
            "network.zones",
            f"{len(set(zones))} zones given; clusterforge builds at most 3",
            "list two or three zones",
        )
    if zones is not None:
        for pool in ctx.resolved.pools:
            if pool.zone and pool.zone not in zones:
                yield ctx.finding(
                    f"{pool.path}.zone",
                    f"pool zone {pool.zone} is not one of network.zones",
                    "add it to network.zones",
                )
        for item in ctx.resolved.storage:
            if item.zone and item.zone not in zones:
                yield ctx.finding(
                    f"{item.path}.zone",
                    f"storage zone {item.zone} is not one of network.zones (no subnet there)",
                    "add it to network.zones",
                )


@rule("K8S001", "The Kubernetes version is one the managed service offers", clouds=("aws",))
def kubernetes_version(ctx: Context) -> Iterator[Finding]:
    if ctx.catalog is None or not ctx.catalog.kubernetes_versions:
        return
    wanted = ctx.cluster.kubernetes.version
    offered = ctx.catalog.kubernetes_version(wanted)
    today = _util.today()
    versions = [
        v.version
        for v in ctx.catalog.kubernetes_versions
        if not _past(v.end_of_extended_support, today)
    ]
    if offered is None:
        yield ctx.finding(
            "kubernetes.version",
            f"EKS does not offer Kubernetes {wanted!r}",
            f"offered: {', '.join(versions)} (catalog services.json)",
        )
        return
    # Recommend the newest version whose support window the catalog knows and that is still in it.
    current = [
        v.version
        for v in ctx.catalog.kubernetes_versions
        if v.end_of_standard_support and not _past(v.end_of_standard_support, today)
    ]
    newest = current[-1] if current else versions[-1]
    if _past(offered.end_of_extended_support, today):
        yield ctx.finding(
            "kubernetes.version",
            f"Kubernetes {wanted} reached the end of EKS extended support on {offered.end_of_extended_support}: EKS no longer creates it",
            f"use {newest}",
        )
    elif _past(offered.end_of_standard_support, today):
        yield ctx.finding(
            "kubernetes.version",
            f"Kubernetes {wanted} left EKS standard support on {offered.end_of_standard_support}: "
            "extended support bills 6x the standard control-plane price",
            f"use {newest}",
            severity=Severity.WARNING,
        )


def _past(date: str | None, today: dt.date) -> bool:
    return bool(date) and dt.date.fromisoformat(date) <= today  # type: ignore[arg-type]


@rule(
    "K8S002",
    "A public API endpoint is restricted to known CIDRs",
    severity=Severity.ERROR,
    clouds=("aws", "gcp"),
)
def public_endpoint(ctx: Context) -> Iterator[Finding]:
    k8s = ctx.cluster.kubernetes
    if not k8s.endpoint_public_access:
        if k8s.public_access_cidrs:
            yield ctx.finding(
                "kubernetes.public_access_cidrs",
                "public_access_cidrs is ignored: the public endpoint is off",
                "set endpoint_public_access: true to use them, or drop them",
                severity=Severity.INFO,
            )
        if not k8s.private_endpoint:
            yield ctx.finding(
                "kubernetes.private_endpoint",
                "both the public and the private endpoint are off: nothing can reach the API server",
                "keep private_endpoint: true",
                severity=Severity.ERROR,
            )
        return
    networks, invalid = parse_cidrs(k8s.public_access_cidrs)
    for cidr in invalid:
        yield ctx.finding(
            f"kubernetes.public_access_cidrs[{k8s.public_access_cidrs.index(cidr)}]",
            f"{cidr!r} is not a CIDR",
            "write it as 203.0.113.0/24",
            severity=Severity.ERROR,
        )
    if invalid and not networks:
        return
    # One fact for this rule and the CF-AWS-001 / CF-GKE-006 policies (same path, same severity).
    if internet_open_endpoint(ctx.cluster.cloud, True, [str(n) for n in networks]):
        why = (
            "no public_access_cidrs"
            if not k8s.public_access_cidrs
            else "public_access_cidrs cover every address"
        )
        yield ctx.finding(
            "kubernetes.public_access_cidrs",
            f"the public API endpoint is open to the whole internet ({why})",
            "list your office/VPN CIDRs, or turn endpoint_public_access off",
        )
    elif not k8s.public_access_cidrs and ctx.cluster.cloud == "gcp":
        yield ctx.finding(
            "kubernetes.public_access_cidrs",
            "the public API endpoint admits no listed network (empty master authorized networks): only "
            "Google Compute Engine public IPs and Google's own addresses reach it",
            "list the CIDRs that run kubectl and `up`, or turn endpoint_public_access off",
            severity=Severity.INFO,
        )
