"""Rule modules, one per domain (as in ParallelCluster's validators). Importing registers them."""

from clusterforge.validate.rules import addons, capacity, cluster, efa, gcp, pools, storage, tpu  # noqa: F401
