"""A priced line of a cost estimate: a quantity at a unit price from the catalog's price data,
or at no price when the catalog has none (reported as missing, never guessed).

The estimate (clusterforge/cost.py) prices the node pools; each cloud's ``service_costs`` hook
(clusterforge/clouds/<cloud>.py) prices its managed services with the same items, so the hooks
need only the catalog layer and cost can call them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HOURS_PER_MONTH = 730


def round_usd(value: float | None) -> float | None:
    """A price as the estimate shows it (4 decimal places)."""
    return round(value, 4) if value is not None else None


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
            "hourly_usd": round_usd(self.hourly_usd),
            "monthly_usd": round_usd(self.hourly_usd * HOURS_PER_MONTH)
            if self.hourly_usd is not None
            else None,
        }
        if self.max_hourly_usd is not None:
            data["max_hourly_usd"] = round_usd(self.max_hourly_usd)
        if self.note:
            data["note"] = self.note
        return data


def storage_item(
    name: str, capacity_gib: int, key: str, per_gib_month: float | None, region: str | None
) -> CostItem:
    """A file system's cost item: ``capacity_gib`` at ``per_gib_month`` (None: not priced)."""
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
