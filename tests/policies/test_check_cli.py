"""`clusterforge check` as a new user runs it: a compliant example passes; a stack with a public EKS
endpoint, an unprotected file system and a pool over budget fails with exactly those three findings;
SARIF validates against the SARIF 2.1.0 schema; a saved plan works; a bad config file exits 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from clusterforge.cli.main import cli
from clusterforge.policies import RULES
from clusterforge.validate import RULES as VALIDATION_RULES

from helpers import EXAMPLES, ROOT

SHARED_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
VENDORED_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"

RISKY = """\
name: risky
cloud: aws
region: us-east-1
zone: us-east-1a
kubernetes:
  endpoint_public_access: true
tags: {team: ml}
node_pools:
  - {name: system, instance_type: m7i.2xlarge, nodes: 2}
  - name: h100
    instance_type: p5.48xlarge
    nodes: 4
storage:
  - name: scratch
    type: lustre
    capacity_gib: 2400
    throughput_mbps_per_tib: 250
    mount_path: /scratch
    protect: false
"""
BUDGET = {"CF-GOV-001": {"maxHourlyUsd": 100}}
#: The spec rules that see the public endpoint and the unprotected file system (errors, as the
#: policies are) stop the plan; skipped, the policies find the same problems in the planned resources.
SKIP = ("--skip", "K8S002", "--skip", "STO004")
EXPECTED = [
    ("CF-AWS-001", "kubernetes.public_access_cidrs", 5),
    ("CF-DATA-001", "storage[0].protect", 19),
    ("CF-GOV-001", "node_pools[1].nodes", 12),
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def risky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "risky.yaml").write_text(RISKY)
    (tmp_path / "policy-config.json").write_text(json.dumps(BUDGET))
    return Path("risky.yaml"), Path("policy-config.json")


def findings(document: dict[str, Any]) -> list[tuple[str, str, int]]:
    return sorted(
        (f["rule"], f["path"], int(f["location"].rsplit(":", 1)[1])) for f in document["findings"]
    )


def test_a_compliant_example_passes() -> None:
    code, out, err = run("check", str(EXAMPLES / "aws-h100-training.py"))
    assert code == 0, out + err
    assert "No findings." in out


def test_three_clear_findings_and_exit_1(risky: tuple[Path, Path]) -> None:
    stack, config = risky
    code, out, err = run("check", str(stack), "--config", str(config), "--format", "json", *SKIP)
    assert code == 1, err
    assert findings(json.loads(out)) == EXPECTED
    code, text, _ = run("check", str(stack), "--config", str(config), *SKIP)
    assert code == 1 and "Traceback" not in text
    assert text.startswith(f"check risky (aws, us-east-1): {len(RULES)} policies over ")
    for rule, path, line in EXPECTED:
        assert f"{rule} {path}  (risky.yaml:{line})" in text
    assert "3 errors, 0 warnings" in text and "over the budget of $100.00/hour" in text
    assert "Node pools" not in text and "aws:eks/cluster:Cluster" not in text  # no plan


def test_check_reports_validation_findings_once_and_at_fail_on(risky: tuple[Path, Path]) -> None:
    stack, _ = risky
    code, out, _ = run("check", str(stack), "--format", "json")
    got = {(f["rule"], f["severity"]) for f in json.loads(out)["findings"]}
    assert code == 1 and got == {("K8S002", "error"), ("STO004", "error")}
    code, out, _ = run("check", str(stack), "--format", "json", "--fail-on", "info")
    assert {"ADD003", "EFA006"} <= {f["rule"] for f in json.loads(out)["findings"]}
    code, text, _ = run("check", str(stack), "--verbose", *SKIP)
    assert code == 1 and "Node pools" in text


def sarif_schema() -> dict[str, Any]:
    path = SHARED_SCHEMA if SHARED_SCHEMA.is_file() else VENDORED_SCHEMA
    return json.loads(path.read_text())


def test_sarif_is_valid_and_points_at_the_stack_lines(risky: tuple[Path, Path]) -> None:
    stack, config = risky
    code, out, _ = run("check", str(stack), "--config", str(config), "--format", "sarif", *SKIP)
    assert code == 1
    log = json.loads(out)
    jsonschema.validate(log, sarif_schema())
    (sarif_run,) = log["runs"]
    rules = [r["id"] for r in sarif_run["tool"]["driver"]["rules"]]
    # every registered rule, plus the loader's and diff's findings (SPEC001, SPEC002, DIFF001)
    assert set(rules) == set(RULES) | set(VALIDATION_RULES) | {"SPEC001", "SPEC002", "DIFF001"}
    assert len(rules) == len(set(rules))
    results = sorted(
        (
            r["ruleId"],
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in sarif_run["results"]
    )
    assert results == EXPECTED
    for result in sarif_run["results"]:
        assert result["level"] == "error" and rules[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "risky.yaml"
        assert result["locations"][0]["logicalLocations"][1]["fullyQualifiedName"].startswith(
            "urn:pulumi:dev::risky::"
        )
    budget = next(r for r in sarif_run["tool"]["driver"]["rules"] if r["id"] == "CF-GOV-001")
    assert budget["help"]["text"] and budget["defaultConfiguration"]["level"] == "error"


def test_the_vendored_schema_is_the_shared_one() -> None:
    if SHARED_SCHEMA.is_file():
        assert json.loads(VENDORED_SCHEMA.read_text()) == json.loads(SHARED_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(json.loads(VENDORED_SCHEMA.read_text()))


def test_a_saved_plan_is_checked_like_the_stack(risky: tuple[Path, Path]) -> None:
    stack, config = risky
    assert (
        run("plan", str(stack), "--format", "json", "--out", "plan.json", *SKIP)[0] == 1
    )  # plan also fails on policy errors
    code, out, _ = run("check", "plan.json", "--config", str(config), "--format", "json", *SKIP)
    assert code == 1 and findings(json.loads(out)) == EXPECTED
    stack.unlink()  # without its stack file the plan is still checked; findings name the resources
    code, out, _ = run("check", "plan.json", "--config", str(config), "--format", "sarif", *SKIP)
    assert code == 1
    log = json.loads(out)
    jsonschema.validate(log, sarif_schema())
    results = log["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == [rule for rule, _, _ in EXPECTED]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "plan.json"
    }
    code, markdown, _ = run("check", "plan.json", "--format", "markdown", *SKIP)
    assert code == 1 and markdown.startswith("## clusterforge check: `risky` (plan.json)")


def test_markdown_is_a_pr_comment_with_rule_ids_and_resources(risky: tuple[Path, Path]) -> None:
    stack, config = risky
    code, out, _ = run("check", str(stack), "--config", str(config), "--format", "markdown", *SKIP)
    assert code == 1 and out.startswith("## clusterforge check: `risky` (aws, us-east-1)")
    assert "| `kubernetes.public_access_cidrs` (risky.yaml:5)<br/>resource `risky-cp-eks` |" in out


def test_plan_shows_policy_findings_next_to_validation_findings(risky: tuple[Path, Path]) -> None:
    stack, _ = risky
    code, out, _ = run("plan", str(stack), "--format", "json")
    rules = {f["rule"]: f for f in json.loads(out)["findings"]}
    # The spec rules see the problems first (errors, as the policies are) and stop the plan.
    assert code == 1 and {"K8S002", "STO004"} <= set(rules) and "CF-AWS-001" not in rules
    code, out, _ = run("plan", str(stack), "--format", "json", *SKIP)
    rules = {f["rule"]: f for f in json.loads(out)["findings"]}
    assert code == 1 and {"CF-AWS-001", "CF-DATA-001"} <= set(rules)
    assert rules["CF-AWS-001"]["source"] == "policy"
    skip_all = (*SKIP, "--skip", "CF-AWS-001", "--skip", "CF-DATA-001")
    assert run("plan", str(stack), *skip_all)[0] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "policy config policy.json: no such file"),
        ('{"all": }', "policy config policy.json:1:9: invalid JSON"),
        (
            '{"CF-GOV-01": {"maxHourlyUsd": 5}}',
            "unknown policy 'CF-GOV-01' (did you mean 'CF-GOV-001'?)",
        ),
        (
            '{"CF-GOV-001": {"maxHourlyUsd": "five"}}',
            "CF-GOV-001.maxHourlyUsd: 'five' is not a number",
        ),
    ],
)
def test_a_bad_config_exits_2_with_one_line(
    risky: tuple[Path, Path], content: str | None, message: str
) -> None:
    stack, _ = risky
    if content is not None:
        Path("policy.json").write_text(content)
    code, out, err = run("check", str(stack), "--config", "policy.json")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


def test_a_stack_that_cannot_be_planned(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(RISKY.replace("p5.48xlarge", "p5.48xlarg"))
    code, out, _ = run("check", str(broken), "--format", "json")
    document = json.loads(out)
    assert code == 1 and "validation errors" in document["summary"]["skipped"]
    assert "POOL001" in {f["rule"] for f in document["findings"]}
    typo = tmp_path / "typo.yaml"
    typo.write_text("name: a\ncloud: aws\nnode_pools: [{name: x, instance_typ: m7i.large}]\n")
    assert run("check", str(typo))[0] == 2


def test_check_plan_json_never_runs_the_engine(
    risky: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, config = risky
    assert run("plan", str(stack), "--format", "json", "--out", "plan.json", *SKIP)[0] == 1
    _, from_stack, _ = run("check", str(stack), "--config", str(config), "--format", "json", *SKIP)

    def no_engine(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("check PLAN.json planned the stack again")

    import clusterforge.engine

    monkeypatch.setattr(clusterforge.engine, "plan_offline", no_engine)
    code, from_plan, _ = run(
        "check", "plan.json", "--config", str(config), "--format", "json", *SKIP
    )
    assert code == 1
    assert findings(json.loads(from_plan)) == findings(json.loads(from_stack)) == EXPECTED
    document = json.loads(Path("plan.json").read_text())
    template = next(r for r in document["resources"] if r["type"].endswith(":LaunchTemplate"))
    assert template["id"] and template["spec_path"] == "node_pools[1]"
    assert any(
        u.endswith("::risky-h100-pg") for u in template["property_dependencies"]["placement"]
    )


def test_sarif_carries_what_code_scanning_reads(risky: tuple[Path, Path]) -> None:
    stack, config = risky
    logs = {}
    for name in ("dev", "prod"):
        args = ("check", str(stack), "--config", str(config), "--format", "sarif", "--stack", name)
        code, out, _ = run(*args, *SKIP, "--fail-on", "info")
        logs[name] = json.loads(out)
        jsonschema.validate(logs[name], sarif_schema())
    (sarif_run,) = logs["dev"]["runs"]
    for rule in sarif_run["tool"]["driver"]["rules"]:
        properties = rule["properties"]
        assert float(properties["security-severity"]) > 0 and properties["tags"], rule["id"]
        assert rule["helpUri"] == f"docs/rules.md#{rule['id'].lower()}"
        assert rule["fullDescription"]["text"] and rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["name"] and " " not in rule["name"]
    by_id = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    assert "security" in by_id["CF-AWS-001"]["properties"]["tags"]
    assert by_id["CF-AWS-001"]["properties"]["security-severity"] == "8.0"
    assert by_id["POOL006"]["name"] == "ACPUPoolRunsTheSystemPods"  # the whole title, not cut
    results = sarif_run["results"]
    assert len(results) > len(EXPECTED)  # the info-level validation findings too
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)
    prints = [r["partialFingerprints"]["clusterforge/v2"] for r in results]
    assert len(set(prints)) == len(prints)
    assert prints == [
        r["partialFingerprints"]["clusterforge/v2"] for r in logs["prod"]["runs"][0]["results"]
    ]


def test_the_rule_reference_is_current() -> None:
    from clusterforge.report.rules import rules_markdown

    documented = (ROOT / "docs" / "rules.md").read_text()
    assert documented == rules_markdown(), (
        "run: python -m clusterforge.report.rules > docs/rules.md"
    )
    for rule_id in [*RULES, *VALIDATION_RULES]:
        assert f'<a id="{rule_id.lower()}"></a>' in documented


def test_markdown_links_rules_and_folds_long_tables(risky: tuple[Path, Path]) -> None:
    stack, config = risky
    code, out, _ = run("check", str(stack), "--config", str(config), "--format", "markdown",
                       *SKIP, "--fail-on", "info")  # fmt: skip
    assert "| ❌ | error | `CF-AWS-001` [eks-endpoint-private](docs/rules.md#cf-aws-001) |" in out
    short = run("check", str(stack), "--config", str(config), "--format", "markdown", *SKIP)[1]
    assert "<details><summary>3 findings" not in short
