"""`cloud: kubernetes` — add-ons only, on a cluster that exists (on-prem, a GPU cloud with
InfiniBand). The declared node pools describe the existing nodes (``node_selector``, accelerator,
count) for quotas, tolerations and scheduling; nothing else is created."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clusterforge.catalog.addons import images
from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.modules.kubernetes.addons import KubernetesAddons


class ExistingCluster(pulumi.ComponentResource):
    """Add-ons on an existing cluster reached through a kubeconfig context."""

    def __init__(
        self, name: str, resolved: ResolvedCluster, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:kubernetes:ExistingCluster", name, None, opts)
        context = resolved.spec.kubernetes.context
        self.context = context
        self.addon_names = [a.name for a in resolved.addons]
        self.provider = k8s.Provider(
            f"{name}-k8s", context=context, opts=pulumi.ResourceOptions(parent=self)
        )
        self.addons = KubernetesAddons(
            f"{name}-addons",
            resolved,
            self.provider,
            images=images(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, Any]:
        return {"context": self.context, "addons": self.addon_names}
