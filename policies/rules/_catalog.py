"""Hardware facts for the rules, from the clusterforge catalog (one source of truth).

EFA interfaces per instance type, GKE GPU NIC layout (``gpu_nics`` + ``gvnic_nics``), TPU
generations with chips per VM and valid topologies, and list prices all come from
``clusterforge.catalog``; a cloud whose catalog is missing yields ``None`` (the rule skips).
"""

from __future__ import annotations

import re

from clusterforge.catalog import CloudCatalog, Offering, TpuGeneration, load
from clusterforge.errors import CatalogError

_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")


def catalog(cloud: str) -> CloudCatalog | None:
    try:
        return load(cloud)
    except CatalogError:
        return None


def offering(cloud: str, instance_type: object) -> Offering | None:
    data = catalog(cloud)
    return data.get(instance_type) if data is not None and isinstance(instance_type, str) else None


def tpu_generation(machine_type: object) -> tuple[Offering, TpuGeneration] | None:
    """The offering and TPU generation of a TPU machine type (``ct5p-hightpu-4t``), else None."""
    found = offering("gcp", machine_type)
    data = catalog("gcp")
    if found is None or data is None or not found.tpu_generation:
        return None
    generation = data.tpus.get(found.tpu_generation)
    return (found, generation) if generation is not None else None


def hourly_price(cloud: str, instance_type: object, region: str | None) -> float | None:
    """On-demand list price in USD per hour, or None when the catalog has none."""
    found = offering(cloud, instance_type)
    return found.price(region) if found is not None else None


def gcp_region(location: object) -> str | None:
    """``us-central1-a`` → ``us-central1``; a region stays as it is."""
    if not isinstance(location, str) or not location:
        return None
    match = _ZONE.match(location)
    return match.group(1) if match else location


def is_gcp_zone(location: object) -> bool:
    return isinstance(location, str) and bool(_ZONE.match(location))
