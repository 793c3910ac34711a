"""Pulumi components that turn a resolved cluster spec into cloud resources.

One folder per cloud (``aws/``, ``gcp/``) and ``kubernetes/`` for add-ons on any cluster. Components are pure
translation: every decision (instance type, fabric, zone, placement) was made by
``clusterforge.catalog.resolve`` and checked by ``clusterforge.validate``; the components only
wire resources together. :func:`program` returns the Pulumi program that the offline engine,
the Automation API and a stack project's ``__main__.py`` all run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clusterforge.catalog.resolve import ResolvedCluster


def build(resolved: ResolvedCluster) -> object:
    """Create the cluster's top component in the current Pulumi program and export its outputs."""
    import pulumi

    cloud = resolved.spec.cloud
    component: Any
    if cloud == "aws":
        from clusterforge.modules.aws import AwsCluster

        component = AwsCluster(resolved.spec.name, resolved)
    elif cloud == "gcp":
        from clusterforge.modules.gcp import GcpCluster

        component = GcpCluster(resolved.spec.name, resolved)
    elif cloud == "kubernetes":
        from clusterforge.modules.kubernetes import ExistingCluster

        component = ExistingCluster(resolved.spec.name, resolved)
    else:
        raise NotImplementedError(f"clusterforge cannot build cloud {cloud!r} yet")
    for key, value in component.exports().items():
        pulumi.export(key, value)
    return component


def program(resolved: ResolvedCluster) -> Callable[[], None]:
    """The Pulumi program for ``resolved`` (a no-argument callable, as Pulumi expects)."""

    def run() -> None:
        build(resolved)

    return run
