"""The kubeconfig a managed cluster exports: one cluster, one context, and a user that fetches
short-lived tokens through the cloud's exec credential plugin (no long-lived credentials)."""

from __future__ import annotations

import json
from typing import Any

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def exec_kubeconfig(name: str, server: str, ca_data: str, exec_plugin: dict[str, Any]) -> str:
    """A kubeconfig for the API server at ``server`` whose user runs ``exec_plugin`` (``command``
    and its ``args`` or other exec fields) for a token."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {"name": name, "user": {"exec": {"apiVersion": EXEC_API_VERSION, **exec_plugin}}}
            ],
        }
    )
