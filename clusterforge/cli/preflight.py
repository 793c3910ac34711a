"""`clusterforge preflight STACK`: can the cloud give the stack what it asks for (AWS, read-only)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clusterforge.cli.common import (
    EXIT_FINDINGS,
    emit,
    force_option,
    format_option,
    handle_errors,
    out_option,
)
from clusterforge.errors import UsageError


@click.command()
@click.argument("stack_file", metavar="STACK", type=click.Path(path_type=Path))
@format_option("text", "json")
@out_option
@force_option
@click.option("--timeout", type=click.IntRange(1, 120), default=10, show_default=True,
              help="Seconds each AWS call may take.")  # fmt: skip
@handle_errors
def preflight(stack_file: Path, fmt: str, out: Path | None, force: bool, timeout: int) -> None:
    """Check with read-only AWS calls what `up` would need: the instance type offered in the
    pool's zone, the vCPU quota at max nodes, the reservation or Capacity Block (exists, active,
    matches), the EKS version, the VPC quota. Exit 1 when a check fails; 2 when STACK does not
    validate or is not on AWS; 3 without AWS credentials."""
    from clusterforge import api
    from clusterforge.findings import Severity
    from clusterforge.workflow import preflight as checks

    # POOL005 (type offered in the zone, from the catalog) is asked live below instead.
    _, report = api.validate_stack(stack_file, skip=("POOL005",))
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if report.resolved is None or errors:
        first = errors[0] if errors else None
        raise UsageError(
            f"{stack_file} has validation errors"
            + (f" ({first.rule} {first.path}: {first.message})" if first else ""),
            hint=f"clusterforge validate {stack_file}",
        )
    result = checks.run(report.resolved, str(stack_file), timeout=timeout)
    emit(checks.render(result, fmt), out, inputs=(stack_file,), report=True, force=force)
    if result.failed:
        sys.exit(EXIT_FINDINGS)
