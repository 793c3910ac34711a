"""GCP components: VPC, GPUDirect networks, GKE, GPU/TPU node pools, Lustre/Filestore/GCS storage."""

from clusterforge.modules.gcp.cluster import GcpCluster

__all__ = ["GcpCluster"]
