"""Policy evaluations per second over the plan of STACK (offline ``run_policies``).

    python benchmarks/policy_rate.py STACK          # a stack file: planned offline first
    python benchmarks/policy_rate.py PLAN.json      # or a plan written by `plan --format json`

One evaluation is one (resource rule, resource) decision, plus one per stack rule; the pack runs
once as a warm-up, then best of three timed runs. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from clusterforge.engine import plan_offline
from clusterforge.graph import ResourceGraph
from clusterforge.policies import RULES
from clusterforge.policies.offline import run_policies
from clusterforge.policies.registry import applies
from clusterforge.spec.loader import load_stack
from clusterforge.validate import validate


def graph_of(path: str) -> ResourceGraph:
    """The planned graph of a stack file, or of a plan document (``check PLAN.json`` reads it so)."""
    if path.endswith(".json"):
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        if "resources" in document:
            return ResourceGraph.from_plan_document(document)
    return plan_offline(validate(load_stack(path).cluster)[0])


def main(path: str) -> None:
    graph = graph_of(path)
    resources = [r for r in graph.resources if r.type != "pulumi:pulumi:Stack"]
    resource_rules = [r for r in RULES.values() if r.kind == "resource"]
    stack_rules = len(RULES) - len(resource_rules)
    applicable = sum(applies(r.type, rule.types) for rule in resource_rules for r in resources)
    evaluations = len(resource_rules) * len(resources) + stack_rules
    run_policies(graph)
    seconds = []
    for _ in range(3):
        start = time.process_time()
        run_policies(graph)
        seconds.append(time.process_time() - start)
    best = min(seconds)
    print(
        json.dumps(
            {
                "resources": len(resources),
                "resource_rules": len(resource_rules),
                "stack_rules": stack_rules,
                "evaluations": evaluations,
                "applicable": applicable,
                "seconds": best,
                "per_second": evaluations / best,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
