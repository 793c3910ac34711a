"""AWS node pool rules: the EKS AMI type against the accelerator, architecture and Kubernetes
version; zones the VPC must have; what a Capacity Block node group needs for an upgrade; the
subnet addresses the pools need under the VPC CNI."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from clusterforge.catalog.ami import al2_last_kubernetes, known_ami_types, traits
from clusterforge.catalog.efa import efa_layout
from clusterforge.catalog.ipspace import (
    MAX_ZONES,
    CniSettings,
    PoolDemand,
    cidr_prefix_range,
    node_ips,
    nodes_in_zone,
    subnet_layout,
    usable_ips,
    vpc_zones,
)
from clusterforge.findings import Finding, Severity
from clusterforge.spelling import close_names, did_you_mean
from clusterforge.validate.registry import Context, rule


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
                did_you_mean(close_names(wanted, known, 2)) or f"EKS offers: {', '.join(known)}",
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
    if len(distinct) > MAX_ZONES:
        yield ctx.finding(
            "network.zones",
            f"the pools and storage need {len(distinct)} zones ({', '.join(distinct)}); "
            f"the VPC has at most {MAX_ZONES}",
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


def _vpc_prefix_for(need: int, facts: dict[str, Any]) -> int | None:
    """The longest VPC prefix (smallest VPC) whose per-zone private subnet — a quarter, two bits
    longer — holds ``need``; from the smallest subnet EC2 allows up to its largest VPC
    (services.json ``network``, with source)."""
    largest, smallest = cidr_prefix_range(facts)
    for prefix in range(smallest - 2, largest - 1, -1):
        if usable_ips(f"10.0.0.0/{prefix + 2}", facts) >= need:
            return prefix
    return None


@rule(
    "AWS007",
    "Each zone's private subnet holds its pools at max size under the VPC CNI",
    clouds=("aws",),
)
def ip_space(ctx: Context) -> Iterator[Finding]:
    """Per zone: the private subnet's usable addresses against what the pools placed there take
    with every node up and at its max pods (catalog/ipspace.py: the CNI's interfaces and warm
    targets, /28 prefixes with prefix delegation, `efa` interfaces one address, `efa-only` none)."""
    facts = ctx.catalog.extra.get("network") if ctx.catalog else None
    if not facts:
        return
    try:
        zones = vpc_zones(ctx.resolved)
        plans = subnet_layout(ctx.cluster.network.cidr, zones)
    except ValueError:
        return  # the CIDR itself is another rule's finding
    cni = CniSettings.of(ctx.cluster.network.vpc_cni)
    demands: dict[str, list[PoolDemand]] = {plan.zone: [] for plan in plans}
    for pool in ctx.resolved.pools:
        offering = pool.offering
        if offering is None or pool.max_size <= 0:
            continue
        layout = efa_layout(offering) if pool.fabric == "efa" else ()
        per_node = node_ips(offering, layout, cni, facts)
        if per_node is None:
            continue
        placed = [pool.zone] if pool.zone else list(demands)
        nodes = nodes_in_zone(pool.max_size, pool.zone is not None, len(demands))
        for zone in placed:
            if zone in demands:
                demands[zone].append(
                    PoolDemand(f"{pool.path} ({pool.name})", nodes, per_node, offering, layout)
                )
    for plan in plans:
        pools = demands[plan.zone]
        need = sum(d.ips for d in pools)
        have = usable_ips(plan.private_cidr, facts)
        if need <= have:
            continue
        parts = "; ".join(
            f"{d.pool_path}: {d.nodes} node{'s' if d.nodes != 1 else ''} x {d.per_node.total} "
            f"({d.per_node.max_pods} max pods, {d.per_node.cni_interfaces} card-0 interface(s) "
            f"for the CNI" + (f", {d.per_node.efa_ips} efa" if d.per_node.efa_ips else "") + ")"
            for d in pools
        )
        fixes = []
        prefix = _vpc_prefix_for(need, facts)
        current = ipaddress.ip_network(ctx.cluster.network.cidr, strict=False).prefixlen
        if prefix is not None and prefix < current:
            fixes.append(f"network.cidr a /{prefix} or larger (each zone gets a quarter)")
        elif prefix is None:
            largest, _ = cidr_prefix_range(facts)
            fixes.append(
                f"a /{largest} VPC (the largest EC2 allows) gives each zone "
                f"{usable_ips(f'10.0.0.0/{largest + 2}', facts):,}"
            )
        if not cni.prefix_delegation:
            pd = CniSettings(prefix_delegation=True)
            pd_nodes = [(d, node_ips(d.offering, d.layout, pd, facts) or d.per_node) for d in pools]
            with_pd = sum(d.nodes * ips.total for d, ips in pd_nodes)
            if with_pd < need:
                cni_facts = facts["vpc_cni"]
                pods = " or ".join(str(n) for n in sorted({ips.max_pods for _, ips in pd_nodes}))
                fixes.append(
                    f"network.vpc_cni.prefix_delegation: true needs {with_pd:,} here (max pods "
                    f"{pods} per node, in "
                    f"/{cni_facts['prefix_length']} prefixes of {cni_facts['prefix_size']})"
                )
        fixes.append("fewer max nodes in this zone, or spread the pools over more zones")
        yield ctx.finding(
            "network.cidr",
            f"the private subnet {plan.private_cidr} of {plan.zone} has {have:,} usable addresses "
            f"(AWS reserves {facts['subnet_reserved_ips']}); at max size with {cni.mode} its pools need {need:,}: {parts}",
            "; ".join(fixes),
        )


@rule(
    "AWS010",
    "The VPC CNI has a pod address for every pod the node's max pods admits",
    severity=Severity.WARNING,
    clouds=("aws",),
)
def pod_density(ctx: Context) -> Iterator[Finding]:
    """An EFA interface on card 0 (p5, p5en, p6-b200: ``efa-only`` at card 0 / device 1) takes
    the card-0 slot the VPC CNI would attach a second interface to, while the EKS AMI's max pods
    counts it: nodeadm's CalcMaxPods is card 0's MaximumNetworkInterfaces x (addresses per
    interface - 1) + 2, with no regard to efa-only interfaces (awslabs/amazon-eks-ami @81fec2e8,
    nodeadm/internal/kubelet/eni_max_pods.go and internal/util/ec2.go; the same figures as the VPC
    CNI's misc/eni-max-pods.txt; checked 2026-12-03), which a managed node group caps at 110, or
    250 over 30 vCPUs (catalog/ipspace.py ``max_pods``). Pods beyond the addresses the CNI has
    stay in ContainerCreating. A user's kubelet maxPods overrides the AMI's."""
    facts = ctx.catalog.extra.get("network") if ctx.catalog else None
    if not facts:
        return
    cni = CniSettings.of(ctx.cluster.network.vpc_cni)
    host_pods = int(facts["vpc_cni"]["host_network_pods"])
    for pool in ctx.resolved.pools:
        offering = pool.offering
        if offering is None or pool.fabric != "efa":
            continue
        layout = efa_layout(offering)
        ips = node_ips(offering, layout, cni, facts)
        if ips is None or ips.pod_ips >= ips.max_pods - host_pods:
            continue
        fixes = []
        if not cni.prefix_delegation:
            pd = node_ips(offering, layout, CniSettings(prefix_delegation=True), facts)
            if pd is not None and pd.pod_ips >= pd.max_pods - host_pods:
                fixes.append(
                    f"network.vpc_cni.prefix_delegation: true (/{facts['vpc_cni']['prefix_length']}"
                    f" prefixes of {facts['vpc_cni']['prefix_size']} per interface slot: "
                    f"{pd.pod_ips} pod addresses for {pd.max_pods} max pods)"
                )
        fixes.append(f"or run at most {ips.pod_ips} pod-network pods per node on this pool")
        yield ctx.finding(
            f"{pool.path}.fabric",
            f"{offering.instance_type}: the EKS AMI admits {ips.max_pods} pods per node, but with "
            f"the EFA interface on card 0 the VPC CNI has {ips.cni_interfaces} card-0 "
            f"interface(s) and {ips.pod_ips} pod addresses ({cni.mode}); pods beyond "
            f"{ips.pod_ips + host_pods} (with the {host_pods} host-network pods) stay in "
            "ContainerCreating",
            "; ".join(fixes),
        )


@rule("AWS008", "VPC CNI warm targets are ones the CNI reads together", clouds=("aws",))
def vpc_cni_settings(ctx: Context) -> Iterator[Finding]:
    """aws/amazon-vpc-cni-k8s README (v1.23.0): WARM_PREFIX_TARGET works only with
    ENABLE_PREFIX_DELEGATION; MINIMUM_IP_TARGET without WARM_IP_TARGET stops further
    allocation once the minimum is reached."""
    cni = ctx.cluster.network.vpc_cni
    if cni.warm_prefix_target is not None and not cni.prefix_delegation:
        yield ctx.finding(
            "network.vpc_cni.warm_prefix_target",
            "warm_prefix_target applies only with prefix delegation (WARM_PREFIX_TARGET works "
            "when ENABLE_PREFIX_DELEGATION is true)",
            "set network.vpc_cni.prefix_delegation: true, or remove warm_prefix_target",
        )
    if cni.minimum_ip_target is not None and not cni.warm_ip_target:
        yield ctx.finding(
            "network.vpc_cni.minimum_ip_target",
            "minimum_ip_target without warm_ip_target: the CNI allocates the minimum and then no "
            "further addresses or interfaces, so pods beyond it stay pending",
            "set network.vpc_cni.warm_ip_target too (greater than 0)",
            severity=Severity.WARNING,
        )


@rule("AWS009", "The EFA DRA driver runs on Kubernetes 1.34+ with EFA pools", clouds=("aws",))
def efa_dra_driver(ctx: Context) -> Iterator[Finding]:
    addon = ctx.resolved.addon("aws-dranet")
    if addon is None:
        return
    path = addon.path
    version = ctx.cluster.kubernetes.version
    least = addon.facts.min_kubernetes  # addons.json, with its source
    if version and least and _minor(version) < _minor(least):
        yield ctx.finding(
            path,
            f"the EFA DRA driver (aws-dranet) needs Kubernetes {least} or later "
            f"(DRA is GA there); the cluster runs {version}",
            f"set kubernetes.version to {least} or later, or use the EFA device "
            "plugin (the default)",
        )
    if not any(p.fabric == "efa" for p in ctx.resolved.pools):
        yield ctx.finding(
            path,
            "aws-dranet publishes EFA interfaces, and no pool uses EFA",
            "remove it, or give an EFA-capable pool fabric: efa",
            severity=Severity.WARNING,
        )
