"""The rule index (data) that `rules`, `--skip`, SARIF and docs/rules.md read equals the registries."""

from __future__ import annotations

from clusterforge import ruleindex
from clusterforge.policies import RULES, pulumi_policies
from clusterforge.policies.registry import severity_of
from clusterforge.report.rules import live_index
from clusterforge.validate import RULES as VALIDATION_RULES


def test_the_index_file_equals_the_registries() -> None:
    assert ruleindex.INDEX_FILE.read_text(encoding="utf-8") == ruleindex.document(live_index()), (
        f"the rule index is stale: run {ruleindex.REGENERATE}"
    )


def test_the_index_holds_what_the_policy_pack_registers() -> None:
    # What Pulumi's PolicyPack is handed (policies/__main__.py): names, levels, texts.
    indexed = {r.id: r for r in ruleindex.rules() if r.registry == "policies"}
    served = pulumi_policies()
    assert list(indexed) == [p.name for p in served]
    for policy in served:
        entry = indexed[policy.name]
        assert entry.title == policy.display_name
        assert entry.description == policy.description
        assert entry.help == policy.remediation_steps
        assert entry.severity == severity_of(policy.enforcement_level)
        assert entry.area == RULES[policy.name].area


def test_the_index_holds_every_validation_rule() -> None:
    indexed = {r.id: r for r in ruleindex.rules() if r.registry == "validation"}
    assert sorted(indexed) == sorted(VALIDATION_RULES)
    for rule in VALIDATION_RULES.values():
        assert (indexed[rule.id].severity, indexed[rule.id].clouds) == (rule.severity, rule.clouds)
    assert ruleindex.registered_ids() == {*VALIDATION_RULES, *RULES}
    # Report-level findings are documented (SARIF descriptors) but are not --skip ids.
    assert {"SPEC001", "SPEC002", "DIFF001"} <= {r.id for r in ruleindex.rules()}
    assert "SPEC001" not in ruleindex.registered_ids()
