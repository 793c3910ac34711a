"""The GKE node service account: a dedicated, least-privilege identity for the cluster's nodes.

Nodes never run as the Compute Engine default service account (Editor on the project in many
organisations) and never with the ``cloud-platform`` scope. The roles are the ones Cluster
Toolkit grants its node pool service account (catalog ``gke.node_service_account_roles``):
write logs and metrics, read monitoring and resource metadata, pull images and read objects.
Workloads that need more use Workload Identity with their own Kubernetes service account.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from clusterforge.modules.gcp.common import resource_name


class NodeServiceAccount(pulumi.ComponentResource):
    """A service account for GKE nodes and its project role bindings."""

    def __init__(
        self,
        name: str,
        *,
        cluster_name: str,
        project: str,
        roles: list[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("clusterforge:gcp:NodeServiceAccount", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Account ids: 6-30 characters, lowercase letters, digits and '-', starting with a letter.
        account_id = resource_name(cluster_name, "nodes", limit=30)
        if len(account_id) < 6:
            account_id = resource_name("gke", account_id, "nodes", limit=30)
        self.account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=account_id,
            project=project,
            display_name=f"GKE nodes of {cluster_name} (clusterforge)",
            opts=child,
        )
        for role in roles:
            gcp.projects.IAMMember(
                f"{name}-{role.rsplit('/', 1)[-1]}",
                project=project,
                role=role,
                member=self.account.email.apply(lambda email: f"serviceAccount:{email}"),
                opts=child,
            )
        self.email = self.account.email
        self.register_outputs({"specPath": "kubernetes", "email": self.account.email})
