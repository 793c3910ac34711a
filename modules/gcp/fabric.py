"""The extra VPCs a GPU machine type's GPUDirect NICs need.

* GPUDirect-TCPX (a3-highgpu-8g) and TCPXO (a3-megagpu-8g): one VPC with one subnet per GPU NIC,
  MTU 8244, all traffic allowed inside; GKE ``deviceMode: NetDevice``.
* RDMA (a3-ultragpu-8g, a4-highgpu-8g): one RoCE VPC created from the zone's RDMA network profile
  with one subnet per RDMA NIC (``deviceMode: RDMA``), plus a second gVNIC VPC for the second
  gVNIC NIC.

Which networks, their MTUs and their subnet ranges come from one catalog function
(:func:`clusterforge.catalog.gcp_network.gpu_subnets`), the same one validation checks, so the
subnets never overlap the cluster's other ranges or each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from clusterforge.catalog.gcp_network import PlannedNetwork
from clusterforge.catalog.gpudirect import network_object_name
from clusterforge.modules.gcp.common import resource_name


@dataclass(frozen=True)
class AttachedNetwork:
    """A VPC/subnet pair a node pool attaches (additional node network) and its GKE objects."""

    object_name: str
    network: gcp.compute.Network
    subnetwork: gcp.compute.Subnetwork
    device_mode: str


class GpuNetworks(pulumi.ComponentResource):
    """The extra VPCs of one GPU pool's machine type."""

    def __init__(
        self,
        name: str,
        *,
        cluster_name: str,
        pool_name: str,
        project: str,
        region: str,
        zone: str,
        networks: list[PlannedNetwork],
        spec_path: str,
        object_prefix: str = "",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("clusterforge:gcp:GpuNetworks", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.attached: list[AttachedNetwork] = []
        for planned in networks:
            plan = planned.network
            vpc_name = resource_name(cluster_name, pool_name, plan.key)
            profile = (
                f"projects/{project}/global/networkProfiles/{zone}-vpc-roce"
                if plan.kind == "rdma"
                else None
            )
            vpc = gcp.compute.Network(
                f"{name}-{plan.key}",
                name=vpc_name,
                project=project,
                auto_create_subnetworks=False,
                mtu=plan.mtu,
                network_profile=profile,
                opts=child,
            )
            if plan.kind != "rdma":  # RoCE VPCs made from a network profile take no firewall rules
                gcp.compute.Firewall(
                    f"{name}-{plan.key}-internal",
                    name=resource_name(vpc_name, "internal"),
                    project=project,
                    network=vpc.id,
                    direction="INGRESS",
                    source_ranges=list(planned.subnets),
                    allows=[gcp.compute.FirewallAllowArgs(protocol="all")],
                    description=f"{plan.kind} traffic between {pool_name} nodes",
                    opts=child,
                )
            for i, cidr in enumerate(planned.subnets):
                subnet_name = (
                    resource_name(vpc_name, f"sub{i}")
                    if len(planned.subnets) > 1
                    else resource_name(vpc_name, "sub")
                )
                subnet = gcp.compute.Subnetwork(
                    f"{name}-{plan.key}-sub{i}",
                    name=subnet_name,
                    project=project,
                    region=region,
                    network=vpc.id,
                    ip_cidr_range=cidr,
                    opts=child,
                )
                object_name = network_object_name(plan.key, i, len(planned.subnets), object_prefix)
                self.attached.append(AttachedNetwork(object_name, vpc, subnet, plan.device_mode))
        self.register_outputs(
            {"specPath": spec_path, "networks": [a.object_name for a in self.attached]}
        )
