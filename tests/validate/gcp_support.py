"""A known-good GKE stack for the GCP rule tables, as an override of the AWS baseline."""

from __future__ import annotations

from typing import Any

from tests.validate.support import merge

#: A system pool, two a3-megagpu-8g nodes with TCPXO, and Managed Lustre at 500 MB/s/TiB.
GCP: dict[str, Any] = {
    "cloud": "gcp",
    "project": "ml-platform-1",
    "region": "us-central1",
    "zone": "us-central1-a",
    "network": {"cidr": "10.0.0.0/16", "zones": None},
    "node_pools": [
        {"name": "system", "instance_type": "n2-standard-8", "nodes": 2},
        {"name": "h100", "instance_type": "a3-megagpu-8g", "nodes": 2},
    ],
    "storage": [
        {
            "name": "data",
            "type": "lustre",
            "capacity_gib": 18000,
            "throughput_mbps_per_tib": 500,
            "mount_path": "/data",
        }
    ],
}

TPU_POOL: dict[str, Any] = {"name": "v5p", "accelerator": "tpu-v5p", "topology": "4x4x4"}


def gcp(override: dict[str, Any] | None = None) -> dict[str, Any]:
    """The GKE baseline with ``override`` merged in (same merge rules as the AWS tables)."""
    return merge(GCP, override or {})


def tpu(**fields: Any) -> dict[str, Any]:
    """The GKE baseline with a v5p pool (TPU_POOL with ``fields``) as node_pools[2], in us-east5."""
    pool = {**TPU_POOL, **fields}
    return gcp(
        {
            "region": "us-east5",
            "zone": "us-east5-a",
            "node_pools": {1: {"instance_type": "n2-standard-8"}, 2: pool},
        }
    )
