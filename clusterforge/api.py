"""The library calls behind the CLI: a stack file in, a report out.

Each function takes plain arguments and returns a :class:`~clusterforge.report.Report`; the CLI
only parses options, calls one of these, renders and picks the exit code.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from clusterforge.findings import Severity
from clusterforge.report.model import Report
from clusterforge.spec.loader import LoadedStack, load_stack


def validate_stack(path: str | Path, *, skip: Iterable[str] = ()) -> tuple[LoadedStack, Report]:
    """Load and validate a stack. Raises StackLoadError when the file cannot be read."""
    from clusterforge.validate import validate

    stack = load_stack(path)
    if stack.cluster is None:
        return stack, Report(stack_file=str(stack.path), findings=stack.findings, source=stack.source)
    resolved, findings = validate(stack.cluster, skip)
    return stack, Report(stack_file=str(stack.path), findings=findings, resolved=resolved, source=stack.source)


def plan_stack(path: str | Path, *, stack_name: str = "dev", skip: Iterable[str] = ()) -> tuple[LoadedStack, Report]:
    """Validate, then (when no error was found) plan offline and estimate the cost."""
    from clusterforge.cost import estimate
    from clusterforge.engine import plan_offline

    stack, report = validate_stack(path, skip=skip)
    report.stack = stack_name
    if report.resolved is None:
        return stack, report
    report.cost = estimate(report.resolved)
    if report.count(Severity.ERROR):
        report.skipped = "the stack has validation errors; fix them and plan again"
        return stack, report
    report.graph = plan_offline(report.resolved, stack=stack_name)
    return stack, report
