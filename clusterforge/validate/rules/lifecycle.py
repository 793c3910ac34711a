"""Capacity lifecycle rules: a reservation's or Capacity Block's window (capacity.start/end)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from clusterforge.catalog.capacity_window import problems
from clusterforge.findings import Finding, Severity
from clusterforge.validate.registry import Context, rule


def _window_problems(ctx: Context, severities: tuple[str, ...]) -> Iterator[Finding]:
    now = dt.datetime.now(dt.timezone.utc)
    for pool in ctx.resolved.pools:
        capacity = pool.spec.capacity
        if capacity.start is None and capacity.end is None:
            continue
        for problem in problems(capacity.type, ctx.cluster.cloud, capacity.start, capacity.end,
                                now=now, horizon_days=ctx.cluster.horizon_days):  # fmt: skip
            if problem.severity in severities:
                path = f"{pool.path}.capacity.{problem.field}"
                yield ctx.finding(
                    path, problem.message, problem.hint, Severity.parse(problem.severity)
                )


@rule(
    "CAP010",
    "The pool outlives its reservation or Capacity Block window",
    severity=Severity.WARNING,
)
def outlives_window(ctx: Context) -> Iterator[Finding]:
    """A window that ends while the stack runs (within horizon_days, or at all without one): says
    what happens to the nodes then; a window that starts later is an info."""
    yield from _window_problems(ctx, ("warning", "info"))


@rule("CAP011", "The capacity window is one that can be used")
def usable_window(ctx: Context) -> Iterator[Finding]:
    """capacity.end after capacity.start, and not already over."""
    yield from _window_problems(ctx, ("error",))
