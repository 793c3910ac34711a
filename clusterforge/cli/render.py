"""`clusterforge render`: the stack's add-ons for Argo CD, Flux or plain kubectl/helm."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clusterforge import api
from clusterforge.cli.common import (
    EXIT_INPUT,
    fail_on_option,
    findings_exit,
    handle_errors,
    skip_option,
    stack_argument,
)
from clusterforge.render import FLAVORS


@click.command()
@stack_argument
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Directory to write. Files a previous render wrote are replaced; others are kept.",
)
@click.option(
    "--flavor",
    type=click.Choice(FLAVORS),
    default="plain",
    show_default=True,
    help="plain, argocd or flux.",
)
@click.option(
    "--outputs",
    "outputs_file",
    type=click.Path(path_type=Path),
    help="Stack outputs JSON: fills the PersistentVolumes.",
)
@click.option(
    "--cloud",
    type=click.Choice(["aws", "gcp", "kubernetes"]),
    help="Render the stack as on this cloud.",
)
@click.option(
    "--repo-url",
    help="Git repository Argo CD / Flux read the rendered directory from (required for argocd; "
    "flux defaults to the repository `flux bootstrap` syncs).",
)
@click.option(
    "--repo-path",
    help="Path of --out inside that repository (default: found from the enclosing Git checkout, "
    "else the repository root).",
)
@click.option(
    "--repo-branch",
    default="main",
    show_default=True,
    help="Branch Argo CD / Flux follow.",
)
@fail_on_option
@skip_option
@handle_errors
def render(
    stack_file: Path,
    out: Path,
    flavor: str,
    outputs_file: Path | None,
    cloud: str | None,
    repo_url: str | None,
    repo_path: str | None,
    repo_branch: str,
    fail_on: str,
    skip: tuple[str, ...],
) -> None:
    """Write the stack's add-ons and generated objects as GitOps files (same versions and values
    as `clusterforge up`)."""
    loaded, report, rendered = api.render_stack(
        stack_file,
        out,
        flavor=flavor,
        outputs_file=outputs_file,
        cloud=cloud,
        skip=skip,
        repo_url=repo_url,
        repo_path=repo_path,
        repo_branch=repo_branch,
    )
    for finding in report.findings:
        if finding.severity.value == "error":
            click.echo(
                f"{finding.severity.value}: {finding.rule} {finding.path}: {finding.message}",
                err=True,
            )
    if rendered is not None:
        click.echo(f"wrote {len(rendered.files) + 1} files to {out} ({flavor})")
        if rendered.secrets:
            click.echo("Secrets to create (their values are not written to Git):", err=True)
            for secret in rendered.secrets:
                click.echo(f"  {secret.describe()}", err=True)
        if rendered.skipped:
            click.echo("Not rendered:", err=True)
            for note in rendered.skipped:
                click.echo(f"  {note}", err=True)
    sys.exit(EXIT_INPUT if loaded.cluster is None else findings_exit(report.findings, fail_on))
