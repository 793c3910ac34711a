"""Engines that run the Pulumi program built from a spec.

* :func:`plan_offline` — the embedded default: the real program under a recording mock monitor,
  no credentials, no `pulumi` CLI (``offline.py``, canned answers in ``canned.py``).
* The Automation API engine (preview/up/destroy) lives in ``automation.py``.

This package is the only place that installs mocks or talks to ``pulumi.automation``.
"""

from __future__ import annotations

from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.graph import ResourceGraph

DEFAULT_STACK = "dev"


def plan_offline(resolved: ResolvedCluster, stack: str = DEFAULT_STACK) -> ResourceGraph:
    """Plan ``resolved`` offline: what the engine would be asked to register."""
    from clusterforge.clouds import region_of
    from clusterforge.engine import offline
    from clusterforge.modules import program

    spec = resolved.spec
    return offline.run(
        program(resolved),
        project=spec.name,
        stack=stack,
        region=region_of(spec.cloud, spec.region),
        cloud_project=spec.project,
    )
