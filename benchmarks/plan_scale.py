"""Offline plan time and memory as a stack grows (prints figures; not a test).

    python benchmarks/plan_scale.py [POOLS ...]

Each EFA pool adds a component and 6 resources (launch template, placement group, EFA security
group and its two rules, node group), so 160 pools give a stack of about 1,000 resources (plus
the add-ons the EFA pools bring). Prints validation, offline plan and policy-check times.
"""

from __future__ import annotations

import resource
import sys
import time

from clusterforge.engine import plan_offline
from clusterforge.spec.models import Cluster
from clusterforge.validate import validate


def stack(pools: int) -> Cluster:
    return Cluster.model_validate(
        {
            "name": "scale",
            "cloud": "aws",
            "region": "us-east-1",
            "zone": "us-east-1a",
            "node_pools": [{"name": "system", "instance_type": "m7i.2xlarge", "nodes": 2}]
            + [
                {"name": f"gpu-{i}", "instance_type": "p5.48xlarge", "nodes": 2}
                for i in range(pools)
            ],
            "storage": [
                {
                    "name": "scratch",
                    "type": "lustre",
                    "capacity_gib": 2400,
                    "mount_path": "/scratch",
                }
            ],
        }
    )


def main(sizes: list[int]) -> None:
    from clusterforge.policies.offline import run_policies

    print(
        f"{'pools':>6} {'resources':>10} {'validate s':>11} {'plan s':>8} {'policies s':>11} {'ms/resource':>12} {'max RSS MiB':>12}"
    )
    for pools in sizes:
        spec = stack(pools)
        start = time.perf_counter()
        resolved, findings = validate(spec)
        validated = time.perf_counter()
        graph = plan_offline(resolved)
        planned = time.perf_counter()
        run_policies(graph)
        checked = time.perf_counter()
        count = len(graph.custom_resources)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{pools:>6} {count:>10} {validated - start:>11.3f} {planned - validated:>8.2f} {checked - planned:>11.2f} "
            f"{1000 * (planned - validated) / count:>12.2f} {rss:>12.0f}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 20, 80, 160, 320])
