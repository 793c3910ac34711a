"""GKE rules: project, compact placement, capacity combinations GKE allows, secondary ranges,
GPU fabric per machine type."""

from __future__ import annotations

import re
from collections.abc import Iterator

from clusterforge.catalog import gcp_network
from clusterforge.catalog.gcp_names import gcp_label
from clusterforge.findings import Finding, Severity
from clusterforge.spec.sourcemap import join_path
from clusterforge.validate.registry import Context, rule
from clusterforge.validate.rules._util import size_path

PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


@rule("GCP001", "A GCP stack names a valid project id", clouds=("gcp",))
def project_id(ctx: Context) -> Iterator[Finding]:
    project = ctx.cluster.project
    if not project:
        yield ctx.finding(
            "project",
            "gcp stacks need a project id",
            "add `project: my-project` (or overrides.gcp.project)",
        )
    elif not PROJECT_ID.match(project):
        yield ctx.finding(
            "project",
            f"{project!r} is not a GCP project id",
            "6-30 characters: lowercase letters, digits and '-', starting with a letter",
        )


@rule(
    "GKE001",
    "Every GKE pool is in one zone (compact placement, per-zone node counts)",
    clouds=("gcp",),
)
def pool_single_zone(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        if pool.zone is not None:
            continue
        if pool.placement_group:
            yield ctx.finding(
                f"{pool.path}.zone",
                "compact placement needs the pool in one zone, but it has none",
                "set `zone` on the pool or the cluster",
            )
        else:
            yield ctx.finding(
                f"{pool.path}.zone",
                f"the pool has no zone: GKE would create {pool.desired} nodes in every zone of the region",
                "set `zone` on the pool or the cluster",
            )


@rule(
    "GKE002",
    "Spot, reservations, flex-start and queued provisioning are combined as GKE allows",
    clouds=("gcp",),
)
def capacity_combinations(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        capacity = pool.spec.capacity
        path = f"{pool.path}.capacity"
        if capacity.queued_provisioning:
            if capacity.type in ("spot", "reservation"):
                yield ctx.finding(
                    f"{path}.queued_provisioning",
                    f"queued provisioning cannot use {capacity.type} capacity",
                    "use on_demand or flex_start with queued provisioning",
                )
            if pool.spec.min_nodes not in (None, 0):
                yield ctx.finding(
                    f"{pool.path}.min_nodes",
                    "queued provisioning pools start empty: min_nodes must be 0",
                    "set min_nodes: 0 and max_nodes to the largest request",
                )
            if pool.is_tpu and pool.slices > 1:
                yield ctx.finding(
                    f"{path}.queued_provisioning",
                    "queued provisioning admits one slice per request",
                    "use slices: 1 per pool",
                    severity=Severity.WARNING,
                )
        if capacity.type == "flex_start" and pool.spec.placement_group:
            yield ctx.finding(
                f"{pool.path}.placement_group",
                "flex-start capacity is placed by the Dynamic Workload Scheduler; a forced compact placement can leave it unfulfilled",
                "drop placement_group",
                severity=Severity.WARNING,
            )


@rule(
    "GKE003",
    "Node, pod, service, control-plane, GPU NIC and private-services ranges are valid and disjoint",
    clouds=("gcp",),
)
def secondary_ranges(ctx: Context) -> Iterator[Finding]:
    network = ctx.cluster.network
    gpu = bool(gcp_network.pools_with_nic_networks(ctx.resolved.pools))
    parsed, invalid = gcp_network.named_ranges(
        network, gpu=gpu, psa=gcp_network.uses_psa(ctx.resolved)
    )
    for path, message in invalid.items():
        if path != "network.cidr":  # NET001 reports the node range
            yield ctx.finding(path, message, "write it as 10.64.0.0/14")
    if "network.master_cidr" in parsed and parsed["network.master_cidr"].prefixlen != 28:
        yield ctx.finding(
            "network.master_cidr",
            "the private control-plane range must be a /28",
            "e.g. 172.16.0.0/28",
        )
    for path_a, path_b in gcp_network.overlaps(parsed):
        yield ctx.finding(
            path_b,
            f"{parsed[path_b]} overlaps {path_a} {parsed[path_a]}",
            f"give each range its own space: move {path_b} (or {path_a}) to addresses no other "
            "network range uses",
        )


@rule("GKE004", "The requested fabric is the one the machine type has", clouds=("gcp",))
def fabric_matches_machine(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        offering, wanted = pool.offering, pool.spec.fabric
        if offering is None or wanted in ("auto", "none"):
            continue
        if offering.fabric != wanted:
            has = offering.fabric or "no GPUDirect NICs"
            yield ctx.finding(
                f"{pool.path}.fabric",
                f"{offering.instance_type} has {has}, not {wanted}",
                "use fabric: auto; a3-highgpu-8g → gpudirect-tcpx, a3-megagpu-8g → gpudirect-tcpxo, a3-ultragpu-8g/a4-highgpu-8g → rdma",
            )


@rule(
    "GKE005",
    "The GPU NIC subnets, sized for each pool's maximum nodes, fit network.gpu_cidr",
    clouds=("gcp",),
)
def gpu_nic_subnets(ctx: Context) -> Iterator[Finding]:
    """One /20 per NIC network (Cluster Toolkit's layout), larger for pools above ~4,000 nodes;
    computed by the same catalog function the GCP components build from."""
    _, problems = gcp_network.gpu_subnets(
        ctx.resolved.pools, ctx.cluster.network.gpu_cidr, gcp_network.facts(ctx.catalog)
    )
    for problem in problems:
        yield ctx.finding(
            "network.gpu_cidr",
            problem,
            "use a larger range (a /16 holds 16 /20 subnets; 192.168.0.0/15 holds 32) that "
            "overlaps no other network range",
        )


@rule(
    "GKE006",
    "A pool placed by an accelerator-topology workload policy fits in one domain",
    clouds=("gcp",),
)
def workload_policy_domain(ctx: Context) -> Iterator[Finding]:
    """A4X: a 1x72 workload policy is one NVL72 domain of 72 GPUs, i.e. 18 a4x-highgpu-4g VMs
    (Cluster Toolkit gke-a4x builds one node pool per domain: num_node_pools)."""
    for pool in ctx.resolved.pools:
        offering = pool.offering
        if offering is None or not offering.accelerator_topology:
            continue
        dims = [int(d) for d in offering.accelerator_topology.split("x") if d.isdigit()]
        gpus = dims[0] * dims[1] if len(dims) == 2 else 0
        per_domain = gpus // offering.accelerator_count if offering.accelerator_count else 0
        if per_domain and pool.max_size > per_domain:
            yield ctx.finding(
                size_path(pool),
                f"{offering.instance_type} pools are placed in one {offering.accelerator_topology} "
                f"domain of {per_domain} VMs, but this pool may grow to {pool.max_size}",
                f"use at most {per_domain} nodes per pool, and one pool per domain for more",
            )


@rule("GKE007", "The GKE version runs the pool's machine type", clouds=("gcp",))
def machine_type_gke_version(ctx: Context) -> Iterator[Finding]:
    version = ctx.cluster.kubernetes.version
    gke = (ctx.catalog.extra.get("gke") if ctx.catalog else None) or {}
    for pool in ctx.resolved.pools:
        offering = pool.offering
        minimum = gcp_network.network_profile_minimum(pool, gke)
        shortfall = gcp_network.version_shortfall(version, minimum)
        if offering is None or shortfall is None:
            continue
        if shortfall == "below":
            yield ctx.finding(
                "kubernetes.version",
                f"{offering.instance_type} ({pool.path}) needs GKE {minimum} or later, not {version}",
                f'set kubernetes.version to a later minor (e.g. "{".".join(str(minimum).split(".")[:2])}" or newer)',
            )
        else:
            yield ctx.finding(
                "kubernetes.version",
                f"{offering.instance_type} ({pool.path}) needs GKE node version {minimum} or later; "
                f"early {version} patches are older",
                "make sure the release channel's default patch is at least that version, or use the next minor",
                severity=Severity.WARNING,
            )


@rule(
    "GKE008",
    "A compact-placed pool stays within one compact placement policy's VM maximum",
    clouds=("gcp",),
)
def compact_placement_size(ctx: Context) -> Iterator[Finding]:
    """The most VMs one compact placement policy holds (catalog ``gke.compact_placement``: a
    Compute Engine per-series maximum where a page states one, else GKE's 1,500-node limit).
    GKE makes one policy per node pool, so a larger fleet is several pools. Whether the series
    has compact placement at all is EFA005's; TPU slices (sized by their topology) and
    workload-policy types (A4X: GKE006) are not sized by this table."""
    gke = (ctx.catalog.extra.get("gke") if ctx.catalog else None) or {}
    for pool in ctx.resolved.pools:
        offering = pool.offering
        if not pool.placement_group or pool.is_tpu or offering is None:
            continue
        if offering.accelerator_topology:
            continue
        cap = gcp_network.compact_placement_max_vms(offering, gke)
        if cap is not None and pool.max_size > cap:
            yield ctx.finding(
                size_path(pool),
                f"a compact placement policy holds at most {cap} {offering.family.upper()} VMs; "
                f"this pool may grow to {pool.max_size}",
                f"split it into pools of at most {cap} nodes (GKE gives each pool its own policy), "
                "or set placement_group: false where low latency between all nodes is not needed",
            )


#: The Compute Engine consumption option each capacity type uses.
GCE_USAGE = {
    "on_demand": "on-demand",
    "spot": "spot",
    "reservation": "reservation",
    "flex_start": "flex-start",
}


@rule("GKE009", "The machine type is sold the way the pool buys it", clouds=("gcp",))
def consumption_option(ctx: Context) -> Iterator[Finding]:
    """Google sells some machine types only through some consumption options: A4X only by
    reservation; A4 and A3 Ultra by reservation, Spot or Flex-start; a3-highgpu-1g/2g/4g only
    as Spot or Flex-start (Compute Engine 'GPU machine types'; catalog ``usage_classes``)."""
    for pool in ctx.resolved.pools:
        offering = pool.offering
        capacity = pool.spec.capacity
        usage = "flex-start" if capacity.queued_provisioning else GCE_USAGE.get(capacity.type)
        if offering is None or not offering.usage_classes or usage is None:
            continue
        if usage not in offering.usage_classes:
            yield ctx.finding(
                f"{pool.path}.capacity.type",
                f"{offering.instance_type} is not sold as {usage}",
                f"{offering.instance_type} is sold as: {', '.join(offering.usage_classes)}",
            )


@rule(
    "GKE010",
    "GKE's accelerator network profile (auto) is used only where GKE offers it",
    clouds=("gcp",),
)
def accelerator_network_profile(ctx: Context) -> Iterator[Finding]:
    gke = (ctx.catalog.extra.get("gke") if ctx.catalog else None) or {}
    prefixes = tuple(gke.get("dranet_machine_prefixes", ()))
    for pool in ctx.resolved.pools:
        offering = pool.offering
        if offering is None or pool.spec.network_profile != "auto":
            continue
        if not offering.is_accelerated or not offering.instance_type.startswith(prefixes):
            yield ctx.finding(
                f"{pool.path}.network_profile",
                f"GKE's accelerator network profile (DRANET) does not serve {offering.instance_type}",
                f"drop network_profile; it is for {', '.join(p.rstrip('-') for p in prefixes)} machine types",
            )


@rule("LABEL002", "Cluster tags make valid, distinct GCP labels", clouds=("gcp",))
def gcp_tag_labels(ctx: Context) -> Iterator[Finding]:
    """On GCP the cluster's tags become labels on the GKE cluster, its node pools and storage:
    lowercased, other characters as '-', cut to 63 characters. GCP refuses a label key that
    does not start with a lowercase letter (Google Cloud "Creating and managing labels",
    requirements), and two tags that become the same key would leave only one."""
    seen: dict[str, str] = {}
    for key in ctx.cluster.tags:
        path = join_path("tags", key)
        label = gcp_label(key)
        if not label[:1].isalpha():
            yield ctx.finding(
                path,
                f"tag {key!r} becomes the GCP label key {label!r}, and GCP label keys must "
                "start with a lowercase letter",
                "start the tag with a letter, e.g. team",
            )
        elif label in seen:
            yield ctx.finding(
                path,
                f"tags {seen[label]!r} and {key!r} both become the GCP label key {label!r}: "
                "only one value would be kept",
                "merge them or rename one",
            )
        else:
            seen[label] = key
