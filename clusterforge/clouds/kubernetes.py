"""An existing cluster's hooks, named by its profile (``clouds.json`` ``"hooks"``): clusterforge
created no cluster there, so there is no command that fetches its credentials and no cloud
service to price; CI jobs reach it through a kubeconfig kept as a CI secret.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clusterforge.catalog.resolve import ResolvedCluster
    from clusterforge.cost import CostItem


def credentials_command(resolved: ResolvedCluster) -> str | None:
    """None: the cluster's kubeconfig is the user's (``--kubeconfig`` or the context)."""
    return None


def service_costs(resolved: ResolvedCluster, today: dt.date | None) -> list[CostItem]:
    """Nothing: clusterforge builds no cloud service on an existing cluster."""
    return []


def github_login(
    region: str | None, step: Callable[..., dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """The GitHub job condition that says deploys are switched on, and the step that writes the
    ``KUBECONFIG`` secret to ~/.kube/config (``region`` and ``step`` are unused)."""
    return "vars.CLUSTERFORGE_DEPLOY == 'true'", [
        {"name": "kubeconfig", "env": {"KUBECONFIG_DATA": "${{ secrets.KUBECONFIG }}"},
         "run": 'mkdir -p ~/.kube && printf "%s" "$KUBECONFIG_DATA" > ~/.kube/config && chmod 600 ~/.kube/config'},
    ]  # fmt: skip


def gitlab_login() -> tuple[str, list[str], dict[str, Any]]:
    """The GitLab rule variable that says a kubeconfig is configured, and the line that writes
    it to ~/.kube/config (no OIDC token is needed)."""
    return (
        "$KUBECONFIG_DATA",
        ['mkdir -p ~/.kube && printf "%s" "$KUBECONFIG_DATA" > ~/.kube/config'],
        {},
    )
