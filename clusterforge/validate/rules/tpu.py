"""TPU rules: topology valid for the generation, machine type and host count that follow from it."""

from __future__ import annotations

from collections.abc import Iterator

from clusterforge.catalog.tpu import TpuGeneration, chips, parse
from clusterforge.findings import Finding
from clusterforge.validate.registry import Context, rule


def _generation(
    ctx: Context, accelerator: str | None, instance_type: str | None
) -> TpuGeneration | None:
    if ctx.catalog is None:
        return None
    if instance_type:
        offering = ctx.catalog.get(instance_type)
        return ctx.catalog.tpus.get(offering.tpu_generation or "") if offering else None
    if accelerator:
        return ctx.catalog.tpus.get(ctx.catalog.canonical_accelerator(accelerator) or "")
    return None


@rule("TPU001", "A TPU pool names a topology that exists for its generation", clouds=("gcp",))
def tpu_topology(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        spec = pool.spec
        generation = _generation(ctx, spec.accelerator, spec.instance_type)
        if generation is None:
            if spec.topology is not None:
                yield ctx.finding(
                    f"{pool.path}.topology",
                    "topology is only for TPU pools",
                    "drop it, or set accelerator: tpu-v5p (or another TPU generation)",
                )
            continue
        valid = ", ".join(generation.examples())
        if spec.topology is None:
            yield ctx.finding(
                f"{pool.path}.topology",
                f"a {generation.name} pool needs a slice topology",
                f"{generation.name} topologies: {valid}",
            )
        elif not generation.is_valid(spec.topology):
            shape = "AxBxC" if generation.dims == 3 else "AxB"
            dims = parse(spec.topology)
            reason = "" if dims and len(dims) == generation.dims else f" (write it as {shape})"
            yield ctx.finding(
                f"{pool.path}.topology",
                f"{spec.topology!r} is not a {generation.name} topology{reason}",
                _topology_hint(generation, spec.topology)
                or f"{generation.name} topologies: {valid}",
            )


def _topology_hint(generation: TpuGeneration, topology: str) -> str | None:
    """The fix for a 3D shape that is only out of order or too large (Google's rules, tpus.json)."""
    dims = parse(topology)
    if generation.dims != 3 or dims is None or len(dims) != 3:
        return None
    ordered = "x".join(str(d) for d in sorted(dims))
    if generation.max_chips and chips(topology) > generation.max_chips:
        return (
            f"the largest {generation.name} slice is {generation.max_chips} chips; use a smaller "
            "topology and `slices` (multislice) for more"
        )
    if list(dims) != sorted(dims) and generation.is_valid(ordered):
        return f"write the dimensions non-decreasing: {ordered} (the same chips)"
    return None


@rule("TPU002", "An explicit TPU machine type fits the topology", clouds=("gcp",))
def tpu_machine_type(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        spec = pool.spec
        generation = _generation(ctx, spec.accelerator, spec.instance_type)
        if (
            generation is None
            or not spec.instance_type
            or not spec.topology
            or not generation.is_valid(spec.topology)
        ):
            continue
        per_vm = generation.machine_types.get(spec.instance_type, 0)
        total = chips(spec.topology)
        expected = generation.machine_type_for(spec.topology)
        if (
            per_vm == 0
            or total % per_vm
            or (total > per_vm and spec.instance_type != generation.multi_host_machine_type)
        ):
            yield ctx.finding(
                f"{pool.path}.instance_type",
                f"{spec.instance_type} ({per_vm} chips per VM) cannot form a {spec.topology} slice ({total} chips)",
                f"use {expected}, or drop instance_type and let the topology choose",
            )


@rule("TPU003", "A TPU pool's node count is the one its topology needs", clouds=("gcp",))
def tpu_node_count(ctx: Context) -> Iterator[Finding]:
    """A slice is all of its hosts or nothing: GKE creates chips(topology) / chips-per-VM nodes."""
    for pool in ctx.resolved.pools:
        if not pool.is_tpu or not pool.topology or pool.offering is None:
            continue
        hosts = pool.desired
        for field_name in ("nodes", "min_nodes", "max_nodes"):
            given = getattr(pool.spec, field_name)
            if given is not None and given != hosts:
                yield ctx.finding(
                    f"{pool.path}.{field_name}",
                    f"a {pool.topology} slice on {pool.offering.instance_type} is {hosts} node(s), not {given}",
                    f"drop {field_name} (the topology decides it) or set it to {hosts}; use `slices` for more capacity",
                )


@rule("TPU004", "Multi-host TPU slices keep their compact placement", clouds=("gcp",))
def tpu_placement(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        if pool.is_tpu and pool.desired > 1 and pool.spec.placement_group is False:
            yield ctx.finding(
                f"{pool.path}.placement_group",
                f"a multi-host {pool.topology} slice needs a COMPACT placement policy with its topology",
                "drop placement_group: false",
            )


@rule("TPU005", "Slices are for TPU pools", clouds=("aws", "gcp", "kubernetes"))
def slices_only_for_tpu(ctx: Context) -> Iterator[Finding]:
    for pool in ctx.resolved.pools:
        # By accelerator/machine type, not the resolved offering: a rejected topology (TPU001)
        # leaves the pool without one, and it is still a TPU pool.
        spec = pool.spec
        tpu = pool.is_tpu or _generation(ctx, spec.accelerator, spec.instance_type) is not None
        if spec.slices > 1 and not tpu:
            yield ctx.finding(
                f"{pool.path}.slices",
                f"slices: {pool.spec.slices} on a pool that is not a TPU pool",
                "use nodes (or min_nodes/max_nodes) for GPU and CPU pools",
            )
