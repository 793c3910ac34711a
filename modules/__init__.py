"""Pulumi components that turn a resolved cluster spec into cloud resources.

One folder per cloud (``aws/``, ``gcp/``) and ``kubernetes/`` for add-ons on any cluster. Components are pure
translation: every decision (instance type, fabric, zone, placement) was made by
``clusterforge.catalog.resolve`` and checked by ``clusterforge.validate``; the components only
wire resources together. :func:`program` returns the Pulumi program that the offline engine and
the Automation API run; :func:`run_project` is the same program for a stack project's
``__main__.py`` (``pulumi up`` in a terminal).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
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


def run_project(spec_path: Path) -> object:
    """The program of a Pulumi project in stacks/ (its ``__main__.py`` calls this): load and validate
    ``spec_path`` as `clusterforge up` does, on the cloud in the stack setting ``clusterforge:cloud``
    when set (like --cloud); validation errors stop the program with the report; then build it."""
    import pulumi

    from clusterforge import api
    from clusterforge.findings import Severity
    from clusterforge.report import render

    _, report = api.validate_stack(spec_path, cloud=pulumi.Config("clusterforge").get("cloud"))
    if report.resolved is None or report.count(Severity.ERROR):
        raise pulumi.RunError(f"{spec_path.name} has validation errors\n" + render(report, "text"))
    return build(report.resolved)
