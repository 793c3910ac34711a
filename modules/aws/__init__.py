"""AWS components: VPC, EKS control plane, accelerator node groups with EFA, FSx for Lustre."""

from clusterforge.modules.aws.cluster import AwsCluster

__all__ = ["AwsCluster"]
