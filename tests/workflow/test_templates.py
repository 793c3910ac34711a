"""`clusterforge templates` and `new TEMPLATE DIR`: every template's project validates, plans and
passes its own policy config; values are checked and quoted; nothing partial is ever left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterforge import api
from clusterforge.cli.main import cli
from clusterforge.findings import Severity
from clusterforge.policies.offline import run_policies
from clusterforge.policies.pack_config import load
from clusterforge.workflow import templates

REQUIRED = {
    "aws-llm-training", "aws-trainium", "aws-inference", "gcp-a3-mega-training",
    "gcp-a3-ultra-rdma", "gcp-tpu-training", "kserve-inference", "byo-infiniband",
}  # fmt: skip


def test_the_required_templates_exist_and_list_as_json() -> None:
    result = CliRunner().invoke(cli, ["templates", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {t["name"]: t for t in json.loads(result.stdout)}
    assert set(listed) >= REQUIRED
    for template in listed.values():
        assert template["description"] and template["variables"]
        assert all("default" in v and "help" in v for v in template["variables"])


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_template_project_validates_plans_and_checks(name: str, rendered: dict[str, Path]) -> None:
    project = rendered[name]
    files = {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}
    assert {"cluster.yaml", "Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml", "policy-config.json",
            "requirements.txt"} <= files  # fmt: skip
    assert any(f.startswith(".github/workflows/") for f in files)
    assert "run_project" in (project / "__main__.py").read_text()
    _, report = api.plan_stack(project / "cluster.yaml")
    assert not [f for f in report.findings if f.severity is Severity.ERROR], report.findings
    assert report.graph is not None and report.graph.custom_resources
    policy = run_policies(report.graph, load(project / "policy-config.json"))
    assert not [f for f in policy if f.severity is Severity.ERROR], policy


def test_values_are_quoted_yaml_scalars(tmp_path: Path) -> None:
    """`team=no` and `team=on` stay strings; a number variable stays a number."""
    template = templates.get("aws-llm-training")
    values = templates.resolve_values(template, {"team": "no", "nodes": "8", "name": "null"})
    text = templates.render_spec(template, values)
    data = yaml.safe_load(text)
    assert data["tags"] == {"team": "no"} and data["namespaces"] == ["no"]
    assert data["name"] == "null" and data["node_pools"][1]["nodes"] == 8


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("nodes=-3", "at least 1"),
        ("nodes=many", "whole number"),
        ("instance_type=p4d.24xlarge", "not one of"),
        ("team=Bad Team", "team"),
        ("region=us-east-1\nx: 1", "region"),
        ("nodez=4", "did you mean nodes"),
        ("nodes", "KEY=VALUE"),
    ],
)
def test_bad_values_are_refused_before_anything_is_written(
    tmp_path: Path, setting: str, message: str
) -> None:
    target = tmp_path / "proj"
    result = CliRunner().invoke(cli, ["new", "aws-llm-training", str(target), "--set", setting])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_stack_with_validation_errors_leaves_nothing(tmp_path: Path) -> None:
    # 1300 GiB is within the variable's range but not a valid FSx size: validation catches it.
    result = CliRunner().invoke(
        cli, ["new", "aws-llm-training", str(tmp_path / "p"), "--set", "storage_gib=1300"]
    )
    assert result.exit_code == 1 and "nothing was written" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_non_empty_directory_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "proj"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "cluster.yaml").write_text("old")
    refused = CliRunner().invoke(cli, ["new", "aws-trainium", str(target)])
    assert refused.exit_code == 2 and "not empty" in refused.stderr
    assert (target / "cluster.yaml").read_text() == "old"
    forced = CliRunner().invoke(
        cli, ["new", "aws-trainium", str(target), "--force", "--set", "ci=gitlab"]
    )
    assert forced.exit_code == 0, forced.output
    assert (target / "notes.txt").read_text() == "mine"
    assert "trn" in (target / "cluster.yaml").read_text() and (target / ".gitlab-ci.yml").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]  # no staging directory left


def test_unknown_template_and_mixed_forms() -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli, ["new", "aws-llm-trainin", "x"])
    assert unknown.exit_code == 2 and "did you mean aws-llm-training" in unknown.stderr
    mixed = runner.invoke(cli, ["new", "aws-llm-training", "x", "--cloud", "gcp"])
    assert mixed.exit_code == 2 and "--cloud" in mixed.stderr and "--set" in mixed.stderr
    no_dir = runner.invoke(cli, ["new", "aws-llm-training"])
    assert no_dir.exit_code == 2 and "needs a DIR" in no_dir.stderr


@pytest.mark.parametrize(
    ("name", "variable"),
    [("aws-llm-training", "nodes"), ("aws-inference", "max_nodes")],
)
def test_a_range_end_the_subnet_cannot_hold_is_refused_with_the_ip_numbers(
    tmp_path: Path, name: str, variable: str
) -> None:
    # The range bounds the value alone; the IP space of the zone depends on the instance type,
    # size and network chosen with it, which validation of the rendered stack knows.
    declared = templates.get(name).variable(variable)
    assert declared is not None and declared.maximum is not None
    maximum = declared.maximum
    target = tmp_path / "p"
    result = CliRunner().invoke(cli, ["new", name, str(target), "--set", f"{variable}={maximum}"])
    assert result.exit_code == 1 and "nothing was written" in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: AWS007 network.cidr: the private subnet ") and "usable" in first
    assert list(tmp_path.iterdir()) == []
    listing = CliRunner().invoke(cli, ["templates"]).stdout
    assert f"--set {variable}=" in listing and "validated before anything is written" in listing
