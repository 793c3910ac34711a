"""Which cluster `verify` talks to: ``--kubeconfig``, else the kubeconfig the deployed stack
exports (its ``kubeconfig`` output, read through the Automation API), else the default kubeconfig
with the command that fetches the stack's cluster credentials printed.

The exported kubeconfig authenticates with an exec plugin (``aws eks get-token`` /
``gke-gcloud-auth-plugin``; modules/kubernetes/kubeconfig.py), so it holds the endpoint and CA but
no token; it is still a secret output and is never written to a file or printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.errors import ClusterforgeError


@dataclass(frozen=True)
class ClusterAccess:
    """A kubeconfig (from the stack's outputs) or None for the default one, and what to say."""

    config: dict[str, Any] | None
    #: Where the kubeconfig came from, for the progress line.
    source: str
    #: Why the stack's own kubeconfig is not used, and how to get it (None when it is).
    note: str | None = None


def credentials_command(resolved: ResolvedCluster) -> str | None:
    """The cloud CLI command that writes this stack's cluster into ~/.kube/config (the cloud
    profile's ``credentials_command`` hook, with the names the modules give the cluster), or None
    when the profile names none (a cluster clusterforge did not create)."""
    from clusterforge.clouds import profile

    hook = profile(resolved.spec.cloud).optional_hook("credentials_command")
    command: str | None = hook(resolved) if hook is not None else None
    return command


def _fallback(resolved: ResolvedCluster, why: str) -> ClusterAccess:
    command = credentials_command(resolved)
    how = (
        f"to use this stack's cluster, run `{command}` or pass --kubeconfig FILE"
        if command
        else "pass --kubeconfig FILE for this cluster"
    )
    return ClusterAccess(None, "the default kubeconfig", f"{why}; {how}")


def cluster_access(
    path: str | Path,
    resolved: ResolvedCluster,
    *,
    stack_name: str,
    cloud: str | None = None,
    backend: str | None = None,
    secrets_provider: str | None = None,
) -> ClusterAccess:
    """The deployed stack's kubeconfig when its outputs can be read, else the default kubeconfig
    with the reason and the command that fetches the stack's (never raises for a stack that is
    not deployed or a missing Pulumi CLI: the default kubeconfig may still be right)."""
    import yaml

    from clusterforge import api

    options = api.DeployOptions(
        stack=stack_name,
        cloud=cloud,
        backend=backend,
        secrets_provider=secrets_provider,
        policy=False,
    )
    try:
        deployment = api.stack_outputs(path, options, show_secrets=True)
    except ClusterforgeError as exc:
        return _fallback(resolved, f"the outputs of stack {stack_name} could not be read ({exc})")
    outputs = deployment.outputs
    if outputs is None:
        return _fallback(resolved, f"stack {stack_name}: the stack file does not validate")
    text = outputs.get("kubeconfig")
    if not isinstance(text, str) or not text.strip():
        return _fallback(
            resolved, f"stack {stack_name} has no kubeconfig output (is it deployed? `up` first)"
        )
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        config = None
    if not isinstance(config, dict) or not config.get("clusters"):
        return _fallback(resolved, f"stack {stack_name}: its kubeconfig output is not a kubeconfig")
    return ClusterAccess(config, f"the kubeconfig output of stack {stack_name}")
