"""GCE resource names, decided once: the rule the GCP components (``modules/gcp``) name their
resources by, and the GKE cluster's name, which ``verify`` also tells ``gcloud`` to fetch (the
GCP hooks, clusterforge/clouds/gcp.py). Plain functions of strings, importing nothing: verify
gets the cluster's name without importing the components or pulumi_gcp."""

from __future__ import annotations

import re

#: What a GCE name may not hold (RFC 1035: lowercase letters, digits and '-').
_NOT_IN_NAME = re.compile(r"[^a-z0-9-]")


def resource_name(*parts: str, limit: int = 63) -> str:
    """A GCE resource name (RFC 1035: lowercase, digits, '-', starting with a letter)."""
    name = "-".join(p for p in parts if p)
    return _NOT_IN_NAME.sub("-", name.lower())[:limit].rstrip("-")


def gke_cluster_name(cluster_name: str) -> str:
    """The GKE cluster's name for a stack named ``cluster_name`` (GKE allows 40 characters): the
    name the cluster is created with and the one ``verify`` tells ``gcloud`` to fetch."""
    return resource_name(cluster_name, limit=40)
