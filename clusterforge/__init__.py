"""clusterforge: AI clusters as code on Pulumi.

The public spec models are re-exported here so a Python stack can write
``from clusterforge import Cluster, NodePool, Storage``.
"""

from clusterforge.spec import (
    Addon,
    Capacity,
    Cluster,
    KubernetesConfig,
    NetworkConfig,
    NodePool,
    Storage,
    Taint,
)

__version__ = "0.1.0"

__all__ = [
    "Addon",
    "Capacity",
    "Cluster",
    "KubernetesConfig",
    "NetworkConfig",
    "NodePool",
    "Storage",
    "Taint",
    "__version__",
]
