"""`clusterforge verify` as a user runs it: --render, bad input, and a run against the stand-in
Kubernetes API (tests/verify/standin_kube_api.py) with its exit codes and formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from verify.standin_kube_api import StandinKubeApi

from clusterforge.cli.main import cli

from helpers import EXAMPLES

AWS = str(EXAMPLES / "aws-h100-training.py")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_render_writes_a_job_per_multi_node_pool(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("verify", AWS, "--stack", "dev", "--render", str(out))
    assert result.exit_code == 0, result.output
    assert "32 EFA" in result.output and "443.72 GB/s published" in result.output
    docs = list(yaml.safe_load_all((out / "cfv-h100.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["JobSet"]  # never a Secret with keys in a file
    readme = (out / "README.md").read_text()
    assert "kubectl create secret generic cfv-h100-ssh" in readme
    assert "awsome-distributed-training" in readme
    # a re-render replaces what it wrote and keeps the user's files
    (out / "notes.txt").write_text("mine")
    assert invoke("verify", AWS, "--render", str(out)).exit_code == 0
    assert (out / "notes.txt").read_text() == "mine"


def test_render_refuses_a_directory_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "keep.yaml").write_text("a: 1\n")
    result = CliRunner().invoke(cli, ["verify", AWS, "--render", str(tmp_path)])
    assert result.exit_code == 2
    assert "holds files clusterforge did not write" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.yaml"]


def test_unknown_pool_and_bad_kubeconfig_are_one_line_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["verify", AWS, "--pool", "nope", "--render", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and "no pool named nope" in result.output
    assert not (tmp_path / "x").exists()
    bad = tmp_path / "kc"
    bad.write_text("not: [a kubeconfig")
    result = CliRunner().invoke(cli, ["verify", AWS, "--kubeconfig", str(bad)])
    assert result.exit_code == 2 and "cannot use the kubeconfig" in result.output
    assert "Traceback" not in result.output


def test_run_against_the_cluster_json_and_exit_codes(tmp_path: Path) -> None:
    with StandinKubeApi() as api:
        api.cluster.add_nodes([f"n{i}" for i in range(4)], {"clusterforge.io/pool": "h100"})
        kubeconfig = str(api.kubeconfig(tmp_path))
        result = invoke(
            "verify", AWS, "--kubeconfig", kubeconfig, "--format", "json", "--timeout", "60"
        )
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        [pool] = report["pools"]
        assert pool["status"] == "pass" and pool["nodes"] == ["n0", "n1", "n2", "n3"]
        assert pool["expected"]["floor_gb_per_s"] == 399.35
        # a slow node: exit 1, the node named, Markdown for CI
        api.cluster.bandwidth["n1"] = 100
        result = invoke("verify", AWS, "--kubeconfig", kubeconfig, "--format", "markdown")
        assert result.exit_code == 1
        assert "**Slow nodes**: `n1` (h100)" in result.stdout
        assert not api.cluster.jobsets and not api.cluster.secrets


# ------------------------------------------------------------------------------ which cluster


def test_kubeconfig_comes_from_the_deployed_stacks_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stack's `kubeconfig` output, read through the Automation API from the stand-in Pulumi
    CLI (tests/engine/standin_pulumi.py, not Pulumi), reaches the cluster; no default kubeconfig."""
    from clusterforge.engine import target
    from clusterforge.verify import access, runner

    from tests.engine.standin_pulumi import deployed, install

    with StandinKubeApi() as api:
        text = api.kubeconfig(tmp_path).read_text()
        outputs = {"kubeconfig": {"value": text, "secret": True}}
        directory = install(
            tmp_path / "bin", {"plan": [], "outputs": outputs, "version": "3.200.0"}
        )
        monkeypatch.setenv("PATH", f"{directory}:/usr/bin:/bin")
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
        monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
        monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
        monkeypatch.setattr(target, "policy_pack_dir", lambda: None)
        resolved = planned_resolved()
        # not deployed yet: the default kubeconfig, and the command that fetches the stack's
        found = access.cluster_access(AWS, resolved, stack_name="dev")
        assert found.config is None and "could not be read" in (found.note or "")
        assert "aws eks update-kubeconfig --name llm-train --region us-east-1" in (found.note or "")
        config = {"clusterforge:cloud": "aws", "aws:region": "us-east-1"}
        deployed(tmp_path / ".clusterforge" / "state", "llm-train", "dev", [], outputs, config)
        found = access.cluster_access(AWS, resolved, stack_name="dev")
        assert found.note is None and found.source == "the kubeconfig output of stack dev"
        client = runner.connect(None, None, config_dict=found.config, source=found.source)
        assert runner.Runner(client).check_server()  # the stand-in API answered


def planned_resolved():
    from clusterforge import api

    _, report = api.validate_stack(AWS)
    assert report.resolved is not None
    return report.resolved


def test_without_outputs_the_default_kubeconfig_is_used_with_the_credentials_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no Pulumi CLI: the outputs cannot be read
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    result = CliRunner().invoke(cli, ["verify", AWS, "--stack", "dev"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "cannot use the default kubeconfig" in error
    command = "aws eks update-kubeconfig --name llm-train --region us-east-1"
    assert command in result.stderr and "Pulumi CLI is needed" in result.stderr
