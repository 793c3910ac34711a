"""Row types of the catalog data files.

One ``Offering`` is one instance/machine type of one cloud with the facts the validator, the
modules and the cost estimate need. The JSON data files hold these rows as objects with the same
field names (see ``clusterforge/catalog/data/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# How an accelerator is driven on a node: decides AMI type, taints, device plugins, quotas.
NVIDIA = "NVIDIA"
AWS_NEURON = "AWS"
GOOGLE_TPU = "Google"


@dataclass(frozen=True)
class Offering:
    """An instance type and its hardware facts."""

    cloud: str
    instance_type: str
    family: str
    vcpus: int
    memory_gib: float
    architecture: str
    accelerator: str | None = None
    accelerator_maker: str | None = None
    accelerator_count: int = 0
    accelerator_memory_gib: float = 0.0
    #: Neuron cores per instance (Trainium/Inferentia); Kueue quotas count these.
    neuron_cores: int = 0
    efa_supported: bool = False
    #: NetworkInfo.EfaInfo.MaximumEfaInterfaces — how many EFA interfaces a launch template should carry.
    efa_interfaces: int = 0
    network_cards: int = 1
    #: Network cards whose `InterfaceTypes` include EFA (DescribeInstanceTypes
    #: `NetworkInfo.NetworkCards`); the EFA layout is built from these (catalog/efa.py).
    efa_network_cards: tuple[int, ...] = ()
    #: Interfaces network card 0 takes (`NetworkCards[0].MaximumNetworkInterfaces`): the VPC CNI
    #: attaches pod interfaces on card 0 only (catalog/ipspace.py).
    primary_card_interfaces: int = 0
    #: `NetworkInfo.Ipv4AddressesPerInterface`: addresses per interface, its own included.
    ipv4_per_interface: int = 0
    network_bandwidth_gbps: float = 0.0
    #: Human text as EC2 reports it ("3200 Gigabit", "Up to 10 Gigabit").
    network_performance: str = ""
    placement_strategies: tuple[str, ...] = ()
    #: EKS managed node group AMI type (AL2023_x86_64_NVIDIA, AL2023_x86_64_NEURON, ...).
    ami_type: str = ""
    local_nvme_disks: int = 0
    #: Instance-store capacity in GB (EC2 TotalSizeInGB, decimal gigabytes).
    local_nvme_gb: int = 0
    #: EC2 SupportedUsageClasses: on-demand, spot, capacity-block.
    usage_classes: tuple[str, ...] = ()
    #: High-bandwidth fabric of the type when it is not EFA: gpudirect-tcpx, gpudirect-tcpxo, rdma (GCP).
    fabric_kind: str | None = None
    #: GCP: NICs dedicated to GPU traffic (each on its own VPC, or all on one RoCE VPC for rdma).
    gpu_nics: int = 0
    #: GCP: gVNIC NICs (the primary one included).
    gvnic_nics: int = 0
    #: GKE accelerator type / node label (nvidia-h100-mega-80gb, tpu-v5p-slice).
    gke_accelerator: str | None = None
    #: TPU generation (tpu-v5p, ...) for TPU machine types; their chips are ``accelerator_count``.
    tpu_generation: str | None = None
    #: Regions offering the type, where the catalog knows them (GCP; AWS uses per-zone data).
    regions: tuple[str, ...] = ()
    #: GCP: boot disk type the machine series requires or recommends (pd-ssd, hyperdisk-balanced).
    boot_disk_type: str | None = None
    #: GCP: ``auto`` when GKE's accelerator network profile (DRANET) builds the type's NIC networks.
    network_profile: str | None = None
    #: GCP: topology of the workload policy multi-host pools need (``1x72``: an A4X NVL72 domain).
    accelerator_topology: str | None = None
    #: GCP: the oldest GKE node version that runs the type (e.g. DRANET's 1.34.1-gke.1829001).
    min_gke_version: str | None = None
    #: On-demand list price, USD per hour, by region (from the prices data file).
    price_usd_per_hour: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def neuron_cores_per_device(self) -> int:
        """NeuronCores per Neuron device (EC2 `NeuronDevices[].CoreInfo.Count`: 2 on Trainium,
        8 on Trainium2)."""
        return (
            self.neuron_cores // self.accelerator_count
            if self.is_neuron and self.accelerator_count
            else 0
        )

    @property
    def is_accelerated(self) -> bool:
        return self.accelerator_count > 0

    @property
    def is_nvidia(self) -> bool:
        return self.accelerator_maker == NVIDIA

    @property
    def is_neuron(self) -> bool:
        return self.accelerator_maker == AWS_NEURON

    @property
    def is_tpu(self) -> bool:
        return self.tpu_generation is not None

    @property
    def fabric(self) -> str | None:
        """The fastest fabric the type has: efa, gpudirect-tcpx, gpudirect-tcpxo, rdma — or None."""
        if self.fabric_kind:
            return self.fabric_kind
        return "efa" if self.efa_interfaces > 0 else None

    @property
    def supports_cluster_placement(self) -> bool:
        """EC2 `cluster` placement groups / GCE `compact` placement policies."""
        return "cluster" in self.placement_strategies or "compact" in self.placement_strategies

    @property
    def supports_capacity_block(self) -> bool:
        return "capacity-block" in self.usage_classes

    def price(self, region: str | None) -> float | None:
        return self.price_usd_per_hour.get(region) if region else None

    @classmethod
    def from_row(cls, cloud: str, row: dict[str, Any], prices: dict[str, float]) -> Offering:
        names = {f.name for f in fields(cls)} - {"cloud", "price_usd_per_hour"}
        unknown = set(row) - names - {"cloud", "price_usd_per_hour"}
        if unknown:
            raise ValueError(
                f"unknown catalog field(s) {', '.join(sorted(unknown))} for {row.get('instance_type')}"
            )
        data = {k: v for k, v in row.items() if k in names}
        for key in ("placement_strategies", "usage_classes", "regions", "efa_network_cards"):
            data[key] = tuple(data.get(key, ()))
        return cls(cloud=cloud, price_usd_per_hour=prices, **data)

    def to_row(self) -> dict[str, Any]:
        """The row as `clusterforge catalog --format json` prints it."""
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["placement_strategies"] = list(self.placement_strategies)
        row["usage_classes"] = list(self.usage_classes)
        row["regions"] = list(self.regions)
        row["efa_network_cards"] = list(self.efa_network_cards)
        row["price_usd_per_hour"] = dict(self.price_usd_per_hour)
        return row
