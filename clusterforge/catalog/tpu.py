"""TPU generations: machine types, chips per VM and the slice topologies GKE accepts.

The facts are data (``data/gcp/tpus.json``); this module only reads the topology rules:

* 2D generations (v5e, v6e) list their topologies explicitly, each with the machine type that
  runs it on one host, or as a multi-host slice of the generation's multi-host machine type.
* 3D generations (v4, v5p) list their base shapes; beyond those a topology AxBxC is valid when
  every dimension is a multiple of ``multiple_of``, A <= B <= C, and the chips stay within
  ``max_chips``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

_TOPOLOGY = re.compile(r"^\d+(x\d+){1,2}$")


@dataclass(frozen=True)
class TpuGeneration:
    name: str
    gke_accelerator: str
    tensorcores_per_chip: int
    hbm_gib_per_chip: float
    dims: int
    #: machine type -> chips per VM
    machine_types: dict[str, int]
    #: topology -> machine type that runs it on a single host
    single_host: dict[str, str]
    #: the machine type of multi-host slices
    multi_host_machine_type: str
    #: 2D: every multi-host topology; 3D: base shapes beyond the single-host ones
    multi_host: tuple[str, ...] = ()
    multiple_of: int = 4
    max_chips: int = 0
    source: str = ""
    regions: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    #: How multi-host slices are placed: ``compact`` (COMPACT + tpu_topology) or
    #: ``workload_policy`` (a HIGH_THROUGHPUT workload policy carrying the topology; TPU7x).
    placement: str = "compact"
    #: The oldest GKE node version that runs the generation.
    min_gke_version: str | None = None
    #: Where the docs and xpk differ, and what was chosen.
    notes: str = ""
    #: Machine types whose multi-host / multi-slice pools get a second gVNIC on its own VPC
    #: (v6e: ct6e-standard-4t, Google's TPU recipes; source in tpus.json ``second_nic``), and
    #: how many gVNICs such a VM then has.
    second_nic_machine_types: tuple[str, ...] = ()
    second_nic_gvnic_nics: int = 1
    #: host facts per machine type
    vcpus: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    memory_gib: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    price_usd_per_chip_hour: dict[str, float] = field(
        default_factory=dict, compare=False, hash=False
    )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TpuGeneration:
        return cls(
            name=row["name"],
            gke_accelerator=row["gke_accelerator"],
            tensorcores_per_chip=row["tensorcores_per_chip"],
            hbm_gib_per_chip=row["hbm_gib_per_chip"],
            dims=row["dims"],
            machine_types=dict(row["machine_types"]),
            single_host=dict(row["single_host"]),
            multi_host_machine_type=row["multi_host_machine_type"],
            multi_host=tuple(row.get("multi_host", ())),
            multiple_of=row.get("multiple_of", 4),
            max_chips=row.get("max_chips", 0),
            source=row.get("source", ""),
            regions=tuple(row.get("regions", ())),
            zones=tuple(row.get("zones", ())),
            placement=row.get("placement", "compact"),
            min_gke_version=row.get("min_gke_version"),
            notes=row.get("notes", ""),
            second_nic_machine_types=tuple(row.get("second_nic", {}).get("machine_types", ())),
            second_nic_gvnic_nics=int(row.get("second_nic", {}).get("gvnic_nics", 1)),
            vcpus={k: v["vcpus"] for k, v in row.get("hosts", {}).items()},
            memory_gib={k: v["memory_gib"] for k, v in row.get("hosts", {}).items()},
            price_usd_per_chip_hour=dict(row.get("price_usd_per_chip_hour", {})),
        )

    def is_valid(self, topology: str) -> bool:
        dims = parse(topology)
        if dims is None or len(dims) != self.dims:
            return False
        if topology in self.single_host or topology in self.multi_host:
            return True
        if self.dims == 3:
            ordered = list(dims) == sorted(dims)
            multiples = all(d % self.multiple_of == 0 for d in dims)
            return ordered and multiples and chips(topology) <= self.max_chips
        return False

    def examples(self) -> list[str]:
        """Valid topologies to show in a message (all of them for 2D generations)."""
        shapes = list(self.single_host) + list(self.multi_host)
        if self.dims == 3:
            m = self.multiple_of
            shapes += [
                f"{m}x{m}x{m}",  # the smallest rule-built shape (4x4x4 on v4/v5p)
                f"{m}x{m}x{m * 2}",
                "... (each dimension a multiple of "
                f"{m}, non-decreasing, up to {self.max_chips} chips)",
            ]
        return shapes

    @property
    def uses_workload_policy(self) -> bool:
        return self.placement == "workload_policy"

    def machine_type_for(self, topology: str) -> str:
        return self.single_host.get(topology, self.multi_host_machine_type)

    def hosts(self, topology: str, machine_type: str | None = None) -> int:
        """VMs (GKE nodes) in one slice of ``topology`` on ``machine_type``."""
        per_vm = self.machine_types[machine_type or self.machine_type_for(topology)]
        return max(1, chips(topology) // per_vm)


def parse(topology: str) -> tuple[int, ...] | None:
    """``4x4x8`` → (4, 4, 8); None for anything else (zero dimensions included)."""
    if not _TOPOLOGY.match(topology or ""):
        return None
    dims = tuple(int(part) for part in topology.split("x"))
    return dims if all(d > 0 for d in dims) else None


def chips(topology: str) -> int:
    dims = parse(topology)
    return math.prod(dims) if dims else 0
