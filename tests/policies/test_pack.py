"""The pack as Pulumi runs it: registry invariants, the PolicyPack entry point, and the analyzer
servicer of pulumi_policy answering the engine's Analyze / AnalyzeStack requests (what
`pulumi preview --policy-pack policies` sends), including values unknown during a preview."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

import clusterforge.policies
from clusterforge.policies import PACK_NAME, RULES, pulumi_policies
from clusterforge.policies.registry import AREAS
from clusterforge.policies.rules._tokens import (
    EKS_CLUSTER,
    LAUNCH_TEMPLATE,
    SECURITY_GROUP,
    SG_EGRESS,
    SG_INGRESS,
)

from tests.policies import (
    test_data_rules,
    test_fabric_rules,
    test_governance_rules,
    test_kubernetes_rules,
    test_security_rules,
)

PACK_DIR = Path(clusterforge.policies.__file__).parent
TABLES = [
    test_fabric_rules,
    test_data_rules,
    test_security_rules,
    test_governance_rules,
    test_kubernetes_rules,
]


def test_at_least_30_rules_with_stable_ids_levels_and_remediation() -> None:
    assert len(RULES) >= 30
    for rule in RULES.values():
        assert re.fullmatch(r"CF-(FAB|DATA|AWS|GKE|GOV|K8S)-\d{3}", rule.id)
        assert re.fullmatch(r"[a-z0-9-]+", rule.title), rule.title
        assert rule.level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)
        assert rule.description.rstrip(")").endswith(".") and rule.remediation, rule.id
        assert rule.policy.name == rule.id  # the Pulumi policy name is the id: one key everywhere
    titles = [r.title for r in RULES.values()]
    assert len(set(titles)) == len(titles)
    assert list(RULES) == sorted(
        RULES, key=lambda i: (list(AREAS).index(i.split("-")[1]), i)
    )  # the documented order


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    outcomes: dict[str, set[bool]] = {}
    for table in TABLES:
        for case in table.CASES:
            rule_id, _, _, expected = case.values
            outcomes.setdefault(rule_id, set()).add(expected > 0)
    assert {rule_id: outcomes.get(rule_id, set()) for rule_id in RULES} == {
        rule_id: {False, True} for rule_id in RULES
    }


def test_main_builds_the_pack_without_starting_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import clusterforge.policies.__main__ as entry  # importing must not block

    built: dict[str, Any] = {}
    monkeypatch.setattr(entry, "PolicyPack", lambda **kwargs: built.update(kwargs))
    entry.main()
    assert built["name"] == PACK_NAME and len(built["policies"]) == len(RULES)
    assert entry.PolicyPack is not PolicyPack  # the real one would serve and block


def test_pulumi_policy_yaml_and_requirements_make_a_python_pack() -> None:
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert (
        project["runtime"]["name"] == "python"
        and project["runtime"]["options"]["virtualenv"] == "../.venv"
    )  # as stacks/
    assert re.fullmatch(r"\d+\.\d+\.\d+", project["version"])
    requirements = [
        line.strip()
        for line in (PACK_DIR / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert requirements == [".."]  # the repository root: this checkout's clusterforge


def servicer(config: dict[str, dict[str, Any]] | None = None) -> Any:
    """The analyzer pulumi_policy serves to the engine, configured as `--policy-pack-config` would."""
    analyzer = _PolicyAnalyzerServicer(
        PACK_NAME, "0.1.0", pulumi_policies(), EnforcementLevel.ADVISORY
    )
    entries = {}
    for name, values in (config or {}).items():
        properties = struct_pb2.Struct()
        properties.update(values)
        entries[name] = proto.PolicyConfig(enforcementLevel=proto.MANDATORY, properties=properties)
    analyzer.Configure(proto.ConfigureAnalyzerRequest(policyConfig=entries), None)
    return analyzer


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def diagnostics(response: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for diagnostic in response.diagnostics:
        found.setdefault(diagnostic.policyName, []).append(diagnostic)
    return found


def test_analyzer_info_lists_every_policy_with_its_config_schema() -> None:
    info = servicer().GetAnalyzerInfo(None, None)
    assert info.name == PACK_NAME and [p.name for p in info.policies] == list(RULES)
    budget = next(p for p in info.policies if p.name == "CF-GOV-001")
    assert (
        "maxHourlyUsd" in budget.configSchema.properties
        and budget.enforcementLevel == proto.MANDATORY
    )
    kinds = {p.name: p.policy_type for p in info.policies}
    assert (
        kinds["CF-FAB-003"] == proto.PolicyType.POLICY_TYPE_STACK
        and kinds["CF-AWS-001"] == proto.PolicyType.POLICY_TYPE_RESOURCE
    )
    assert all(
        isinstance(r.policy, (ResourceValidationPolicy, StackValidationPolicy))
        for r in RULES.values()
    )


def analyze(properties: dict[str, Any], type_token: str = EKS_CLUSTER) -> dict[str, list[Any]]:
    request = proto.AnalyzeRequest(
        type=type_token, properties=struct(properties), urn=f"urn:pulumi:dev::p::{type_token}::r", name="r",
        options=proto.AnalyzerResourceOptions(protect=False),
    )  # fmt: skip
    return diagnostics(servicer().Analyze(request, None))


def test_the_engine_gets_a_mandatory_violation_for_a_public_endpoint() -> None:
    found = analyze({"vpcConfig": {"endpointPublicAccess": True}})
    (violation,) = found["CF-AWS-001"]
    assert (
        violation.enforcementLevel == proto.MANDATORY
        and "public to the whole internet" in violation.message
    )


def test_unknown_values_during_a_preview_skip_instead_of_failing() -> None:
    found = analyze(
        {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": UNKNOWN_STRING_VALUE}}
    )
    assert "CF-AWS-001" not in found
    assert not any("can't run policy" in d.message for ds in found.values() for d in ds)


def test_stack_policies_follow_property_dependencies_when_ids_are_unknown() -> None:
    sg = f"urn:pulumi:dev::p::{SECURITY_GROUP}::efa"
    unknown = {
        "securityGroupId": UNKNOWN_STRING_VALUE,
        "referencedSecurityGroupId": UNKNOWN_STRING_VALUE,
        "ipProtocol": "-1",
    }
    by_property = {
        k: proto.AnalyzerPropertyDependencies(urns=[sg])
        for k in ("securityGroupId", "referencedSecurityGroupId")
    }

    def resource(type_token: str, name: str, props: dict[str, Any], deps: dict[str, Any]) -> Any:
        return proto.AnalyzerResource(
            type=type_token, properties=struct(props), urn=f"urn:pulumi:dev::p::{type_token}::{name}", name=name,
            options=proto.AnalyzerResourceOptions(), dependencies=sorted({u for d in deps.values() for u in d.urns}),
            propertyDependencies=deps,
        )  # fmt: skip

    template = {
        "instanceType": "p5.48xlarge",
        "networkInterfaces": [{"interfaceType": "efa", "securityGroups": [UNKNOWN_STRING_VALUE]}],
    }
    lt = resource(
        LAUNCH_TEMPLATE,
        "lt",
        template,
        {"networkInterfaces": proto.AnalyzerPropertyDependencies(urns=[sg])},
    )
    group = resource(SECURITY_GROUP, "efa", {}, {})
    ingress = resource(SG_INGRESS, "in", unknown, by_property)
    egress = resource(SG_EGRESS, "out", unknown, by_property)
    ok = diagnostics(
        servicer().AnalyzeStack(
            proto.AnalyzeStackRequest(resources=[lt, group, ingress, egress]), None
        )
    )
    assert "CF-FAB-003" not in ok
    broken = diagnostics(
        servicer().AnalyzeStack(proto.AnalyzeStackRequest(resources=[lt, group, ingress]), None)
    )
    assert [d.urn for d in broken["CF-FAB-003"]] == [lt.urn]


def test_configured_settings_reach_the_policy_in_the_engine() -> None:
    provider = proto.AnalyzerProviderResource(
        type="pulumi:providers:aws",
        properties=struct({"region": "us-east-1"}),
        urn="urn:p",
        name="aws",
    )
    group = proto.AnalyzerResource(
        type="aws:eks/nodeGroup:NodeGroup", urn="urn:pulumi:dev::p::aws:eks/nodeGroup:NodeGroup::ng", name="ng",
        properties=struct({"scalingConfig": {"desiredSize": 4}, "instanceTypes": ["p5.48xlarge"]}),
        options=proto.AnalyzerResourceOptions(), provider=provider,
    )  # fmt: skip
    request = proto.AnalyzeStackRequest(resources=[group])
    assert "CF-GOV-001" not in diagnostics(servicer().AnalyzeStack(request, None))
    over = diagnostics(servicer({"CF-GOV-001": {"maxHourlyUsd": 100}}).AnalyzeStack(request, None))
    assert "$220.16/hour" in over["CF-GOV-001"][0].message


def test_the_pack_serves_the_engine_over_grpc_as_pulumi_runs_it() -> None:
    """`python policies/` is how Pulumi starts a Python pack: it prints a port and serves the Analyzer."""
    import subprocess
    import sys

    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    server = subprocess.Popen(
        [sys.executable, "-u", str(PACK_DIR)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            analyzer = analyzer_pb2_grpc.AnalyzerStub(channel)
            assert len(analyzer.GetAnalyzerInfo(empty_pb2.Empty()).policies) == len(RULES)
            request = proto.AnalyzeRequest(
                type=EKS_CLUSTER, properties=struct({"vpcConfig": {"endpointPublicAccess": True}}), urn="urn:x", name="eks",
                options=proto.AnalyzerResourceOptions(),
            )  # fmt: skip
            names = {d.policyName for d in analyzer.Analyze(request).diagnostics}
            assert {"CF-AWS-001", "CF-AWS-002"} <= names and not any(
                n.startswith("CF-GKE") for n in names
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


def _types_rules_read() -> list[str]:
    from clusterforge.policies.rules._tokens import REMOTE_COMPONENTS

    types = {t for rule in RULES.values() for t in rule.types if not t.endswith(":")}
    return sorted(types | set(REMOTE_COMPONENTS))


@pytest.mark.parametrize("type_token", _types_rules_read())
def test_no_mandatory_violation_from_what_the_engine_cannot_show(type_token: str) -> None:
    """Remote components (helm.sh/v4:Chart, yaml/v2:ConfigFile) reach the analyzer with no inputs
    (pulumi-kubernetes issue 2144): no rule may block `up` on them. Other types with empty inputs
    may fail only where an unset input really is insecure (EKS defaults to a public endpoint)."""
    from clusterforge.policies.rules._tokens import REMOTE_COMPONENTS

    found = analyze({}, type_token)
    mandatory = sorted(
        name for name, ds in found.items() if any(d.enforcementLevel == proto.MANDATORY for d in ds)
    )
    if type_token in REMOTE_COMPONENTS:
        assert found == {}
    assert not any("can't run policy" in d.message for ds in found.values() for d in ds)
    crashed = [d.message for ds in found.values() for d in ds if "crashed" in d.message]
    assert crashed == [] and all(
        RULES[name].level == EnforcementLevel.MANDATORY for name in mandatory
    )


def test_stack_rules_with_empty_inputs_as_the_engine_sends_components() -> None:
    from clusterforge.policies.rules._tokens import REMOTE_COMPONENTS

    resources = [
        proto.AnalyzerResource(type=t, properties=struct({}), urn=f"urn:pulumi:dev::p::{t}::r{i}", name=f"r{i}",
                               options=proto.AnalyzerResourceOptions())
        for i, t in enumerate(REMOTE_COMPONENTS)
    ]  # fmt: skip
    found = diagnostics(
        servicer().AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)
    )
    assert found == {}
