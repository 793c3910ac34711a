"""`clusterforge diff`: resource changes by URN, replacement from the provider's replace-on-change
properties, data loss as an error (the `up` guard's rule), capacity and cost deltas, mermaid."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clusterforge import api
from clusterforge.cli.main import cli
from clusterforge.engine import guard
from clusterforge.report.model import plan_document
from clusterforge.workflow import diff

FSX = "aws:fsx/lustreFileSystem:LustreFileSystem"


@pytest.fixture(scope="module")
def plans(rendered: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The aws-llm-training project planned at 4 nodes and at 8 nodes (two offline plans)."""
    project = tmp_path_factory.mktemp("diff")
    spec = (rendered["aws-llm-training"] / "cluster.yaml").read_text()
    out: dict[str, Path] = {}
    for label, text in (("four", spec), ("eight", spec.replace("nodes: 4\n", "nodes: 8\n"))):
        stack = project / f"{label}.yaml"
        stack.write_text(text)
        _, report = api.plan_stack(stack)
        assert report.graph is not None
        out[label] = project / f"{label}.json"
        out[label].write_text(json.dumps(plan_document(report)))
    out["spec"] = project / "eight.yaml"
    return out


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["diff", *args])


def edited(path: Path, tmp_path: Path, change: Any) -> Path:
    document = json.loads(path.read_text())
    change(document)
    target = tmp_path / "edited.json"
    target.write_text(json.dumps(document))
    return target


def fsx(document: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in document["resources"] if r["type"] == FSX)


def test_scaling_out_shows_cost_capacity_and_the_new_topology(plans: dict[str, Path]) -> None:
    result = run(str(plans["four"]), str(plans["eight"]), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    old, new = json.loads(plans["four"].read_text()), json.loads(plans["eight"].read_text())
    assert data["hourly_usd_delta"] == pytest.approx(
        new["cost"]["hourly_usd"] - old["cost"]["hourly_usd"], abs=1e-3
    )
    assert data["monthly_usd_delta"] == pytest.approx(
        new["cost"]["monthly_usd"] - old["cost"]["monthly_usd"], abs=1e-2
    )
    assert data["hourly_usd_delta"] > 0
    assert data["totals"]["accelerators"]["H100"] == {"old": 32, "new": 64}
    assert data["totals"]["fabric_gbps"] == {"old": 12800.0, "new": 25600.0}
    [node_group] = [
        r
        for r in data["resources"]
        if r["type"] == "aws:eks/nodeGroup:NodeGroup" and r["action"] == "update"
    ]
    assert node_group["changed_inputs"]["scalingConfig.desiredSize"] == {"old": 4, "new": 8}
    assert data["findings"]["data_loss"] == [] and data["summary"]["replace"] == 0
    markdown = run(str(plans["four"]), str(plans["eight"]), "--format", "markdown").stdout
    assert "```mermaid" in markdown and "8 x p5.48xlarge" in markdown and "efa x32" in markdown
    assert "| per hour |" in markdown and "+$" in markdown and "FSx for Lustre" in markdown


def test_changing_the_fsx_deployment_type_is_data_loss(
    plans: dict[str, Path], tmp_path: Path
) -> None:
    changed = edited(
        plans["eight"], tmp_path, lambda d: fsx(d)["inputs"].update(deploymentType="PERSISTENT_1")
    )
    result = run(str(plans["eight"]), str(changed), "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    [replaced] = [r for r in data["resources"] if r["action"] == "replace"]
    assert replaced["type"] == FSX and replaced["replace_because"] == ["deploymentType"]
    [loss] = data["findings"]["data_loss"]
    assert (
        loss["rule"] == "DIFF001" and loss["severity"] == "error" and "protected" in loss["message"]
    )
    text = run(str(plans["eight"]), str(changed)).stdout
    assert "± replace" in text and "DIFF001" in text


@pytest.mark.parametrize(
    ("old", "new", "replaced"),
    [
        ({"deploymentType": "PERSISTENT_2"}, {"deploymentType": "PERSISTENT_2"}, []),
        ({"deploymentType": "PERSISTENT_2"}, {"deploymentType": "SCRATCH_2"}, ["deploymentType"]),
        ({"storageCapacity": 2400, "deploymentType": "PERSISTENT_2"}, {"storageCapacity": 4800, "deploymentType": "PERSISTENT_2"}, []),
        ({"storageCapacity": 4800, "deploymentType": "PERSISTENT_2"}, {"storageCapacity": 2400, "deploymentType": "PERSISTENT_2"}, ["storageCapacity"]),
        ({"storageCapacity": 1200, "deploymentType": "SCRATCH_1"}, {"storageCapacity": 2400, "deploymentType": "SCRATCH_1"}, ["storageCapacity"]),
        ({"tags": {"a": "1"}}, {"tags": {"a": "2"}}, []),
        ({"subnetIds": ["subnet-1"]}, {"subnetIds": ["subnet-2"]}, ["subnetIds"]),
        # Throughput changes in place; a Lustre upgrade is in place, a downgrade replaces.
        ({"perUnitStorageThroughput": 250}, {"perUnitStorageThroughput": 500}, []),
        ({"fileSystemTypeVersion": "2.12"}, {"fileSystemTypeVersion": "2.15"}, []),
        ({"fileSystemTypeVersion": "2.15"}, {"fileSystemTypeVersion": "2.12"}, ["fileSystemTypeVersion"]),
        ({"fileSystemTypeVersion": "2.15"}, {"fileSystemTypeVersion": "2.15"}, []),
        # EFA is set at creation only (turning it off or on is a new file system).
        ({"efaEnabled": True, "deploymentType": "PERSISTENT_2"}, {"deploymentType": "PERSISTENT_2"}, ["efaEnabled"]),
        ({"deploymentType": "PERSISTENT_2"}, {"efaEnabled": True, "deploymentType": "PERSISTENT_2"}, ["efaEnabled"]),
    ],
)  # fmt: skip
def test_replacing_properties_of_fsx(
    old: dict[str, Any], new: dict[str, Any], replaced: list[str]
) -> None:
    assert diff.replacing_properties(FSX, old, new) == replaced


def test_every_rule_type_is_one_the_guard_knows_holds_data() -> None:
    """The replace-on-change table covers stateful types only, each with a source."""
    for type_token, rules in diff.replace_rules().items():
        assert guard.is_stateful(type_token) and rules["source"]


def test_removing_stateless_is_fine_and_removing_storage_is_not(
    plans: dict[str, Path], tmp_path: Path
) -> None:
    def drop(kind: str) -> Any:
        return lambda d: d.update(resources=[r for r in d["resources"] if kind not in r["type"]])

    no_queue = edited(plans["eight"], tmp_path, drop("kueue.x-k8s.io:LocalQueue"))
    assert run(str(plans["eight"]), str(no_queue)).exit_code == 0
    no_fsx = edited(plans["eight"], tmp_path, drop("fsx/"))
    result = run(str(plans["eight"]), str(no_fsx), "--format", "json")
    assert result.exit_code == 1
    losses = json.loads(result.stdout)["findings"]["data_loss"]
    assert {loss["message"].split()[0] for loss in losses} == {"deletes"} and len(losses) == 2


def test_secret_inputs_are_masked(plans: dict[str, Path], tmp_path: Path) -> None:
    def plant(value: str) -> Any:
        return lambda d: fsx(d)["inputs"].update(adminPassword=value)

    before, after = edited(plans["eight"], tmp_path, plant("hunter2-old")), tmp_path / "after.json"
    after.write_text(edited(plans["eight"], tmp_path, plant("hunter2-new")).read_text())
    before.rename(tmp_path / "before.json")
    output = run(str(tmp_path / "before.json"), str(after), "--format", "json").stdout
    assert "hunter2" not in output


def test_git_ref_side(plans: dict[str, Path], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cluster.yaml").write_text(plans["spec"].read_text())
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "cluster.yaml"], check=True)
    subprocess.run([*git, "commit", "-qm", "stack"], check=True)
    side = diff.load_side(f"git-ref:HEAD:{repo / 'cluster.yaml'}")
    assert side.document["stack_file"].startswith("HEAD:")
    result = diff.diff(side, diff.load_side(str(plans["eight"])))
    assert result.changes == [] and result.hourly_usd_delta == 0 and not result.errors


@pytest.mark.parametrize(
    ("side", "message"),
    [
        ("missing.json", "no such file"),
        ("git-ref:HEAD", "expected git-ref:REF:PATH"),
        ("git-ref:--output=x:cluster.yaml", "does not start with '-'"),
        ("git-ref:no-such-ref:{dir}/cluster.yaml", "git-ref:no-such-ref"),
    ],
)
def test_bad_sides_are_one_error_line(
    plans: dict[str, Path], tmp_path: Path, side: str, message: str
) -> None:
    (tmp_path / "cluster.yaml").write_text("name: x\n")
    result = run(side.replace("{dir}", str(tmp_path)), str(plans["eight"]))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_malformed_plan_json(plans: dict[str, Path], tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"version": 99, "resources": []}))
    assert run(str(wrong), str(plans["eight"])).exit_code == 2
    odd = copy.deepcopy(json.loads(plans["eight"].read_text()))
    odd["resources"] = [*odd["resources"][:3], "x", {"urn": 5}]
    odd["summary"]["node_pools"] = ["x"]
    (tmp_path / "odd.json").write_text(json.dumps(odd))
    result = run(str(plans["eight"]), str(tmp_path / "odd.json"))
    # the plan document's shape is checked when it is read: one error naming the field
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "resources[3]" in result.output


def test_out_never_replaces_a_side(plans: dict[str, Path]) -> None:
    before = plans["eight"].read_text()
    result = run(str(plans["four"]), str(plans["eight"]), "--out", str(plans["eight"]))
    assert result.exit_code == 2 and "is the input file" in result.output
    assert plans["eight"].read_text() == before


def test_a_side_that_does_not_plan_is_an_error_not_an_empty_plan(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    result = run(str(bad), str(bad))
    assert result.exit_code == 2 and "does not plan" in result.output
    assert "SPEC001" in result.output and "0 to replace" not in result.output


@pytest.mark.parametrize(("severity", "exit_code"), [("warning", 0), ("error", 1)])
def test_exit_code_of_a_new_finding(
    plans: dict[str, Path], tmp_path: Path, severity: str, exit_code: int
) -> None:
    """The documented contract: 1 for a new error finding, a new warning alone is 0."""
    finding = {"rule": "NET002", "severity": severity, "path": "network.vpc_cidr",
               "message": "planted", "hint": ""}  # fmt: skip
    new = edited(plans["eight"], tmp_path, lambda d: d["findings"].append(finding))
    result = run(str(plans["eight"]), str(new))
    assert result.exit_code == exit_code, result.output
    assert "planted" in result.output


def test_diff_help_states_the_exit_codes() -> None:
    text = " ".join(run("--help").output.split())
    assert EXIT_CONTRACT in text


#: The one wording README.md, docs/workflow.md and `diff --help` share (tests below check each).
EXIT_CONTRACT = (
    "Exit 0 when the change loses no data and brings no new error finding; 1 when it deletes or "
    "replaces storage that holds data (DIFF001) or brings a new error finding; 2 when a side "
    "cannot be read or does not plan."
)


@pytest.mark.parametrize("doc", ["README.md", "docs/workflow.md"])
def test_docs_state_the_same_exit_codes(doc: str) -> None:
    root = Path(__file__).resolve().parents[2]
    assert EXIT_CONTRACT in " ".join((root / doc).read_text().split())


def test_out_replaces_its_own_diff_and_refuses_another_file(
    plans: dict[str, Path], tmp_path: Path
) -> None:
    """The safe-write rule of every --out: its own output is replaced, another file needs --force."""
    sides = (str(plans["four"]), str(plans["eight"]))
    comment = tmp_path / "diff.md"
    assert run(*sides, "--format", "markdown", "--out", str(comment)).exit_code == 0
    assert run(*sides, "--format", "markdown", "--out", str(comment)).exit_code == 0
    notes = tmp_path / "notes.md"
    notes.write_text("# my notes\n")
    result = run(*sides, "--out", str(notes))
    assert result.exit_code == 2 and "was not written by clusterforge" in result.output
    assert notes.read_text() == "# my notes\n"
    assert run(*sides, "--out", str(notes), "--force").exit_code == 0
