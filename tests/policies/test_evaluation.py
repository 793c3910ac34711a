"""The evaluation machinery: rules run only over their declared types, facts once per run — and
the findings are exactly those of running every rule over every resource."""

from __future__ import annotations

import dataclasses
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs

from clusterforge.findings import Finding
from clusterforge.graph import ResourceGraph
from clusterforge.policies import RULES
from clusterforge.policies.offline import _Run, run_policies
from clusterforge.policies.pack_config import PackConfig
from clusterforge.policies.registry import facts_cached, resource_fact

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def every_rule_over_every_resource(graph: ResourceGraph) -> list[Finding]:
    """The unfiltered reference: each resource rule is handed every resource (its own
    ``validate`` skips the types it does not read), nothing cached between rules."""
    config, findings = PackConfig(), []
    for rule in RULES.values():
        run = _Run(graph)  # fresh per rule: no props, options or facts shared
        level = config.level(rule)
        settings = config.settings_for(rule)
        if rule.kind == "stack":
            from pulumi_policy import StackValidationArgs

            args: Any = StackValidationArgs(run.stack_resources(), settings)
            findings += run.call(rule, level, args, None)
            continue
        for resource in run.analyzed:
            args = ResourceValidationArgs(
                resource.type, run.props(resource), resource.urn, resource.name,
                run.options(resource), run.provider(resource), settings,
            )  # fmt: skip
            findings += run.call(rule, level, args, resource.urn)
    return findings


def broken(graph: ResourceGraph) -> ResourceGraph:
    """``graph`` with its EFA launch templates stripped of an interface, given public
    addresses and no placement group: violations for fabric and security rules."""
    resources = []
    for resource in graph.resources:
        if resource.type == LAUNCH_TEMPLATE and resource.inputs.get("networkInterfaces"):
            interfaces = [
                {**n, "associatePublicIpAddress": True}
                for n in resource.inputs["networkInterfaces"][:-1]
            ]
            inputs = {**resource.inputs, "networkInterfaces": interfaces}
            inputs.pop("placement", None)
            resource = dataclasses.replace(resource, inputs=inputs)
        resources.append(resource)
    return ResourceGraph(resources, dict(graph.stack_outputs))


def key(finding: Finding) -> tuple[str, str, str, str]:
    return (finding.rule, finding.severity.value, finding.path, finding.message)


def test_filtered_run_finds_what_the_unfiltered_run_finds(base_graph: ResourceGraph) -> None:
    bad = broken(base_graph)
    found = run_policies(bad)
    assert {f.rule for f in found} >= {"CF-FAB-001", "CF-AWS-008"}  # the case is a bad one
    assert [key(f) for f in found] == [key(f) for f in every_rule_over_every_resource(bad)]
    good = run_policies(base_graph)
    assert [key(f) for f in good] == [key(f) for f in every_rule_over_every_resource(base_graph)]


def test_a_rule_runs_only_over_the_types_it_declares(base_graph: ResourceGraph) -> None:
    run = _Run(base_graph)
    templates = run.of_types((LAUNCH_TEMPLATE,))
    assert templates and {r.type for r in templates} == {LAUNCH_TEMPLATE}
    assert {r.type.split(":")[0] for r in run.of_types(("aws:",))} == {"aws"}
    assert run.of_types(("no:such/type:Type",)) == []
    assert run.options(templates[0]) is run.options(templates[0])  # built once per resource


def test_resource_facts_are_computed_once_per_run_and_always_outside_one() -> None:
    calls: list[object] = []

    @resource_fact
    def fact(props: object) -> int:
        calls.append(props)
        return len(calls)

    first, second = object(), object()
    with facts_cached():
        assert [fact(first), fact(first), fact(second), fact(first)] == [1, 1, 2, 1]
    assert len(calls) == 2
    fact(first)
    fact(first)
    assert len(calls) == 4  # under the Pulumi engine (no run), nothing is cached


def test_disabled_rules_do_not_run(base_graph: ResourceGraph) -> None:
    bad = broken(base_graph)
    config = PackConfig(EnforcementLevel.DISABLED, {}, {})
    assert run_policies(bad, config) == []
