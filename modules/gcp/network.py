"""The cluster VPC: one regional subnet with secondary ranges for pods and services, Cloud NAT.

Nodes are private (no external IPs): Cloud Router + Cloud NAT give them egress, and Private
Google Access keeps traffic to Google APIs (Artifact Registry, Cloud Storage) off the NAT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from clusterforge.modules.gcp.common import resource_name

PODS_RANGE = "pods"
SERVICES_RANGE = "services"


@dataclass(frozen=True)
class NetworkArgs:
    cluster_name: str
    project: str
    region: str
    cidr: str
    pods_cidr: str
    services_cidr: str
    #: Jumbo MTU for GPUDirect / TPU multi-slice / Managed Lustre traffic (catalog
    #: gcp_network.primary_mtu); None keeps GCE's default.
    mtu: int | None = None
    labels: dict[str, str] = field(default_factory=dict)


class Network(pulumi.ComponentResource):
    """VPC, node subnet with pod/service secondary ranges, router, NAT, internal firewall."""

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:gcp:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        base = resource_name(args.cluster_name)
        self.vpc = gcp.compute.Network(
            f"{name}-vpc",
            name=resource_name(base, "vpc"),
            project=args.project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            mtu=args.mtu,
            opts=child,
        )
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-nodes",
            name=resource_name(base, "nodes"),
            project=args.project,
            region=args.region,
            network=self.vpc.id,
            ip_cidr_range=args.cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=PODS_RANGE, ip_cidr_range=args.pods_cidr
                ),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=SERVICES_RANGE, ip_cidr_range=args.services_cidr
                ),
            ],
            opts=child,
        )
        router = gcp.compute.Router(
            f"{name}-router",
            name=resource_name(base, "router"),
            project=args.project,
            region=args.region,
            network=self.vpc.id,
            opts=child,
        )
        gcp.compute.RouterNat(
            f"{name}-nat",
            name=resource_name(base, "nat"),
            project=args.project,
            region=args.region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child,
        )
        gcp.compute.Firewall(
            f"{name}-internal",
            name=resource_name(base, "allow-internal"),
            project=args.project,
            network=self.vpc.id,
            direction="INGRESS",
            source_ranges=[args.cidr, args.pods_cidr],
            allows=[gcp.compute.FirewallAllowArgs(protocol="all")],
            description="Node-to-node and pod-to-pod traffic inside the cluster network",
            opts=child,
        )
        self.register_outputs(
            {
                "specPath": "network",
                "network": self.vpc.name,
                "subnetwork": self.subnet.name,
                "mtu": args.mtu,
            }
        )
