"""GKE IP space, decided once: whether a GKE cluster's node subnet and Pod and Service ranges
hold the cluster at its maximum size.

Validation (GKE011, ``validate/rules/gke_ipspace.py``) calls :func:`problems`; the facts (GKE's default maximum Pods per node, the
per-node Pod block size, the reserved subnet addresses, the IPv4-only secondary ranges) are
catalog data (``data/gcp/services.json``: ``gke_ipspace`` and ``network``) with their source.

* Nodes take their addresses from the node subnet (``network.cidr``), less its four reserved
  addresses.
* Every node takes one block of the Pod range (``network.pods_cidr``) sized from its maximum
  Pods per node: clusterforge's node pools set none, so GKE's Standard default (110) gives each
  node a /24, and a /14 Pod range holds 1,024 nodes.
* The Pod and Service ranges are secondary ranges of the node subnet: IPv4 only.

The extra NIC subnets of GPU and TPU pools are sized by :mod:`clusterforge.catalog.gcp_network`
(GKE005), and overlaps between ranges are GKE003's.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clusterforge.catalog import gcp_network

if TYPE_CHECKING:
    from clusterforge.catalog.resolve import ResolvedCluster, ResolvedPool


@dataclass(frozen=True)
class IpSpaceProblem:
    """One range that cannot hold the cluster: the spec path, what is wrong, what to do."""

    path: str
    message: str
    fix: str


def facts(catalog: Any) -> dict[str, Any]:
    """The ``gke_ipspace`` facts of the GCP catalog (see :func:`gcp_network.section`)."""
    return gcp_network.section(catalog, "gke_ipspace")


def pool_nodes(pool: ResolvedPool) -> int:
    """The nodes a pool may have at its maximum size (every slice of a TPU pool is its own)."""
    return pool.max_size * (pool.slices if pool.is_tpu else 1)


def per_node_pod_prefix(max_pods: int, ipspace_facts: dict[str, Any]) -> int:
    """The prefix of the Pod block GKE gives a node with ``max_pods`` maximum Pods per node."""
    for limit, prefix in ipspace_facts["pod_range_prefix_by_max_pods"]:
        if max_pods <= int(limit):
            return int(prefix)
    raise ValueError(f"GKE has no Pod block size for {max_pods} Pods per node")


def problems(resolved: ResolvedCluster, catalog: Any) -> list[IpSpaceProblem]:
    """The node subnet, Pod range and Service range problems of a GKE cluster at its maximum
    size. A range that does not parse is left to NET001 / GKE003, which report it."""
    ipspace = facts(catalog)
    reserved = int(gcp_network.facts(catalog)["gpu_subnet_reserved_addresses"])
    version = int(ipspace["secondary_ranges_ip_version"])
    network = resolved.spec.network
    nodes = sum(pool_nodes(p) for p in resolved.pools)
    found: list[IpSpaceProblem] = []

    node_range = _parse(network.cidr)
    if node_range is not None and node_range.version == 4:
        usable = max(0, node_range.num_addresses - reserved)
        if nodes > usable:
            needed = _prefix_for(nodes + reserved)
            found.append(
                IpSpaceProblem(
                    "network.cidr",
                    f"the node subnet {node_range} has {usable:,} usable addresses "
                    f"({node_range.num_addresses:,} less {reserved} reserved), but the node pools "
                    f"may grow to {nodes:,} nodes",
                    f"use a /{needed} or larger node subnet, or fewer nodes (the pools' nodes / "
                    "max_nodes)",
                )
            )

    max_pods = int(ipspace["default_max_pods_per_node"])
    block = per_node_pod_prefix(max_pods, ipspace)
    for name, label in (("pods_cidr", "Pod"), ("services_cidr", "Service")):
        value = getattr(network, name)
        parsed = _parse(value)
        if parsed is not None and parsed.version != version:
            found.append(
                IpSpaceProblem(
                    f"network.{name}",
                    f"{value} is IPv{parsed.version}: GKE's {label} range is a secondary range "
                    f"of the node subnet, and those are IPv{version}",
                    f"use a private IPv{version} range such as "
                    f"{'10.64.0.0/14' if name == 'pods_cidr' else '10.68.0.0/20'}",
                )
            )
        elif parsed is not None and name == "pods_cidr":
            capacity = 2 ** (block - parsed.prefixlen) if parsed.prefixlen <= block else 0
            if nodes > capacity:
                found.append(
                    IpSpaceProblem(
                        "network.pods_cidr",
                        f"the Pod range {parsed} holds {capacity:,} nodes (GKE gives every node a "
                        f"/{block} of it for its {max_pods} maximum Pods), but the node pools may "
                        f"grow to {nodes:,} nodes",
                        f"use a /{block - _bits(nodes)} or larger Pod range that overlaps no "
                        "other network range, or fewer nodes (the pools' nodes / max_nodes)",
                    )
                )
    return found


def _parse(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        return None


def _bits(count: int) -> int:
    """The bits needed to number ``count`` items (0 for one)."""
    return max(0, (count - 1).bit_length())


def _prefix_for(addresses: int) -> int:
    """The longest IPv4 prefix whose range has at least ``addresses`` addresses."""
    return 32 - _bits(addresses)
