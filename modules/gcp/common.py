"""Shared helpers of the GCP components: labels (GCP's stricter key rules) and names."""

from __future__ import annotations

from clusterforge.catalog.gcp_names import gcp_label as label_value

# The components name their resources by the catalog's rule (verify needs it without pulumi).
from clusterforge.catalog.gcp_names import resource_name as resource_name

CLUSTER_LABEL = "clusterforge-cluster"


def labels(tags: dict[str, str], cluster: str, **extra: str) -> dict[str, str]:
    """Cluster tags as GCP labels (keys such as ``team`` pass through; dots and slashes become '-')."""
    merged = {CLUSTER_LABEL: cluster, **tags, **extra}
    return {label_value(k): label_value(v) for k, v in merged.items()}
