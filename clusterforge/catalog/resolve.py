"""Resolve a spec against the catalog: which instance type, fabric, zone, AMI and placement each
pool gets, and where each file system lives.

The result is what validation rules check and what the modules build — one decision, made
once. Resolution never fails: what cannot be resolved is left ``None`` and the validation rules
report it with its path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from clusterforge.catalog import CloudCatalog, Offering, load
from clusterforge.catalog.addons import resolve_addons
from clusterforge.catalog.efa import efa_interface_count
from clusterforge.clouds import cluster_clouds, profile
from clusterforge.errors import CatalogError
from clusterforge.spec.models import Cluster, NodePool, Storage, Taint

#: Vendor taints that keep system pods off accelerator nodes (device plugins tolerate them).
NVIDIA_TAINT = Taint(key="nvidia.com/gpu", value="present", effect="NoSchedule")
NEURON_TAINT = Taint(key="aws.amazon.com/neuron", value="present", effect="NoSchedule")
TPU_TAINT = Taint(key="google.com/tpu", value="present", effect="NoSchedule")

DEFAULT_LUSTRE_THROUGHPUT = 250
DEFAULT_FILESTORE_TIER = "ZONAL"

#: FSx for Lustre defaults when the spec names only `type: lustre` / `parallel`.
DEFAULT_FSX_DEPLOYMENT = "PERSISTENT_2"
DEFAULT_FSX_THROUGHPUT = DEFAULT_LUSTRE_THROUGHPUT

#: Capacity types bought against a reservation or scheduler: the cloud places the instances, a
#: placement group / compact policy must not be forced on them.
RESERVED_CAPACITY = ("capacity_block", "reservation", "flex_start")


@dataclass(frozen=True)
class ResolvedPool:
    index: int
    spec: NodePool
    offering: Offering | None
    zone: str | None
    #: The fabric actually built: efa (AWS), gpudirect-tcpx, gpudirect-tcpxo, rdma (GCP), none.
    fabric: str
    efa_interfaces: int
    #: An EC2 cluster placement group / a GCE compact placement policy.
    placement_group: bool
    ami_type: str | None
    desired: int
    min_size: int
    max_size: int
    cloud: str = "aws"
    #: TPU slice topology and the number of identical slices (one node pool each).
    topology: str | None = None
    slices: int = 1

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> str:
        return f"node_pools[{self.index}]"

    @property
    def instance_type(self) -> str | None:
        return self.offering.instance_type if self.offering else self.spec.instance_type

    @property
    def is_accelerated(self) -> bool:
        if self.offering is not None:
            return self.offering.is_accelerated
        return self.spec.accelerator is not None

    @property
    def is_tpu(self) -> bool:
        return self.offering is not None and self.offering.is_tpu

    @property
    def vendor_taint(self) -> Taint | None:
        """The taint that keeps other pods off this pool's accelerators (GKE adds its own itself)."""
        if self.offering is None:
            return None
        if self.offering.is_tpu:
            return TPU_TAINT
        if self.offering.is_nvidia:
            return NVIDIA_TAINT
        if self.offering.is_neuron:
            return NEURON_TAINT
        return None

    @property
    def taints(self) -> list[Taint]:
        """Every taint the nodes carry: the user's, plus the vendor taint unless the user set that key."""
        own = list(self.spec.taints)
        vendor = self.vendor_taint
        return own + ([vendor] if vendor and all(vendor.key != o.key for o in own) else [])

    @property
    def node_labels(self) -> dict[str, str]:
        """Labels that select this pool's nodes: the declared selector of an existing cluster's
        pool, else the pool label clusterforge puts on the nodes it creates."""
        return dict(self.spec.node_selector) or {"clusterforge.io/pool": self.name}

    @property
    def total_nodes(self) -> int:
        """Desired nodes over every slice."""
        return self.desired * self.slices

    @property
    def labels(self) -> dict[str, str]:
        labels = {"clusterforge.io/pool": self.name}
        if self.offering is not None and self.offering.accelerator:
            labels["clusterforge.io/accelerator"] = self.offering.accelerator.lower()
        if self.offering is not None and self.offering.is_nvidia:
            # The label the NVIDIA device plugin and DCGM exporter charts select GPU nodes by.
            labels["nvidia.com/gpu.present"] = "true"
        if self.fabric != "none":
            labels["clusterforge.io/fabric"] = self.fabric
        labels.update(self.spec.labels)
        return labels


@dataclass(frozen=True)
class ResolvedStorage:
    index: int
    spec: Storage
    zone: str | None
    deployment_type: str | None
    throughput_mbps_per_tib: int | None
    pools: tuple[str, ...]
    #: fsx-lustre, managed-lustre, filestore, gcs-bucket, parallelstore (None: not on this cloud).
    service: str | None = None
    tier: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> str:
        return f"storage[{self.index}]"


@dataclass(frozen=True)
class ResolvedCluster:
    spec: Cluster
    catalog: CloudCatalog | None
    pools: tuple[ResolvedPool, ...]
    storage: tuple[ResolvedStorage, ...]
    #: Add-ons to install, dependencies first (clusterforge.catalog.addons.ResolvedAddon).
    addons: tuple[Any, ...] = ()
    #: (index, name) of spec add-ons the catalog does not know.
    unknown_addons: tuple[tuple[int, str], ...] = ()

    def addon(self, name: str) -> Any:
        return next((a for a in self.addons if a.name == name), None)

    def pool(self, name: str) -> ResolvedPool | None:
        return next((p for p in self.pools if p.name == name), None)

    @property
    def accelerator_pools(self) -> list[ResolvedPool]:
        return [p for p in self.pools if p.is_accelerated]


def pick_offering(
    catalog: CloudCatalog, pool: NodePool, region: str | None = None
) -> Offering | None:
    """The instance type a pool runs on: the explicit one; for a TPU generation the machine type of
    its topology; else the best match for its accelerator (the fastest fabric for fabric pools,
    the cheapest for `fabric: none`)."""
    if pool.instance_type:
        return catalog.get(pool.instance_type)
    if not pool.accelerator:
        default = catalog.extra.get("defaults", {}).get("system_instance_type")
        return catalog.get(default) if default else None
    generation = catalog.tpus.get(catalog.canonical_accelerator(pool.accelerator) or "")
    if generation is not None:
        if pool.topology is None or not generation.is_valid(pool.topology):
            return None
        return catalog.get(generation.machine_type_for(pool.topology))
    matches = catalog.find(
        pool.accelerator, pool.accelerators_per_node, region=region, fabric=pool.fabric != "none"
    )
    return matches[0] if matches else None


def resolve_fabric(pool: NodePool, offering: Offering | None) -> str:
    if pool.fabric == "none" or offering is None:
        return "none"
    if pool.fabric == "auto":
        return (offering.fabric or "none") if offering.is_accelerated else "none"
    return pool.fabric


def wants_placement_group(
    pool: NodePool, fabric: str, offering: Offering | None, multi_host_tpu: bool = False
) -> bool:
    """A cluster placement group / compact placement for fabric pools and multi-host TPU slices —
    never forced on reserved or scheduler-placed capacity (the cloud decides placement there)."""
    if pool.placement_group is not None:
        return pool.placement_group
    if multi_host_tpu:
        return True
    if (
        fabric == "none"
        or pool.capacity.type in RESERVED_CAPACITY
        or pool.capacity.queued_provisioning
    ):
        return False
    return offering is None or offering.supports_cluster_placement


def sizes(pool: NodePool) -> tuple[int, int, int]:
    """(desired, min, max) from nodes / min_nodes / max_nodes; what is not given follows from the rest."""
    given_max = pool.max_nodes
    if pool.nodes is not None:
        desired = pool.nodes
    elif pool.min_nodes is not None:
        desired = pool.min_nodes
    else:
        desired = 1 if given_max is None else min(1, given_max)
    low = (
        pool.min_nodes
        if pool.min_nodes is not None
        else min(desired, desired if given_max is None else given_max)
    )
    high = given_max if given_max is not None else max(desired, low)
    return desired, low, high


def existing_offering(pool: NodePool) -> Offering | None:
    """cloud: kubernetes — what the declared nodes have, with the accelerator's maker and memory
    looked up in the cloud catalogs (an H100 is an NVIDIA H100 wherever it runs)."""
    maker, memory, cores_per_device = None, 0.0, 0
    accelerator = pool.accelerator
    for cloud in cluster_clouds():
        known = catalog_for_cloud(cloud)
        canonical = known.canonical_accelerator(accelerator) if known and accelerator else None
        if canonical:
            sample = known.find(canonical)[0]  # type: ignore[union-attr]
            accelerator, maker, memory, cores_per_device = (
                canonical,
                sample.accelerator_maker,
                sample.accelerator_memory_gib,
                sample.neuron_cores_per_device,
            )
            break
    count = pool.accelerators_per_node or 0 if accelerator else 0
    return Offering(
        cloud="kubernetes",
        instance_type=pool.instance_type or f"existing-{pool.name}",
        family="existing",
        vcpus=pool.vcpus or 0,
        memory_gib=float(pool.memory_gib or 0),
        architecture="x86_64",
        accelerator=accelerator,
        accelerator_maker=maker,
        accelerator_count=count,
        accelerator_memory_gib=memory,
        # Cores per device from the catalog (2 on Trainium, 8 on Trainium2), never assumed.
        neuron_cores=count * cores_per_device,
        fabric_kind=pool.fabric if pool.fabric in ("infiniband", "rdma") else None,
    )


def catalog_for_cloud(cloud: str) -> CloudCatalog | None:
    try:
        return load(cloud)
    except CatalogError:
        return None


def resolve_pool(
    catalog: CloudCatalog | None, cluster: Cluster, index: int, pool: NodePool
) -> ResolvedPool:
    if not profile(cluster.cloud).creates_cluster:
        offering = existing_offering(pool)
    else:
        offering = pick_offering(catalog, pool, cluster.region) if catalog else None
    fabric = resolve_fabric(pool, offering)
    accelerated = offering.is_accelerated if offering else pool.accelerator is not None
    # GKE counts nodes per zone of a pool: pin every GKE pool to one zone so `nodes` means nodes.
    zone = pool.zone or (
        cluster.zone
        if accelerated or fabric != "none" or profile(cluster.cloud).zonal_pools
        else None
    )
    desired, low, high = sizes(pool)
    topology = pool.topology
    multi_host = False
    if offering is not None and offering.is_tpu and catalog is not None:
        generation = catalog.tpus[offering.tpu_generation or ""]
        if topology and generation.is_valid(topology):
            # A TPU slice is all of its hosts or nothing: the topology decides the node count.
            desired = low = high = generation.hosts(topology, offering.instance_type)
            multi_host = desired > 1
    return ResolvedPool(
        index=index,
        spec=pool,
        offering=offering,
        zone=zone,
        fabric=fabric,
        efa_interfaces=efa_interface_count(offering) if offering and fabric == "efa" else 0,
        placement_group=wants_placement_group(pool, fabric, offering, multi_host),
        ami_type=pool.ami_type or (offering.ami_type if offering and offering.ami_type else None),
        desired=desired,
        min_size=low,
        max_size=high,
        cloud=cluster.cloud,
        topology=topology,
        slices=pool.slices,
    )


def resolve_storage(
    cluster: Cluster, pools: tuple[ResolvedPool, ...], index: int, storage: Storage
) -> ResolvedStorage:
    mounted_by = (
        tuple(storage.pools)
        if storage.pools is not None
        else tuple(p.name for p in pools if p.is_accelerated)
    )
    pool_zones = sorted({p.zone for p in pools if p.name in mounted_by and p.zone})
    zone = storage.zone or (pool_zones[0] if len(pool_zones) == 1 else cluster.zone)
    # The storage service each spec storage type becomes on this cloud (its profile).
    service = profile(cluster.cloud).storage.get(storage.type)
    deployment = tier = None
    throughput = storage.throughput_mbps_per_tib
    if service == "fsx-lustre":
        deployment = (storage.deployment_type or DEFAULT_FSX_DEPLOYMENT).upper()
        if throughput is None and deployment.startswith("PERSISTENT"):
            throughput = DEFAULT_FSX_THROUGHPUT if deployment == "PERSISTENT_2" else 200
    elif service == "managed-lustre":
        throughput = throughput or DEFAULT_LUSTRE_THROUGHPUT
    elif service == "filestore":
        tier = (storage.tier or DEFAULT_FILESTORE_TIER).upper()
    return ResolvedStorage(
        index=index,
        spec=storage,
        zone=zone,
        deployment_type=deployment,
        throughput_mbps_per_tib=throughput,
        pools=mounted_by,
        service=service,
        tier=tier,
    )


def catalog_for(cluster: Cluster) -> CloudCatalog | None:
    return catalog_for_cloud(cluster.cloud)


def resolve(cluster: Cluster) -> ResolvedCluster:
    catalog = catalog_for(cluster)
    pools = tuple(resolve_pool(catalog, cluster, i, p) for i, p in enumerate(cluster.node_pools))
    storage = tuple(resolve_storage(cluster, pools, i, s) for i, s in enumerate(cluster.storage))
    partial = ResolvedCluster(spec=cluster, catalog=catalog, pools=pools, storage=storage)
    addons, unknown = resolve_addons(partial)
    return replace(partial, addons=tuple(addons), unknown_addons=tuple(unknown))
