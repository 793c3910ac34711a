"""clusterforge beside the Pulumi SDK's floor: plan speed, start-up and policy throughput.

    python benchmarks/plan_vs_floor.py [--sizes 400,1000,4000] [--write docs/benchmarks.md]

For each size a stack of EFA pools is written to a temporary directory and, each in a fresh
process (after one warm-up process of each, so the OS file cache and bytecode are warm):

* ``clusterforge plan STACK --format json`` — the whole process a user runs (wall, CPU, peak RSS);
* the floor's whole process: a bare Pulumi program that reads the plan and registers the same
  resources once under the stock ``set_mocks`` (``benchmarks/floor.py``'s registration without
  its in-process warm-up run, which a user's program would not make either);
* the run itself on both sides: clusterforge's ``plan_offline`` and the floor's registration,
  timed inside their processes after an in-process warm-up (imports are not counted).

``--repeats N`` measures each whole process and each in-process run N times, interleaved, and
keeps each side's measurement with the least CPU (the least disturbed by other load). ``--process-only`` skips the runs, start-up and
policies; ``--clusterforge "python /other/checkout/runner.py"`` measures another clusterforge
command against the same floor (a before/after comparison in one run).

Then the start-up of the quick commands against ``python -c "import click"``, and policy
evaluations per second over a ~5,000-resource plan. Prints the ratios; ``--write`` also writes
the figures, the machine and the date to a Markdown file. Not a test: figures depend on the
machine and its load (the load average is recorded with them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from startup import measured, startup  # noqa: E402  (one measurement for both scripts)
from startup import table as startup_table  # noqa: E402

PYTHON = sys.executable
CLUSTERFORGE = [str(Path(PYTHON).with_name("clusterforge"))]
# The floor's whole process: read the plan, register its resources once, exit.
FLOOR_PROCESS = (
    "import json, sys; sys.path.insert(0, sys.argv[2]); import floor; "
    "document = json.load(open(sys.argv[1], encoding='utf-8')); "
    "floor.timed_run(document['resources'], document['cluster']['name'], "
    "document.get('stack') or 'dev')"
)
RESOURCES_PER_POOL = 7  # component, launch template, placement group, SG + 2 rules, node group
BASE_RESOURCES = 67  # network, control plane, storage, add-ons of the stack below


def pools_for(resources: int) -> int:
    return max(1, round((resources - BASE_RESOURCES) / RESOURCES_PER_POOL))


def stack_document(pools: int) -> dict[str, Any]:
    """An AWS stack: a system pool, ``pools`` one-node p5.48xlarge EFA pools and a Lustre file system.

    The pools are spread over three zones, one node each, and the file system is mounted by the
    first pool (a file system lives in one zone, STO003): 4,000 resources of p5 pools in one zone
    would not fit its subnet (AWS007 counts 50 addresses per p5 node), and the stack must plan.
    """
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    return {
        "name": "scale",
        "cloud": "aws",
        "region": "us-east-1",
        "zone": zones[0],
        "network": {"cidr": "10.0.0.0/16", "zones": zones},
        "node_pools": [{"name": "system", "instance_type": "m7i.2xlarge", "nodes": 2}]
        + [
            {"name": f"gpu-{i}", "instance_type": "p5.48xlarge", "nodes": 1, "zone": zones[i % 3]}
            for i in range(pools)
        ],
        "storage": [
            {
                "name": "scratch",
                "type": "lustre",
                "capacity_gib": 2400,
                "mount_path": "/scratch",
                "pools": ["gpu-0"],
            }
        ],
    }


def child_json(argv: list[str]) -> dict[str, Any]:
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def plan_size(
    workdir: Path, resources: int, *, repeats: int = 1, process_only: bool = False
) -> dict[str, Any]:
    pools = pools_for(resources)
    stack = workdir / f"scale-{pools}.json"
    stack.write_text(json.dumps(stack_document(pools)))
    plan_json = workdir / f"scale-{pools}.plan.json"
    plan = [*CLUSTERFORGE, "plan", str(stack), "--format", "json"]
    floor = [PYTHON, "-c", FLOOR_PROCESS, str(plan_json), str(HERE)]
    with plan_json.open("wb") as out:  # warm-up process, and the plan the floor reads
        measured(plan, stdout=out)
    planned = json.loads(plan_json.read_text())
    if len(planned.get("resources") or []) < pools:  # a stack that does not plan measures nothing
        raise SystemExit(f"{stack} did not plan: {json.dumps(planned.get('findings'))[:2000]}")
    measured(floor)  # warm-up
    runs = [(measured(plan), measured(floor)) for _ in range(repeats)]
    figures: dict[str, Any] = {
        "pools": pools,
        "resources": len(planned["resources"]),
        "whole_plan": min((p for p, _ in runs), key=lambda r: r["cpu"]),
        "whole_floor": min((f for _, f in runs), key=lambda r: r["cpu"]),
    }
    if not process_only:
        inside = [
            (
                child_json([PYTHON, str(HERE / "plan_run.py"), str(stack)]),
                child_json([PYTHON, str(HERE / "floor.py"), str(plan_json)]),
            )
            for _ in range(repeats)
        ]
        run_plan = min((p for p, _ in inside), key=lambda r: r["run_cpu"])
        run_floor = min((f for _, f in inside), key=lambda r: r["run_cpu"])
        figures["run_plan"] = {"cpu": run_plan["run_cpu"], "wall": run_plan["run_wall"]}
        figures["run_floor"] = {"cpu": run_floor["run_cpu"], "wall": run_floor["run_wall"]}
    return figures


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def process_table(sizes: list[dict[str, Any]]) -> str:
    """The whole processes only (``--process-only``)."""
    lines = [
        "| resources | process wall s (plan / floor) | process wall ratio "
        "| process CPU s (plan / floor) | process CPU ratio | peak RSS MiB (plan / floor) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        wp, wf = s["whole_plan"], s["whole_floor"]
        lines.append(
            f"| {s['resources']:,} | {wp['wall']:.2f} / {wf['wall']:.2f} "
            f"| {ratio(wp['wall'], wf['wall']):.2f}× | {wp['cpu']:.2f} / {wf['cpu']:.2f} "
            f"| {ratio(wp['cpu'], wf['cpu']):.2f}× | {wp['rss_mib']:.0f} / {wf['rss_mib']:.0f} |"
        )
    return "\n".join(lines)


def report(sizes: list[dict[str, Any]], start: dict[str, Any], policies: dict[str, Any]) -> str:
    lines = [
        "| resources | run CPU s (plan / floor) | run CPU ratio | run wall ratio "
        "| process wall s (plan / floor) | process wall ratio | process CPU ratio "
        "| peak RSS MiB (plan / floor) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        rp, rf, wp, wf = s["run_plan"], s["run_floor"], s["whole_plan"], s["whole_floor"]
        lines.append(
            f"| {s['resources']:,} | {rp['cpu']:.2f} / {rf['cpu']:.2f} "
            f"| {ratio(rp['cpu'], rf['cpu']):.2f}× | {ratio(rp['wall'], rf['wall']):.2f}× "
            f"| {wp['wall']:.2f} / {wf['wall']:.2f} | {ratio(wp['wall'], wf['wall']):.2f}× "
            f"| {ratio(wp['cpu'], wf['cpu']):.2f}× | {wp['rss_mib']:.0f} / {wf['rss_mib']:.0f} |"
        )
    small, large = sizes[0], sizes[-1]
    per_small = small["run_plan"]["cpu"] / small["resources"]
    per_large = large["run_plan"]["cpu"] / large["resources"]
    lines += [
        "",
        f"Per resource (run CPU): {1000 * per_small:.2f} ms at {small['resources']:,} resources, "
        f"{1000 * per_large:.2f} ms at {large['resources']:,}: "
        f"{ratio(per_large, per_small):.2f}× (floor: "
        f"{ratio(large['run_floor']['cpu'] / large['resources'], small['run_floor']['cpu'] / small['resources']):.2f}×).",
        "",
        startup_table(start),
        "",
        f"Policies: {policies['evaluations']:,} rule evaluations ({policies['resource_rules']} "
        f"resource rules × {policies['resources']:,} resources + {policies['stack_rules']} stack "
        f"rules; {policies['applicable']:,} of the pairs are of a type the rule reads) in "
        f"{policies['seconds']:.2f} s: **{policies['per_second']:,.0f} evaluations/s**.",
    ]
    return "\n".join(lines)


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average at the end {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="400,1000,4000")
    parser.add_argument("--policy-resources", type=int, default=5000)
    parser.add_argument("--write", type=Path, help="also write the figures to this Markdown file")
    parser.add_argument("--repeats", type=int, default=1, help="whole processes per side and size")
    parser.add_argument(
        "--process-only", action="store_true", help="only the whole processes (no --write)"
    )
    parser.add_argument(
        "--clusterforge",
        default=" ".join(CLUSTERFORGE),
        help="the command that runs clusterforge (default: the script next to this Python)",
    )
    options = parser.parse_args()
    if options.process_only and options.write:
        parser.error("--write records every figure: run it without --process-only")
    CLUSTERFORGE[:] = shlex.split(options.clusterforge)
    with tempfile.TemporaryDirectory(prefix="clusterforge-bench-") as tmp:
        workdir = Path(tmp)
        sizes = []
        for size in (int(s) for s in options.sizes.split(",")):
            sizes.append(
                plan_size(workdir, size, repeats=options.repeats, process_only=options.process_only)
            )
            print(f"planned {sizes[-1]['resources']} resources", file=sys.stderr)
        if options.process_only:
            print(process_table(sizes))
            return
        start = startup()
        policy_stack = workdir / "policies.json"
        policy_stack.write_text(json.dumps(stack_document(pools_for(options.policy_resources))))
        policies = child_json([PYTHON, str(HERE / "policy_rate.py"), str(policy_stack)])
    body = report(sizes, start, policies)
    print(body)
    if options.write:
        when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        options.write.write_text(
            "# Benchmarks\n\n"
            "Written by `python benchmarks/plan_vs_floor.py --write docs/benchmarks.md` "
            "(see that file's docstring for what is measured). The floor is "
            "`benchmarks/floor.py`: a bare Pulumi program registering the same resources "
            "(type, name, inputs, parent, options, dependencies, read from the plan JSON) "
            "under the stock `pulumi.runtime.set_mocks`. The *run* columns time the "
            "registration alone, inside each process; the *process* columns time the whole "
            "fresh process — for clusterforge what a user waits for (interpreter, imports of "
            "the provider SDKs the components use, loading and validating the stack, the run, "
            "the policies, cost, the report and its JSON), for the floor reading the plan and "
            "registering it once. Ratios are measured in one run, side by side, so they hold "
            "under load; absolute seconds do not.\n\n"
            f"- Date: {when}\n- Machine: {machine()}\n\n{body}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
