"""GKE rules: project, compact placement, capacity combinations GKE allows, secondary ranges,
GPU fabric per machine type."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from clusterforge.findings import Finding, Severity
from clusterforge.validate.registry import Context, rule

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
    "GKE003", "Node, pod, service and control-plane ranges are valid and disjoint", clouds=("gcp",)
)
def secondary_ranges(ctx: Context) -> Iterator[Finding]:
    network = ctx.cluster.network
    ranges = {"network.cidr": network.cidr, "network.pods_cidr": network.pods_cidr, "network.services_cidr": network.services_cidr,
              "network.master_cidr": network.master_cidr}  # fmt: skip
    parsed = {}
    for path, value in ranges.items():
        try:
            parsed[path] = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            if path != "network.cidr":  # NET001 reports the node range
                yield ctx.finding(
                    path, f"{value!r} is not a valid CIDR: {exc}", "write it as 10.64.0.0/14"
                )
    if "network.master_cidr" in parsed and parsed["network.master_cidr"].prefixlen != 28:
        yield ctx.finding(
            "network.master_cidr",
            "the private control-plane range must be a /28",
            "e.g. 172.16.0.0/28",
        )
    items = list(parsed.items())
    for i, (path_a, a) in enumerate(items):
        for path_b, b in items[i + 1 :]:
            if a.version == b.version and a.overlaps(b):
                yield ctx.finding(
                    path_b, f"{b} overlaps {path_a} {a}", "give each range its own space"
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
