"""The offline runner over real planned graphs: examples comply, findings point into the spec,
unknown values and broken policies are handled the way the engine handles them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from clusterforge.findings import Severity
from clusterforge.graph import ResourceGraph
from clusterforge.policies import RULES
from clusterforge.policies.offline import run_policies
from clusterforge.policies.pack_config import PackConfig, parse
from clusterforge.policies.registry import PolicyRule
from clusterforge.policies.rules._tokens import EKS_CLUSTER, FSX_LUSTRE
from clusterforge.report import plan_document

from helpers import EXAMPLES, PlannedExample, plan
from tests.policies.support import res, violations

EXAMPLE_FILES = sorted(
    p for p in EXAMPLES.iterdir() if p.suffix in (".py", ".yaml", ".yml", ".json")
)


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_passes_every_mandatory_policy(
    example: Path, planned_example: PlannedExample
) -> None:
    _, report = planned_example(example)
    from tests.policies.test_one_finding import duplicates

    assert report.graph is not None
    assert duplicates(report.findings) == []  # one problem, one finding
    errors = [
        (f.rule, f.path, f.message)
        for f in report.findings
        if f.source == "policy" and f.severity == Severity.ERROR
    ]
    assert errors == []


def test_the_base_spec_is_compliant(base_graph: ResourceGraph) -> None:
    assert [f for f in run_policies(base_graph) if f.severity == Severity.ERROR] == []


@pytest.mark.parametrize(
    ("override", "rule_id", "path"),
    [
        (
            {"kubernetes": {"endpoint_public_access": True}},
            "CF-AWS-001",
            "kubernetes.public_access_cidrs",
        ),
        ({"storage": [{"protect": False}]}, "CF-DATA-001", "storage[0].protect"),
        (
            {"kubernetes": {"secrets_encryption": False}},
            "CF-AWS-002",
            "kubernetes.secrets_encryption",
        ),
    ],
)
def test_violations_in_a_planned_stack_point_at_the_spec_field(
    override: dict, rule_id: str, path: str
) -> None:
    found = [
        f
        for f in run_policies(plan(override, allow_errors=True))  # the spec rule sees it too
        if f.severity == Severity.ERROR
    ]
    assert [(f.rule, f.path) for f in found] == [(rule_id, path)]
    assert found[0].extra["urn"].startswith("urn:pulumi:dev::test-cluster::")


def test_budget_and_tags_point_at_the_pool_and_at_tags(base_graph: ResourceGraph) -> None:
    config = parse(
        {"CF-GOV-001": {"maxHourlyUsd": 50}, "CF-GOV-004": {"requiredTags": ["cost-center"]}}
    )
    found = {f.rule: f for f in run_policies(base_graph, config) if f.severity == Severity.ERROR}
    assert (
        found["CF-GOV-001"].path == "node_pools[1].nodes"
    )  # 2 x p5.48xlarge is the expensive pool
    assert found["CF-GOV-004"].path == "tags"


def test_plan_json_round_trips_into_the_same_findings(base_graph: ResourceGraph) -> None:
    from clusterforge.report import Report

    document = json.loads(
        json.dumps(plan_document(Report(stack_file="x.yaml", graph=base_graph)), default=str)
    )
    rebuilt = ResourceGraph.from_plan_document(document)
    assert rebuilt.counts_by_type() == base_graph.counts_by_type()
    config = parse({"CF-GOV-001": {"maxHourlyUsd": 50}})
    assert {(f.rule, f.extra["urn"]) for f in run_policies(rebuilt, config)} == {
        (f.rule, f.extra["urn"]) for f in run_policies(base_graph, config)
    }


def test_a_malformed_plan_document_is_rejected() -> None:
    with pytest.raises(ValueError, match="no `resources` list"):
        ResourceGraph.from_plan_document({"version": 1})
    with pytest.raises(ValueError, match=r"resources\[0\]"):
        ResourceGraph.from_plan_document({"resources": [{"name": "x"}]})


def test_disabled_and_skipped_policies_do_not_run(base_graph: ResourceGraph) -> None:
    graph = plan({"kubernetes": {"endpoint_public_access": True}}, allow_errors=True)
    assert not [
        f for f in run_policies(graph, parse({"CF-AWS-001": "disabled"})) if f.rule == "CF-AWS-001"
    ]
    assert not [
        f
        for f in run_policies(graph, PackConfig().skipping(["CF-AWS-001"]))
        if f.rule == "CF-AWS-001"
    ]
    advisory = [
        f for f in run_policies(graph, parse({"all": "advisory"})) if f.rule == "CF-AWS-001"
    ]
    assert [f.severity for f in advisory] == [Severity.WARNING]


def test_computed_values_are_unknown_to_policies() -> None:
    cluster = res(
        EKS_CLUSTER,
        "eks",
        {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": "<computed>"}},
    )
    assert violations("CF-AWS-001", [cluster]) == []


def broken_rule(validate) -> PolicyRule:  # type: ignore[no-untyped-def]
    policy = ResourceValidationPolicy(
        name="CF-FAB-999", description="A test policy.", validate=validate, enforcement_level=EnforcementLevel.MANDATORY,
        display_name="broken", remediation_steps="none",
    )  # fmt: skip
    return PolicyRule(policy, (FSX_LUSTRE,))


def test_a_policy_touching_an_unknown_is_reported_as_advisory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rule = broken_rule(lambda args, report: args.props["subnetIds"])
    monkeypatch.setitem(RULES, rule.id, rule)
    found = violations(rule.id, [res(FSX_LUSTRE, "fs", {"subnetIds": "<computed>"})])
    assert [(f.severity, f.message) for f in found] == [
        (
            Severity.WARNING,
            "cannot run offline: string value at .subnetIds can't be known during preview",
        )
    ]


def test_a_crashing_policy_is_an_error_finding_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rule = broken_rule(lambda args, report: 1 / 0)
    monkeypatch.setitem(RULES, rule.id, rule)
    (finding,) = violations(rule.id, [res(FSX_LUSTRE, "fs")])
    assert (
        finding.severity == Severity.ERROR
        and "crashed: ZeroDivisionError" in finding.message
        and finding.path == "fs"
    )


def test_a_not_applicable_policy_reports_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = broken_rule(lambda args, report: args.not_applicable("no file systems here"))
    monkeypatch.setitem(RULES, rule.id, rule)
    assert violations(rule.id, [res(FSX_LUSTRE, "fs")]) == []


def test_async_policies_are_awaited(monkeypatch: pytest.MonkeyPatch) -> None:
    async def check(args, report) -> None:  # type: ignore[no-untyped-def]
        report("async violation", None)

    rule = broken_rule(check)
    monkeypatch.setitem(RULES, rule.id, rule)
    assert [f.message for f in violations(rule.id, [res(FSX_LUSTRE, "fs")])] == ["async violation"]
