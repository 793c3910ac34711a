"""An existing cluster's hooks, named by its profile (``clouds.json`` ``"hooks"``): CI jobs reach
the cluster through a kubeconfig kept as a CI secret. The profile names no
``credentials_command`` (the cluster's kubeconfig is the user's: ``--kubeconfig`` or the context)
and no ``service_costs`` (clusterforge builds no cloud service there), so their callers' defaults
hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The shell line that writes the ``KUBECONFIG_DATA`` secret to ~/.kube/config, readable by its
#: owner only (mode 600: no other user of the runner reads the cluster's credentials). The GitHub
#: step and the GitLab script run this one line.
WRITE_KUBECONFIG = (
    'mkdir -p ~/.kube && printf "%s" "$KUBECONFIG_DATA" > ~/.kube/config'
    " && chmod 600 ~/.kube/config"
)


def github_login(
    region: str, step: Callable[..., dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """The GitHub job condition that says deploys are switched on, and the step that writes the
    ``KUBECONFIG`` secret to ~/.kube/config (``region`` and ``step`` are unused)."""
    return "vars.CLUSTERFORGE_DEPLOY == 'true'", [
        {"name": "kubeconfig", "env": {"KUBECONFIG_DATA": "${{ secrets.KUBECONFIG }}"},
         "run": WRITE_KUBECONFIG},
    ]  # fmt: skip


def gitlab_login() -> tuple[str, list[str], dict[str, Any]]:
    """The GitLab rule variable that says a kubeconfig is configured, and the line that writes
    it to ~/.kube/config (no OIDC token is needed)."""
    return "$KUBECONFIG_DATA", [WRITE_KUBECONFIG], {}
