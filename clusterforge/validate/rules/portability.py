"""Fields that mean something on one cloud only: said out loud instead of silently dropped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from clusterforge.findings import Finding, Severity
from clusterforge.spec.models import KubernetesConfig, NetworkConfig
from clusterforge.validate.registry import Context, rule

_K8S_DEFAULTS = KubernetesConfig()
_NET_DEFAULTS = NetworkConfig()

#: (spec path, value getter on the cluster, clouds where the field is used). A value counts as
#: set when it differs from the model's default.
CLUSTER_FIELDS: list[tuple[str, Callable[[Any], Any], Any, tuple[str, ...]]] = [
    ("project", lambda c: c.project, None, ("gcp",)),
    ("region", lambda c: c.region, None, ("aws", "gcp")),
    ("zone", lambda c: c.zone, None, ("aws", "gcp")),
    ("kubernetes.admins", lambda c: c.kubernetes.admins, [], ("aws",)),
    (
        "kubernetes.control_plane_logs",
        lambda c: c.kubernetes.control_plane_logs,
        _K8S_DEFAULTS.control_plane_logs,
        ("aws",),
    ),
    (
        "kubernetes.release_channel",
        lambda c: c.kubernetes.release_channel,
        _K8S_DEFAULTS.release_channel,
        ("gcp",),
    ),
    ("kubernetes.context", lambda c: c.kubernetes.context, None, ("kubernetes",)),
    ("network.nat", lambda c: c.network.nat, _NET_DEFAULTS.nat, ("aws",)),
    ("network.pods_cidr", lambda c: c.network.pods_cidr, _NET_DEFAULTS.pods_cidr, ("gcp",)),
    (
        "network.services_cidr",
        lambda c: c.network.services_cidr,
        _NET_DEFAULTS.services_cidr,
        ("gcp",),
    ),
    ("network.master_cidr", lambda c: c.network.master_cidr, _NET_DEFAULTS.master_cidr, ("gcp",)),
]
POOL_FIELDS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("ami_type", None, ("aws",)),
    ("node_selector", {}, ("kubernetes",)),
    ("vcpus", None, ("kubernetes",)),
    ("memory_gib", None, ("kubernetes",)),
    ("topology", None, ("gcp",)),
]
STORAGE_FIELDS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("import_path", None, ("aws",)),
    ("export_path", None, ("aws",)),
    ("deployment_type", None, ("aws",)),
    ("tier", None, ("gcp",)),
    ("bucket", None, ("gcp",)),
]


@rule("CLOUD002", "Fields another cloud uses are not silently dropped", severity=Severity.WARNING)
def unused_fields(ctx: Context) -> Iterator[Finding]:
    cloud = ctx.cluster.cloud
    for path, get, default, clouds in CLUSTER_FIELDS:
        if cloud not in clouds and get(ctx.cluster) not in (default, None):
            yield _unused(ctx, path, clouds)
    for i, pool in enumerate(ctx.cluster.node_pools):
        for name, default, clouds in POOL_FIELDS:
            if cloud not in clouds and getattr(pool, name) not in (default, None):
                yield _unused(ctx, f"node_pools[{i}].{name}", clouds)
        if cloud != "gcp" and pool.capacity.queued_provisioning:
            yield _unused(ctx, f"node_pools[{i}].capacity.queued_provisioning", ("gcp",))
    for i, storage in enumerate(ctx.cluster.storage):
        for name, default, clouds in STORAGE_FIELDS:
            if cloud not in clouds and getattr(storage, name) not in (default, None):
                yield _unused(ctx, f"storage[{i}].{name}", clouds)


def _unused(ctx: Context, path: str, clouds: tuple[str, ...]) -> Finding:
    return ctx.finding(
        path,
        f"{path.rsplit('.', 1)[-1]} has no effect on {ctx.cluster.cloud}: only {' and '.join(clouds)} use it",
        "drop it, or keep it for the other cloud knowing it is ignored here",
    )
