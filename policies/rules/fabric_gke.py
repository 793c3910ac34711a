"""Fabric correctness on GKE: GPUDirect networks per machine type, TPU slice placement, compact placement.

The machine-type facts (GPU NICs and gVNICs of A3/A4, TPU chips per VM and valid topologies) come
from the clusterforge GCP catalog, never from a table here.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from clusterforge.policies.registry import resource_policy, stack_policy
from clusterforge.policies.rules._catalog import is_gcp_zone, offering, tpu_generation
from clusterforge.policies.rules._props import StackView, flag, get, is_unknown, items, number, text
from clusterforge.policies.rules._tokens import GKE_CLUSTER, GKE_NODE_POOL


def additional_networks(props: Any) -> list[Any] | None:
    """The node pool's additional node networks; None when unknown."""
    networks = get(props, "networkConfig", "additionalNodeNetworkConfigs")
    return None if is_unknown(networks) else list(items(networks))


def node_count(props: Any) -> int | None:
    """Nodes per zone the pool starts with: ``nodeCount``, else ``initialNodeCount``."""
    for key in ("nodeCount", "initialNodeCount"):
        value = number(get(props, key))
        if value is not None:
            return int(value)
    return None


def max_nodes(props: Any) -> int | None:
    """The most nodes the pool may have (autoscaling bound, else its node count)."""
    for key in ("totalMaxNodeCount", "maxNodeCount"):
        value = number(get(props, "autoscaling", key))
        if value is not None:
            return int(value)
    return node_count(props)


@resource_policy(
    "CF-FAB-007",
    "gke-gpu-networks",
    types=(GKE_NODE_POOL,),
    description="A GKE GPU node pool that attaches additional node networks attaches every one its machine type has "
    "(a3-highgpu-8g: 4 GPUDirect-TCPX, a3-megagpu-8g: 8 TCPXO, a3-ultragpu-8g and a4-highgpu-8g: 8 RDMA + 1 gVNIC), "
    "with gVNIC on. Counts come from the catalog (gpu_nics + gvnic_nics - 1).",
    remediation="Add one additional node network per GPU NIC (and the second gVNIC network on RDMA types) in "
    "`networkConfig.additionalNodeNetworkConfigs`, and enable `nodeConfig.gvnic`.",
    spec_field="fabric",
)
def gke_gpu_networks(args: ResourceValidationArgs, report: ReportViolation) -> None:
    machine_type = text(get(args.props, "nodeConfig", "machineType"))
    found = offering("gcp", machine_type)
    networks = additional_networks(args.props)
    if found is None or not found.gpu_nics or not networks:
        return
    wanted = found.gpu_nics + found.gvnic_nics - 1
    if len(networks) != wanted:
        report(
            f"{args.name}: {len(networks)} additional node network(s) on {machine_type}, which has {wanted} "
            f"({found.gpu_nics} {found.fabric_kind or 'GPU'} NICs, {found.gvnic_nics} gVNIC).",
            None,
        )
    if flag(get(args.props, "nodeConfig", "gvnic", "enabled")) is not True:
        report(
            f"{args.name}: additional node networks need gVNIC; set nodeConfig.gvnic.enabled.", None
        )


@resource_policy(
    "CF-FAB-008",
    "tpu-placement-policy",
    types=(GKE_NODE_POOL,),
    description="A multi-host TPU node pool has a COMPACT placement policy carrying its tpuTopology, and a pool with "
    "a tpuTopology uses type COMPACT. Generations placed by a workload policy (TPU7x, per the catalog) name a "
    "policy (policyName) instead; the workload policy carries the topology.",
    remediation="Set `placementPolicy: {type: COMPACT, tpuTopology: <AxB[xC]>}` on multi-host TPU slices; for TPU7x "
    "create a HIGH_THROUGHPUT workload policy (compute ResourcePolicy) and set `placementPolicy.policyName`.",
    spec_field="topology",
)
def tpu_placement_policy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    tpu = tpu_generation(text(get(args.props, "nodeConfig", "machineType")))
    if tpu is None:
        return
    policy = get(args.props, "placementPolicy")
    topology, kind, named = (
        get(policy, "tpuTopology"),
        get(policy, "type"),
        get(policy, "policyName"),
    )
    if is_unknown(topology) or is_unknown(kind):
        return
    if topology and kind != "COMPACT":
        report(
            f"{args.name}: TPU topology {topology} with placement type {kind or '(none)'}; it must be COMPACT.",
            None,
        )
    nodes = max_nodes(args.props)
    if tpu[1].uses_workload_policy:
        if nodes is not None and nodes > 1 and not named and not is_unknown(named):
            report(
                f"{args.name}: {nodes} {tpu[1].name} hosts without a workload policy (placementPolicy.policyName); "
                "multi-host slices of this generation are placed by one.",
                None,
            )
        return
    if not topology and nodes is not None and nodes > 1:
        report(
            f"{args.name}: {nodes} TPU hosts without a placement policy carrying the slice topology (multi-host slice).",
            None,
        )


@resource_policy(
    "CF-FAB-009",
    "tpu-topology-node-count",
    types=(GKE_NODE_POOL,),
    description="A TPU node pool's tpuTopology is valid for its generation and its node count equals the chips in the "
    "topology divided by the chips per VM (from the catalog's TPU data).",
    remediation="Use a topology the generation offers and set the node count to chips / chips per VM "
    "(a 4x4x4 v5p slice on ct5p-hightpu-4t is 16 nodes).",
    spec_field="topology",
)
def tpu_topology_node_count(args: ResourceValidationArgs, report: ReportViolation) -> None:
    machine_type = text(get(args.props, "nodeConfig", "machineType"))
    tpu = tpu_generation(machine_type)
    topology = text(get(args.props, "placementPolicy", "tpuTopology"))
    if tpu is None or topology is None or machine_type is None:
        return
    found, generation = tpu
    if not generation.is_valid(topology):
        report(
            f"{args.name}: {topology} is not a {generation.name} topology; valid: {', '.join(generation.examples())}.",
            None,
        )
        return
    wanted = (
        generation.hosts(topology, machine_type)
        if machine_type in generation.machine_types
        else None
    )
    nodes = node_count(args.props)
    if wanted is not None and nodes is not None and nodes != wanted:
        report(
            f"{args.name}: {nodes} node(s) for a {topology} slice of {machine_type} ({found.accelerator_count} chips per VM); "
            f"it needs {wanted}.",
            None,
        )


@stack_policy(
    "CF-FAB-010",
    "gke-multi-networking",
    types=(GKE_NODE_POOL, GKE_CLUSTER),
    description="A GKE cluster whose node pools attach additional node networks has multi-networking and Dataplane V2 "
    "(ADVANCED_DATAPATH). Follows the pool's cluster reference (dependency or cluster name); skipped when unresolved.",
    remediation="Set `enableMultiNetworking: true` and `datapathProvider: ADVANCED_DATAPATH` on the cluster.",
)
def gke_multi_networking(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    reported: set[str] = set()
    for pool in view.of_type(GKE_NODE_POOL):
        if not additional_networks(pool.props):
            continue
        cluster = _cluster_of(view, pool)
        if cluster is None or cluster.urn in reported:
            continue
        problems = []
        if flag(get(cluster.props, "enableMultiNetworking")) is not True:
            problems.append("enableMultiNetworking is off")
        datapath = get(cluster.props, "datapathProvider")
        if not is_unknown(datapath) and datapath != "ADVANCED_DATAPATH":
            problems.append(
                f"datapathProvider is {datapath or 'the legacy default'}, not ADVANCED_DATAPATH"
            )
        if problems:
            reported.add(cluster.urn)
            report(
                f"{cluster.name}: node pool {pool.name} attaches additional networks but "
                + " and ".join(problems)
                + ".",
                cluster.urn,
            )


def _cluster_of(view: StackView, pool: PolicyResource) -> PolicyResource | None:
    """The cluster a node pool belongs to: by dependency, else by the name in its ``cluster`` input."""
    clusters = view.referenced(pool, "cluster", GKE_CLUSTER)
    if len(clusters) == 1:
        return clusters[0]
    reference = text(get(pool.props, "cluster"))
    if reference is None:
        return None
    name = reference.rsplit("/", 1)[-1]
    matches = [c for c in view.of_type(GKE_CLUSTER) if get(c.props, "name") == name]
    return matches[0] if len(matches) == 1 else None


@resource_policy(
    "CF-FAB-011",
    "gke-compact-placement-one-zone",
    types=(GKE_NODE_POOL,),
    description="A node pool with a COMPACT placement policy runs in exactly one zone (GKE places compact pools in a "
    "single zone).",
    remediation="Set `nodeLocations` to the one zone of the pool (or create the pool with a zonal location).",
    spec_field="zone",
)
def gke_compact_placement_one_zone(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get(args.props, "placementPolicy", "type") != "COMPACT":
        return
    locations = get(args.props, "nodeLocations")
    if is_unknown(locations):
        return
    zones = [z for z in items(locations) if isinstance(z, str)]
    if zones and len(zones) != 1:
        report(
            f"{args.name}: compact placement over {len(zones)} zones ({', '.join(zones)}).", None
        )
    elif (
        not zones
        and not is_unknown(get(args.props, "location"))
        and not is_gcp_zone(get(args.props, "location"))
    ):
        report(
            f"{args.name}: compact placement in a regional pool without a single `nodeLocations` zone.",
            None,
        )
