"""The declarative cluster spec (frozen dataclasses validated by pydantic-core) and the loader.

Never imports Pulumi or cloud SDKs: `clusterforge validate` starts fast. The models load on
first use (PEP 562), so ``clusterforge schema`` (which prints the prebuilt
:mod:`clusterforge.spec.schema`) does not pay for building them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name in __all__:
        from clusterforge.spec import models

        return getattr(models, name)
    raise AttributeError(f"module 'clusterforge.spec' has no attribute {name!r}")
