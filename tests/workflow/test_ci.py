"""Generated pipelines: valid for GitHub Actions (actionlint and the SchemaStore schema) and GitLab
CI (its schema), pinned to recorded commits, with the four paths the team relies on; Pulumi
Kubernetes Operator objects valid against the operator's Stack CRD."""

from __future__ import annotations

import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from clusterforge.cli.main import cli
from clusterforge.workflow import ci

from tests.workflow.support import actionlint, load_yaml, schema_errors, vendored_schema

DATA = Path(__file__).resolve().parent.parent / "data"
COMMIT = re.compile(r"^[0-9a-f]{40}$")


def github_files(rendered: dict[str, Path]) -> list[Path]:
    return sorted(
        p for project in rendered.values() for p in (project / ".github/workflows").glob("*.yml")
    )


def test_every_template_workflow_passes_actionlint_and_the_schema(
    rendered: dict[str, Path],
) -> None:
    files = github_files(rendered)
    assert len(files) == len(rendered)
    result = actionlint(files)
    assert result.returncode == 0, result.stdout + result.stderr
    schema = vendored_schema("github-workflows")
    for path in files:
        assert schema_errors(schema, load_yaml(path)) == [], path


def test_a_broken_workflow_is_caught_by_both_checks(
    tmp_path: Path, rendered: dict[str, Path]
) -> None:
    """The checks above can fail: a misspelt key and an unknown expression context."""
    workflow = load_yaml(github_files(rendered)[0])
    assert isinstance(workflow, dict)
    workflow["jobs"]["review"]["runs_on"] = workflow["jobs"]["review"].pop("runs-on")
    workflow["jobs"]["up"]["if"] = "github.event_name == 'push' && secret.X != ''"
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(workflow, sort_keys=False))
    assert actionlint([broken]).returncode != 0
    assert schema_errors(vendored_schema("github-workflows"), workflow)


def test_workflow_paths_guard_and_concurrency(rendered: dict[str, Path]) -> None:
    workflow = load_yaml(github_files({"a": rendered["aws-llm-training"]})[0])
    assert isinstance(workflow, dict)
    jobs = workflow["jobs"]
    runs = {name: "\n".join(s.get("run", "") for s in job["steps"]) for name, job in jobs.items()}
    assert "clusterforge plan" in runs["review"] and "--format sarif" in runs["review"]
    assert 'clusterforge diff "git-ref:origin/$BASE_REF:cluster.yaml" plan.json' in runs["review"]
    assert "gh pr comment" in runs["review"]
    assert "clusterforge preview" in runs["preview"]
    assert "clusterforge up 'cluster.yaml' --stack dev --yes" in runs["up"]
    # clusterforge comes from where the repository says, never from the bare name on PyPI
    for job in jobs.values():
        install = next(s for s in job["steps"] if s.get("name") == "Install clusterforge")
        assert install["env"] == {"CLUSTERFORGE_PACKAGE": "${{ vars.CLUSTERFORGE_PACKAGE }}"}
        assert 'pip install "$CLUSTERFORGE_PACKAGE"' in install["run"]
    requirements = (rendered["aws-llm-training"] / "requirements.txt").read_text()
    assert not [line for line in requirements.splitlines() if line and not line.startswith("#")]
    # the engine gets the PR's policy config too, not only the offline check
    for job in ("review", "preview", "up"):
        assert "policy-config.json" in runs[job], job
    assert "--allow-data-loss" not in json.dumps(workflow)
    assert "--preview-only --expect-no-changes" in runs["drift"]
    groups = {jobs[j]["concurrency"]["group"] for j in ("preview", "up", "drift")}
    assert groups == {"clusterforge-llm-train-dev"}
    assert all(
        jobs[j]["concurrency"]["cancel-in-progress"] is False for j in ("preview", "up", "drift")
    )
    assert (
        "vars.AWS_ROLE_ARN" in jobs["up"]["if"] and jobs["up"]["permissions"]["id-token"] == "write"
    )
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}


def test_every_action_is_pinned_to_a_recorded_commit(rendered: dict[str, Path]) -> None:
    pins = ci.action_pins()
    used = set()
    for path in github_files(rendered):
        for action, ref in re.findall(r"uses: ([\w./-]+)@(\S+)", path.read_text()):
            assert COMMIT.match(ref) and pins[action]["commit"] == ref, (path, action, ref)
            used.add(action)
    assert used == set(pins)  # every recorded pin is used (AWS and GCP logins across templates)


@pytest.mark.parametrize("cloud", ["aws", "gcp", "kubernetes"])
def test_gitlab_pipeline_passes_the_schema(cloud: str) -> None:
    [text] = ci.pipeline_files("gitlab", "cluster.yaml", name="demo", stack="prod", cloud=cloud,
                               region="us-east-1", workdir="infra/demo", policy_config="policy-config.json").values()  # fmt: skip
    pipeline = yaml.safe_load(text)
    assert schema_errors(vendored_schema("gitlab-ci"), pipeline) == []
    assert {pipeline[j]["resource_group"] for j in ("preview", "up", "drift")} == {
        "clusterforge-demo-prod"
    }
    assert "--allow-data-loss" not in text and "--preview-only --expect-no-changes" in text
    broken = {**pipeline, "up": {**pipeline["up"], "when": "sometimes"}}
    assert schema_errors(vendored_schema("gitlab-ci"), broken)


def test_both_pipelines_write_an_existing_clusters_kubeconfig_for_its_owner_only() -> None:
    """GitHub and GitLab write the kubeconfig secret with one line, mode 600 (GitLab's had no
    chmod: the cluster's credentials were left readable by the runner's other users)."""
    files = {
        kind: yaml.safe_load(text)
        for kind in ("github", "gitlab")
        for text in ci.pipeline_files(
            kind, "cluster.yaml", name="demo", stack="prod", cloud="kubernetes"
        ).values()  # fmt: skip
    }
    github_runs = {
        step["run"]
        for job in files["github"]["jobs"].values()
        for step in job["steps"]
        if step.get("name") == "kubeconfig"
    }
    gitlab_runs = {line for line in files["gitlab"]["up"]["before_script"] if ".kube" in line}
    assert (
        github_runs
        == gitlab_runs
        == {
            'mkdir -p ~/.kube && printf "%s" "$KUBECONFIG_DATA" > ~/.kube/config'
            " && chmod 600 ~/.kube/config"
        }
    )


def test_ci_command_writes_into_the_repository_and_never_replaces(tmp_path: Path) -> None:
    stack_dir = tmp_path / "stacks" / "train"
    stack_dir.mkdir(parents=True)
    spec = stack_dir / "cluster.yaml"
    spec.write_text(
        (Path(__file__).resolve().parents[2] / "examples/aws-trainium.yaml").read_text()
    )
    runner = CliRunner()
    result = runner.invoke(
        cli, ["ci", "github", str(spec), "--root", str(tmp_path), "--stack", "prod"]
    )
    assert result.exit_code == 0, result.output
    [workflow_file] = (tmp_path / ".github/workflows").glob("*.yml")
    workflow = load_yaml(workflow_file)
    assert isinstance(workflow, dict)
    assert workflow["defaults"]["run"]["working-directory"] == "stacks/train"
    upload = next(
        s for s in workflow["jobs"]["review"]["steps"] if "upload-sarif" in s.get("uses", "")
    )
    assert upload["with"]["sarif_file"] == "stacks/train/clusterforge.sarif"
    assert actionlint([workflow_file]).returncode == 0
    before = workflow_file.read_text()
    again = runner.invoke(
        cli, ["ci", "github", str(spec), "--root", str(tmp_path), "--stack", "prod"]
    )
    assert (
        again.exit_code == 2 and "--force" in again.stderr and workflow_file.read_text() == before
    )


def test_operator_objects_match_the_crd(tmp_path: Path) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_text(
        (Path(__file__).resolve().parents[2] / "examples/aws-trainium.yaml").read_text()
    )
    result = CliRunner().invoke(cli, ["ci", "operator", str(spec), "--root", str(tmp_path),
                                      "--repo", "https://github.com/org/infra"])  # fmt: skip
    assert result.exit_code == 0, result.output
    [manifest] = (tmp_path / "deploy/pulumi-operator").glob("*.yaml")
    objects = list(yaml.safe_load_all(manifest.read_text()))
    schema = json.loads((DATA / "pulumi-operator/stack-v1.schema.json").read_text())
    [stack] = [o for o in objects if o["kind"] == "Stack"]
    assert schema_errors(schema, stack) == []
    assert stack["spec"]["destroyOnFinalize"] is False and "repoDir" not in stack["spec"]
    assert schema_errors(schema, {**stack, "spec": {**stack["spec"], "refresh": "yes"}})
    for other in objects:
        if other["kind"] != "Stack":
            kubernetes_validate.validate(other, "1.33.0", strict=True)
    missing = CliRunner().invoke(cli, ["ci", "operator", str(spec), "--root", str(tmp_path / "x")])
    assert missing.exit_code == 2


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_the_jobs_install_requirements_txt_only_when_the_stack_has_one(
    tmp_path: Path, kind: str
) -> None:
    stack_dir = tmp_path / "infra"
    stack_dir.mkdir()
    spec = stack_dir / "cluster.yaml"
    spec.write_text(
        (Path(__file__).resolve().parents[2] / "examples/aws-trainium.yaml").read_text()
    )
    args = ["ci", kind, str(spec), "--root", str(tmp_path), "--force"]

    def installs() -> set[str]:
        [written] = [p for p in tmp_path.rglob("*.yml") if p.is_file()]
        text = written.read_text()
        return {line.strip() for line in text.splitlines() if "pip install" in line}

    bare = CliRunner().invoke(cli, args)
    assert bare.exit_code == 0, bare.output
    assert installs() == {'python -m pip install "$CLUSTERFORGE_PACKAGE"'}
    assert f"note: {stack_dir} has no requirements.txt" in bare.stderr
    (stack_dir / "requirements.txt").write_text("boto3\n")
    pinned = CliRunner().invoke(cli, args)
    assert pinned.exit_code == 0, pinned.output
    assert installs() == {'python -m pip install "$CLUSTERFORGE_PACKAGE" -r requirements.txt'}
    assert "note:" not in pinned.stderr
