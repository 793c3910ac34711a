"""VPC IP space on AWS: how the VPC is cut into subnets, and how many subnet addresses a node
takes under the VPC CNI — one computation for the network component and the IP-space rule (AWS007).

The facts are in ``data/aws/services.json`` (``network``), each with its source:

- AWS reserves the first four and the last address of every subnet (EC2 API Reference,
  CreateSubnet).
- The VPC CNI (aws/amazon-vpc-cni-k8s README, v1.23.0) manages network card 0 only unless
  ``ENABLE_MULTI_NIC`` is set. In its default secondary-IP mode every interface it attaches gets
  all its addresses (``Ipv4AddressesPerInterface``, the first being the interface's own) and it
  keeps one spare interface (``WARM_ENI_TARGET=1``). With ``ENABLE_PREFIX_DELEGATION`` it assigns
  /28 prefixes (16 addresses) to the interface slots instead and keeps ``WARM_PREFIX_TARGET``
  (default 1) spare prefixes. ``WARM_IP_TARGET`` / ``MINIMUM_IP_TARGET`` replace both warm targets.
- The node's max pods (:func:`max_pods`): EKS's table (misc/eni-max-pods.txt) is ``interfaces
  of card 0 x (addresses per interface - 1) + 2``; the ``+ 2`` are the host-network pods
  (aws-node, kube-proxy) that take no pod address. With prefix delegation each slot counts a /28
  prefix of 16. A managed node group (clusterforge sets no AMI id) caps it by the type's vCPUs:
  110, or 250 over 30 vCPUs (``vpc_cni.max_pods_cap``, with its sources).
- EFA: an ``efa`` interface takes one address, an ``efa-only`` interface none (EC2 User Guide,
  "Create and attach an EFA"); an EFA interface on card 0 takes a slot the CNI cannot use.

The count is the most a node can hold at its max pods — what the subnet must have room for when
every node of every pool placed there is up.
"""

from __future__ import annotations

import ipaddress
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clusterforge.catalog.efa import NetworkInterface
from clusterforge.catalog.model import Offering
from clusterforge.spec.models import VpcCni

if TYPE_CHECKING:
    from clusterforge.catalog.resolve import ResolvedCluster

#: At most this many zones: the VPC is split in quarters, three private and one for public subnets.
MAX_ZONES = 3


def vpc_zones(resolved: ResolvedCluster, available: list[str] | None = None) -> list[str]:
    """Zones for the VPC — one choice for the network component and AWS007: the explicit list,
    else the zones the cluster, pools and storage name, topped up to ``MAX_ZONES`` from the
    region's ``available`` zones (EKS needs two). ``None``: the region's zones are known only at
    plan time, so the top-up is named by position ("zone 2 of the region")."""
    spec = resolved.spec
    if spec.network.zones:
        return list(dict.fromkeys(spec.network.zones))[:MAX_ZONES]
    wanted = [spec.zone, *(p.zone for p in resolved.pools), *(s.zone for s in resolved.storage)]
    zones = list(dict.fromkeys(z for z in wanted if z))
    if available is None:
        available = [f"zone {i} of the region" for i in range(len(zones) + 1, MAX_ZONES + 1)]
    for zone in available:
        if len(zones) >= MAX_ZONES:
            break
        if zone not in zones:
            zones.append(zone)
    return zones[:MAX_ZONES]


@dataclass(frozen=True)
class SubnetPlan:
    zone: str
    private_cidr: str
    public_cidr: str


def subnet_layout(cidr: str, zones: list[str]) -> list[SubnetPlan]:
    """Carve ``cidr``: a quarter per zone for private subnets (pods take VPC IPs), and the last
    quarter cut in four for the small public subnets (NAT gateways, load balancers)."""
    if not 1 <= len(zones) <= MAX_ZONES:
        raise ValueError(f"between 1 and {MAX_ZONES} zones, got {len(zones)}")
    network = ipaddress.ip_network(cidr)
    quarters: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = list(
        network.subnets(prefixlen_diff=2)
    )
    publics = list(quarters[3].subnets(prefixlen_diff=2))
    return [SubnetPlan(zone, str(quarters[i]), str(publics[i])) for i, zone in enumerate(zones)]


@dataclass(frozen=True)
class CniSettings:
    """The VPC CNI settings clusterforge sets on the ``vpc-cni`` add-on (None: the CNI default)."""

    prefix_delegation: bool = False
    warm_prefix_target: int | None = None
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None

    def env(self, facts: dict[str, Any]) -> dict[str, str]:
        """The add-on's ``env`` configuration values for the settings given (empty: defaults);
        the variable names are the CNI's (services.json ``network.vpc_cni.env_names``)."""
        names: dict[str, str] = facts["vpc_cni"]["env_names"]
        env: dict[str, str] = {}
        if self.prefix_delegation:
            env[names["prefix_delegation"]] = "true"
        for setting in ("warm_prefix_target", "warm_ip_target", "minimum_ip_target"):
            value = getattr(self, setting)
            if value is not None:
                env[names[setting]] = str(value)
        return env

    @property
    def mode(self) -> str:
        return "prefix delegation" if self.prefix_delegation else "secondary IPs"

    @classmethod
    def of(cls, spec: VpcCni) -> CniSettings:
        return cls(
            prefix_delegation=spec.prefix_delegation,
            warm_prefix_target=spec.warm_prefix_target,
            warm_ip_target=spec.warm_ip_target,
            minimum_ip_target=spec.minimum_ip_target,
        )

    def configuration_values(self, facts: dict[str, Any]) -> str | None:
        """The ``vpc-cni`` add-on's configuration values (JSON), None for the CNI's defaults."""
        env = self.env(facts)
        return json.dumps({"env": env}, sort_keys=True) if env else None


@dataclass(frozen=True)
class NodeIps:
    """Subnet addresses one node can hold at its max pods."""

    max_pods: int
    pod_ips: int
    #: Interfaces on card 0 the CNI can attach (the primary included).
    cni_interfaces: int
    #: Addresses the CNI holds: pod addresses, warm ones, and its interfaces' own addresses.
    cni_ips: int
    #: Addresses of EFA interfaces outside the CNI's (type ``efa``; ``efa-only`` take none).
    efa_ips: int

    @property
    def total(self) -> int:
        return self.cni_ips + self.efa_ips


def cidr_prefix_range(facts: dict[str, Any]) -> tuple[int, int]:
    """The prefix lengths EC2 accepts for a VPC and for a subnet: (largest network, smallest),
    /16 and /28 (services.json ``network.cidr_prefix_range``, with source)."""
    largest, smallest = facts["cidr_prefix_range"]
    return int(largest), int(smallest)


def usable_ips(cidr: str, facts: dict[str, Any]) -> int:
    """Addresses of a subnet an instance can use (its size less AWS's reserved ones)."""
    reserved = int(facts["subnet_reserved_ips"])
    return max(0, ipaddress.ip_network(cidr, strict=False).num_addresses - reserved)


def max_pods(offering: Offering, prefix_delegation: bool, facts: dict[str, Any]) -> int:
    """The max pods EKS gives a node of ``offering`` in a managed node group: card 0's
    interfaces x their address slots (x 16 with prefix delegation) + the host-network pods, at
    most the cap for the type's vCPUs (services.json ``network.vpc_cni.max_pods_cap``)."""
    cni_facts = facts["vpc_cni"]
    slots = offering.primary_card_interfaces * max(0, offering.ipv4_per_interface - 1)
    if prefix_delegation:
        slots *= int(cni_facts["prefix_size"])
    cap = cni_facts["max_pods_cap"]
    ceiling = cap["over"] if offering.vcpus > int(cap["over_vcpus"]) else cap["at_most_vcpus"]
    return min(slots + int(cni_facts["host_network_pods"]), int(ceiling))


def node_ips(
    offering: Offering,
    layout: tuple[NetworkInterface, ...],
    cni: CniSettings,
    facts: dict[str, Any],
) -> NodeIps | None:
    """The most subnet addresses a node of ``offering`` with launch-template interfaces
    ``layout`` (empty: just the primary) takes; None when the catalog lacks the type's limits."""
    per_interface = offering.ipv4_per_interface
    card0 = offering.primary_card_interfaces
    if per_interface < 2 or card0 < 1:
        return None
    cni_facts = facts["vpc_cni"]
    host_pods = int(cni_facts["host_network_pods"])
    # EFA interfaces beyond the primary on card 0 take card-0 slots the CNI cannot attach.
    taken = sum(1 for n in layout if n.is_efa and n.network_card_index == 0 and n.device_index > 0)
    interfaces = max(1, card0 - taken)
    slots = per_interface - 1  # the first address of an interface is its own
    pods = max_pods(offering, cni.prefix_delegation, facts)
    if cni.prefix_delegation:
        prefix = int(cni_facts["prefix_size"])
        pod_ips = min(max(0, pods - host_pods), interfaces * slots * prefix)
        if cni.warm_ip_target is not None or cni.minimum_ip_target is not None:
            wanted = max(pod_ips + (cni.warm_ip_target or 0), cni.minimum_ip_target or 0)
            prefixes = math.ceil(wanted / prefix)
        else:
            warm = cni.warm_prefix_target
            warm = int(cni_facts["warm_prefix_target"]) if warm is None else warm
            prefixes = math.ceil(pod_ips / prefix) + warm
        prefixes = min(prefixes, interfaces * slots)
        used = min(interfaces, max(1, math.ceil(prefixes / slots)))
        cni_ips = prefixes * prefix + used
    else:
        pod_ips = min(max(0, pods - host_pods), interfaces * slots)
        if cni.warm_ip_target is not None or cni.minimum_ip_target is not None:
            wanted = max(pod_ips + (cni.warm_ip_target or 0), cni.minimum_ip_target or 0)
            wanted = min(wanted, interfaces * slots)
            cni_ips = wanted + max(1, math.ceil(wanted / slots))
        else:
            warm_enis = int(cni_facts["warm_eni_target"])
            used = min(interfaces, max(1, math.ceil(pod_ips / slots)) + warm_enis)
            cni_ips = used * per_interface
    # The primary is the CNI's; other `efa` interfaces take one address each.
    efa_ips = sum(
        1
        for n in layout
        if n.interface_type == "efa" and (n.network_card_index, n.device_index) != (0, 0)
    )
    return NodeIps(pods, pod_ips, interfaces, cni_ips, efa_ips)


@dataclass(frozen=True)
class PoolDemand:
    """What one pool needs from one zone's subnet at its max size."""

    pool_path: str
    nodes: int
    per_node: NodeIps
    offering: Offering
    layout: tuple[NetworkInterface, ...] = ()

    @property
    def ips(self) -> int:
        return self.nodes * self.per_node.total


def nodes_in_zone(max_size: int, zoned: bool, zone_count: int) -> int:
    """Nodes of a pool in one subnet at max size: all of them for a zoned pool; an even share
    (rounded up) over the VPC's zones for a pool spread across every private subnet."""
    if zoned or zone_count <= 1:
        return max_size
    return math.ceil(max_size / zone_count)
