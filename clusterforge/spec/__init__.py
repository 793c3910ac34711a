"""The declarative cluster spec (pydantic models) and the stack file loader.

Never imports Pulumi or cloud SDKs: `clusterforge validate` starts fast.
"""

from clusterforge.spec.models import (
    Addon,
    Capacity,
    CloudOverride,
    Cluster,
    KubernetesConfig,
    NetworkConfig,
    NodePool,
    Storage,
    Taint,
    json_schema,
)

__all__ = [
    "Addon",
    "Capacity",
    "CloudOverride",
    "Cluster",
    "KubernetesConfig",
    "NetworkConfig",
    "NodePool",
    "Storage",
    "Taint",
    "json_schema",
]
