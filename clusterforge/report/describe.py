"""One-line descriptions of planned resources for the tree views (what an engineer checks first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clusterforge.catalog.efa import from_inputs as efa_from_inputs
from clusterforge.catalog.efa import summary as efa_summary
from clusterforge.graph import PlannedResource, ResourceGraph


def _ref(graph: ResourceGraph, value: Any) -> str:
    """A mock id → the name of the resource it refers to (references are followed, not guessed)."""
    target = graph.by_id(value) if isinstance(value, str) else None
    return target.name if target else str(value)


def _subnet(graph: ResourceGraph, resource: PlannedResource) -> str:
    i = resource.inputs
    return f"{i.get('cidrBlock')} in {i.get('availabilityZone')}"


def _launch_template(graph: ResourceGraph, resource: PlannedResource) -> str:
    i = resource.inputs
    parts = [str(i.get("instanceType"))]
    interfaces = [n for n in i.get("networkInterfaces") or [] if isinstance(n, dict)]
    efa = efa_summary(efa_from_inputs(interfaces))
    if efa:
        parts.append(efa)
    placement = (i.get("placement") or {}).get("groupName")
    if placement:
        parts.append("cluster placement group")
    market = (i.get("instanceMarketOptions") or {}).get("marketType")
    if market:
        parts.append(market)
    target = (
        (i.get("capacityReservationSpecification") or {}).get("capacityReservationTarget") or {}
    ).get("capacityReservationId")
    if target:
        parts.append(f"reservation {target}")
    if (i.get("metadataOptions") or {}).get("httpTokens") == "required":
        parts.append("IMDSv2")
    return ", ".join(parts)


def _node_group(graph: ResourceGraph, resource: PlannedResource) -> str:
    i = resource.inputs
    scaling = i.get("scalingConfig") or {}
    subnets = ", ".join(_ref(graph, s).rsplit("-private-", 1)[-1] for s in i.get("subnetIds") or [])
    taints = ", ".join(f"{t['key']}" for t in i.get("taints") or [])
    text = f"{scaling.get('desiredSize')} nodes ({scaling.get('minSize')}..{scaling.get('maxSize')}), {i.get('capacityType')}, {i.get('amiType')}, subnets: {subnets}"
    return text + (f", taints: {taints}" if taints else "")


def _lustre(graph: ResourceGraph, resource: PlannedResource) -> str:
    i = resource.inputs
    subnet_id = i.get("subnetIds")
    subnet = graph.by_id(subnet_id) if isinstance(subnet_id, str) else None
    zone = subnet.inputs.get("availabilityZone") if subnet else "?"
    throughput = (
        f" @ {i['perUnitStorageThroughput']} MB/s/TiB" if i.get("perUnitStorageThroughput") else ""
    )
    efa = ", EFA-enabled" if i.get("efaEnabled") else ""
    metadata = i.get("metadataConfiguration") or {}
    if metadata.get("mode"):
        iops = f" {metadata['iops']} IOPS" if metadata.get("iops") else ""
        efa += f", metadata {metadata['mode']}{iops}"
    return f"{i.get('storageCapacity')} GiB {i.get('deploymentType')}{throughput}{efa} in {zone}"


def _sg_rule(graph: ResourceGraph, resource: PlannedResource) -> str:
    i = resource.inputs
    protocol = (
        "all"
        if i.get("ipProtocol") == "-1"
        else f"{i.get('ipProtocol')} {i.get('fromPort')}-{i.get('toPort')}"
    )
    peer = (
        _ref(graph, i.get("referencedSecurityGroupId"))
        if i.get("referencedSecurityGroupId")
        else i.get("cidrIpv4")
    )
    if i.get("referencedSecurityGroupId") == i.get("securityGroupId"):
        peer = "self"
    return f"{protocol} {'from' if 'Ingress' in resource.type else 'to'} {peer}"


def _gke_node_pool(graph: ResourceGraph, resource: PlannedResource) -> str:
    i = resource.inputs
    config = i.get("nodeConfig") or {}
    parts = [str(config.get("machineType"))]
    accelerators = config.get("guestAccelerators") or []
    if accelerators:
        parts.append(f"{accelerators[0].get('count')} x {accelerators[0].get('type')}")
    scaling = i.get("autoscaling")
    parts.append(
        f"{scaling.get('totalMinNodeCount')}..{scaling.get('totalMaxNodeCount')} nodes"
        if scaling
        else f"{i.get('nodeCount')} nodes"
    )
    placement = i.get("placementPolicy")
    if placement:
        parts.append(
            "compact " + placement["tpuTopology"]
            if placement.get("tpuTopology")
            else "compact placement"
        )
    extra = (i.get("networkConfig") or {}).get("additionalNodeNetworkConfigs") or []
    if extra:
        parts.append(f"{len(extra)} additional node networks")
    for key, label in (("spot", "spot"), ("flexStart", "flex-start")):
        if config.get(key):
            parts.append(label)
    if i.get("queuedProvisioning"):
        parts.append("queued provisioning")
    return ", ".join(parts)


def _gcp_storage(graph: ResourceGraph, resource: PlannedResource) -> str:
    i = resource.inputs
    if resource.type == "gcp:lustre/instance:Instance":
        return f"{i.get('capacityGib')} GiB @ {i.get('perUnitStorageThroughput')} MB/s/TiB in {i.get('location')}"
    if resource.type == "gcp:filestore/instance:Instance":
        share = (i.get("fileShares") or {}).get("capacityGb")
        return f"{i.get('tier')} {share} GiB in {i.get('location')}"
    return f"{i.get('location')}"


def _chart(graph: ResourceGraph, resource: PlannedResource) -> str:
    i = resource.inputs
    return f"{i.get('chart')} {i.get('version')} in {i.get('namespace')}"


def _cluster_queue(graph: ResourceGraph, resource: PlannedResource) -> str:
    totals: dict[str, Any] = {}
    for group in (resource.inputs.get("spec") or {}).get("resourceGroups", []):
        for flavor in group.get("flavors", []):
            for item in flavor.get("resources", []):
                if "/" in item["name"]:
                    totals[item["name"]] = totals.get(item["name"], 0) + item["nominalQuota"]
    return ", ".join(f"{k} {v}" for k, v in totals.items())


DESCRIBERS: dict[str, Callable[[ResourceGraph, PlannedResource], str]] = {
    "kubernetes:helm.sh/v3:Release": _chart,
    "kubernetes:helm.sh/v4:Chart": _chart,
    "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue": _cluster_queue,
    "gcp:container/nodePool:NodePool": _gke_node_pool,
    "gcp:container/cluster:Cluster": lambda g, r: (
        f"{r.inputs.get('location')}, {((r.inputs.get('releaseChannel') or {}).get('channel'))} channel"
    ),
    "gcp:compute/network:Network": lambda g, r: (
        f"MTU {r.inputs['mtu']}" + (", RoCE profile" if r.inputs.get("networkProfile") else "")
        if r.inputs.get("mtu")
        else ""
    ),
    "gcp:compute/subnetwork:Subnetwork": lambda g, r: str(r.inputs.get("ipCidrRange")),
    "gcp:lustre/instance:Instance": _gcp_storage,
    "gcp:filestore/instance:Instance": _gcp_storage,
    "gcp:storage/bucket:Bucket": _gcp_storage,
    "gcp:parallelstore/instance:Instance": _gcp_storage,
    "kubernetes:networking.gke.io/v1:GKENetworkParamSet": lambda g, r: (
        f"deviceMode {(r.inputs.get('spec') or {}).get('deviceMode')}"
    ),
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/vpc:Vpc": lambda g, r: str(r.inputs.get("cidrBlock")),
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:eks/cluster:Cluster": lambda g, r: f"Kubernetes {r.inputs.get('version')}",
    "aws:eks/addon:Addon": lambda g, r: str(r.inputs.get("addonName")),
    "aws:fsx/lustreFileSystem:LustreFileSystem": _lustre,
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation": lambda g, r: str(
        r.inputs.get("dataRepositoryPath")
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _sg_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _sg_rule,
    "aws:ec2/placementGroup:PlacementGroup": lambda g, r: str(r.inputs.get("strategy")),
}


def describe(graph: ResourceGraph, resource: PlannedResource) -> str:
    describer = DESCRIBERS.get(resource.type)
    if describer is None:
        return ""
    try:
        return describer(graph, resource)
    except (KeyError, TypeError, AttributeError):
        return ""
