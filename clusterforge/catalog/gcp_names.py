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


#: Google Cloud "Creating and managing labels", Requirements for labels
#: (cloud.google.com/resource-manager/docs/creating-managing-labels#requirements): keys and values
#: at most 63 characters of lowercase letters, digits, '_' and '-' (international characters are
#: allowed; clusterforge writes ASCII), keys non-empty and starting with a lowercase letter.
GCP_LABEL_INVALID = re.compile(r"[^a-z0-9_-]")
GCP_LABEL_MAX = 63


def gcp_label(text: str) -> str:
    """The GCP label key or value clusterforge writes for a cluster tag's key or value:
    lowercased, other characters as '-', cut to 63 characters."""
    return GCP_LABEL_INVALID.sub("-", text.lower())[:GCP_LABEL_MAX]
