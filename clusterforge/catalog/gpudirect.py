"""GKE GPUDirect facts: the installer set per fabric and the GKE network object names.

One matched set per fabric (TCPX for A3 High, TCPXO for A3 Mega, RDMA/gIB for A3 Ultra and A4),
all read at one commit of GoogleCloudPlatform/container-engine-accelerators by
tools/gpudirect_facts.py (``data/common/gpudirect.json``): the manifests clusterforge applies, the
rxdm sidecar a training pod runs next to NCCL, and what such a pod declares (annotations, the
networks it lists). The GPUs it requests are the machine type's (the offering's accelerator
count, which ADD014 and `verify` read), so the data holds no second copy. The pod parts are not
applied by clusterforge; the plan and README tell users what their pods need.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clusterforge.catalog import _read

if TYPE_CHECKING:
    from clusterforge.catalog.resolve import ResolvedPool


@dataclass(frozen=True)
class GpuDirectSet:
    fabric: str
    machine_types: tuple[str, ...]
    #: (name, url) in apply order: the NRI device injector first where the fabric needs it.
    manifests: tuple[tuple[str, str], ...]
    images: tuple[str, ...]
    rxdm_image: str | None
    #: The image of the GPU container of Google's NCCL test pod (the nccl-test container).
    nccl_test_image: str
    pod_annotations: tuple[str, ...]
    pod_networks: tuple[str, ...]
    commit: str
    source: str


@functools.cache
def gpudirect_sets() -> dict[str, GpuDirectSet]:
    data = _read("common", "gpudirect.json")
    sets = {}
    for fabric, row in data["fabrics"].items():
        pod: dict[str, Any] = row["pod"]
        sets[fabric] = GpuDirectSet(
            fabric=fabric,
            machine_types=tuple(row["machine_types"]),
            manifests=tuple((m["name"], m["url"]) for m in row["manifests"]),
            images=tuple(i for m in row["manifests"] for i in m["images"]),
            rxdm_image=row.get("rxdm_image"),
            nccl_test_image=row["nccl_test_image"],
            pod_annotations=tuple(pod["annotations"]),
            pod_networks=tuple(pod["networks"]),
            commit=data["commit"],
            source=pod["source"],
        )
    return sets


def gpudirect_set(fabric: str) -> GpuDirectSet | None:
    return gpudirect_sets().get(fabric)


def network_object_name(key: str, subnet: int, subnets: int, prefix: str = "") -> str:
    """The GKE ``Network`` / ``GKENetworkParamSet`` name of one extra network, as Google's docs,
    NCCL test manifests and Cluster Toolkit name them (pods copied from them list these names):
    TCPX/TCPXO ``vpc1..vpc8``, RDMA ``rdma-0..rdma-7`` (one per RoCE subnet), the second gVNIC
    ``gvnic-1``. ``key`` is the fabric plan's network key (``gpu0``, ``gvnic1``, ``rdma``). The
    objects are cluster-wide: a second pool of the same fabric gets its own VPCs and ``prefix``."""
    if key.startswith("gpu") and key[3:].isdigit():
        base = f"vpc{int(key[3:]) + 1}"
    elif key.startswith("gvnic") and key[5:].isdigit():
        base = f"gvnic-{key[5:]}"
    elif key == "rdma":
        base = f"rdma-{subnet}"
    else:
        base = key if subnets == 1 else f"{key}-{subnet}"
    return f"{prefix}-{base}" if prefix else base


def network_object_prefixes(pools: Sequence[ResolvedPool]) -> dict[str, str]:
    """Pool name → the prefix of its GKE network object names, for the pools clusterforge builds
    NIC networks for: none (Google's names) for the first pool of a fabric, the pool's name for
    each later one (the objects are cluster-wide). The component and ADD014 both read this."""
    from clusterforge.catalog.gcp_network import pools_with_nic_networks

    prefixes: dict[str, str] = {}
    named: set[str] = set()
    for pool in pools_with_nic_networks(pools):
        prefixes[pool.name] = pool.name if pool.fabric in named else ""
        named.add(pool.fabric)
    return prefixes


def pod_network_names(pool: ResolvedPool, prefix: str) -> list[str]:
    """The GKE ``Network`` objects a pod on ``pool`` lists for its GPU NICs (not the extra gVNIC),
    with the names the component gives them (:func:`network_object_name`)."""
    from clusterforge.catalog.gcp_network import nic_networks

    if pool.offering is None:
        return []
    return [
        network_object_name(net.key, i, net.subnet_count, prefix)
        for net in nic_networks(pool.offering)
        if net.kind != "gvnic"
        for i in range(net.subnet_count)
    ]


@dataclass(frozen=True)
class DranetPod:
    """What a pod on a DRANET pool (GKE-built NICs) declares, from Cluster Toolkit's A4X job."""

    annotations: dict[str, str]
    resource_claim: str
    resource_claim_template: str
    source: str
    commit: str


@functools.cache
def dranet_pod() -> DranetPod:
    data = _read("common", "dranet_pod.json")
    return DranetPod(
        annotations=dict(data["annotations"]),
        resource_claim=data["resource_claim"],
        resource_claim_template=data["resource_claim_template"],
        source=data["source"],
        commit=data["commit"],
    )
