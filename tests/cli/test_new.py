"""`clusterforge new`: a stack file that validates and plans, never written over an existing file."""

from __future__ import annotations

from pathlib import Path

import pytest
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
    _, report = api.plan_stack(target)
    assert not [f for f in report.findings if f.severity.value == "error"]
    assert report.graph is not None and report.graph.custom_resources


def test_new_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "stack.yaml"
    target.write_text("keep me")
    result = CliRunner().invoke(cli, ["new", "demo", "--out", str(target)])
    assert result.exit_code == 2 and "exists" in result.stderr
    assert target.read_text() == "keep me"
