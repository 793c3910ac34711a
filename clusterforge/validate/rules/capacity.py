"""Capacity rules: reservations, Capacity Blocks, spot and placement groups."""

from __future__ import annotations

import re
from collections.abc import Iterator

from clusterforge.clouds import profile
from clusterforge.findings import Finding, Severity
from clusterforge.validate.registry import Context, rule

RESERVATION_ID = re.compile(r"^cr-[0-9a-f]{8}([0-9a-f]{9})?$")
#: EC2 SupportedUsageClasses value each capacity type needs.
USAGE_CLASS = {"on_demand": "on-demand", "spot": "spot", "capacity_block": "capacity-block"}


@rule("CAP001", "Reservations and Capacity Blocks name their reservation id")
def reservation_id(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        capacity = pool.spec.capacity
        path = f"{pool.path}.capacity.reservation_id"
        if capacity.type in ("reservation", "capacity_block"):
            if not capacity.reservation_id:
                yield ctx.finding(
                    path,
                    f"capacity type {capacity.type} needs the reservation id",
                    "add `reservation_id: cr-0123456789abcdef0` (EC2 console → Capacity Reservations)",
                )
            elif ctx.cluster.cloud == "aws" and not RESERVATION_ID.match(capacity.reservation_id):
                yield ctx.finding(
                    path,
                    f"{capacity.reservation_id!r} is not an EC2 capacity reservation id",
                    "ids look like cr-0123456789abcdef0",
                )
        elif capacity.reservation_id:
            yield ctx.finding(
                path,
                f"reservation_id is ignored for capacity type {capacity.type}",
                "set capacity.type to reservation or capacity_block, or drop the id",
                severity=Severity.WARNING,
            )


@rule("CAP002", "No cluster placement group on a Capacity Block or a reservation", clouds=("aws",))
def placement_on_reserved(ctx: Context) -> Iterator[Finding]:
    """EC2 places reserved capacity itself; forcing a placement group gives insufficient-capacity
    errors or fewer instances (terraform-aws-eks PR 3730, eksctl issue 7949, ParallelCluster
    PlacementGroupCapacityTypeValidator)."""
    for pool in ctx.resolved.pools:
        kind = pool.spec.capacity.type
        if pool.spec.placement_group and kind in ("capacity_block", "reservation"):
            yield ctx.finding(
                f"{pool.path}.placement_group",
                f"a cluster placement group on a {kind.replace('_', ' ')} gives insufficient-capacity errors or fewer instances",
                "drop placement_group: the reserved capacity is already co-located"
                + (
                    ""
                    if kind == "capacity_block"
                    else " (only a reservation created in that placement group works)"
                ),
                severity=Severity.ERROR if kind == "capacity_block" else Severity.WARNING,
            )


@rule("CAP003", "The capacity type is sold for this cloud and instance type")
def capacity_available(ctx: Context) -> Iterator[Finding]:
    allowed = profile(ctx.cluster.cloud).capacity_types
    for pool in ctx.resolved.pools:
        kind = pool.spec.capacity.type
        path = f"{pool.path}.capacity.type"
        if kind not in allowed:
            yield ctx.finding(
                path,
                f"{ctx.cluster.cloud} has no {kind} capacity",
                f"use one of: {', '.join(allowed)}",
            )
            continue
        offering = pool.offering
        usage = USAGE_CLASS.get(kind)
        if (
            ctx.cluster.cloud == "aws"
            and offering
            and usage
            and offering.usage_classes
            and usage not in offering.usage_classes
        ):
            yield ctx.finding(
                path,
                f"{offering.instance_type} is not sold as {usage}",
                f"{offering.instance_type} is sold as: {', '.join(offering.usage_classes)}",
            )


@rule(
    "CAP004", "A Capacity Block pool has a fixed size", severity=Severity.WARNING, clouds=("aws",)
)
def capacity_block_size(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        if pool.spec.capacity.type == "capacity_block" and pool.min_size != pool.max_size:
            yield ctx.finding(
                f"{pool.path}.nodes",
                f"a Capacity Block is a fixed number of instances, but the pool scales {pool.min_size}..{pool.max_size}",
                "set `nodes` to the block's instance count; before the block starts, and for node group upgrades, EKS "
                "needs the group at 0 nodes (scale it up when the block is active)",
            )
