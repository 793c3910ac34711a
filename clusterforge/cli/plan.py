"""`clusterforge validate` and `clusterforge plan`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clusterforge import api
from clusterforge.cli.common import (
    EXIT_INPUT,
    emit_report,
    fail_on_option,
    findings_exit,
    force_option,
    format_option,
    handle_errors,
    out_option,
    skip_option,
    stack_argument,
    stack_name_callback,
    use_color,
)
from clusterforge.clouds import cluster_clouds
from clusterforge.errors import UsageError
from clusterforge.report import render

cloud_option = click.option(
    "--cloud",
    type=click.Choice(cluster_clouds()),
    help="Put the stack on this cloud (its `overrides` entry applies).",
)


@click.command()
@stack_argument
@format_option("text", "json", "markdown")
@out_option
@force_option
@fail_on_option
@skip_option
@cloud_option
@click.pass_context
@handle_errors
def validate(
    ctx: click.Context,
    stack_file: Path,
    fmt: str,
    out: Path | None,
    force: bool,
    fail_on: str,
    skip: tuple[str, ...],
    cloud: str | None,
) -> None:
    """Check STACK (.yaml, .json or .py) against the hardware catalog and the rules; no engine."""
    loaded, report = api.validate_stack(stack_file, skip=skip, cloud=cloud)
    text = render(report, fmt, color=use_color(ctx) and out is None, command="validate")
    emit_report(text, out, loaded=loaded.cluster is not None, inputs=(stack_file,), force=force)
    sys.exit(EXIT_INPUT if loaded.cluster is None else findings_exit(report.findings, fail_on))


@click.command()
@stack_argument
@format_option("text", "json", "markdown")
@out_option
@force_option
@fail_on_option
@skip_option
@click.option(
    "--stack",
    "stack_name",
    default="dev",
    show_default=True,
    callback=stack_name_callback,
    help="Pulumi stack name used in URNs.",
)
@cloud_option
@click.option(
    "--compare",
    metavar="CLOUDS",
    help="Plan on several clouds side by side, e.g. --compare aws,gcp.",
)
@click.pass_context
@handle_errors
def plan(
    ctx: click.Context,
    stack_file: Path,
    fmt: str,
    out: Path | None,
    force: bool,
    fail_on: str,
    skip: tuple[str, ...],
    stack_name: str,
    cloud: str | None,
    compare: str | None,
) -> None:
    """Plan STACK offline: the Pulumi resources it creates, findings and cost. No credentials needed.

    Runs the real Pulumi program in-process against a recording mock monitor (the embedded
    offline engine); `--format json` prints the plan contract other tools read.
    """
    if compare is not None:
        clouds = [c.strip() for c in compare.split(",") if c.strip()]
        if (
            cloud
            or len(set(clouds)) < 2
            or len(set(clouds)) != len(clouds)
            or not set(clouds) <= {"aws", "gcp"}
        ):
            raise UsageError(
                "--compare takes two or more of aws, gcp (and no --cloud)",
                hint="e.g. --compare aws,gcp",
            )
        loaded, comparison = api.compare_stack(stack_file, clouds, stack_name=stack_name, skip=skip)
        from clusterforge.report.compare import render_comparison  # rich: only for this table

        text = render_comparison(comparison, fmt, color=use_color(ctx) and out is None)
        emit_report(text, out, loaded=loaded.cluster is not None, inputs=(stack_file,), force=force)
        findings = [f for r in comparison.reports.values() for f in r.findings]
        sys.exit(EXIT_INPUT if loaded.cluster is None else findings_exit(findings, fail_on))
    loaded, report = api.plan_stack(stack_file, stack_name=stack_name, skip=skip, cloud=cloud)
    text = render(report, fmt, color=use_color(ctx) and out is None)
    emit_report(text, out, loaded=loaded.cluster is not None, inputs=(stack_file,), force=force)
    sys.exit(EXIT_INPUT if loaded.cluster is None else findings_exit(report.findings, fail_on))
