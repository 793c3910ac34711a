"""AWS node pool rules: the EKS AMI type against the accelerator, architecture and Kubernetes
version; zones the VPC must have; what a Capacity Block node group needs for an upgrade."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from clusterforge.catalog.ami import al2_last_kubernetes, known_ami_types, traits
from clusterforge.findings import Finding, Severity
from clusterforge.validate.registry import Context, rule
from clusterforge.validate.rules._util import did_you_mean

#: The VPC has at most this many zones (modules/aws/network.py splits the CIDR in quarters).
MAX_VPC_ZONES = 3


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


@rule("AWS001", "The EKS AMI type is one EKS offers", clouds=("aws",))
def ami_type_known(ctx: Context) -> Iterator[Finding]:
    known = known_ami_types(ctx.catalog.extra) if ctx.catalog else []
    for pool in ctx.resolved.pools:
        wanted = pool.spec.ami_type
        if known and wanted and wanted not in known:
            yield ctx.finding(
                f"{pool.path}.ami_type",
                f"unknown EKS AMI type {wanted!r}",
                did_you_mean(difflib.get_close_matches(wanted, known, n=2))
                or f"EKS offers: {', '.join(known)}",
            )


@rule(
    "AWS002",
    "The AMI type drives the pool's accelerator and matches its architecture",
    clouds=("aws",),
)
def ami_type_fits(ctx: Context) -> Iterator[Finding]:
    known = set(known_ami_types(ctx.catalog.extra)) if ctx.catalog else set()
    for pool in ctx.resolved.pools:
        offering, ami = pool.offering, pool.spec.ami_type
        if offering is None or not ami or ami not in known or ami == "CUSTOM":
            continue
        found = traits(ami)
        path = f"{pool.path}.ami_type"
        if found.architecture and found.architecture != offering.architecture:
            yield ctx.finding(
                path,
                f"{ami} is an {found.architecture} AMI; {offering.instance_type} is {offering.architecture}",
                f"use the catalog's AMI type for it: {offering.ami_type}",
            )
        elif offering.is_nvidia and not found.nvidia:
            yield ctx.finding(
                path,
                f"{ami} has no NVIDIA driver: the {offering.accelerator} GPUs of "
                f"{offering.instance_type} would be unusable",
                f"use {offering.ami_type} (or a Bottlerocket NVIDIA type)",
            )
        elif offering.is_neuron and not found.neuron:
            yield ctx.finding(
                path,
                f"{ami} is not the EKS Neuron AMI: the {offering.accelerator} devices of "
                f"{offering.instance_type} need the Neuron driver",
                f"use {offering.ami_type}",
            )
        elif not offering.is_accelerated and (found.nvidia or found.neuron):
            yield ctx.finding(
                path,
                f"{ami} is an accelerated AMI on {offering.instance_type}, which has no accelerator",
                f"use {offering.ami_type}",
                severity=Severity.WARNING,
            )


@rule("AWS003", "Every zone a pool or file system needs is one of the VPC's", clouds=("aws",))
def zones_in_vpc(ctx: Context) -> Iterator[Finding]:
    """A zoned pool never falls back to every subnet, and a file system is never skipped: a zone
    the VPC will not have is an error here."""
    listed = ctx.cluster.network.zones
    needed: list[tuple[str, str]] = []
    if ctx.cluster.zone:
        needed.append(("zone", ctx.cluster.zone))
    needed += [(f"{p.path}.zone", p.zone) for p in ctx.resolved.pools if p.zone]
    needed += [(f"{s.path}.zone", s.zone) for s in ctx.resolved.storage if s.zone]
    if listed is not None:
        for path, zone in needed:
            if zone not in listed:
                yield ctx.finding(
                    path,
                    f"zone {zone} is not in network.zones ({', '.join(listed)})",
                    f"add {zone} to network.zones, or move this to one of them",
                )
        return
    distinct = list(dict.fromkeys(zone for _, zone in needed))
    if len(distinct) > MAX_VPC_ZONES:
        yield ctx.finding(
            "network.zones",
            f"the pools and storage need {len(distinct)} zones ({', '.join(distinct)}); "
            f"the VPC has at most {MAX_VPC_ZONES}",
            "put the pools and file systems in at most three zones",
        )


@rule("AWS004", "AL2 AMI types only on Kubernetes versions EKS builds them for", clouds=("aws",))
def al2_retired(ctx: Context) -> Iterator[Finding]:
    last = al2_last_kubernetes(ctx.catalog.extra) if ctx.catalog else None
    version = ctx.cluster.kubernetes.version
    if not last or not version:
        return
    for pool in ctx.resolved.pools:
        ami = pool.spec.ami_type
        if ami and traits(ami).family == "AL2" and _minor(version) > _minor(last):
            yield ctx.finding(
                f"{pool.path}.ami_type",
                f"EKS publishes no Amazon Linux 2 AMI for Kubernetes {version} (the last is {last})",
                "use the AL2023 type (AL2023_x86_64_NVIDIA, AL2023_x86_64_STANDARD, ...)",
            )


@rule(
    "AWS005",
    "A Capacity Block node group is upgraded at desired size 0",
    severity=Severity.WARNING,
    clouds=("aws",),
)
def capacity_block_upgrades(ctx: Context) -> Iterator[Finding]:
    """EKS User Guide, "Create a managed node group with Capacity Blocks for ML": when upgrading a
    managed node group with Capacity Blocks, set the desired size to 0."""
    for pool in ctx.resolved.pools:
        if pool.spec.capacity.type == "capacity_block":
            yield ctx.finding(
                f"{pool.path}.capacity",
                "EKS upgrades a Capacity Block node group (Kubernetes version, AMI release, launch "
                "template) only at desired size 0: an upgrade stops every node of the block",
                "to upgrade: drain the jobs, set nodes: 0 and apply, change the version or AMI and "
                "apply, then set nodes back; plan upgrades between blocks where you can",
            )


@rule(
    "AWS006",
    "Bottlerocket pools: what the AL2023 node settings do not cover",
    severity=Severity.WARNING,
    clouds=("aws",),
)
def bottlerocket_local_disks(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        ami, offering = pool.ami_type, pool.offering
        if not ami or offering is None or traits(ami).family != "BOTTLEROCKET":
            continue
        if pool.spec.local_nvme_raid0 and offering.local_nvme_disks:
            yield ctx.finding(
                f"{pool.path}.local_nvme_raid0",
                f"the {offering.local_nvme_disks} local NVMe disks are not assembled into RAID0 on "
                "Bottlerocket (the RAID0 setting is an AL2023 nodeadm NodeConfig)",
                "set local_nvme_raid0: false, or use the AL2023 AMI type",
            )
