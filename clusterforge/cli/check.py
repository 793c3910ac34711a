"""`clusterforge check`: the policy pack over a stack or a saved plan, offline (pull-request review)."""

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
    stack_name_callback,
    use_color,
)
from clusterforge.findings import Severity
from clusterforge.report import CHECK_FORMATS, render


@click.command()
@click.argument("target", metavar="STACK|PLAN.json", type=click.Path(path_type=Path))
@format_option(*CHECK_FORMATS)
@click.option("--config", "config_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Policy levels and settings, in the `pulumi --policy-pack-config` JSON format.")  # fmt: skip
@out_option
@force_option
@fail_on_option
@skip_option
@click.option("--verbose", is_flag=True, help="Print the plan (pools, resources, cost) too.")
@click.option(
    "--stack",
    "stack_name",
    default="dev",
    show_default=True,
    callback=stack_name_callback,
    help="Pulumi stack name used in URNs.",
)
@click.pass_context
@handle_errors
def check(
    ctx: click.Context,
    target: Path,
    fmt: str,
    config_file: Path | None,
    out: Path | None,
    force: bool,
    fail_on: str,
    skip: tuple[str, ...],
    verbose: bool,
    stack_name: str,
) -> None:
    """Check STACK, or a plan written by `plan --format json`, against the policy pack. No credentials.

    Runs the same CrossGuard policies as `pulumi preview --policy-pack policies`; `--format sarif`
    writes SARIF 2.1.0 for code scanning, `--format markdown` a pull-request comment. Validation
    findings at or above `--fail-on` are included; `--skip` leaves out rules and policies.
    """
    report = api.check_stack(
        target,
        config=config_file,
        stack_name=stack_name,
        skip=skip,
        fail_on=Severity.parse(fail_on),
    )
    unreadable = report.resolved is None and report.graph is None and not report.skipped
    color = use_color(ctx) and out is None
    text = render(report, fmt, color=color, command="check", verbose=verbose)
    emit_report(text, out, loaded=not unreadable, inputs=(target, config_file), force=force)
    sys.exit(EXIT_INPUT if unreadable else findings_exit(report.findings, fail_on))
