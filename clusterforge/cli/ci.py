"""`clusterforge ci github|gitlab|operator STACK`: write the stack's GitOps pipeline."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from clusterforge.cli.common import emit, handle_errors, stack_name_callback
from clusterforge.errors import UsageError


def _repository_root(directory: Path) -> Path:
    """The git work tree holding ``directory``, else ``directory`` itself."""
    try:
        found = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=directory,
                               capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return directory
    return (
        Path(found.stdout.strip()) if found.returncode == 0 and found.stdout.strip() else directory
    )


@click.command()
@click.argument("kind", type=click.Choice(["github", "gitlab", "operator"]))
@click.argument(
    "stack_file", metavar="STACK", default="cluster.yaml", type=click.Path(path_type=Path)
)
@click.option("--stack", "stack_name", default="dev", show_default=True,
              callback=stack_name_callback, help="Pulumi stack name.")  # fmt: skip
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Repository root to write into [default: the git work tree of STACK].",
)
@click.option(
    "--policy-config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Policy config for `check` [default: policy-config.json next to STACK, if any].",
)
@click.option("--repo", help="operator: the git URL of the repository the operator clones.")
@click.option(
    "--branch", default="main", show_default=True, help="Default branch (deploys from it)."
)
@click.option(
    "--namespace",
    default="pulumi-operator",
    show_default=True,
    help="operator: namespace of the Stack.",
)
@click.option("--force", is_flag=True, help="Replace pipeline files that exist.")
@handle_errors
def ci(kind: str, stack_file: Path, stack_name: str, root: Path | None, policy_config: Path | None,
       repo: str | None, branch: str, namespace: str, force: bool) -> None:  # fmt: skip
    """Write the CI pipeline (github, gitlab) or the Pulumi Kubernetes Operator objects for STACK.

    \b
    Pull request: offline validate, plan, check (SARIF) and a diff comment; with cloud
    credentials (OIDC), a real preview. Merge: up --yes with the data-loss guard. Schedule:
    refresh --preview-only --expect-no-changes. See docs/workflow.md.
    """
    import yaml

    from clusterforge.spec.loader import load_stack
    from clusterforge.workflow import ci as pipelines
    from clusterforge.workflow.operator import operator_objects

    loaded = load_stack(stack_file)
    if loaded.cluster is None:
        raise UsageError(f"{stack_file} does not load", hint=f"clusterforge validate {stack_file}")
    cluster = loaded.cluster
    stack_dir = stack_file.absolute().parent
    root = (root or _repository_root(stack_dir)).absolute()
    try:
        workdir = stack_dir.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(
            f"{stack_file} is not inside {root}", hint="--root is the repository holding STACK"
        ) from None
    if policy_config is None and (stack_dir / "policy-config.json").is_file():
        policy_config = stack_dir / "policy-config.json"
    config_name = None
    if policy_config is not None:
        config_name = (
            Path(policy_config).absolute().relative_to(stack_dir).as_posix()
            if Path(policy_config).absolute().is_relative_to(stack_dir)
            else str(Path(policy_config).absolute())
        )
    # The project layout (docs/workflow.md): requirements.txt, when there is one, beside STACK.
    requirements = (stack_dir / pipelines.REQUIREMENTS).is_file()
    if kind == "operator":
        if not repo:
            raise UsageError(
                "ci operator needs --repo",
                hint="the git URL the operator clones, e.g. https://github.com/org/infra",
            )
        objects = operator_objects(
            name=cluster.name,
            stack=stack_name,
            repo=repo,
            branch=branch,
            repo_dir=workdir,
            namespace=namespace,
        )
        files = {
            f"deploy/pulumi-operator/{cluster.name}-{stack_name}.yaml": "# Pulumi Kubernetes Operator objects, written by `clusterforge ci operator`.\n"
            + yaml.safe_dump_all(objects, sort_keys=False)
        }
    else:
        files = pipelines.pipeline_files(
            kind,
            stack_file.name,
            name=cluster.name,
            stack=stack_name,
            cloud=cluster.cloud,
            region=cluster.region,
            workdir=workdir or ".",
            policy_config=config_name,
            requirements=requirements,
        )
    existing = [name for name in files if (root / name).exists()]
    if existing and not force:
        raise UsageError(
            f"{', '.join(str(root / n) for n in existing)} exists",
            hint="pass --force to replace it",
        )
    for name, text in files.items():
        # The pipeline's own folders (.github/workflows, deploy/...) inside the repository root
        # are part of what `ci` writes; the root itself must exist (checked above).
        try:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"cannot create {(root / name).parent}: {exc.strerror or exc}"
            ) from None
        emit(text, root / name)
    if kind != "operator":
        click.echo(
            f"every job installs $CLUSTERFORGE_PACKAGE and {stack_dir / pipelines.REQUIREMENTS}"
            if requirements
            else f"note: {stack_dir} has no {pipelines.REQUIREMENTS}: every job installs only "
            f"$CLUSTERFORGE_PACKAGE (add one there and rerun with --force for more packages)",
            err=True,
        )
