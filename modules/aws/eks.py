"""The EKS control plane: IAM role, KMS secrets encryption, logs, access entries, managed add-ons.

Authentication uses EKS access entries (``API`` mode), not the aws-auth ConfigMap; the creator
gets admin through ``bootstrapClusterCreatorAdminPermissions`` and each principal in
``kubernetes.admins`` through an access entry with the cluster-admin access policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from clusterforge.modules.aws.common import assume_role_policy, managed_policy, tags
from clusterforge.modules.kubernetes.kubeconfig import exec_kubeconfig

#: Control-plane log retention (days) in CloudWatch.
LOG_RETENTION_DAYS = 90
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


@dataclass(frozen=True)
class ControlPlaneArgs:
    cluster_name: str
    version: str
    subnet_ids: list[pulumi.Input[str]]
    #: The stack's region (the spec's, or the profile's default_region).
    region: str
    endpoint_private_access: bool = True
    endpoint_public_access: bool = False
    public_access_cidrs: list[str] = field(default_factory=list)
    secrets_encryption: bool = True
    log_types: list[str] = field(default_factory=lambda: ["api", "audit", "authenticator"])
    admins: list[str] = field(default_factory=list)
    partition: str = "aws"
    tags: dict[str, str] = field(default_factory=dict)


class ControlPlane(pulumi.ComponentResource):
    """An EKS cluster with KMS-encrypted secrets, control-plane logs and access entries."""

    def __init__(
        self, name: str, args: ControlPlaneArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:aws:ControlPlane", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        base = tags(args.tags, args.cluster_name)

        self.role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=assume_role_policy("eks.amazonaws.com"),
            tags=base,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-cluster-{policy}",
                role=self.role.name,
                policy_arn=managed_policy(args.partition, policy),
                opts=child,
            )
            for policy in ("AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController")
        ]

        encryption = None
        if args.secrets_encryption:
            self.kms_key = aws.kms.Key(
                f"{name}-secrets",
                description=f"EKS secrets envelope encryption for {args.cluster_name}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                tags=base,
                opts=child,
            )
            aws.kms.Alias(
                f"{name}-secrets",
                name=f"alias/eks/{args.cluster_name}",
                target_key_id=self.kms_key.key_id,
                opts=child,
            )
            encryption = aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self.kms_key.arn),
                resources=["secrets"],
            )

        # Created before the cluster so EKS does not make one without retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=LOG_RETENTION_DAYS,
            tags=base,
            opts=child,
        )

        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.version,
            role_arn=self.role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.subnet_ids,
                endpoint_private_access=args.endpoint_private_access,
                endpoint_public_access=args.endpoint_public_access,
                public_access_cidrs=args.public_access_cidrs
                if args.endpoint_public_access
                else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            encryption_config=encryption,
            enabled_cluster_log_types=args.log_types,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            tags=base,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*attachments, log_group]),
        )
        cluster_child = pulumi.ResourceOptions(parent=self, depends_on=[self.cluster])
        for i, principal in enumerate(args.admins):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=base,
                opts=cluster_child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{i}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                policy_arn=ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )

        self.cluster_security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(
                self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data
            ).apply(lambda v: kubeconfig(v[0], v[1], v[2], args.region))
        )
        self.register_outputs(
            {
                "specPath": "kubernetes",
                "clusterName": self.cluster.name,
                "endpoint": self.cluster.endpoint,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "kubeconfig": self.kubeconfig,
            }
        )


def kubeconfig(name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token` (no long-lived credentials)."""
    return exec_kubeconfig(
        name,
        endpoint,
        ca_data,
        {
            "command": "aws",
            "args": [
                "eks",
                "get-token",
                "--cluster-name",
                name,
                "--region",
                region,
                "--output",
                "json",
            ],
        },
    )
