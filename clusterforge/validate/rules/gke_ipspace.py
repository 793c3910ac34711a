"""GKE IP space (GKE011): the node subnet and the Pod range hold the cluster at its maximum
size, and the Pod and Service ranges are IPv4. A GKE rule in its own module so the GCP rules
(rules/gcp.py) and this one change independently; the computation is the catalog's
(``clusterforge.catalog.gke_ipspace``)."""

from __future__ import annotations

from collections.abc import Iterator

from clusterforge.catalog import gke_ipspace
from clusterforge.findings import Finding
from clusterforge.validate.registry import Context, rule


@rule(
    "GKE011",
    "The node subnet and Pod range hold every node at full size; Pod and Service ranges are IPv4",
    clouds=("gcp",),
)
def ip_space(ctx: Context) -> Iterator[Finding]:
    """Nodes counted at the pools' maximum (every TPU slice too). Each takes one address of the
    node subnet, which loses four reserved ones, and one block of the Pod range: a /24 at GKE's
    default of 110 Pods per node (clusterforge's pools set no lower maximum), so a /14 holds
    1,024 nodes. The Pod and Service ranges are IPv4 secondary ranges of the node subnet.
    Facts: catalog ``gke_ipspace``; computed by ``clusterforge.catalog.gke_ipspace.problems``."""
    for problem in gke_ipspace.problems(ctx.resolved, ctx.catalog):
        yield ctx.finding(problem.path, problem.message, problem.fix)
