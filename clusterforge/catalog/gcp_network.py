"""GKE network layout, decided once: the primary VPC's MTU, the extra NIC networks of a machine
type, the subnets they get, and the cluster's named IP ranges with their overlaps.

Validation (GKE003, GKE005), the GCP components (``modules/gcp``) and the fabric policy call
these functions, so the ranges a rule checks are the ranges the program builds. The facts (MTUs,
the /20 subnet size) are catalog data (``data/gcp/services.json``: ``network``) with their source.

* TCPX / TCPXO (a3-highgpu-8g, a3-megagpu-8g): one VPC per GPU NIC, one subnet each, MTU 8244;
  the primary VPC takes 8244 too (Cluster Toolkit gke-a3-highgpu / gke-a3-megagpu).
* RDMA (a3-ultragpu-8g, a4-highgpu-8g): one RoCE VPC with one subnet per RDMA NIC plus a VPC per
  further gVNIC, MTU 8896.
* Machine types whose catalog row says ``network_profile: auto`` (a4x-highgpu-4g) get GKE's
  accelerator network profile (DRANET): GKE creates their networks, so none are planned here.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clusterforge.catalog.model import Offering

if TYPE_CHECKING:
    from clusterforge.catalog.resolve import ResolvedCluster, ResolvedPool
    from clusterforge.spec.models import NetworkConfig

TCPX_FABRICS = ("gpudirect-tcpx", "gpudirect-tcpxo")
#: Spec paths of the cluster's own ranges, in the order findings name them.
BASE_RANGES = ("cidr", "pods_cidr", "services_cidr", "master_cidr")
PSA_SERVICES = ("managed-lustre", "parallelstore")


@dataclass(frozen=True)
class NicNetwork:
    """One extra VPC a machine type's NICs need: kind, how many subnets, GKE device mode, MTU."""

    key: str
    kind: str
    subnet_count: int
    device_mode: str
    mtu: int


@dataclass(frozen=True)
class PlannedNetwork:
    """A NIC network with the subnet ranges allocated to it."""

    network: NicNetwork
    subnets: tuple[str, ...]


def section(catalog: Any, key: str) -> dict[str, Any]:
    """The ``key`` facts of the GCP catalog (services.json, with their source); ``None`` reads
    the installed GCP catalog. A catalog without them is an error, never a silent copy."""
    if catalog is None:
        from clusterforge.catalog import load

        catalog = load("gcp")
    data = (getattr(catalog, "extra", None) or {}).get(key)
    if not data:
        from clusterforge.errors import CatalogError

        raise CatalogError(f"the GCP catalog has no `{key}` facts (data/gcp/services.json)")
    return dict(data)


def facts(catalog: Any) -> dict[str, Any]:
    """The ``network`` facts of the GCP catalog (see :func:`section`)."""
    return section(catalog, "network")


def gke_managed_networks(offering: Offering | None) -> bool:
    """Whether the type always uses GKE's accelerator network profile (``auto``: A4X)."""
    return offering is not None and offering.network_profile == "auto"


def uses_network_profile(pool: ResolvedPool) -> bool:
    """Whether GKE builds the pool's NIC networks (accelerator network profile ``auto``, DRANET):
    the type requires it, or the pool asks for it with ``network_profile: auto``."""
    return gke_managed_networks(pool.offering) or pool.spec.network_profile == "auto"


def network_profile_minimum(pool: ResolvedPool, gke_facts: dict[str, Any]) -> str | None:
    """The oldest GKE node version the pool runs on: the type's own minimum, else DRANET's when
    the pool uses the accelerator network profile."""
    if pool.offering is not None and pool.offering.min_gke_version:
        return pool.offering.min_gke_version
    if pool.spec.network_profile == "auto":
        return gke_facts.get("dranet_min_version")
    return None


def nic_networks(
    offering: Offering, network_facts: dict[str, Any] | None = None
) -> list[NicNetwork]:
    """The extra VPCs ``offering`` needs (empty without GPUDirect NICs, or when GKE builds them).
    The MTU facts load only where a network is built: an AWS pool never loads the GCP catalog."""
    kind = offering.fabric_kind
    if gke_managed_networks(offering):
        return []
    if kind in TCPX_FABRICS:
        mtu = _mtu_by_fabric(network_facts)[kind]
        return [NicNetwork(f"gpu{i}", kind, 1, "NetDevice", mtu) for i in range(offering.gpu_nics)]
    if offering.is_tpu:
        # v6e 4-chip VMs: one more gVNIC on its own VPC for slice-to-slice (DCN) traffic.
        mtu = _mtu_by_fabric(network_facts)["gvnic"]
        return [
            NicNetwork(f"gvnic{i + 1}", "gvnic", 1, "NetDevice", mtu)
            for i in range(max(0, offering.gvnic_nics - 1))
        ]
    if kind == "rdma":
        mtus = _mtu_by_fabric(network_facts)
        gvnics = [
            NicNetwork(f"gvnic{i + 1}", "gvnic", 1, "NetDevice", mtus["gvnic"])
            for i in range(max(0, offering.gvnic_nics - 1))
        ]
        return [*gvnics, NicNetwork("rdma", "rdma", offering.gpu_nics, "RDMA", mtus["rdma"])]
    return []


def _mtu_by_fabric(network_facts: dict[str, Any] | None) -> dict[str, int]:
    """Each NIC kind's MTU from the ``network`` facts given, else the GCP catalog's."""
    mtus: dict[str, int] = (network_facts or facts(None))["mtu_by_fabric"]
    return mtus


def tpu_dcn_nic(pool: ResolvedPool) -> bool:
    """Whether a TPU pool gets its machine type's second NIC network (v6e ct6e-standard-4t):
    when its traffic crosses hosts (a multi-host slice, or several slices), unless the pool
    says ``fabric: none`` or lets GKE build the networks (``network_profile: auto``)."""
    return (
        pool.is_tpu
        and pool.spec.fabric != "none"
        and (pool.desired > 1 or pool.slices > 1)
        and not uses_network_profile(pool)
    )


def pools_with_nic_networks(pools: Iterable[ResolvedPool]) -> list[ResolvedPool]:
    """Pools that get extra NIC networks: a fabric (or a TPU pool talking across hosts), a zone,
    and a type with extra NICs."""
    return [
        p
        for p in pools
        if p.offering is not None
        and (tpu_dcn_nic(p) if p.is_tpu else p.fabric != "none")
        and p.zone
        and not uses_network_profile(p)
        and nic_networks(p.offering)
    ]


def built_nic_networks(pool: ResolvedPool) -> list[NicNetwork]:
    """The extra NIC networks clusterforge builds for ``pool`` (the decision of
    :func:`pools_with_nic_networks`): what the plan table shows as a TPU pool's fabric."""
    if pool.offering is None or not pools_with_nic_networks([pool]):
        return []
    return nic_networks(pool.offering)


def subnet_prefix(max_nodes: int, network_facts: dict[str, Any] | None = None) -> int:
    """The subnet size for a pool of ``max_nodes``: /20, or larger when the pool needs more."""
    data = network_facts or facts(None)
    needed = max(1, max_nodes) + int(data["gpu_subnet_reserved_addresses"])
    return min(int(data["gpu_subnet_prefix"]), 32 - math.ceil(math.log2(needed)))


def gpu_subnets(
    pools: Sequence[ResolvedPool], gpu_cidr: str, network_facts: dict[str, Any] | None = None
) -> tuple[dict[str, list[PlannedNetwork]], list[str]]:
    """Allocate every NIC subnet of ``pools`` from ``gpu_cidr``, in pool order, without overlaps.

    Returns the plan per pool name and the problems (a range too small, an invalid CIDR); the
    plan is partial when there are problems.
    """
    data = network_facts or facts(None)
    try:
        space = ipaddress.ip_network(gpu_cidr, strict=True)
    except ValueError as exc:
        return {}, [f"{gpu_cidr!r} is not a valid CIDR: {exc}"]
    plan: dict[str, list[PlannedNetwork]] = {}
    cursor = int(space.network_address)
    end = int(space.broadcast_address)
    for pool in pools_with_nic_networks(pools):
        assert pool.offering is not None
        # All slices of a TPU pool attach the same subnets.
        prefix = subnet_prefix(pool.max_size * (pool.slices if pool.is_tpu else 1), data)
        size = 2 ** (32 - prefix)
        planned: list[PlannedNetwork] = []
        for net in nic_networks(pool.offering, data):
            cidrs = []
            for _ in range(net.subnet_count):
                cursor = -(-cursor // size) * size  # align to the subnet size
                if prefix < space.prefixlen or cursor + size - 1 > end:
                    wanted = sum(
                        n.subnet_count
                        for p in pools_with_nic_networks(pools)
                        if p.offering is not None
                        for n in nic_networks(p.offering, data)
                    )
                    return plan, [
                        f"{gpu_cidr} is too small for the extra NIC subnets (GPU/TPU): the pools need {wanted} "
                        f"subnets of /{prefix} or larger"
                    ]
                cidrs.append(f"{ipaddress.IPv4Address(cursor)}/{prefix}")
                cursor += size
            planned.append(PlannedNetwork(net, tuple(cidrs)))
        plan[pool.name] = planned
    return plan, []


def named_ranges(
    network: NetworkConfig, *, gpu: bool, psa: bool
) -> tuple[dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network], dict[str, str]]:
    """The cluster's ranges by spec path (``network.cidr``, ...), and those that do not parse.

    ``gpu_cidr`` and ``psa_cidr`` take part only when the stack uses them (GPU NIC networks,
    storage behind private services access), so an unused default never gets in the way.
    """
    names = list(BASE_RANGES) + (["gpu_cidr"] if gpu else []) + (["psa_cidr"] if psa else [])
    parsed: dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network] = {}
    invalid: dict[str, str] = {}
    for name in names:
        value = getattr(network, name)
        try:
            parsed[f"network.{name}"] = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            invalid[f"network.{name}"] = f"{value!r} is not a valid CIDR: {exc}"
    return parsed, invalid


def overlaps(
    ranges: dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> list[tuple[str, str]]:
    """Pairs of spec paths whose ranges overlap (the later path second)."""
    items = list(ranges.items())
    return [
        (path_a, path_b)
        for i, (path_a, a) in enumerate(items)
        for path_b, b in items[i + 1 :]
        if a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]
    ]


def uses_psa(resolved: ResolvedCluster) -> bool:
    return any(s.service in PSA_SERVICES for s in resolved.storage)


def primary_mtu(
    resolved: ResolvedCluster, network_facts: dict[str, Any] | None = None
) -> int | None:
    """The primary VPC's MTU: 8244 with TCPX/TCPXO pools, else the jumbo 8896 for clusters with
    GPUDirect, TPU multi-slice or Managed Lustre traffic; None (GCE's default 1460) otherwise."""
    data = network_facts or facts(None)
    fabrics = {p.fabric for p in resolved.pools if p.offering is not None and p.fabric != "none"}
    if fabrics & set(TCPX_FABRICS):
        return int(data["mtu_by_fabric"]["gpudirect-tcpxo"])
    multislice = any(p.is_tpu and p.slices > 1 for p in resolved.pools)
    lustre = any(s.service == "managed-lustre" for s in resolved.storage)
    if fabrics or multislice or lustre:
        return int(data["jumbo_mtu"])
    return None


def gke_version(text: str | None) -> tuple[int, int, int, int] | None:
    """``1.33.2-gke.4655000`` → (1, 33, 2, 4655000); ``1.35`` → (1, 35, 0, 0); None if unparsable.

    A minor version without a patch stands for its oldest patch: a check that needs a newer
    patch of the same minor stays on the safe side.
    """
    if not text:
        return None
    head, _, gke = str(text).partition("-gke.")
    parts = head.split(".")
    try:
        numbers = [int(p) for p in parts[:3]] + [0] * (3 - len(parts[:3]))
        return (numbers[0], numbers[1], numbers[2], int(gke) if gke else 0)
    except ValueError:
        return None


def version_shortfall(version: str | None, minimum: str | None) -> str | None:
    """``below`` when ``version``'s minor is older than ``minimum``'s, ``patch`` when the same
    minor might carry an older patch, None when ``version`` certainly meets ``minimum``."""
    have, need = gke_version(version), gke_version(minimum)
    if have is None or need is None:
        return None
    if have[:2] < need[:2]:
        return "below"
    if have < need:
        return "patch"
    return None


def lustre_ports(storage_facts: dict[str, Any]) -> tuple[int, int]:
    """(port, legacy port) Managed Lustre serves on, from the catalog's storage facts."""
    return int(storage_facts["port"]), int(storage_facts["legacy_port"])


def lustre_legacy_port(version: str | None, storage_facts: dict[str, Any]) -> bool:
    """Whether the GKE Lustre CSI driver must use the legacy port 6988 (and the instance be made
    with gke_support_enabled): node versions older than 1.33.2-gke.4655000."""
    until = storage_facts.get("legacy_port_until_node_version")
    return until is not None and version_shortfall(version, until) is not None


def workload_policy_topology(pool: ResolvedPool, catalog: Any) -> str | None:
    """The accelerator topology of the HIGH_THROUGHPUT workload policy ``pool`` is placed by, or
    None when it uses no workload policy.

    A4X (``accelerator_topology: 1x72``, one NVL72 domain) always; TPU generations whose
    multi-host slices use a workload policy (TPU7x) when the slice spans more than one VM — for
    them the policy replaces COMPACT + ``tpu_topology`` (GKE 'About Ironwood (TPU7x) in GKE').
    """
    offering = pool.offering
    if offering is None:
        return None
    if offering.accelerator_topology:
        return offering.accelerator_topology
    tpus = getattr(catalog, "tpus", None) or {}
    generation = tpus.get(offering.tpu_generation or "")
    if generation is not None and generation.uses_workload_policy and pool.desired > 1:
        return pool.topology
    return None


def compact_placement_max_vms(offering: Offering | None, gke_facts: dict[str, Any]) -> int | None:
    """The most VMs one compact placement policy holds for ``offering``'s machine series, as a
    GKE ``COMPACT`` node pool gets it (no max distance: Compute Engine's best-effort maximum
    where a page states it per series, else GKE's own ``default_max_vms``); None when the
    series has no compact placement (``Offering.supports_cluster_placement``: EFA005) or the
    facts are missing.

    TPU slices are sized by their topology and A4X by its workload policy, not by this table
    (``services.json`` ``gke.compact_placement``, with its source)."""
    facts = gke_facts.get("compact_placement") or {}
    if offering is None or not offering.supports_cluster_placement or not facts:
        return None
    cap = (facts.get("max_vms_by_series") or {}).get(offering.family, facts.get("default_max_vms"))
    return None if cap is None else int(cap)


def is_specific_reservation(pool: ResolvedPool) -> bool:
    """A pool that consumes one named reservation: no spare capacity to surge into."""
    capacity = pool.spec.capacity
    return capacity.type == "reservation" and bool(capacity.reservation_id)


def lustre_capacity_problem(tier: dict[str, Any], capacity_gib: int) -> tuple[str, int] | None:
    """What is wrong with ``capacity_gib`` for a Managed Lustre tier, and the nearest valid size.

    ``tier`` is a catalog row (min_gib, max_gib, step_gib; large_step_gib above threshold_gib
    for tiers with two steps). None when the capacity is valid.
    """
    low, high, step = int(tier["min_gib"]), int(tier["max_gib"]), int(tier["step_gib"])
    threshold = tier.get("threshold_gib")
    large = int(tier.get("large_step_gib") or step)
    if capacity_gib < low:
        return f"starts at {low:,} GiB", low
    if capacity_gib > high:
        return f"ends at {high:,} GiB", high
    unit = large if threshold is not None and capacity_gib > int(threshold) else step
    if capacity_gib % unit:
        nearest = max(low, round(capacity_gib / unit) * unit)
        if threshold is not None and unit == large and nearest <= int(threshold):
            nearest = (int(threshold) // step) * step
        where = f" above {int(threshold):,} GiB" if unit == large and threshold is not None else ""
        return f"grows in steps of {unit:,} GiB{where}", min(nearest, high)
    return None
