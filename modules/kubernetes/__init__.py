"""Kubernetes add-ons and generated objects, on any cluster: EKS and GKE (through the cluster's
kubeconfig) or an existing cluster (`cloud: kubernetes`, through a kubeconfig context)."""

from clusterforge.modules.kubernetes.addons import KubernetesAddons
from clusterforge.modules.kubernetes.cluster import ExistingCluster

__all__ = ["ExistingCluster", "KubernetesAddons"]
