"""Managed node groups, each with its own launch template.

The launch template carries what a GPU/Trainium node needs and a managed node group cannot say
by itself: every EFA interface of the instance type, per network card as AWS documents it
(``clusterforge.catalog.efa``: the primary ENA interface, one ``efa-only`` per EFA-capable card),
the EFA security group, a cluster placement group,
Capacity Block / reservation targeting, IMDSv2, an encrypted gp3 root volume and the AL2023
``NodeConfig`` that assembles the instance-store NVMe disks into one RAID0 volume.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from clusterforge.catalog.addons import advertised_neuron_cores
from clusterforge.catalog.ami import traits
from clusterforge.catalog.efa import efa_layout
from clusterforge.catalog.model import Offering
from clusterforge.catalog.resolve import ResolvedPool
from clusterforge.modules.aws.common import tags

#: EKS managed node group capacity types by spec capacity type.
CAPACITY_TYPE = {
    "on_demand": "ON_DEMAND",
    "reservation": "ON_DEMAND",
    "spot": "SPOT",
    "capacity_block": "CAPACITY_BLOCK",
}
TAINT_EFFECT = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
DEFAULT_DISK_GIB = {"system": 100, "accelerator": 500}
#: IMDSv2 only, one hop: pods use EKS Pod Identity, and host-network DaemonSets (VPC CNI, the EFA
#: device plugin) still reach the metadata service; ordinary pods cannot borrow the node role.
METADATA = aws.ec2.LaunchTemplateMetadataOptionsArgs(
    http_endpoint="enabled",
    http_tokens="required",
    http_put_response_hop_limit=1,
    instance_metadata_tags="disabled",
)


def efa_network_interfaces(
    offering: Offering, security_group_ids: list[pulumi.Input[str]]
) -> list[aws.ec2.LaunchTemplateNetworkInterfaceArgs]:
    """The interfaces of :func:`clusterforge.catalog.efa.efa_layout` as launch template inputs.
    No public IPs on multi-card instances (EC2 refuses them)."""
    return [
        aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            network_card_index=n.network_card_index,
            device_index=n.device_index,
            interface_type=n.interface_type,
            security_groups=security_group_ids,
            delete_on_termination="true",
            associate_public_ip_address="false",
        )
        for n in efa_layout(offering)
    ]


#: kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md (commit 55c37cd, read
#: 2026-12-03): when an Auto Scaling group is at 0 nodes the autoscaler learns its nodes' labels,
#: taints and resources from these ASG tags (EKS does not copy node group tags to the ASG).
NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"


def scale_from_zero_tags(pool: ResolvedPool) -> dict[str, str]:
    """ASG tags that let the cluster autoscaler scale an accelerator pool up from zero nodes:
    its extended resources (GPUs, EFA interfaces, Neuron devices and cores), labels and taints.
    Empty for pools that never sit at zero or have no accelerators."""
    offering = pool.offering
    if offering is None or not offering.is_accelerated or pool.min_size > 0:
        return {}
    if pool.min_size == pool.max_size:
        return {}  # not autoscaled: nothing scales it up
    resources: dict[str, int] = {}
    if offering.is_nvidia:
        resources["nvidia.com/gpu"] = offering.accelerator_count
    if offering.is_neuron:
        resources["aws.amazon.com/neuron"] = offering.accelerator_count
        # The NeuronCores the device plugin advertises (logical cores at the default LNC), the
        # same figure Kueue's quota counts: the autoscaler must not promise cores a node lacks.
        resources["aws.amazon.com/neuroncore"] = advertised_neuron_cores(
            offering.accelerator, offering.neuron_cores
        )
    if pool.efa_interfaces:
        resources["vpc.amazonaws.com/efa"] = pool.efa_interfaces
    found = {f"{NODE_TEMPLATE}/resources/{k}": str(v) for k, v in resources.items()}
    found.update({f"{NODE_TEMPLATE}/label/{k}": v for k, v in pool.labels.items()})
    found.update(
        {f"{NODE_TEMPLATE}/taint/{t.key}": f"{t.value or ''}:{t.effect}" for t in pool.taints}
    )
    return found


def node_repair(pool: ResolvedPool) -> bool:
    """EKS node auto repair on accelerator pools; the cluster then installs the EKS node
    monitoring agent add-on, whose NodeConditions (GPU XID, NVLink, Neuron errors) repair acts on."""
    return pool.is_accelerated


def node_config_user_data(raid0: bool) -> str | None:
    """AL2023 nodeadm user data (MIME multipart, merged by EKS with its own) — RAID0 over the
    instance-store NVMe disks, mounted for kubelet and containerd."""
    if not raid0:
        return None
    document = "\n".join(
        [
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="//"',
            "",
            "--//",
            "Content-Type: application/node.eks.aws",
            "",
            "---",
            "apiVersion: node.eks.aws/v1alpha1",
            "kind: NodeConfig",
            "spec:",
            "  instance:",
            "    localStorage:",
            "      strategy: RAID0",
            "",
            "--//--",
            "",
        ]
    )
    return base64.b64encode(document.encode()).decode()


def capacity_options(
    pool: ResolvedPool,
) -> tuple[
    aws.ec2.LaunchTemplateInstanceMarketOptionsArgs | None,
    aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs | None,
]:
    """Launch template market options and reservation targeting for the pool's capacity type."""
    capacity = pool.spec.capacity
    if capacity.type == "capacity_block":
        return (
            aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(market_type="capacity-block"),
            aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
                capacity_reservation_target=aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs(
                    capacity_reservation_id=capacity.reservation_id
                )
            ),
        )
    if capacity.type == "reservation":
        return (
            None,
            aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
                capacity_reservation_target=aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs(
                    capacity_reservation_id=capacity.reservation_id
                )
            ),
        )
    return None, None


@dataclass(frozen=True)
class NodePoolArgs:
    cluster_name: pulumi.Input[str]
    cluster_tag: str
    pool: ResolvedPool
    node_role_arn: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    vpc_id: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    kubernetes_version: str
    tags: dict[str, str] = field(default_factory=dict)


class NodePool(pulumi.ComponentResource):
    """A managed node group with its launch template (and EFA security group, placement group)."""

    def __init__(
        self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:aws:NodePool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pool = args.pool
        offering = pool.offering
        assert offering is not None, "validation guarantees a resolved instance type"
        base = tags(args.tags, args.cluster_tag, **{"clusterforge.io/pool": pool.name})

        network_interfaces = None
        self.efa_security_group = None
        if pool.fabric == "efa":
            # EFA's OS-bypass traffic must be allowed in and out to the group itself, all protocols.
            self.efa_security_group = aws.ec2.SecurityGroup(
                f"{name}-efa",
                vpc_id=args.vpc_id,
                description=f"EFA traffic between {pool.name} nodes",
                tags={**base, "Name": f"{args.cluster_tag}-{pool.name}-efa"},
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-efa-in",
                security_group_id=self.efa_security_group.id,
                referenced_security_group_id=self.efa_security_group.id,
                ip_protocol="-1",
                description="EFA: all traffic from the group itself",
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-efa-out",
                security_group_id=self.efa_security_group.id,
                referenced_security_group_id=self.efa_security_group.id,
                ip_protocol="-1",
                description="EFA: all traffic to the group itself",
                opts=child,
            )
            network_interfaces = efa_network_interfaces(
                offering, [args.cluster_security_group_id, self.efa_security_group.id]
            )

        placement = None
        self.placement_group = None
        if pool.placement_group:
            self.placement_group = aws.ec2.PlacementGroup(
                f"{name}-pg", strategy="cluster", tags=base, opts=child
            )
            placement = aws.ec2.LaunchTemplatePlacementArgs(group_name=self.placement_group.name)

        market, reservation = capacity_options(pool)
        role = "accelerator" if pool.is_accelerated else "system"
        disk = pool.spec.disk_size_gib or DEFAULT_DISK_GIB[role]
        # The RAID0 NodeConfig is AL2023 nodeadm user data; Bottlerocket reads TOML settings and
        # would reject it (AWS006 says so).
        raid0 = (
            pool.spec.local_nvme_raid0
            and offering.local_nvme_disks > 0
            and traits(pool.ami_type or "").family != "BOTTLEROCKET"
        )
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"{args.cluster_tag} {pool.name}: {offering.instance_type}",
            instance_type=offering.instance_type,
            network_interfaces=network_interfaces,
            placement=placement,
            instance_market_options=market,
            capacity_reservation_specification=reservation,
            metadata_options=METADATA,
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=disk,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            user_data=node_config_user_data(raid0),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=base)
                for kind in ("instance", "volume", "network-interface")
            ],
            update_default_version=True,
            tags=base,
            opts=child,
        )

        autoscaled = pool.min_size != pool.max_size
        self.node_group = aws.eks.NodeGroup(
            f"{name}-ng",
            cluster_name=args.cluster_name,
            node_role_arn=args.node_role_arn,
            subnet_ids=args.subnet_ids,
            ami_type=pool.ami_type,
            capacity_type=CAPACITY_TYPE.get(pool.spec.capacity.type, "ON_DEMAND"),
            version=args.kubernetes_version,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=pool.desired, min_size=pool.min_size, max_size=pool.max_size
            ),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)
            ),
            labels=pool.labels,
            taints=[
                aws.eks.NodeGroupTaintArgs(
                    key=t.key, value=t.value or None, effect=TAINT_EFFECT[t.effect]
                )
                for t in pool.taints
            ],
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True)
            if node_repair(pool)
            else None,
            tags=base,
            # The cluster autoscaler owns the desired size of an autoscaled pool; do not reset it.
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["scalingConfig.desiredSize"] if autoscaled else None
            ),
        )
        # Scale from zero: the autoscaler reads what a node would have from its ASG's tags.
        template_tags = scale_from_zero_tags(pool)
        if template_tags:
            asg_name = self.node_group.resources.apply(
                lambda found: found[0].autoscaling_groups[0].name  # type: ignore[index]
            )
            for key, value in sorted(template_tags.items()):
                kind, _, rest = key.removeprefix(f"{NODE_TEMPLATE}/").partition("/")
                aws.autoscaling.Tag(
                    f"{name}-asg-{kind}-{re.sub(r'[^A-Za-z0-9-]', '-', rest)}",
                    autoscaling_group_name=asg_name,
                    tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                    opts=child,
                )
        self.register_outputs(
            {
                "specPath": pool.path,
                "nodeGroupName": self.node_group.node_group_name,
                "launchTemplateId": self.launch_template.id,
                "instanceType": offering.instance_type,
                "efaInterfaces": pool.efa_interfaces,
            }
        )
