"""Pulumi components that turn a resolved cluster spec into cloud resources.

One folder per cloud (``aws/``, ``gcp/``) and ``kubernetes/`` for add-ons on any cluster. Components are pure
translation: every decision (instance type, fabric, zone, placement) was made by
``clusterforge.catalog.resolve`` and checked by ``clusterforge.validate``; the components only
wire resources together. :func:`program` returns the Pulumi program that the offline engine and
the Automation API run. A stack project's ``__main__.py`` (``pulumi up`` in a terminal) calls
:func:`clusterforge.api.run_project`, which loads and validates the spec first: that needs the
report layer, above this one, so it lives there (imports flow spec → catalog → validate →
modules → engine → policies → report → api → cli).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clusterforge.catalog.resolve import ResolvedCluster


def build(resolved: ResolvedCluster) -> object:
    """Create the cluster's top component in the current Pulumi program and export its outputs."""
    import importlib

    import pulumi

    from clusterforge.clouds import profile

    module, _, name = profile(resolved.spec.cloud).component.partition(":")
    component: Any = getattr(importlib.import_module(module), name)(resolved.spec.name, resolved)
    for key, value in component.exports().items():
        pulumi.export(key, value)
    return component


def program(resolved: ResolvedCluster) -> Callable[[], None]:
    """The Pulumi program for ``resolved`` (a no-argument callable, as Pulumi expects)."""

    def run() -> None:
        build(resolved)

    return run


def __getattr__(name: str) -> Any:
    # Projects written by `clusterforge new` / stacks/generate.py before run_project moved to
    # clusterforge.api import it from here; they keep working (the one upward import of this
    # package, named in tests/test_layering.py). New projects import clusterforge.api.
    if name == "run_project":
        from clusterforge.api import run_project

        return run_project
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
