"""Rule modules, one per domain (as in ParallelCluster's validators). Importing registers them."""

from clusterforge.validate.rules import (  # noqa: F401
    addons,
    aws,
    capacity,
    cluster,
    efa,
    gcp,
    gke_ipspace,
    lifecycle,
    pools,
    portability,
    storage,
    tpu,
)
