"""List-price cost estimate of a resolved cluster, from the catalog's price data.

Node pools are priced at their desired size (and their maximum is shown for autoscaled pools);
the control plane, NAT gateways and file systems from the catalog's service prices. A price the
catalog does not have is reported as missing — never guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from clusterforge.catalog.prices import HOURS_PER_MONTH, CostItem, round_usd
from clusterforge.catalog.resolve import ResolvedCluster, ResolvedPool
from clusterforge.clouds import profile

__all__ = ["HOURS_PER_MONTH", "CostEstimate", "CostItem", "estimate"]


@dataclass
class CostEstimate:
    items: list[CostItem] = field(default_factory=list)
    region: str | None = None

    @property
    def hourly_usd(self) -> float:
        return sum(i.hourly_usd for i in self.items if i.hourly_usd is not None)

    @property
    def monthly_usd(self) -> float:
        return self.hourly_usd * HOURS_PER_MONTH

    @property
    def missing(self) -> list[CostItem]:
        return [i for i in self.items if i.hourly_usd is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "region": self.region,
            "hourly_usd": round_usd(self.hourly_usd),
            "monthly_usd": round_usd(self.monthly_usd),
            "complete": not self.missing,
            "items": [i.to_dict() for i in self.items],
        }


def estimate(resolved: ResolvedCluster, today: dt.date | None = None) -> CostEstimate:
    spec = resolved.spec
    region = spec.region
    result = CostEstimate(region=region)
    catalog = resolved.catalog
    if catalog is None:
        return result

    for pool in resolved.pools:
        item = _pool_item(pool, region)
        if item is not None:
            result.items.append(item)
    # The cloud's managed services (control plane, NAT, file systems): its profile's hook, if it
    # names one (none: the cloud has no managed service clusterforge prices).
    service_costs = profile(spec.cloud).optional_hook("service_costs")
    if service_costs is not None:
        result.items += service_costs(resolved, catalog, today)
    return result


def _pool_item(pool: ResolvedPool, region: str | None) -> CostItem | None:
    offering = pool.offering
    if offering is None:
        return None
    price = offering.price(region)
    notes = []
    capacity = pool.spec.capacity.type
    if capacity == "spot":
        notes.append("spot: on-demand list price shown as the ceiling")
    elif capacity == "capacity_block":
        notes.append(
            "Capacity Block: paid up front at the block's price; on-demand list price shown for comparison"
        )
    elif capacity == "reservation":
        notes.append("reservation: billed at the on-demand rate whether used or not")
    elif capacity == "flex_start":
        notes.append("flex-start: discounted DWS price; on-demand list price shown as the ceiling")
    if price is None:
        notes.append(
            f"no on-demand list price (USD per instance-hour) for {offering.instance_type} in "
            f"{region} in the catalog"
        )
    if pool.is_tpu:
        notes.append(
            f"{pool.slices} slice(s) of {pool.topology}: {pool.desired} hosts x {offering.accelerator_count} chips each"
        )
    nodes = pool.total_nodes
    hourly = price * nodes if price is not None else None
    top = (
        price * pool.max_size * pool.slices
        if price is not None and pool.max_size != pool.desired
        else None
    )
    if pool.min_size != pool.max_size:
        notes.append(f"autoscales {pool.min_size}..{pool.max_size} nodes")
    return CostItem(
        name=f"node pool {pool.name}",
        kind="compute",
        quantity=nodes,
        unit=f"{offering.instance_type} node-hour",
        unit_usd=price,
        hourly_usd=hourly,
        note="; ".join(notes),
        max_hourly_usd=top,
    )
