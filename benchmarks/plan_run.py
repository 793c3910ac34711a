"""clusterforge's side of the run itself: ``plan_offline`` of STACK, timed in-process.

    python benchmarks/plan_run.py STACK

Validates STACK, plans a small stack of the same cloud first (warm-up: imports of the provider
SDK modules are not counted), then times ``plan_offline`` (CPU and wall). Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time

from clusterforge.engine import plan_offline
from clusterforge.spec.loader import load_stack
from clusterforge.validate import validate


def main(path: str) -> None:
    cluster = load_stack(path).cluster
    warmup = cluster.model_copy(update={"node_pools": cluster.node_pools[:2]})
    plan_offline(validate(warmup)[0])
    resolved, _ = validate(cluster)
    cpu, wall = time.process_time(), time.perf_counter()
    graph = plan_offline(resolved)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps({"resources": len(graph.resources), "run_cpu": cpu, "run_wall": wall}))


if __name__ == "__main__":
    main(sys.argv[1])
