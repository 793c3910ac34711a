"""CI pipelines for a stack project: GitHub Actions and GitLab CI, written by `clusterforge ci`
and by every template.

One pipeline per stack, four paths:

* pull / merge request: offline ``validate``, ``plan``, ``check`` (SARIF to GitHub code scanning)
  and a ``diff`` against the base branch posted as a comment — no credentials needed;
* the same request, when cloud credentials are configured (OIDC for AWS and Google Cloud): a real
  ``preview`` with the policy pack attached;
* a merge to the default branch: ``up --yes`` — the data-loss guard stays on (no
  ``--allow-data-loss``), so a change that would replace a file system stops there;
* a schedule: the drift check ``refresh --preview-only --expect-no-changes``.

Everything that touches the stack's state shares one concurrency group (GitHub) / resource group
(GitLab) per stack. Actions are pinned to commits recorded with their tags in
``catalog/data/common/ci_actions.json``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import yaml

from clusterforge.clouds import profile, region_of

PYTHON = "3.12"
GITHUB_WORKFLOW_DIR = ".github/workflows"
GITLAB_FILE = ".gitlab-ci.yml"
SARIF = "clusterforge.sarif"
#: 06:17 UTC daily: off the hour, when GitHub's scheduler is least loaded.
DRIFT_CRON = "17 6 * * *"
STATE_ENV = {
    "PULUMI_BACKEND_URL": "${{ vars.PULUMI_BACKEND_URL }}",
    "PULUMI_CONFIG_PASSPHRASE": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
}


@cache
def action_pins() -> dict[str, dict[str, str]]:
    path = resources.files("clusterforge.catalog").joinpath("data/common/ci_actions.json")
    return dict(json.loads(path.read_text(encoding="utf-8"))["actions"])


def uses(action: str) -> str:
    """``owner/repo@<commit>`` for ``action`` (the tag goes in the step name)."""
    return f"{action}@{action_pins()[action]['commit']}"


def _step(action: str, name: str, **with_: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"name": f"{name} ({action} {action_pins()[action]['tag']})",
                            "uses": uses(action)}  # fmt: skip
    if with_:
        step["with"] = with_
    return step


def _quote(path: str) -> str:
    return "'" + path.replace("'", "'\\''") + "'"


#: The project's own pins beside the stack file (`clusterforge new` writes one): every job installs
#: them with clusterforge when the stack's directory has the file.
REQUIREMENTS = "requirements.txt"


def install_script(requirements: bool) -> str:
    """The install step of every job: clusterforge from the place the repository names (a
    variable: an internal index's `clusterforge==X`, a wheel URL or `git+https://...`), then the
    stack directory's requirements.txt when it has one (``requirements``)."""
    return (
        'test -n "$CLUSTERFORGE_PACKAGE" || { echo "set the CI variable CLUSTERFORGE_PACKAGE to '
        "your clusterforge package (an internal index's clusterforge==X, a wheel URL or a "
        'git+https URL)"; exit 1; }\n'
        'python -m pip install "$CLUSTERFORGE_PACKAGE"'
        + (f" -r {REQUIREMENTS}" if requirements else "")
    )


def _github_setup(
    workdir: str, *, requirements: bool, history: bool = False
) -> list[dict[str, Any]]:
    checkout = (
        _step("actions/checkout", "Check out", **{"fetch-depth": 0})
        if history
        else _step("actions/checkout", "Check out")
    )
    return [
        checkout,
        _step("actions/setup-python", "Set up Python", **{"python-version": PYTHON}),
        {
            "name": "Install clusterforge",
            # clusterforge is not on PyPI: installing the bare name could fetch somebody else's
            # package into a job that holds cloud credentials. The repository says where it is.
            "env": {"CLUSTERFORGE_PACKAGE": "${{ vars.CLUSTERFORGE_PACKAGE }}"},
            "run": install_script(requirements),
        },
    ]


def github_workflow(
    spec: str,
    *,
    name: str,
    stack: str,
    cloud: str,
    region: str | None = None,
    workdir: str = ".",
    policy_config: str | None = None,
    branch: str = "main",
    requirements: bool = True,
) -> dict[str, Any]:
    """The GitHub Actions workflow for the stack file ``spec`` (relative to ``workdir``, itself
    relative to the repository root); ``requirements``: whether ``workdir`` has a
    requirements.txt for the jobs to install."""
    group = f"clusterforge-{name}-{stack}"
    in_dir = "" if workdir in ("", ".") else workdir.rstrip("/") + "/"
    config = f" --config {_quote(policy_config)}" if policy_config else ""
    # The engine gets the same policy config as the offline check (preview/up --policy-config).
    engine_config = f" --policy-config {_quote(policy_config)}" if policy_config else ""
    # The job condition that says credentials are configured, and the login steps: the cloud's.
    deploy_if, login = profile(cloud).hook("github_login")(region_of(cloud, region), _step)
    pulumi_cli = _step("pulumi/actions", "Install the Pulumi CLI")
    review_steps = [
        *_github_setup(workdir, requirements=requirements, history=True),
        {"name": "Validate", "run": f"clusterforge validate {_quote(spec)}"},
        {"name": "Plan (offline)",
         "run": f"clusterforge plan {_quote(spec)} --stack {stack} --format json --out plan.json"},
        {"name": "Policy check (SARIF)", "id": "check",
         "run": f"clusterforge check plan.json{config} --stack {stack} --format sarif --out {SARIF}"},
        {**_step("github/codeql-action/upload-sarif", "Upload to code scanning",
                 sarif_file=f"{in_dir}{SARIF}", category=f"clusterforge-{stack}"),
         "if": "always() && steps.check.outcome != 'skipped'"},
        {"name": "Diff against the base branch",
         "env": {"BASE_REF": "${{ github.base_ref }}"},
         "run": (
             f'if git cat-file -e "origin/$BASE_REF:./{spec}" 2>/dev/null; then\n'
             f'  status=0\n'
             f'  clusterforge diff "git-ref:origin/$BASE_REF:{spec}" plan.json --format markdown --out diff.md || status=$?\n'
             f'else\n'
             f'  status=0\n'
             f'  printf "## clusterforge diff\\n\\nA new stack: %s is not on %s.\\n" {_quote(spec)} "$BASE_REF" > diff.md\n'
             f'fi\n'
             f'echo "status=$status" >> "$GITHUB_OUTPUT"'
         ), "id": "diff"},
        {"name": "Comment the diff on the pull request",
         "if": "github.event.pull_request.head.repo.full_name == github.repository",
         "env": {"GH_TOKEN": "${{ github.token }}", "PR": "${{ github.event.pull_request.number }}"},
         "run": 'gh pr comment "$PR" --body-file diff.md --edit-last --create-if-none'},
        {"name": "Fail on data loss or new errors", "if": "steps.diff.outputs.status != '0'",
         "env": {"STATUS": "${{ steps.diff.outputs.status }}"},
         "run": 'echo "::error::clusterforge diff exited $STATUS: 1 means the change deletes or replaces storage that holds data (DIFF001) or brings a new error finding, 2 that a side cannot be read or does not plan (see the diff comment)"; exit 1'},
    ]  # fmt: skip
    deploy_setup = [*_github_setup(workdir, requirements=requirements), pulumi_cli, *login]
    jobs: dict[str, Any] = {
        "review": {
            "name": "validate, plan, check, diff (offline)",
            "if": "github.event_name == 'pull_request'",
            "runs-on": "ubuntu-latest",
            "permissions": {"contents": "read", "security-events": "write", "pull-requests": "write"},
            "steps": review_steps,
        },
        "preview": {
            "name": "preview with the policy pack",
            "if": f"github.event_name == 'pull_request' && {deploy_if} && vars.PULUMI_BACKEND_URL != ''",
            "runs-on": "ubuntu-latest",
            "permissions": {"contents": "read", "id-token": "write"},
            "concurrency": {"group": group, "cancel-in-progress": False},
            "env": STATE_ENV,
            "steps": [*deploy_setup, {"name": "Preview", "run": f"clusterforge preview {_quote(spec)} --stack {stack}{engine_config}"}],
        },
        "up": {
            "name": "up (data-loss guard on)",
            "if": f"github.event_name == 'push' && github.ref == 'refs/heads/{branch}' && {deploy_if} && vars.PULUMI_BACKEND_URL != ''",
            "runs-on": "ubuntu-latest",
            "permissions": {"contents": "read", "id-token": "write"},
            "concurrency": {"group": group, "cancel-in-progress": False},
            "environment": stack,
            "env": STATE_ENV,
            "steps": [*deploy_setup, {"name": "Up", "run": f"clusterforge up {_quote(spec)} --stack {stack} --yes{engine_config}"}],
        },
        "drift": {
            "name": "drift check",
            "if": f"(github.event_name == 'schedule' || github.event_name == 'workflow_dispatch') && {deploy_if} && vars.PULUMI_BACKEND_URL != ''",
            "runs-on": "ubuntu-latest",
            "permissions": {"contents": "read", "id-token": "write"},
            "concurrency": {"group": group, "cancel-in-progress": False},
            "env": STATE_ENV,
            "steps": [*deploy_setup, {"name": "Refresh (preview only)",
                                      "run": f"clusterforge refresh {_quote(spec)} --stack {stack} --preview-only --expect-no-changes"}],
        },
    }  # fmt: skip
    workflow: dict[str, Any] = {
        "name": f"clusterforge {group.removeprefix('clusterforge-')}",
        "on": {
            "pull_request": {"branches": [branch]},
            "push": {"branches": [branch]},
            "schedule": [{"cron": DRIFT_CRON}],
            "workflow_dispatch": {},
        },
        "permissions": {"contents": "read"},
    }
    if in_dir:
        workflow["defaults"] = {"run": {"working-directory": workdir}}
    workflow["jobs"] = jobs
    return workflow


def gitlab_pipeline(
    spec: str,
    *,
    name: str,
    stack: str,
    cloud: str,
    workdir: str = ".",
    policy_config: str | None = None,
    requirements: bool = True,
) -> dict[str, Any]:
    """The GitLab CI pipeline for the stack file ``spec`` (``requirements``: as for
    :func:`github_workflow`)."""
    group = f"clusterforge-{name}-{stack}"
    cd = [] if workdir in ("", ".") else [f"cd {_quote(workdir)}"]
    config = f" --config {_quote(policy_config)}" if policy_config else ""
    # The engine gets the same policy config as the offline check (preview/up --policy-config).
    engine_config = f" --policy-config {_quote(policy_config)}" if policy_config else ""
    install = [*cd, install_script(requirements)]
    mr = '$CI_PIPELINE_SOURCE == "merge_request_event"'
    creds, login, id_tokens = profile(cloud).hook("gitlab_login")()
    pulumi = 'curl -fsSL https://get.pulumi.com | sh && export PATH="$HOME/.pulumi/bin:$PATH"'
    deploy_base: dict[str, Any] = {"image": f"python:{PYTHON}", "resource_group": group,
                                   "before_script": [*install, pulumi, *login]}  # fmt: skip
    if id_tokens:
        deploy_base["id_tokens"] = id_tokens
    creds_rule = f"{creds} && $PULUMI_BACKEND_URL"
    return {
        "stages": ["review", "preview", "deploy", "drift"],
        "review": {
            "stage": "review",
            "image": f"python:{PYTHON}",
            "rules": [{"if": mr}],
            "before_script": install,
            "script": [
                f"clusterforge validate {_quote(spec)}",
                f"clusterforge plan {_quote(spec)} --stack {stack} --format json --out plan.json",
                # Findings and data loss fail the job after the SARIF and the diff are written.
                "status=0",
                f"clusterforge check plan.json{config} --stack {stack} --format sarif --out {SARIF} || status=1",
                'git fetch origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"',
                f'if git cat-file -e "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME:./{spec}"; then '
                f'clusterforge diff "git-ref:origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME:{spec}" plan.json --format markdown --out diff.md || status=1; fi',
                'exit "$status"',
            ],
            "after_script": [
                *cd,
                # A project access token in CLUSTERFORGE_GITLAB_TOKEN (api scope) lets the job comment.
                'if [ -n "$CLUSTERFORGE_GITLAB_TOKEN" ] && [ -f diff.md ]; then '
                'python -c \'import json,sys; print(json.dumps({"body": open("diff.md").read()}))\' > note.json && '
                'curl -fsS -X POST -H "PRIVATE-TOKEN: $CLUSTERFORGE_GITLAB_TOKEN" -H "Content-Type: application/json" '
                '--data @note.json "$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"; fi',
            ],
            "artifacts": {"when": "always", "paths": [f"{workdir.rstrip('/')}/{n}" for n in ("plan.json", SARIF, "diff.md")]},
        },
        "preview": {**deploy_base, "stage": "preview", "rules": [{"if": f"{mr} && {creds_rule}"}],
                    "script": [f"clusterforge preview {_quote(spec)} --stack {stack}{engine_config}"]},
        "up": {**deploy_base, "stage": "deploy", "environment": {"name": stack},
               "rules": [{"if": f'$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && {creds_rule}'}],
               "script": [f"clusterforge up {_quote(spec)} --stack {stack} --yes{engine_config}"]},
        "drift": {**deploy_base, "stage": "drift", "rules": [{"if": f'$CI_PIPELINE_SOURCE == "schedule" && {creds_rule}'}],
                  "script": [f"clusterforge refresh {_quote(spec)} --stack {stack} --preview-only --expect-no-changes"]},
    }  # fmt: skip


class _Dumper(yaml.SafeDumper):
    """Plain YAML for people: no anchors for repeated steps, shell scripts as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def dump(document: dict[str, Any], header: str) -> str:
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True)
    return header + body


def pipeline_files(
    kind: str,
    spec: str,
    *,
    name: str,
    stack: str,
    cloud: str,
    region: str | None = None,
    workdir: str = ".",
    policy_config: str | None = None,
    requirements: bool = True,
) -> dict[str, str]:
    """Relative path (from the repository root) → text of the pipeline ``kind`` (github, gitlab);
    ``requirements``: whether the jobs install ``workdir``'s requirements.txt."""
    header = (
        f"# clusterforge pipeline for {spec} (stack {stack}), written by `clusterforge ci {kind}`.\n"
        "# Deploy jobs run when the repository variables below are set; see docs/workflow.md.\n"
    )
    if kind == "github":
        header += (
            "#   vars.PULUMI_BACKEND_URL, secrets.PULUMI_CONFIG_PASSPHRASE, and "
            + {"aws": "vars.AWS_ROLE_ARN", "gcp": "vars.GCP_WORKLOAD_IDENTITY_PROVIDER + vars.GCP_SERVICE_ACCOUNT"}.get(
                cloud, "vars.CLUSTERFORGE_DEPLOY=true + secrets.KUBECONFIG")
            + "\n"
        )  # fmt: skip
        workflow = github_workflow(spec, name=name, stack=stack, cloud=cloud, region=region, workdir=workdir,
                                   policy_config=policy_config, requirements=requirements)  # fmt: skip
        return {f"{GITHUB_WORKFLOW_DIR}/clusterforge-{name}-{stack}.yml": dump(workflow, header)}
    if kind == "gitlab":
        header += (
            "#   PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE (masked), and "
            + {"aws": "AWS_ROLE_ARN", "gcp": "GCP_WORKLOAD_IDENTITY_PROVIDER + GCP_SERVICE_ACCOUNT"}.get(
                cloud, "KUBECONFIG_DATA (file-type variable content)")
            + "\n"
        )  # fmt: skip
        pipeline = gitlab_pipeline(spec, name=name, stack=stack, cloud=cloud, workdir=workdir,
                                   policy_config=policy_config, requirements=requirements)  # fmt: skip
        return {GITLAB_FILE: dump(pipeline, header)}
    raise ValueError(f"unknown CI kind {kind!r}")
