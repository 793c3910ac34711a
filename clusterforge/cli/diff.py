"""`clusterforge diff OLD NEW`: resources, capacity, cost and findings a change brings, for PR review."""

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
    stack_name_callback,
)


@click.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@format_option("text", "json", "markdown")
@out_option
@force_option
@click.option("--stack", "stack_name", default="dev", show_default=True, callback=stack_name_callback,
              help="Pulumi stack name used in URNs when a side is a stack file.")  # fmt: skip
@handle_errors
def diff(old: str, new: str, fmt: str, out: object, force: bool, stack_name: str) -> None:
    """What changing OLD into NEW does: each a plan JSON, a stack file or git-ref:REF:PATH.

    \b
    clusterforge diff git-ref:origin/main:cluster.yaml cluster.yaml --format markdown
    Exit 0 when the change loses no data and brings no new error finding; 1 when it deletes or
    replaces storage that holds data (DIFF001) or brings a new error finding; 2 when a side cannot
    be read or does not plan.
    """
    from clusterforge.workflow.diff import diff as compare
    from clusterforge.workflow.diff import load_side
    from clusterforge.workflow.diff_render import render_diff

    result = compare(load_side(old, stack_name=stack_name), load_side(new, stack_name=stack_name))
    # Never over either side: `diff a.yaml b.yaml --out b.yaml` would lose the stack.
    sides = tuple(Path(side) for side in (old, new) if not side.startswith("git-ref:"))
    emit(render_diff(result, fmt), out, inputs=sides, report=True, force=force)  # type: ignore[arg-type]
    if result.errors:
        sys.exit(EXIT_FINDINGS)
