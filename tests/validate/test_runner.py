"""The rule registry and runner (validate/registry.py), and the completeness of the rule tables."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator

import pytest

from clusterforge.catalog.resolve import resolve
from clusterforge.findings import Finding, Severity
from clusterforge.validate import RULES, validate, validate_resolved
from clusterforge.validate.registry import Context, rule

from tests.validate.support import CRASH_PATH, Case, cluster_from, describe, run

#: Rule module (clusterforge/validate/rules/<name>.py) -> the test module holding its table.
TABLES = {
    "cluster": "tests.validate.test_cluster_rules",
    "pools": "tests.validate.test_pool_rules",
    "capacity": "tests.validate.test_capacity_rules",
    "efa": "tests.validate.test_efa_rules",
    "storage": "tests.validate.test_storage_rules",
    "gcp": "tests.validate.test_gcp_rules",
    "gke_ipspace": "tests.validate.test_gke_ipspace",
    "tpu": "tests.validate.test_tpu_rules",
    "addons": "tests.validate.test_addon_rules",
    "portability": "tests.validate.test_portability_rules",
    "aws": "tests.validate.test_aws_rules",
    "lifecycle": "tests.validate.test_lifecycle_rules",
}

#: One problem for each of five rules, in different parts of the spec.
FIVE_PROBLEMS = {
    "name": "Bad_Name",
    "network": {"cidr": "10.0.0.0/8"},
    "kubernetes": {"version": "1.27"},
    "node_pools": {0: {"nodes": 3, "max_nodes": 2}},
    "storage": {0: {"capacity_gib": 3000}},
}


def test_baseline_has_no_errors_and_one_warning() -> None:
    findings = run()
    # The one warning: p5.48xlarge's efa-only on card 0 leaves the VPC CNI 49 pod addresses for
    # 100 max pods (AWS010; the baseline keeps the CNI's defaults).
    assert [(f.rule, f.path) for f in findings if f.severity is not Severity.INFO] == [
        ("AWS010", "node_pools[1].fabric")
    ], describe(findings)
    # The only remarks: the EFA layout of p5.48xlarge and the add-ons the pools and storage need.
    assert [(f.rule, f.path) for f in findings if f.rule not in ("ADD003", "ADD010", "AWS010")] == [
        ("EFA006", "node_pools[1].fabric")
    ]
    assert sorted(f.message.split(" ")[1] for f in findings if f.rule == "ADD003") == [
        "efa-device-plugin",
        "fsx-csi-driver",
        "nvidia-device-plugin",
    ]


def _cases() -> Iterator[tuple[str, Case]]:
    for rule_module, test_module in TABLES.items():
        for param in importlib.import_module(test_module).CASES:
            yield rule_module, param.values[0]


def test_every_rule_has_a_good_and_a_bad_case() -> None:
    good = {case.rule_id for _, case in _cases() if case.expected is None}
    bad = {case.rule_id for _, case in _cases() if case.expected is not None}
    assert sorted(set(RULES) - good) == []
    assert sorted(set(RULES) - bad) == []


def test_each_table_holds_the_rules_of_its_module() -> None:
    misplaced = [
        (case.rule_id, rule_module)
        for rule_module, case in _cases()
        if RULES[case.rule_id].check.__module__ != f"clusterforge.validate.rules.{rule_module}"
    ]
    assert misplaced == []


# ------------------------------------------------------------------ the runner


CheckFunction = Callable[[Context], Iterable[Finding]]


@pytest.fixture
def register() -> Iterator[Callable[..., None]]:
    """Register rules for one test; remove them from RULES afterwards."""
    added: list[str] = []

    def add(rule_id: str, check: CheckFunction, clouds: tuple[str, ...] = ("aws",)) -> None:
        rule(rule_id, f"test rule {rule_id}", clouds=clouds)(check)
        added.append(rule_id)

    try:
        yield add
    finally:
        for rule_id in added:
            RULES.pop(rule_id, None)


def test_crashing_rule_becomes_an_error_finding(register: Callable[..., None]) -> None:
    def crashes(ctx: Context) -> Iterator[Finding]:
        raise RuntimeError("boom")

    register("TEST901", crashes)
    findings = run()
    crashed = [f for f in findings if f.rule == "TEST901"]
    assert len(crashed) == 1
    assert crashed[0].severity is Severity.ERROR
    assert crashed[0].path == CRASH_PATH
    assert crashed[0].message == "rule TEST901 crashed: RuntimeError: boom"
    assert "--skip" in crashed[0].hint
    # The other rules still ran.
    assert any(f.rule == "EFA006" for f in findings)


def test_temporary_rules_are_gone_afterwards() -> None:
    assert [rule_id for rule_id in RULES if rule_id.startswith("TEST")] == []


def test_crash_late_in_a_generator_is_caught(register: Callable[..., None]) -> None:
    def crashes_late(ctx: Context) -> Iterator[Finding]:
        yield ctx.finding("name", "first")
        raise KeyError("late")

    register("TEST902", crashes_late)
    # A crashed rule's partial results are dropped: only the crash is reported.
    assert [(f.severity, f.path, f.message) for f in run() if f.rule == "TEST902"] == [
        (Severity.ERROR, CRASH_PATH, "rule TEST902 crashed: KeyError: 'late'")
    ]


def test_rule_returning_nothing_iterable_is_a_crash(register: Callable[..., None]) -> None:
    register("TEST903", lambda ctx: None)
    (finding,) = [f for f in run() if f.rule == "TEST903"]
    assert finding.message.startswith("rule TEST903 crashed: TypeError")


def test_rule_for_another_cloud_does_not_run(register: Callable[..., None]) -> None:
    register("TEST904", lambda ctx: [ctx.finding("name", "ran")], clouds=("gcp",))
    assert [f for f in run() if f.rule == "TEST904"] == []
    assert [f.message for f in run({"cloud": "gcp"}) if f.rule == "TEST904"] == ["ran"]


def test_rule_id_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="POOL001 registered twice"):
        rule("POOL001", "again")(lambda ctx: iter(()))


def test_skip_skips_a_rule_case_insensitively() -> None:
    typo = {"node_pools": {1: {"instance_type": "p5.48xlarg"}}}
    assert {"POOL001", "EFA006"} & {f.rule for f in run(typo)} == {"POOL001"}
    _, findings = validate(cluster_from(typo), skip=["pool001", "EFA006"])
    assert {f.rule for f in findings} & {"POOL001", "EFA006"} == set()


def test_skip_through_validate_resolved() -> None:
    resolved = resolve(cluster_from())
    rules = ["ADD003", "ADD010", "AWS010", "EFA006"]
    assert sorted({f.rule for f in validate_resolved(resolved)}) == rules
    assert validate_resolved(resolved, skip=tuple(rules)) == []


def test_all_findings_are_collected() -> None:
    findings = run(FIVE_PROBLEMS)
    errors = {f.rule for f in findings if f.severity is Severity.ERROR}
    assert errors == {"NAME001", "NET001", "K8S001", "POOL004", "FSX001"}, describe(findings)


@pytest.mark.parametrize("cloud", ["gcp", "kubernetes"])
def test_no_rule_crashes_without_a_catalog(cloud: str) -> None:
    # Only AWS has catalog data: rules must cope with `ctx.catalog is None`.
    findings = run({"cloud": cloud})
    assert [f for f in findings if f.path == CRASH_PATH] == []
    aws_only = {rule_id for rule_id, registered in RULES.items() if cloud not in registered.clouds}
    assert {f.rule for f in findings} & aws_only == set()
