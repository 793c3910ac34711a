"""One problem, one finding: merge validation findings and policy findings for ``plan`` and ``check``.

Some problems are visible both in the spec (a validation rule) and in the planned resources (a
policy): a public EKS endpoint is K8S002 and CF-AWS-001. Each such policy names its validation
rules in ``same_as`` and points at the same spec path; where the validation rule already reported
at that path, the policy's finding is dropped and its id noted on the validation finding
(``extra["same_as"]``), so the report shows the problem once, with one id and one severity — the
severity ``validate`` gives it, which the test suite holds equal to the policy's default level.
In the engine (``preview``/``up``) only the policy runs, so it still reports the problem there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from pulumi_policy import EnforcementLevel

from clusterforge.findings import Finding
from clusterforge.graph import ResourceGraph
from clusterforge.policies import RULES


def one_per_problem(findings: list[Finding]) -> list[Finding]:
    """``findings`` without the policy findings a validation finding at the same path covers."""
    reported: dict[tuple[str, str], int] = {}
    for index, finding in enumerate(findings):
        if finding.source != "policy":
            reported.setdefault((finding.rule, finding.path), index)
    merged = list(findings)
    dropped: set[int] = set()
    for index, finding in enumerate(findings):
        rule = RULES.get(finding.rule) if finding.source == "policy" else None
        if rule is None:
            continue
        for validation_id in rule.same_as:
            covering = reported.get((validation_id, finding.path))
            if covering is None:
                continue
            kept = merged[covering]
            noted = sorted({*kept.extra.get("same_as", ()), finding.rule})
            # A policy configured stricter than its default level keeps its severity.
            severity = max(kept.severity, finding.severity, key=lambda s: s.rank)
            merged[covering] = replace(
                kept, severity=severity, extra={**kept.extra, "same_as": noted}
            )
            dropped.add(index)
            break
    return [f for i, f in enumerate(merged) if i not in dropped]


def engine_findings(violations: Iterable[Any], graph: ResourceGraph | None) -> list[Finding]:
    """The engine's policy violations (``preview``/``up``) as findings, like ``check`` reports them.

    ``violations`` are :class:`~clusterforge.engine.events.PolicyViolation` objects (rule id, level,
    message, URN). The URN is looked up in the offline plan of the same stack (the engine registers
    the same URNs), which gives the spec path — and so the stack file's line — and the rule's hint.
    """
    from clusterforge.policies.registry import severity_of

    found = []
    for violation in violations:
        rule = RULES.get(violation.policy)
        level = EnforcementLevel.MANDATORY if violation.mandatory else EnforcementLevel.ADVISORY
        resource = graph.get(violation.urn) if graph is not None and violation.urn else None
        spec = graph.spec_path(resource) if graph is not None and resource is not None else None
        if rule is not None and rule.spec_path and spec:
            path = rule.spec_path
        elif spec:
            path = f"{spec}.{rule.spec_field}" if rule is not None and rule.spec_field else spec
        else:
            path = resource.name if resource is not None else (violation.urn or "(stack)")
        found.append(
            Finding(
                violation.policy,
                severity_of(level),
                path,
                violation.message,
                rule.remediation if rule is not None else "",
                source="policy",
                extra={"urn": violation.urn, "policy_pack": violation.pack, "engine": True},
            )
        )
    return found
