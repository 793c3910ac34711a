"""Shared helpers of the GCP components: labels (GCP's stricter key rules) and names."""

from __future__ import annotations

import re

# The components name their resources by the catalog's rule (verify needs it without pulumi).
from clusterforge.catalog.gcp_names import resource_name as resource_name

CLUSTER_LABEL = "clusterforge-cluster"
_INVALID = re.compile(r"[^a-z0-9_-]")


def label_value(value: str) -> str:
    """A GCP label key/value: lowercase letters, digits, '_' and '-', at most 63 characters."""
    return _INVALID.sub("-", value.lower())[:63]


def labels(tags: dict[str, str], cluster: str, **extra: str) -> dict[str, str]:
    """Cluster tags as GCP labels (keys such as ``team`` pass through; dots and slashes become '-')."""
    merged = {CLUSTER_LABEL: cluster, **tags, **extra}
    return {label_value(k): label_value(v) for k, v in merged.items()}
