"""List-price cost estimate of a resolved cluster, from the catalog's price data.

Node pools are priced at their desired size (and their maximum is shown for autoscaled pools);
the control plane, NAT gateways and file systems from the catalog's service prices. A price the
catalog does not have is reported as missing — never guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from clusterforge.catalog.resolve import ResolvedCluster, ResolvedPool

HOURS_PER_MONTH = 730


@dataclass
class CostItem:
    name: str
    kind: str
    quantity: float
    unit: str
    unit_usd: float | None
    hourly_usd: float | None
    note: str = ""
    max_hourly_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "kind": self.kind,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_usd": self.unit_usd,
            "hourly_usd": _round(self.hourly_usd),
            "monthly_usd": _round(self.hourly_usd * HOURS_PER_MONTH)
            if self.hourly_usd is not None
            else None,
        }
        if self.max_hourly_usd is not None:
            data["max_hourly_usd"] = _round(self.max_hourly_usd)
        if self.note:
            data["note"] = self.note
        return data


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
            "hourly_usd": _round(self.hourly_usd),
            "monthly_usd": _round(self.monthly_usd),
            "complete": not self.missing,
            "items": [i.to_dict() for i in self.items],
        }


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def estimate(resolved: ResolvedCluster, today: dt.date | None = None) -> CostEstimate:
    spec = resolved.spec
    region = spec.region
    result = CostEstimate(region=region)
    catalog = resolved.catalog
    if catalog is None:
        return result
    services = catalog.services

    for pool in resolved.pools:
        item = _pool_item(pool, region)
        if item is not None:
            result.items.append(item)
    if spec.cloud == "aws":
        result.items += _aws_services(resolved, services, today)
    elif spec.cloud == "gcp":
        result.items += _gcp_services(resolved, services)
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


def _aws_services(
    resolved: ResolvedCluster, services: dict[str, Any], today: dt.date | None
) -> list[CostItem]:
    spec = resolved.spec
    region = spec.region
    catalog = resolved.catalog
    items: list[CostItem] = []
    control_plane = services.get("eks_control_plane_usd_per_hour", {})
    if control_plane and catalog is not None:
        version = catalog.kubernetes_version(spec.kubernetes.version)
        now = today or dt.date.today()
        extended = bool(
            version
            and version.end_of_standard_support
            and dt.date.fromisoformat(version.end_of_standard_support) <= now
        )
        rate = control_plane["extended" if extended else "standard"]
        items.append(
            CostItem(
                "EKS control plane",
                "control-plane",
                1,
                "cluster-hour",
                rate,
                rate,
                "extended support rate" if extended else "",
            )
        )
    nat_rate = services.get("nat_gateway_usd_per_hour", {}).get(region or "")
    zones = len(spec.network.zones or []) or 3
    count = zones if spec.network.nat == "per_zone" else 1
    items.append(
        CostItem(
            "NAT gateway",
            "network",
            count,
            "gateway-hour",
            nat_rate,
            nat_rate * count if nat_rate is not None else None,
            "data processing per GB not included"
            if nat_rate is not None
            else f"no NAT price for {region} in the catalog",
        )
    )
    fsx_prices = services.get("fsx_lustre_usd_per_gib_month", {}).get(region or "", {})
    for storage in resolved.storage:
        if storage.deployment_type is None or storage.spec.capacity_gib is None:
            continue
        key = storage.deployment_type
        if storage.deployment_type.startswith("PERSISTENT"):
            key = f"{storage.deployment_type}_{storage.throughput_mbps_per_tib}"
        items.append(
            _storage_item(
                f"FSx for Lustre {storage.name}",
                storage.spec.capacity_gib,
                key,
                fsx_prices.get(key),
                region,
            )
        )
    return items


def _gcp_services(resolved: ResolvedCluster, services: dict[str, Any]) -> list[CostItem]:
    region = resolved.spec.region
    items: list[CostItem] = []
    fee = services.get("gke_cluster_management_usd_per_hour")
    if fee is not None:
        items.append(
            CostItem("GKE cluster management fee", "control-plane", 1, "cluster-hour", fee, fee)
        )
    tables = {
        "managed-lustre": ("Managed Lustre", "managed_lustre_usd_per_gib_month"),
        "filestore": ("Filestore", "filestore_usd_per_gib_month"),
        "parallelstore": ("Parallelstore", "parallelstore_usd_per_gib_month"),
    }
    for storage in resolved.storage:
        if storage.service not in tables or storage.spec.capacity_gib is None:
            continue
        label, table = tables[storage.service]
        key = str(
            storage.throughput_mbps_per_tib
            if storage.service == "managed-lustre"
            else storage.tier or ""
        )
        price = services.get(table, {}).get(region or "", {}).get(key)
        items.append(
            _storage_item(f"{label} {storage.name}", storage.spec.capacity_gib, key, price, region)
        )
    return items


def _storage_item(
    name: str, capacity_gib: int, key: str, per_gib_month: float | None, region: str | None
) -> CostItem:
    hourly = per_gib_month * capacity_gib / HOURS_PER_MONTH if per_gib_month is not None else None
    return CostItem(
        name,
        "storage",
        capacity_gib,
        f"GiB-month {key}".strip(),
        per_gib_month,
        hourly,
        ""
        if per_gib_month is not None
        else f"no {name.split(' ')[0]} {key} price (USD per GiB-month) for {region} in the catalog",
    )
