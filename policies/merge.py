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

from dataclasses import replace

from clusterforge.findings import Finding
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
