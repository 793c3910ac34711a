"""Storage rules: FSx for Lustre values FSx accepts, zones, data repositories, mounts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from clusterforge.catalog import gcp_network
from clusterforge.catalog.fsx import (
    data_paths,
    efa_capacity_increment,
    efa_throughput_tiers,
    metadata_iops_problem,
    s3_bucket,
)
from clusterforge.clouds import profile
from clusterforge.findings import Finding, Severity
from clusterforge.spelling import close_names, did_you_mean
from clusterforge.validate.registry import Context, rule
from clusterforge.validate.rules._util import s3_bucket_problem


def fsx_facts(ctx: Context) -> dict[str, Any]:
    return (ctx.catalog.storage.get("fsx_lustre") if ctx.catalog else None) or {}


def capacity_problem(deployment: dict[str, Any], capacity_gib: int) -> str | None:
    """Why FSx refuses ``capacity_gib`` for a deployment type (facts from services.json)."""
    rule_ = deployment["capacity_gib"]
    if capacity_gib in rule_["allowed"]:
        return None
    step = rule_["increment"]
    if capacity_gib >= step and capacity_gib % step == 0:
        return None
    firsts = ", ".join(str(v) for v in rule_["allowed"])
    return f"must be {firsts} or a multiple of {step} GiB"


def nearest_capacity(deployment: dict[str, Any], capacity_gib: int) -> int:
    rule_ = deployment["capacity_gib"]
    step = rule_["increment"]
    candidates = list(rule_["allowed"]) + [max(step, -(-capacity_gib // step) * step)]
    return min((c for c in candidates if c >= capacity_gib), default=candidates[-1])


def _one_of(values: list[int]) -> str:
    """``125, 250, 500 or 1000``."""
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


@rule("STO001", "The storage type exists on this cloud")
def storage_type_for_cloud(ctx: Context) -> Iterator[Finding]:
    allowed = tuple(profile(ctx.cluster.cloud).storage)
    for item in ctx.resolved.storage:
        if item.spec.type not in allowed:
            yield ctx.finding(
                f"{item.path}.type",
                f"storage type {item.spec.type!r} is not built on {ctx.cluster.cloud}",
                f"use one of: {', '.join(allowed)}"
                if allowed
                else "declare existing volumes as add-on values instead",
            )


@rule("STO002", "Storage is mounted by pools that exist; mount paths are absolute and distinct")
def storage_mounts(ctx: Context) -> Iterator[Finding]:
    pool_names = [p.name for p in ctx.cluster.node_pools]
    for item in ctx.resolved.storage:
        for i, name in enumerate(item.spec.pools or []):
            if name not in pool_names:
                yield ctx.finding(
                    f"{item.path}.pools[{i}]",
                    f"no node pool named {name!r}",
                    did_you_mean(close_names(name, pool_names, 3))
                    or f"pools: {', '.join(pool_names)}",
                )
        if not item.spec.mount_path.startswith("/"):
            yield ctx.finding(
                f"{item.path}.mount_path",
                f"mount path {item.spec.mount_path!r} is not absolute",
                "write it as /scratch",
            )
    counts = Counter(s.mount_path for s in ctx.cluster.storage)
    for item in ctx.resolved.storage:
        if counts[item.spec.mount_path] > 1:
            yield ctx.finding(
                f"{item.path}.mount_path",
                f"mount path {item.spec.mount_path} is used by {counts[item.spec.mount_path]} file systems",
                "give each its own path",
            )


#: Storage services that live in one region, not one zone (no zone to match).
REGIONAL_SERVICES = ("gcs-bucket",)


@rule("STO003", "Storage is in the zone of the pools that mount it", clouds=("aws", "gcp"))
def storage_zone(ctx: Context) -> Iterator[Finding]:
    """Cross-zone file system traffic costs latency and inter-AZ transfer charges."""
    for item in ctx.resolved.storage:
        if item.service in REGIONAL_SERVICES or item.tier in ("REGIONAL", "ENTERPRISE"):
            continue
        if item.zone is None:
            pool_zones = sorted(
                {p.zone for p in ctx.resolved.pools if p.name in item.pools and p.zone}
            )
            if len(pool_zones) > 1:
                yield ctx.finding(
                    f"{item.path}.pools",
                    f"{item.name} is mounted by pools in {', '.join(pool_zones)}; a file system lives in one zone",
                    "mount it from pools of one zone, or set its zone and accept cross-zone traffic for the others",
                )
            else:
                yield ctx.finding(
                    f"{item.path}.zone",
                    "the file system has no zone",
                    "set `zone` on the storage or the cluster",
                )
            continue
        for pool in ctx.resolved.pools:
            if pool.name in item.pools and pool.zone and pool.zone != item.zone:
                yield ctx.finding(
                    f"{item.path}.zone",
                    f"{item.name} is in {item.zone} but pool {pool.name!r} that mounts it is in {pool.zone}",
                    f"put the file system in {pool.zone}: cross-zone traffic adds latency and costs per GB",
                )


@rule("STO004", "Storage is protected from deletion", severity=Severity.ERROR)
def storage_unprotected(ctx: Context) -> Iterator[Finding]:
    for item in ctx.resolved.storage:
        if not item.spec.protect:
            yield ctx.finding(
                f"{item.path}.protect",
                f"{item.name} is not protected: `destroy` or a replacing change deletes it and its data",
                "keep protect: true; for scratch you can lose, --skip STO004 (and the CF-DATA-001 policy "
                "in the engine, in the policy config)",
            )


@rule(
    "FSX001", "FSx for Lustre deployment type and capacity are values FSx accepts", clouds=("aws",)
)
def fsx_capacity(ctx: Context) -> Iterator[Finding]:
    facts = fsx_facts(ctx).get("deployment_types", {})
    for item in ctx.resolved.storage:
        if item.deployment_type is None or item.spec.capacity_gib is None:
            continue
        deployment = facts.get(item.deployment_type)
        if deployment is None:
            yield ctx.finding(
                f"{item.path}.deployment_type",
                f"unknown FSx for Lustre deployment type {item.deployment_type!r}",
                f"use one of: {', '.join(facts)}",
            )
            continue
        problem = capacity_problem(deployment, item.spec.capacity_gib)
        if problem:
            yield ctx.finding(
                f"{item.path}.capacity_gib",
                f"FSx {item.deployment_type} capacity {item.spec.capacity_gib} GiB {problem}",
                f"the next valid size up: {nearest_capacity(deployment, item.spec.capacity_gib)} GiB",
            )


@rule("FSX002", "FSx for Lustre throughput tier is one the deployment type offers", clouds=("aws",))
def fsx_throughput(ctx: Context) -> Iterator[Finding]:
    facts = fsx_facts(ctx).get("deployment_types", {})
    for item in ctx.resolved.storage:
        deployment = facts.get(item.deployment_type or "")
        if deployment is None:
            continue
        tiers = deployment.get("throughput_mbps_per_tib", [])
        given = item.spec.throughput_mbps_per_tib
        path = f"{item.path}.throughput_mbps_per_tib"
        if not tiers and given is not None:
            yield ctx.finding(
                path,
                f"{item.deployment_type} has a fixed throughput; throughput_mbps_per_tib is not accepted",
                "drop it, or use PERSISTENT_2",
            )
        elif tiers and item.throughput_mbps_per_tib not in tiers:
            yield ctx.finding(
                path,
                f"{item.deployment_type} does not offer {item.throughput_mbps_per_tib} MB/s/TiB",
                f"tiers: {', '.join(map(str, tiers))}",
            )


@rule("FSX003", "S3 data repository paths are valid for the deployment type", clouds=("aws",))
def fsx_data_repository(ctx: Context) -> Iterator[Finding]:
    facts = fsx_facts(ctx)
    for item in ctx.resolved.storage:
        if item.deployment_type is None:
            continue
        for field_name in ("import_path", "export_path"):
            value = getattr(item.spec, field_name)
            if value is None:
                continue
            if not value.startswith("s3://"):
                yield ctx.finding(
                    f"{item.path}.{field_name}",
                    f"{value!r} is not an s3:// path",
                    "write it as s3://bucket/prefix",
                )
                continue
            problem = s3_bucket_problem(s3_bucket(value))
            if problem:
                yield ctx.finding(
                    f"{item.path}.{field_name}",
                    f"{value!r}: {problem}",
                    "name an existing S3 bucket, e.g. s3://my-datasets/llm "
                    "(S3 User Guide, general purpose bucket naming rules)",
                )
        for field_name, message, hint in data_paths(
            facts, item.deployment_type, item.spec
        ).problems:
            yield ctx.finding(f"{item.path}.{field_name}", message, hint)


@rule(
    "FSX004",
    "What an FSx file system does to S3 and to backups is said out loud",
    severity=Severity.WARNING,
    clouds=("aws",),
)
def fsx_export_and_backups(ctx: Context) -> Iterator[Finding]:
    """Exported deletions remove S3 objects; an S3-linked file system gets no FSx backups."""
    facts = fsx_facts(ctx)
    for item in ctx.resolved.storage:
        if item.deployment_type is None:
            continue
        paths = data_paths(facts, item.deployment_type, item.spec)
        if "DELETED" in paths.export_events and item.spec.export_deletes:
            target = paths.associations[0].s3_path
            yield ctx.finding(
                f"{item.path}.export_deletes",
                f"deleting a file under {item.spec.mount_path} deletes its object in {target}",
                "keep it only if S3 must mirror the file system; datasets others read should not be exported with deletions",
            )
        persistent = item.deployment_type.startswith("PERSISTENT")
        if paths.linked and persistent:
            yield ctx.finding(
                f"{item.path}.import_path" if item.spec.import_path else f"{item.path}.export_path",
                "FSx makes no backups of a file system linked to S3: data not exported to S3 "
                "exists only on the file system",
                "export what must survive (export_path / auto_export), or keep an unlinked "
                "file system for data that needs FSx backups",
                severity=Severity.INFO,
            )


@rule(
    "FSX005",
    "An EFA-enabled FSx file system is PERSISTENT_2 SSD with its capacity steps and EFA clients",
    clouds=("aws",),
)
def fsx_efa(ctx: Context) -> Iterator[Finding]:
    """FSx for Lustre User Guide, "Working with EFA-enabled file systems" and "Getting started"
    (services.json ``fsx_lustre.efa``): PERSISTENT_2 with a metadata configuration; capacity in
    increments of 38,400 / 19,200 / 9,600 / 4,800 GiB at 125 / 250 / 500 / 1000 MB/s/TiB;
    metadata IOPS as the API lists them; clients are EFA instances other than trn2."""
    facts = fsx_facts(ctx)
    if "efa" not in facts:
        return
    efa = facts["efa"]
    for item in ctx.resolved.storage:
        if item.deployment_type is None:
            continue
        spec = item.spec
        if spec.metadata_iops is not None:
            if item.deployment_type != "PERSISTENT_2":
                yield ctx.finding(
                    f"{item.path}.metadata_iops",
                    f"a metadata configuration exists only on PERSISTENT_2, not {item.deployment_type}",
                    "drop metadata_iops, or use deployment_type: PERSISTENT_2",
                )
            elif problem := metadata_iops_problem(facts, spec.metadata_iops):
                yield ctx.finding(
                    f"{item.path}.metadata_iops",
                    f"metadata IOPS {spec.metadata_iops} {problem}",
                    "pick one of the values FSx lists, or leave it unset for AUTOMATIC",
                )
        if not spec.efa:
            continue
        if item.deployment_type not in efa["deployment_types"]:
            yield ctx.finding(
                f"{item.path}.efa",
                f"FSx supports EFA only on {', '.join(efa['deployment_types'])}, "
                f"not {item.deployment_type}",
                "set deployment_type: PERSISTENT_2, or efa: false",
            )
            continue
        step = efa_capacity_increment(facts, item.throughput_mbps_per_tib)
        capacity = spec.capacity_gib
        if step is None:
            yield ctx.finding(
                f"{item.path}.throughput_mbps_per_tib",
                f"FSx documents no EFA capacity step for {item.throughput_mbps_per_tib} MB/s/TiB",
                f"use {_one_of(efa_throughput_tiers(facts))} MB/s/TiB",
            )
        elif capacity is not None and (capacity < step or capacity % step):
            up = max(step, -(-capacity // step) * step)
            higher = [
                t for t in efa_throughput_tiers(facts) if t > (item.throughput_mbps_per_tib or 0)
            ]
            yield ctx.finding(
                f"{item.path}.capacity_gib",
                f"an EFA-enabled file system at {item.throughput_mbps_per_tib} MB/s/TiB grows in "
                f"steps of {step:,} GiB; {capacity:,} GiB is not one",
                f"the next valid size up: {up} GiB"
                + (" (or a higher throughput tier, whose step is smaller)" if higher else ""),
            )
        clients = [p for p in ctx.resolved.pools if p.name in item.pools]
        excluded = [
            p.name
            for p in clients
            if p.offering and p.offering.family in efa["excluded_client_families"]
        ]
        if excluded:
            yield ctx.finding(
                f"{item.path}.pools",
                f"FSx does not serve EFA to {', '.join(excluded)} "
                f"({', '.join(efa['excluded_client_families'])} clients are excluded): they "
                "mount it over ENA",
                "mount it from other pools, or accept ENA throughput there",
                severity=Severity.WARNING,
            )
        if clients and not any(p.fabric == "efa" for p in clients):
            yield ctx.finding(
                f"{item.path}.efa",
                "no pool that mounts it has EFA: every client reaches it over ENA (FSx documents "
                "EFA and GPUDirect Storage throughput only for EFA clients), while the file "
                "system still grows in its larger EFA capacity steps",
                "mount it from an EFA pool, or set efa: false",
                severity=Severity.WARNING,
            )


@rule("STO005", "File systems have a capacity; buckets do not")
def storage_capacity(ctx: Context) -> Iterator[Finding]:
    for item in ctx.resolved.storage:
        if item.spec.type == "gcsfuse":
            if item.spec.capacity_gib is not None:
                yield ctx.finding(
                    f"{item.path}.capacity_gib",
                    "a Cloud Storage bucket has no capacity; capacity_gib is ignored",
                    "drop it",
                    severity=Severity.WARNING,
                )
        elif item.spec.capacity_gib is None:
            yield ctx.finding(
                f"{item.path}.capacity_gib",
                f"{item.spec.type} storage needs capacity_gib",
                "e.g. capacity_gib: 4800",
            )


@rule(
    "LUS001",
    "Managed Lustre throughput tier and capacity are values the service accepts",
    clouds=("gcp",),
)
def managed_lustre(ctx: Context) -> Iterator[Finding]:
    facts = (ctx.catalog.storage.get("managed_lustre") if ctx.catalog else None) or {}
    tiers = facts.get("throughput_mbps_per_tib", [])
    for item in ctx.resolved.storage:
        if item.service != "managed-lustre":
            continue
        tier = item.throughput_mbps_per_tib
        if tier not in tiers:
            yield ctx.finding(
                f"{item.path}.throughput_mbps_per_tib",
                f"Managed Lustre does not offer {tier} MB/s/TiB",
                f"tiers: {', '.join(map(str, tiers))}",
            )
            continue
        capacity = item.spec.capacity_gib
        row = facts.get("tiers", {}).get(str(tier))
        problem = (
            gcp_network.lustre_capacity_problem(row, capacity)
            if row is not None and capacity is not None
            else None
        )
        if problem is not None:
            what, nearest = problem
            yield ctx.finding(
                f"{item.path}.capacity_gib",
                f"Managed Lustre at {tier} MB/s/TiB {what}, so {capacity:,} GiB is not a size it creates",
                f"use capacity_gib: {nearest}",
            )


@rule("FST001", "Filestore tier and capacity are values Filestore accepts", clouds=("gcp",))
def filestore(ctx: Context) -> Iterator[Finding]:
    tiers = ((ctx.catalog.storage.get("filestore") if ctx.catalog else None) or {}).get("tiers", {})
    for item in ctx.resolved.storage:
        if item.service != "filestore":
            continue
        facts = tiers.get(item.tier or "")
        if facts is None:
            yield ctx.finding(
                f"{item.path}.tier",
                f"unknown Filestore tier {item.tier!r}",
                f"tiers: {', '.join(tiers)}",
            )
            continue
        capacity = item.spec.capacity_gib
        if capacity is not None and not facts["min_gib"] <= capacity <= facts["max_gib"]:
            yield ctx.finding(
                f"{item.path}.capacity_gib",
                f"Filestore {item.tier} takes {facts['min_gib']}..{facts['max_gib']} GiB, not {capacity}",
                "pick a size in that range or another tier",
            )


@rule(
    "PST001",
    "Parallelstore is called out: invitation-only scratch; Managed Lustre is the default",
    severity=Severity.WARNING,
    clouds=("gcp",),
)
def parallelstore(ctx: Context) -> Iterator[Finding]:
    facts = (ctx.catalog.storage.get("parallelstore") if ctx.catalog else None) or {}
    for item in ctx.resolved.storage:
        if item.service != "parallelstore":
            continue
        yield ctx.finding(
            f"{item.path}.type",
            f"Parallelstore is {facts.get('status', 'invitation only')}",
            "use type: lustre (Managed Lustre) for a durable parallel file system",
        )
        capacity = item.spec.capacity_gib
        low, high = facts.get("min_gib"), facts.get("max_gib")
        if capacity is not None and low and high and not low <= capacity <= high:
            yield ctx.finding(
                f"{item.path}.capacity_gib",
                f"Parallelstore takes {low}..{high} GiB, not {capacity}",
                "pick a size in that range",
                severity=Severity.ERROR,
            )
