"""Node pool rules: instance type and accelerator against the catalog, sizes, zones."""

from __future__ import annotations

from collections.abc import Iterator

from clusterforge.clouds import profile
from clusterforge.findings import Finding, Severity
from clusterforge.spec.sourcemap import join_path
from clusterforge.spelling import did_you_mean
from clusterforge.validate.registry import Context, rule
from clusterforge.validate.rules._util import label_key_problem, label_value_problem, size_path


@rule("POOL001", "The instance type exists in the catalog", clouds=("aws", "gcp"))
def unknown_instance_type(ctx: Context) -> Iterator[Finding]:
    if ctx.catalog is None:
        return
    for pool in ctx.resolved.pools:
        wanted = pool.spec.instance_type
        if wanted and ctx.catalog.get(wanted) is None:
            # Documented by the cloud but not built here (services.json `not_built`): say so
            # rather than suggest a different machine.
            known = (ctx.catalog.extra.get("not_built") or {}).get(wanted)
            if isinstance(known, dict):
                yield ctx.finding(
                    f"{pool.path}.instance_type",
                    f"{wanted} is {known['what']}, but clusterforge does not build it yet: "
                    f"{known['why']}",
                    known["instead"],
                )
                continue
            suggestion = did_you_mean(ctx.catalog.suggest(wanted))
            yield ctx.finding(
                f"{pool.path}.instance_type",
                f"unknown {ctx.cluster.cloud} instance type {wanted!r}",
                suggestion or "`clusterforge catalog` lists the known types",
            )


@rule("POOL002", "Some instance type offers the accelerator model and count", clouds=("aws", "gcp"))
def accelerator_offered(ctx: Context) -> Iterator[Finding]:
    if ctx.catalog is None:
        return
    for pool in ctx.resolved.pools:
        spec = pool.spec
        if spec.instance_type or not spec.accelerator:
            if spec.accelerators_per_node and not spec.accelerator and not spec.instance_type:
                yield ctx.finding(
                    f"{pool.path}.accelerators_per_node",
                    "accelerators_per_node without an accelerator",
                    "add `accelerator: H100`",
                )
            continue
        known = ctx.catalog.canonical_accelerator(spec.accelerator)
        if known in ctx.catalog.tpus:
            continue  # a TPU generation: its topology picks the machine type (TPU001)
        if known is None:
            names = ctx.catalog.accelerators()
            close = did_you_mean(
                [n for n in names if n.lower().startswith(spec.accelerator.lower()[:2])][:3]
            )
            yield ctx.finding(
                f"{pool.path}.accelerator",
                f"no {ctx.cluster.cloud} instance type has a {spec.accelerator!r} accelerator",
                (close + " " if close else "") + f"known: {', '.join(names)}",
            )
            continue
        if pool.offering is None:
            counts = ctx.catalog.accelerator_counts(known)
            yield ctx.finding(
                f"{pool.path}.accelerators_per_node",
                f"no {ctx.cluster.cloud} instance type has {spec.accelerators_per_node} x {known}",
                f"{known} comes in {', '.join(map(str, counts))} per node",
            )


@rule("POOL003", "Explicit instance type agrees with accelerator and count", clouds=("aws", "gcp"))
def instance_type_matches_accelerator(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        spec, offering = pool.spec, pool.offering
        if not (spec.instance_type and offering):
            continue
        if spec.accelerator and (offering.accelerator or "").lower() != spec.accelerator.lower():
            yield ctx.finding(
                f"{pool.path}.accelerator",
                f"{offering.instance_type} has {offering.accelerator or 'no accelerator'}, not {spec.accelerator}",
                "drop `accelerator` or the explicit instance_type",
            )
        if spec.accelerators_per_node and offering.accelerator_count != spec.accelerators_per_node:
            yield ctx.finding(
                f"{pool.path}.accelerators_per_node",
                f"{offering.instance_type} has {offering.accelerator_count} accelerators per node, not {spec.accelerators_per_node}",
                "drop accelerators_per_node or pick the matching size",
            )


@rule("POOL004", "min_nodes <= nodes <= max_nodes")
def pool_sizes(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        spec = pool.spec
        low, desired, high = spec.min_nodes, spec.nodes, spec.max_nodes
        if low is not None and high is not None and low > high:
            yield ctx.finding(
                f"{pool.path}.min_nodes",
                f"min_nodes {low} is greater than max_nodes {high}",
                "swap them",
            )
        if desired is not None and low is not None and desired < low:
            yield ctx.finding(
                f"{pool.path}.nodes",
                f"nodes {desired} is below min_nodes {low}",
                "raise nodes or lower min_nodes",
            )
        if desired is not None and high is not None and desired > high:
            yield ctx.finding(
                f"{pool.path}.nodes",
                f"nodes {desired} is above max_nodes {high}",
                "lower nodes or raise max_nodes",
            )
        if profile(ctx.cluster.cloud).creates_cluster and pool.max_size == 0:
            yield ctx.finding(
                size_path(pool),
                "a managed node group needs max_nodes of at least 1",
                "to scale from zero, keep nodes: 0 (or min_nodes: 0) and set max_nodes: 1 or more",
            )


@rule("POOL005", "The instance type is offered in the pool's zone", clouds=("aws", "gcp"))
def offered_in_zone(ctx: Context) -> Iterator[Finding]:
    if ctx.catalog is None or not ctx.cluster.region:
        return
    for pool in ctx.resolved.pools:
        if pool.offering is None:
            continue
        zones = ctx.catalog.offered_zones(ctx.cluster.region, pool.offering.instance_type)
        if zones is None:
            continue
        if not zones:
            yield ctx.finding(
                f"{pool.path}.instance_type",
                f"{pool.offering.instance_type} is not offered in {ctx.cluster.region}",
                "pick another region (catalog zones data, EC2 DescribeInstanceTypeOfferings)",
            )
        elif pool.zone is not None and pool.zone not in zones:
            yield ctx.finding(
                f"{pool.path}.zone",
                f"{pool.offering.instance_type} is not offered in {pool.zone}",
                f"zones offering it: {', '.join(zones)}",
            )


@rule(
    "POOL006", "A CPU pool runs the system pods", severity=Severity.WARNING, clouds=("aws", "gcp")
)
def system_pool_present(ctx: Context) -> Iterator[Finding]:
    if ctx.resolved.pools and all(p.is_accelerated for p in ctx.resolved.pools):
        yield ctx.finding(
            "node_pools",
            "every pool is an accelerator pool: their taints keep CoreDNS and controllers off, so they have nowhere to run",
            "add a small CPU pool, e.g. {name: system, instance_type: m7i.2xlarge, nodes: 2}",
        )
    if not ctx.resolved.pools and profile(ctx.cluster.cloud).creates_cluster:
        yield ctx.finding(
            "node_pools",
            "the stack declares no node pools",
            "add at least a system pool and an accelerator pool",
        )


@rule(
    "POOL007",
    "Spot capacity on a multi-node fabric pool",
    severity=Severity.WARNING,
    clouds=("aws", "gcp"),
)
def spot_training(ctx: Context) -> Iterator[Finding]:
    """Spot reclaims single nodes at any time; a tightly coupled training job loses the whole step."""
    for pool in ctx.resolved.pools:
        if pool.spec.capacity.type == "spot" and pool.fabric != "none" and pool.max_size > 1:
            yield ctx.finding(
                f"{pool.path}.capacity.type",
                f"spot capacity on a multi-node {pool.fabric} pool: one reclaimed node stops every collective",
                "use on_demand, a reservation or a Capacity Block for training; spot suits inference",
            )


@rule(
    "POOL008",
    "Autoscaled EKS pools have something that scales them",
    severity=Severity.WARNING,
    clouds=("aws",),
)
def eks_autoscaler(ctx: Context) -> Iterator[Finding]:
    """EKS managed node groups do not scale by themselves (GKE node pools do)."""
    if ctx.resolved.addon("cluster-autoscaler") is not None:
        return
    for pool in ctx.resolved.pools:
        if pool.min_size != pool.max_size:
            yield ctx.finding(
                f"{pool.path}.max_nodes",
                f"the pool may scale {pool.min_size}..{pool.max_size}, but EKS does not scale managed node groups by itself "
                f"and the cluster-autoscaler add-on is turned off: it stays at {pool.desired} nodes",
                "keep the cluster-autoscaler add-on, or run Karpenter; clusterforge leaves desiredSize to the autoscaler",
            )


@rule("LABEL001", "Node labels, node selectors and taints use Kubernetes label syntax")
def label_syntax(ctx: Context) -> Iterator[Finding]:
    """A label key is an optional DNS-subdomain prefix (at most 253 characters), '/' and a name
    of at most 63 alphanumerics, '-', '_' or '.' that starts and ends with an alphanumeric; a
    value is empty or such a name. Taint keys and values follow the same rules. EKS and GKE
    refuse anything else only at `up` (kubernetes/apimachinery IsQualifiedName and
    IsValidLabelValue)."""
    for pool in ctx.resolved.pools:
        for field_name in ("labels", "node_selector"):
            for key, value in getattr(pool.spec, field_name).items():
                path = join_path(f"{pool.path}.{field_name}", key)
                problem = label_key_problem(key)
                if problem:
                    yield ctx.finding(
                        path,
                        f"{field_name} key {key!r} {problem}",
                        "use a key such as example.com/team or team",
                    )
                problem = label_value_problem(value)
                if problem:
                    yield ctx.finding(
                        path,
                        f"{field_name} value {value!r} of {key!r} {problem}",
                        "use a value such as research-a or leave it empty",
                    )
        for index, taint in enumerate(pool.spec.taints):
            path = f"{pool.path}.taints[{index}]"
            problem = label_key_problem(taint.key)
            if problem:
                yield ctx.finding(
                    f"{path}.key",
                    f"taint key {taint.key!r} {problem}",
                    "use a key such as example.com/dedicated or dedicated",
                )
            problem = label_value_problem(taint.value)
            if problem:
                yield ctx.finding(
                    f"{path}.value",
                    f"taint value {taint.value!r} of {taint.key!r} {problem}",
                    "use a value such as yes or leave it empty",
                )
