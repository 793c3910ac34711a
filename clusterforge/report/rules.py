"""Every rule clusterforge reports — validation rules and policies — as one documented catalogue.

SARIF (``tool.driver.rules``), the Markdown PR comment and ``docs/rules.md`` read the same
:class:`RuleDoc` per id, so a rule's title, severity, tags, description, help and link are
written once. The docs come from the rule index (:mod:`clusterforge.ruleindex`, data), which
:func:`live_index` builds from the registries: ``python -m clusterforge.report.rules >
docs/rules.md`` rewrites the index and prints the page; tests keep both current. Each rule has an anchor (``cf-aws-001``, ``k8s002``) that ``help_uri``
points at: relative to the repository (``docs/rules.md#cf-aws-001``) unless
``CLUSTERFORGE_RULES_URL`` names where the page is published (code scanning wants an absolute
URL, for example the page's URL on your Git host).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from clusterforge import generated, ruleindex
from clusterforge.findings import Severity
from clusterforge.ruleindex import IndexedRule

DOCS_PATH = "docs/rules.md"
#: GitHub code scanning ranks security alerts by this score (>= 9 critical, 7-8.9 high,
#: 4-6.9 medium, < 4 low) when the rule is tagged "security".
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}
#: Policy areas and validation rules that are about security or data safety.
SECURITY_AREAS = ("security (AWS)", "security (GKE)", "data safety")
SECURITY_VALIDATION = ("K8S002", "STO004")


@dataclass(frozen=True)
class RuleDoc:
    id: str
    #: A readable name (the policy's kebab-case title; a validation rule's full title as CamelCase).
    name: str
    title: str
    severity: Severity
    kind: str  # validation | policy
    area: str
    description: str
    help: str

    @property
    def anchor(self) -> str:
        return self.id.lower()

    @property
    def tags(self) -> list[str]:
        security = self.area in SECURITY_AREAS or self.id in SECURITY_VALIDATION
        return [*(["security"] if security else []), self.kind, self.area]

    @property
    def security_severity(self) -> str:
        return SECURITY_SEVERITY[self.severity]

    def help_uri(self) -> str:
        base = os.environ.get("CLUSTERFORGE_RULES_URL") or DOCS_PATH
        return f"{base}#{self.anchor}"


def _camel(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title).split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def rule_docs() -> list[RuleDoc]:
    """Every documented rule, from the rule index: report-level findings, validation rules (by
    id), then policies (in pack order). Imports neither the rules nor the policy SDK."""
    return [
        RuleDoc(r.id, r.name, r.title, r.severity, r.kind, r.area, r.doc, r.help)
        for r in ruleindex.rules()
    ]


def live_index() -> list[IndexedRule]:
    """The rule index as the registries hold it now (imports every rule and the policy SDK)."""
    from clusterforge.policies import RULES as POLICIES
    from clusterforge.validate import RULES as VALIDATION

    def report_level(
        rule_id: str, name: str, title: str, area: str, doc: str, fix: str
    ) -> IndexedRule:
        return IndexedRule(
            rule_id, "validation", "report", name, title, Severity.ERROR, area, (), doc, doc, fix
        )

    index = [
        # Findings the loader and `diff` emit outside the rule registries: documented here so
        # every SARIF ruleId has its descriptor and every finding its anchor.
        report_level(
            "SPEC001", "StackSchema", "The stack file matches the schema", "stack validation",
            "Unknown keys, wrong types, values out of range and missing required fields, each at "
            "its spec path and file:line (`clusterforge schema` prints the JSON Schema).",
            "Fix the key or value the finding names; an unknown key lists the nearest valid ones.",
        ),
        report_level(
            "SPEC002", "PythonStackRuns", "A Python stack runs to a `cluster`", "stack validation",
            "A Python stack that raises, exits, or runs past its time limit "
            "(CLUSTERFORGE_STACK_TIMEOUT, default 60 s) is reported at the line that failed.",
            "Fix the error at the line named; stacks define a module-level `cluster = Cluster(...)`.",
        ),
        report_level(
            "DIFF001", "DataLossInDiff", "A change deletes or replaces storage", "pull-request review",
            "`clusterforge diff` predicts that a change deletes or replaces a resource that holds "
            "data (file systems, their S3 associations, volumes, buckets, KMS keys) from the "
            "providers' replace-on-change properties; the same rule as the `up` data-loss guard.",
            "Keep the property that forces the replacement, or move the data first and run `up` "
            "with --allow-data-loss on purpose.",
        ),
    ]  # fmt: skip
    for rule in sorted(VALIDATION.values(), key=lambda r: r.id):
        explained = rule.description or " ".join((rule.check.__doc__ or "").split())
        doc = f"{rule.title}." + (f" {explained}" if explained else "")
        index.append(
            IndexedRule(
                rule.id, "validation", "validation", _camel(rule.title), rule.title, rule.severity,
                "stack validation", tuple(rule.clouds), rule.description, doc,
                "Each finding names the spec path, the stack file line and the fix for its case; "
                f"`--skip {rule.id}` leaves the rule out.",
            )
        )  # fmt: skip
    for policy in POLICIES.values():
        same = (
            f" The spec rule {', '.join(policy.same_as)} reports the same problem."
            if policy.same_as
            else ""
        )
        index.append(
            IndexedRule(
                policy.id, "policy", "policies", policy.title, policy.title, policy.severity,
                policy.area, (), policy.description, policy.description + same, policy.remediation,
            )
        )  # fmt: skip
    return index


def rules_markdown() -> str:
    """``docs/rules.md``: every rule with its anchor, severity, tags, description and fix."""
    out = [
        "# clusterforge rules",
        "",
        "Generated by `python -m clusterforge.report.rules > docs/rules.md`; do not edit by hand.",
        "Validation rules check the stack file (`validate`, `plan`, `check`); policies check the",
        "planned resources (`plan`, `check`, and the Pulumi engine in `preview` / `up`).",
        "",
    ]
    for doc in rule_docs():
        out += [
            f'<a id="{doc.anchor}"></a>',
            f"## {doc.id} — {doc.title}",
            "",
            f"*{doc.kind}, {doc.area}; default severity **{doc.severity.value}**; tags: "
            f"{', '.join(doc.tags)}*",
            "",
            doc.description,
            "",
            f"**Fix:** {doc.help}",
            "",
        ]
    return "\n".join(out)


def main() -> None:
    """Rewrite the rule index from the registries, then print ``docs/rules.md`` from it."""
    if generated.write_if_changed(ruleindex.INDEX_FILE, ruleindex.document(live_index())):
        ruleindex.rules.cache_clear()
    sys.stdout.write(rules_markdown())


if __name__ == "__main__":
    main()
