"""`clusterforge new`: a stack file that validates and plans, never written over an existing file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterforge import api
from clusterforge.cli.main import cli


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--cloud", "gcp", "--project", "ml-platform-1"],
        [
            "--cloud",
            "gcp",
            "--accelerator",
            "tpu-v5p",
            "--topology",
            "2x2x4",
            "--region",
            "us-east5",
            "--zone",
            "us-east5-a",
            "--project",
            "ml-platform-1",
        ],
        [
            "--cloud",
            "aws",
            "--accelerator",
            "Trainium",
            "--per-node",
            "16",
            "--region",
            "us-west-2",
            "--zone",
            "us-west-2d",
        ],
        ["--cloud", "kubernetes", "--context", "lab"],
    ],
    ids=["aws-h100", "gcp-h100", "gcp-tpu", "aws-trainium", "existing"],
)
def test_new_stack_validates_and_plans(tmp_path: Path, args: list[str]) -> None:
    target = tmp_path / "stack.yaml"
    result = CliRunner().invoke(cli, ["new", "demo", "--out", str(target), *args])
    assert result.exit_code == 0, result.output
    assert "next: clusterforge plan" in result.stderr
    # The catalog it points at: the cloud's own; an existing cluster's pools are AWS-shaped.
    catalog = "gcp" if "gcp" in args else "aws"
    assert f"`clusterforge catalog --cloud {catalog}`" in target.read_text()
    _, report = api.plan_stack(target)
    assert not [f for f in report.findings if f.severity.value == "error"]
    assert report.graph is not None and report.graph.custom_resources


def test_new_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "stack.yaml"
    target.write_text("keep me")
    result = CliRunner().invoke(cli, ["new", "demo", "--out", str(target)])
    assert result.exit_code == 2 and "exists" in result.stderr
    assert target.read_text() == "keep me"


def test_new_quotes_what_it_writes(tmp_path: Path) -> None:
    """`--team no` is the team "no", not false (issue 10)."""
    target = tmp_path / "stack.yaml"
    result = CliRunner().invoke(cli, ["new", "demo", "--out", str(target), "--team", "no"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(target.read_text())
    assert data["tags"] == {"team": "no"} and data["namespaces"] == ["no"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--per-node", "-3"], "--per-node"),
        (["--nodes", "-1"], "--nodes"),
        (["--out", "{dir}/x.json"], "YAML stack file"),
        (["--out", "{dir}/x.txt"], "YAML stack file"),
        (["--out", "{dir}/x.py"], "YAML stack file"),
        (["--out", "{dir}/missing/x.yaml"], "does not exist"),
        (["--accelerator", "H100", "--per-node", "3"], "was not written"),
    ],
)
def test_new_refuses_bad_values_before_writing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    args = [a.replace("{dir}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "stack.yaml")]
    result = CliRunner().invoke(cli, ["new", "demo", *args])
    assert result.exit_code in (1, 2), result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("cloud", "version"), [("aws", "1.35"), ("gcp", "1.35"), ("kubernetes", "")]
)
def test_new_stack_kubernetes_version_comes_from_the_catalog(cloud: str, version: str) -> None:
    from clusterforge.catalog import load
    from clusterforge.cli.new import new_stack_kubernetes_version

    assert new_stack_kubernetes_version(cloud) == version
    if cloud == "aws":
        # the newest EKS version with a release date; 1.36 is listed but has none
        released = [v.version for v in load("aws").kubernetes_versions if v.released]
        assert version == released[-1]
    if cloud == "gcp":
        assert load("gcp").extra["gke"]["regular_default_minor"] == version


@pytest.mark.parametrize("form", ["name", "template"])
def test_new_refuses_a_cluster_name_its_helm_releases_would_not_fit(
    tmp_path: Path, form: str
) -> None:
    # 26 characters: a valid label, but <name>-addons-nvidia-device-plugin is 54 (> Helm's 53).
    name = "a" * 26
    args = (
        ["new", name, "--out", str(tmp_path / "stack.yaml")]
        if form == "name"
        else ["new", "aws-llm-training", str(tmp_path / "p"), "--set", f"name={name}"]
    )
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "ADD015 name:" in result.stderr and "shorten name to at most" in result.stderr
    assert list(tmp_path.iterdir()) == []
