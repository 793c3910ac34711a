"""clusterforge: AI clusters as code on Pulumi.

The public spec models are re-exported here so a Python stack can write
``from clusterforge import Cluster, NodePool, Storage``. They load on first use (PEP 562), so
``clusterforge --help`` does not pay for them (nor pydantic-core).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name in __all__:
        from clusterforge import spec

        return getattr(spec, name)
    raise AttributeError(f"module 'clusterforge' has no attribute {name!r}")
