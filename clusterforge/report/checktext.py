"""The terminal report of ``clusterforge check``: what ran, then the findings (the plan on request).

A reviewer reads ``check`` output in a CI log: the first line says how many policies ran over how
many planned resources, then come the findings; the pools, resource tree and cost that ``plan``
prints follow only with ``--verbose``.
"""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from rich.text import Text

from clusterforge.findings import Finding
from clusterforge.report.model import Report
from clusterforge.report.plaintext import WIDTH
from clusterforge.report.text import findings_block, render_text


def render_check_text(
    report: Report, *, color: bool = False, width: int | None = None, verbose: bool = False
) -> str:
    if verbose:
        return render_text(report, color=color, width=width)
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=width or WIDTH, highlight=False
    )
    info = report.cluster_info
    name = f"{info['name']} ({info['cloud']}, {info['region']})" if info["name"] else ""
    if report.policies_run is not None:
        policies, resources = report.policies_run
        what = f"{policies} policies over {resources} planned resources"
        console.print(Text(f"check {name or report.stack_file}: {what}", style="bold"))
    elif name:
        console.print(Text(f"check {name}", style="bold"))
    if report.skipped:
        console.print(Text(f"Plan not run: {report.skipped}", style="bold red"))
    console.print(findings_block(report))
    return buffer.getvalue()


def render_policy_findings(
    report: Report, findings: list[Finding], *, width: int | None = None
) -> str:
    """The engine's policy violations after a preview/up, in the ``check`` layout."""
    buffer = io.StringIO()
    console = Console(file=buffer, no_color=True, width=width or WIDTH, highlight=False)
    console.print(Text("Policy findings (the engine ran the pack)", style="bold"))
    console.print(findings_block(replace(report, findings=findings)))
    return buffer.getvalue()
