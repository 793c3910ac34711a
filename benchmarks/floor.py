"""The floor: a bare Pulumi program registering the resources of a plan under the stock mocks.

    python benchmarks/floor.py PLAN.json

Reads a plan written by ``clusterforge plan STACK --format json`` and registers the same
resources — type, name, inputs, parent, options (protect, retainOnDelete, deleteBeforeReplace,
ignoreChanges, replaceOnChanges, additionalSecretOutputs, provider) and dependencies — with plain
``pulumi.CustomResource`` / ``ComponentResource`` / ``ProviderResource`` objects under the stock
``pulumi.runtime.set_mocks`` and ``pulumi.runtime.test``: what the Pulumi SDK alone needs to
register those resources. No clusterforge code is imported. Prints one JSON line: the
registration run's CPU and wall seconds (a small warm-up run first, so imports are not counted).
"""

from __future__ import annotations

import contextvars
import json
import sys
import time
from typing import Any

import pulumi

# Components whose program runs in the provider (remote=True): the engine's view of them.
REMOTE_COMPONENTS = ("kubernetes:helm.sh/v4:Chart", "kubernetes:yaml/v2:ConfigFile")
STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"


class FloorMocks(pulumi.runtime.Mocks):
    """The usual unit-test mocks: ids from names, state echoes the inputs, invokes answer {}."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def _options(
    resource: dict[str, Any], by_urn: dict[str, pulumi.Resource], providers: dict[str, Any]
) -> pulumi.ResourceOptions:
    options = resource["options"]
    parent = by_urn.get(resource["parent"] or "")
    provider = providers.get(options.get("provider", ""))
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=[by_urn[urn] for urn in resource["dependencies"] if urn in by_urn],
        protect=options.get("protect"),
        retain_on_delete=options.get("retainOnDelete"),
        delete_before_replace=options.get("deleteBeforeReplace"),
        ignore_changes=options.get("ignoreChanges"),
        replace_on_changes=options.get("replaceOnChanges"),
        additional_secret_outputs=options.get("additionalSecretOutputs"),
        provider=provider,
    )


def register(resources: list[dict[str, Any]]) -> None:
    """Register ``resources`` (plan order: parents before children) as a bare program would."""
    by_urn: dict[str, pulumi.Resource] = {}
    providers: dict[str, pulumi.ProviderResource] = {}
    components: list[pulumi.ComponentResource] = []
    for resource in resources:
        kind, name, inputs = resource["type"], resource["name"], resource["inputs"]
        if kind == STACK_TYPE:
            continue
        opts = _options(resource, by_urn, providers)
        created: pulumi.Resource
        if kind.startswith(PROVIDER_PREFIX):
            created = pulumi.ProviderResource(kind[len(PROVIDER_PREFIX) :], name, inputs, opts)
            providers[name] = created
        elif kind in REMOTE_COMPONENTS:
            created = pulumi.ComponentResource(kind, name, inputs, opts, remote=True)
        elif kind.startswith("clusterforge:"):
            created = pulumi.ComponentResource(kind, name, None, opts)
            components.append(created)
        else:
            created = pulumi.CustomResource(kind, name, inputs, opts)
        by_urn[resource["urn"]] = created
    for component in components:
        component.register_outputs({})


def timed_run(resources: list[dict[str, Any]], project: str, stack: str) -> tuple[float, float]:
    """CPU and wall seconds of one registration run, in a fresh context (fresh SDK settings)."""

    def run() -> tuple[float, float]:
        pulumi.runtime.set_mocks(FloorMocks(), project=project, stack=stack, preview=True)
        cpu, wall = time.process_time(), time.perf_counter()
        pulumi.runtime.test(lambda: register(resources))()
        return time.process_time() - cpu, time.perf_counter() - wall

    return contextvars.Context().run(run)


def main(path: str) -> None:
    with open(path, encoding="utf-8") as plan_file:
        document = json.load(plan_file)
    resources = document["resources"]
    project, stack = document["cluster"]["name"], document.get("stack") or "dev"
    timed_run(resources[:60], project + "-warmup", stack)
    cpu, wall = timed_run(resources, project, stack)
    print(json.dumps({"resources": len(resources), "run_cpu": cpu, "run_wall": wall}))


if __name__ == "__main__":
    main(sys.argv[1])
