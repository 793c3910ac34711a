"""The top AWS component: network, control plane, node pools, managed add-ons and file systems."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from clusterforge.catalog.addons import images
from clusterforge.catalog.fsx import data_paths, lustre_ports, storage_type
from clusterforge.catalog.ipspace import CniSettings, vpc_zones
from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.clouds import region_of
from clusterforge.modules.aws.common import assume_role_policy, managed_policy, tags
from clusterforge.modules.aws.eks import ControlPlane, ControlPlaneArgs
from clusterforge.modules.aws.fsx import LustreArgs, LustreFileSystem
from clusterforge.modules.aws.network import Network, NetworkArgs
from clusterforge.modules.aws.nodes import NodePool, NodePoolArgs, node_repair
from clusterforge.modules.kubernetes import KubernetesAddons

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)
#: EKS managed add-ons every cluster gets. coredns waits for the system pool (it has nowhere to
#: run before), the EBS CSI driver gets its IAM role through EKS Pod Identity.
MANAGED_ADDONS = (
    "vpc-cni",
    "kube-proxy",
    "eks-pod-identity-agent",
    "coredns",
    "aws-ebs-csi-driver",
)


def autoscaler_policy(cluster_name: str) -> str:
    """Describe anything; change only Auto Scaling groups tagged as this cluster's (the
    cluster-autoscaler documentation's recommended policy)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "autoscaling:DescribeTags",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                        "eks:DescribeNodegroup",
                    ],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:SetDesiredCapacity",
                        "autoscaling:TerminateInstanceInAutoScalingGroup",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"
                        }
                    },
                },
            ],
        }
    )


#: What the FSx CSI controller needs for statically provisioned volumes: DescribeFileSystems only.
FSX_CSI_STATIC_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["fsx:DescribeFileSystems"], "Resource": "*"}],
}


def zoned_subnet(private: dict[str, Any], pool: Any) -> list[Any]:
    """The one subnet of a zoned pool — never every subnet: a pool pinned to a zone the VPC does
    not have is a validation error (AWS003), and an error here too."""
    if pool.zone not in private:
        raise ValueError(
            f"{pool.path}: zone {pool.zone} is not one of the VPC's zones ({', '.join(private)})"
        )
    return [private[pool.zone].id]


class AwsCluster(pulumi.ComponentResource):
    """An EKS AI cluster built from a resolved spec."""

    def __init__(
        self, name: str, resolved: ResolvedCluster, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        spec = resolved.spec
        region = region_of(spec.cloud, spec.region)
        provider = aws.Provider(f"{name}-aws", region=region)
        super().__init__(
            "clusterforge:aws:Cluster",
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers={"aws": provider})),
        )
        invoke = pulumi.InvokeOptions(provider=provider, parent=self)
        partition = aws.get_partition(opts=invoke).partition
        available = aws.get_availability_zones(state="available", opts=invoke).names
        zones = vpc_zones(resolved, list(available))
        base = dict(spec.tags)
        child = pulumi.ResourceOptions(parent=self)

        self.network = Network(
            f"{name}-net",
            NetworkArgs(
                cluster_name=spec.name,
                cidr=spec.network.cidr,
                zones=zones,
                nat=spec.network.nat,
                region=region,
                tags=base,
            ),
            opts=child,
        )
        private = self.network.private_subnets
        k8s_spec = spec.kubernetes
        self.control_plane = ControlPlane(
            f"{name}-cp",
            ControlPlaneArgs(
                cluster_name=spec.name,
                version=k8s_spec.version,
                subnet_ids=[s.id for s in private.values()],
                endpoint_private_access=k8s_spec.private_endpoint,
                endpoint_public_access=k8s_spec.endpoint_public_access,
                public_access_cidrs=list(k8s_spec.public_access_cidrs),
                secrets_encryption=k8s_spec.secrets_encryption,
                log_types=list(k8s_spec.control_plane_logs),
                admins=list(k8s_spec.admins),
                partition=partition,
                region=region,
                tags=base,
            ),
            opts=child,
        )
        eks = self.control_plane.cluster

        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags=tags(base, spec.name),
            opts=child,
        )
        node_attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=node_role.name,
                policy_arn=managed_policy(partition, policy),
                opts=child,
            )
            for policy in NODE_POLICIES
        ]

        if resolved.catalog is None:
            raise ValueError("no AWS catalog: the VPC CNI settings need its network facts")
        network_facts = resolved.catalog.extra["network"]
        early = self._managed_addons(
            name,
            spec.name,
            eks,
            partition,
            base,
            ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"),
            [],
            # VPC CNI address management as the spec sets it (catalog/ipspace.py,
            # docs/aws-ip-space.md); None keeps the add-on's defaults.
            cni=CniSettings.of(spec.network.vpc_cni).configuration_values(network_facts),
        )
        self.pools: dict[str, NodePool] = {}
        for pool in resolved.pools:
            subnets = zoned_subnet(private, pool) if pool.zone else [s.id for s in private.values()]
            self.pools[pool.name] = NodePool(
                f"{name}-{pool.name}",
                NodePoolArgs(
                    cluster_name=eks.name,
                    cluster_tag=spec.name,
                    pool=pool,
                    node_role_arn=node_role.arn,
                    subnet_ids=subnets,
                    vpc_id=self.network.vpc.id,
                    cluster_security_group_id=self.control_plane.cluster_security_group_id,
                    kubernetes_version=k8s_spec.version,
                    tags=base,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*node_attachments, *early]),
            )
        system_groups = [
            self.pools[r.name].node_group for r in resolved.pools if not r.is_accelerated
        ]
        # Node repair acts on the conditions the EKS node monitoring agent sets (EKS User Guide,
        # "Detect node health issues and enable automatic node repair"): install it with repair.
        monitoring = (
            ("eks-node-monitoring-agent",) if any(node_repair(p) for p in resolved.pools) else ()
        )
        late = self._managed_addons(
            name,
            spec.name,
            eks,
            partition,
            base,
            ("coredns", "aws-ebs-csi-driver", *monitoring),
            system_groups,
        )

        self.file_systems: dict[str, LustreFileSystem] = {}
        fsx = (resolved.catalog.storage.get("fsx_lustre") if resolved.catalog else None) or {}
        for storage in resolved.storage:
            if storage.deployment_type is None:
                continue
            if storage.zone not in private:
                # Validation (AWS003) reports this with its path; never skip a file system.
                raise ValueError(
                    f"{storage.path}: zone {storage.zone} is not one of the VPC's zones "
                    f"({', '.join(private)})"
                )
            self.file_systems[storage.name] = LustreFileSystem(
                f"{name}-{storage.name}",
                LustreArgs(
                    cluster_tag=spec.name,
                    storage=storage,
                    subnet_id=private[storage.zone].id,
                    vpc_id=self.network.vpc.id,
                    vpc_cidr=spec.network.cidr,
                    client_security_group_id=self.control_plane.cluster_security_group_id,
                    ports=lustre_ports(fsx),
                    file_system_type_version=fsx["file_system_type_version"],
                    storage_type=storage_type(fsx, storage.deployment_type),
                    data_paths=data_paths(fsx, storage.deployment_type, storage.spec),
                    tags=base,
                ),
                opts=child,
            )
        self.addons = None
        self.addons_list = list(resolved.addons)
        if resolved.addons:
            if resolved.addon("fsx-csi-driver") is not None:
                # Static provisioning only (one PersistentVolume per file system): the controller
                # calls DescribeFileSystems (ValidateVolumeCapabilities) and nothing else, so it
                # may not create, resize or delete file systems (kubernetes-sigs/aws-fsx-csi-driver
                # pkg/driver/controller.go, commit 5b22712; the driver's docs grant AmazonFSxFullAccess
                # for dynamic provisioning).
                self._pod_identity(name, spec.name, eks, partition, base, "fsx-csi", "kube-system", "fsx-csi-controller-sa",
                                   inline_policy=FSX_CSI_STATIC_POLICY)  # fmt: skip
            if resolved.addon("cluster-autoscaler") is not None:
                self._autoscaler_identity(name, spec.name, eks, base)
            kube = k8s.Provider(
                f"{name}-k8s",
                kubeconfig=self.control_plane.kubeconfig,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[eks]),
            )
            self.addons = KubernetesAddons(
                f"{name}-addons",
                resolved,
                kube,
                volumes={n: fs.volume_source for n, fs in self.file_systems.items()},
                images=images(),
                # Charts wait for their workloads: nodes and CoreDNS must exist first.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[*self.pools.values(), *early, *late]
                ),
            )
        self.register_outputs(self.exports())

    def _pod_identity(
        self,
        name: str,
        cluster_name: str,
        eks: aws.eks.Cluster,
        partition: str,
        base: dict[str, str],
        key: str,
        namespace: str,
        service_account: str,
        policy: str | None = None,
        inline_policy: dict[str, Any] | None = None,
    ) -> aws.eks.PodIdentityAssociation:
        """An IAM role a Kubernetes service account assumes through EKS Pod Identity, with an AWS
        managed policy or an inline policy of its own."""
        role = aws.iam.Role(
            f"{name}-{key}-role",
            assume_role_policy=assume_role_policy("pods.eks.amazonaws.com"),
            tags=tags(base, cluster_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if policy is not None:
            aws.iam.RolePolicyAttachment(
                f"{name}-{key}-policy",
                role=role.name,
                policy_arn=managed_policy(partition, policy),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if inline_policy is not None:
            aws.iam.RolePolicy(
                f"{name}-{key}-policy",
                role=role.name,
                policy=json.dumps(inline_policy),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return aws.eks.PodIdentityAssociation(
            f"{name}-{key}",
            cluster_name=eks.name,
            namespace=namespace,
            service_account=service_account,
            role_arn=role.arn,
            tags=tags(base, cluster_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[eks]),
        )

    def _autoscaler_identity(
        self, name: str, cluster_name: str, eks: aws.eks.Cluster, base: dict[str, str]
    ) -> None:
        """The cluster-autoscaler's IAM role: scale and inspect this cluster's node groups only."""
        role = aws.iam.Role(
            f"{name}-autoscaler-role", assume_role_policy=assume_role_policy("pods.eks.amazonaws.com"),
            tags=tags(base, cluster_name), opts=pulumi.ResourceOptions(parent=self),
        )  # fmt: skip
        aws.iam.RolePolicy(
            f"{name}-autoscaler-policy",
            role=role.name,
            policy=autoscaler_policy(cluster_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.eks.PodIdentityAssociation(
            f"{name}-autoscaler",
            cluster_name=eks.name,
            namespace="kube-system",
            service_account="cluster-autoscaler",
            role_arn=role.arn,
            tags=tags(base, cluster_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[eks]),
        )

    def _managed_addons(
        self,
        name: str,
        cluster_name: str,
        eks: aws.eks.Cluster,
        partition: str,
        base: dict[str, str],
        addons: tuple[str, ...],
        after: list[pulumi.Resource],
        cni: str | None = None,
    ) -> list[aws.eks.Addon]:
        created = []
        for addon in addons:
            pod_identity = None
            if addon == "aws-ebs-csi-driver":
                role = aws.iam.Role(
                    f"{name}-ebs-csi-role",
                    assume_role_policy=assume_role_policy("pods.eks.amazonaws.com"),
                    tags=tags(base, cluster_name),
                    opts=pulumi.ResourceOptions(parent=self),
                )
                aws.iam.RolePolicyAttachment(
                    f"{name}-ebs-csi-policy",
                    role=role.name,
                    policy_arn=managed_policy(partition, "service-role/AmazonEBSCSIDriverPolicy"),
                    opts=pulumi.ResourceOptions(parent=self),
                )
                pod_identity = [
                    aws.eks.AddonPodIdentityAssociationArgs(
                        role_arn=role.arn, service_account="ebs-csi-controller-sa"
                    )
                ]
            created.append(
                aws.eks.Addon(
                    f"{name}-{addon}",
                    cluster_name=eks.name,
                    addon_name=addon,
                    configuration_values=cni if addon == "vpc-cni" else None,
                    resolve_conflicts_on_create="OVERWRITE",
                    resolve_conflicts_on_update="PRESERVE",
                    pod_identity_associations=pod_identity,
                    tags=tags(base, cluster_name),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[eks, *after]),
                )
            )
        return created

    def exports(self) -> dict[str, Any]:
        """Stack outputs users need: names, endpoint, kubeconfig (secret), node groups, file systems."""
        return {
            "clusterName": self.control_plane.cluster.name,
            "endpoint": self.control_plane.cluster.endpoint,
            "kubeconfig": self.control_plane.kubeconfig,
            "vpcId": self.network.vpc.id,
            "nodeGroups": {n: p.node_group.node_group_name for n, p in self.pools.items()},
            "addons": [a.name for a in self.addons_list],
            "volumes": {n: fs.volume_source for n, fs in self.file_systems.items()},
            "fileSystems": {
                n: {
                    "id": fs.file_system.id,
                    "dnsName": fs.file_system.dns_name,
                    "mountName": fs.file_system.mount_name,
                }
                for n, fs in self.file_systems.items()
            },
        }
