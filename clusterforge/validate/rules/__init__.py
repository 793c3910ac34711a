"""Rule modules, one per domain (as in ParallelCluster's validators). Importing registers them."""

from clusterforge.validate.rules import capacity, cluster, efa, gcp, pools, storage, tpu  # noqa: F401
