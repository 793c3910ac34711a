"""Fabric rules: EFA availability and single zone (AWS), placement support (AWS and GCP)."""

from __future__ import annotations

from collections.abc import Iterator

from clusterforge.catalog.efa import efa_layout as build_efa_layout
from clusterforge.catalog.efa import summary
from clusterforge.clouds import profile
from clusterforge.findings import Finding, Severity
from clusterforge.validate.registry import Context, rule


@rule("EFA001", "EFA is requested only on instance types that have it", clouds=("aws",))
def efa_supported(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        if pool.spec.fabric == "efa" and pool.offering and pool.offering.efa_interfaces == 0:
            accelerator = pool.offering.accelerator
            with_efa = (
                sorted(
                    (
                        o
                        for o in ctx.catalog.offerings.values()
                        if o.accelerator == accelerator and o.efa_interfaces
                    ),
                    key=lambda o: o.accelerator_count,
                )
                if ctx.catalog and accelerator
                else []
            )
            hint = (
                f"{accelerator} types with EFA: {', '.join(o.instance_type for o in with_efa[:4])}"
                if with_efa
                else "set fabric: none, or pick an instance type with EFA (p4d, p5, p5en, p6-b200, trn1, trn2)"
            )
            yield ctx.finding(
                f"{pool.path}.fabric", f"{pool.offering.instance_type} has no EFA interface", hint
            )


@rule("EFA002", "An EFA pool lives in one zone and one subnet", clouds=("aws",))
def efa_single_zone(ctx: Context) -> Iterator[Finding]:
    """Mixing subnets breaks RDMA between nodes, and EFA traffic does not cross zones."""
    for pool in ctx.resolved.pools:
        if pool.fabric == "efa" and pool.zone is None:
            yield ctx.finding(
                f"{pool.path}.zone",
                "the EFA pool has no zone, so its nodes would spread over every private subnet",
                "set `zone` on the pool or the cluster (e.g. zone: us-east-1a)",
            )


@rule("EFA003", "The fabric is one this cloud builds")
def fabric_for_cloud(ctx: Context) -> Iterator[Finding]:
    allowed = profile(ctx.cluster.cloud).fabrics
    for pool in ctx.resolved.pools:
        if pool.spec.fabric not in allowed:
            yield ctx.finding(
                f"{pool.path}.fabric",
                f"fabric {pool.spec.fabric!r} does not exist on {ctx.cluster.cloud}",
                f"use one of: {', '.join(allowed)} (auto picks the fastest the instance type has)",
            )


@rule(
    "EFA004",
    "A multi-node accelerator pool has a high-speed fabric",
    severity=Severity.INFO,
    clouds=("aws",),
)
def no_fabric(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        if (
            pool.is_accelerated
            and pool.fabric == "none"
            and pool.max_size > 1
            and pool.spec.fabric == "auto"
        ):
            yield ctx.finding(
                f"{pool.path}.fabric",
                f"{pool.instance_type} has no EFA: traffic between its nodes goes over ENA TCP",
                "fine for inference and single-node jobs; pick an EFA type for multi-node training",
            )


@rule(
    "EFA005",
    "A placement group is only asked for on types that support it",
    clouds=("aws", "gcp"),
)
def placement_supported(ctx: Context) -> Iterator[Finding]:
    """The catalog's placement strategies (``Offering.supports_cluster_placement``) decide: AWS
    cluster placement groups, GCP compact placement policies (the cloud profile names them).
    Types placed by an accelerator-topology workload policy (A4X: GKE006) are not placed by
    ``placement_group``."""
    kind = profile(ctx.cluster.cloud).placement_kind or "tight placement"
    for pool in ctx.resolved.pools:
        offering = pool.offering
        if (
            pool.spec.placement_group
            and offering
            and not offering.accelerator_topology
            and not offering.supports_cluster_placement
        ):
            families = sorted(
                {o.family for o in ctx.catalog.offerings.values() if o.supports_cluster_placement}
                if ctx.catalog
                else ()
            )
            yield ctx.finding(
                f"{pool.path}.placement_group",
                f"{offering.instance_type} does not support {kind}",
                "drop placement_group"
                + (
                    f", or use a family that supports them ({', '.join(families)})"
                    if families
                    else ""
                ),
            )


def _efa_only_cni(ctx: Context) -> str:
    """The oldest VPC CNI release that handles efa-only interfaces (services.json, with source)."""
    assert ctx.catalog is not None  # EFA006 reports only pools whose type the catalog resolved
    return str(ctx.catalog.extra["network"]["vpc_cni"]["efa_only_min_version"])


@rule(
    "EFA006",
    "Every EFA interface the instance type has is used",
    severity=Severity.INFO,
    clouds=("aws",),
)
def efa_layout(ctx: Context) -> Iterator[Finding]:
    """Reports the EFA layout the launch template gets (catalog.efa: one per EFA-capable card)."""
    for pool in ctx.resolved.pools:
        if pool.fabric == "efa" and pool.offering and pool.efa_interfaces > 1:
            offering = pool.offering
            yield ctx.finding(
                f"{pool.path}.fabric",
                f"{offering.instance_type}: {summary(list(build_efa_layout(offering)))} of "
                f"{offering.network_cards} network cards ({offering.network_performance}), "
                "behind the primary ENA interface on card 0",
                f"efa-only interfaces need VPC CNI >= {_efa_only_cni(ctx)}: keep the vpc-cni "
                "managed add-on current",
            )
