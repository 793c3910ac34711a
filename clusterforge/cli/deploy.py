"""`clusterforge preview|up|destroy|refresh|outputs`: the stack through the real Pulumi engine.

Exit codes: 0 done (or nothing to do); 1 the stack has validation errors, or the engine's answer
is a refusal — data loss without --allow-data-loss, drift with --expect-no-changes, mandatory
policy violations, or "no" at the prompt; 2 bad input (including up/destroy without a terminal
and without --yes); 3 the engine failed (no `pulumi` CLI, credentials, a locked or unknown stack).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from clusterforge import api
from clusterforge.cli.common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    emit,
    handle_errors,
    skip_option,
    stack_argument,
    use_color,
)
from clusterforge.clouds import cluster_clouds
from clusterforge.engine.events import Display, RunResult, render_summary
from clusterforge.engine.progress import progress_display
from clusterforge.errors import UsageError
from clusterforge.findings import Severity
from clusterforge.report import render
from clusterforge.report.checktext import render_policy_findings

#: What each refusal outcome tells the user (stderr) — all exit 1.
REFUSALS = {
    "data-loss": "refused: the update would delete or replace the stateful resources marked DATA LOSS above. "
    "Change the spec so they are kept, or pass --allow-data-loss if losing their data is intended.",
    "drift": "drift: the stack differs from what was expected (--expect-no-changes)",
    "policy": "refused: mandatory policy violations (see above)",
    "declined": "cancelled: nothing was changed",
}


def deploy_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options every deploy command shares."""
    for option in reversed(
        (
            stack_argument,
            click.option(
                "--stack", "stack_name", required=True, help="Pulumi stack name (dev, prod, ...)."
            ),
            click.option(
                "--cloud",
                type=click.Choice(cluster_clouds()),
                help="Deploy to this cloud instead of the stack file's.",
            ),
            click.option(
                "--backend",
                metavar="URL",
                help="State backend [default: $PULUMI_BACKEND_URL, else file://~/.clusterforge/state].",
            ),
            click.option(
                "--secrets-provider",
                metavar="URL",
                help="passphrase (default on self-managed backends), awskms://..., gcpkms://...",
            ),
            skip_option,
            click.option(
                "--json",
                "as_json",
                is_flag=True,
                help="Print a machine-readable summary; progress goes to stderr.",
            ),
            click.pass_context,
            handle_errors,
        )
    ):
        func = option(func)
    return func


def policy_option(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--policy-config", type=click.Path(path_type=Path), metavar="FILE",
        help="Policy levels and settings for the engine (`--policy-pack-config`); the file `check --config` reads.",
    )(func)  # fmt: skip
    return click.option(
        "--no-policy", is_flag=True, help="Do not attach the clusterforge policy pack."
    )(func)


def _options(
    *,
    stack_name: str,
    cloud: str | None,
    backend: str | None,
    secrets_provider: str | None,
    skip: tuple[str, ...],
    policy: bool = True,
    policy_config: Path | None = None,
) -> api.DeployOptions:
    return api.DeployOptions(
        stack_name, cloud, backend, secrets_provider, policy, skip, policy_config
    )


def _interactive() -> bool:
    return sys.stdin.isatty()


def _display(as_json: bool, color: bool) -> Display:
    live = (
        not as_json
        and sys.stdout.isatty()
        and os.environ.get("CI", "").lower() not in ("1", "true")
    )
    return progress_display(live=live, stream=sys.stderr if as_json else sys.stdout, color=color)


def _confirmer(yes: bool, as_json: bool, question: str) -> Callable[[RunResult], bool]:
    """Show the plan, then ask on the terminal (or accept with --yes)."""
    if not yes and not _interactive():
        raise UsageError(
            "this changes cloud resources and there is no terminal to confirm on: pass --yes"
        )

    def confirm(planned: RunResult) -> bool:
        click.echo(render_summary(planned, title="plan"), nl=False, err=as_json)
        return yes or click.confirm(question, default=False)

    return confirm


def _finish(ctx: click.Context, deployment: api.Deployment, as_json: bool, title: str) -> int:
    """Render the deployment and return the exit code."""
    if deployment.target is None:
        emit(
            render(
                deployment.report,
                "json" if as_json else "text",
                color=use_color(ctx) and not as_json,
            ),
            None,
        )
        return EXIT_INPUT if deployment.loaded.cluster is None else EXIT_FINDINGS
    if as_json:
        emit(json.dumps(deployment.to_dict(), indent=2, default=str) + "\n", None)
    elif deployment.outputs is not None:
        for key, value in deployment.outputs.items():
            click.echo(f"{key}: {value if isinstance(value, str) else json.dumps(value)}")
    if deployment.result is None:
        return EXIT_OK
    target = deployment.target
    if not as_json:
        click.echo(
            render_summary(
                deployment.result,
                title=f"{title} {target.project}/{target.stack} ({target.backend})",
            ),
            nl=False,
        )
        violations = [f for f in deployment.report.findings if f.source == "policy"]
        if violations:
            click.echo(render_policy_findings(deployment.report, violations), nl=False)
        warnings = sum(
            1
            for f in deployment.report.findings
            if f.severity == Severity.WARNING and f.source != "policy"
        )
        if warnings:
            click.echo(
                f"{warnings} validation warning(s): see `clusterforge validate {deployment.loaded.path}`",
                err=True,
            )
    refusal = REFUSALS.get(deployment.result.outcome)
    if refusal:
        click.secho(refusal, fg="red", err=True)
        return EXIT_FINDINGS
    return EXIT_OK


@click.command()
@deploy_options
@policy_option
@click.option(
    "--expect-no-changes",
    is_flag=True,
    help="Exit 1 when the preview proposes any change (drift check in CI).",
)
def preview(
    ctx: click.Context,
    stack_file: Path,
    as_json: bool,
    no_policy: bool,
    policy_config: Path | None,
    expect_no_changes: bool,
    **where: Any,
) -> None:
    """Preview what `up` would change on STACK, through the Pulumi engine (needs the pulumi CLI)."""
    options = _options(policy=not no_policy, policy_config=policy_config, **where)
    display = _display(as_json, use_color(ctx))
    deployment = api.preview_stack(
        stack_file, options, expect_no_changes=expect_no_changes, display=display
    )
    sys.exit(_finish(ctx, deployment, as_json, "preview"))


@click.command()
@deploy_options
@policy_option
@click.option("--yes", is_flag=True, help="Apply without asking (needed without a terminal).")
@click.option(
    "--allow-data-loss",
    is_flag=True,
    help="Apply even when a file system, bucket, volume or key would be deleted or replaced.",
)
def up(
    ctx: click.Context,
    stack_file: Path,
    as_json: bool,
    no_policy: bool,
    policy_config: Path | None,
    yes: bool,
    allow_data_loss: bool,
    **where: Any,
) -> None:
    """Create or update STACK's resources: preview, data-loss check, confirmation, update."""
    options = _options(policy=not no_policy, policy_config=policy_config, **where)
    confirm = _confirmer(yes, as_json, f"Apply these changes to stack {options.stack}?")
    deployment = api.up_stack(
        stack_file,
        options,
        confirm=confirm,
        allow_data_loss=allow_data_loss,
        display=_display(as_json, use_color(ctx)),
    )
    sys.exit(_finish(ctx, deployment, as_json, "up"))


@click.command()
@deploy_options
@click.option("--yes", is_flag=True, help="Destroy without asking (needed without a terminal).")
@click.option(
    "--include-protected-storage",
    is_flag=True,
    help="Also delete protected storage (file systems) and its data. Default: it is kept, with what it depends on.",
)
def destroy(
    ctx: click.Context,
    stack_file: Path,
    as_json: bool,
    yes: bool,
    include_protected_storage: bool,
    **where: Any,
) -> None:
    """Delete STACK's resources. Protected storage stays unless --include-protected-storage."""
    options = _options(**where)
    what = (
        "and its protected storage WITH ITS DATA"
        if include_protected_storage
        else "(protected storage is kept)"
    )
    confirm = _confirmer(yes, as_json, f"Destroy stack {options.stack} {what}?")
    deployment = api.destroy_stack(
        stack_file,
        options,
        confirm=confirm,
        include_protected_storage=include_protected_storage,
        display=_display(as_json, use_color(ctx)),
    )
    sys.exit(_finish(ctx, deployment, as_json, "destroy"))


@click.command()
@deploy_options
@click.option(
    "--preview-only",
    is_flag=True,
    help="Only show how the cloud differs from the state; write nothing.",
)
@click.option("--expect-no-changes", is_flag=True, help="Exit 1 when the refresh finds drift.")
def refresh(
    ctx: click.Context,
    stack_file: Path,
    as_json: bool,
    preview_only: bool,
    expect_no_changes: bool,
    **where: Any,
) -> None:
    """Read STACK's resources from the cloud into its state (drift check: --preview-only --expect-no-changes)."""
    options = _options(**where)
    deployment = api.refresh_stack(
        stack_file,
        options,
        preview_only=preview_only,
        expect_no_changes=expect_no_changes,
        display=_display(as_json, use_color(ctx)),
    )
    sys.exit(_finish(ctx, deployment, as_json, "refresh"))


@click.command()
@deploy_options
@click.option(
    "--show-secrets", is_flag=True, help="Print secret outputs (the kubeconfig) in plain text."
)
def outputs(
    ctx: click.Context, stack_file: Path, as_json: bool, show_secrets: bool, **where: Any
) -> None:
    """Print STACK's outputs (cluster name, endpoint, kubeconfig, file systems); secrets masked."""
    options = _options(**where)
    deployment = api.stack_outputs(stack_file, options, show_secrets=show_secrets)
    sys.exit(_finish(ctx, deployment, as_json, "outputs"))
