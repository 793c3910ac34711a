"""What the terminal report says, as plain data (styled spans and table grids), and the
uncoloured report without rich's console when :mod:`clusterforge.plainbox` can lay it out.

:mod:`clusterforge.report.text` turns the same spans and grids into rich objects (colour, the
resource tree), so each line and column is written once; a ``validate`` without colour prints
through :func:`render_plain` and leaves rich's console unimported (start-up, issue 9).
"""

from __future__ import annotations

from clusterforge.clouds import names, profile
from clusterforge.findings import Finding, Severity
from clusterforge.plainbox import Column, Table, plain, wrap
from clusterforge.report.cells import nic_networks_cell, nodes_cell, placement_cell
from clusterforge.report.model import Report

#: The terminal report's width in columns where the caller gives none (plain or through rich).
WIDTH = 140

#: A run of text and its rich style ("" for none).
Span = tuple[str, str]

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def heading(report: Report) -> list[list[Span]]:
    """The cluster line and the stack file line (none for a stack that did not load)."""
    info = report.cluster_info
    if not info["name"]:
        return []
    where = (
        info["region"] or "no region"
        if info["cloud"] not in names() or profile(info["cloud"]).creates_cluster
        else f"context {info.get('context')}"
    )
    return [
        [(f"{info['name']}  ({info['cloud']}, {where}, stack {report.stack})", "bold")],
        [(f"from {report.stack_file}", "dim")],
    ]


def finding_spans(finding: Finding) -> list[Span]:
    spans = [
        (f"{finding.severity.value.upper():7} ", STYLE[finding.severity]),
        (f"{finding.rule} ", "bold"),
        (finding.path, "magenta"),
    ]
    if finding.location:
        spans.append((f"  ({finding.location})", "dim"))
    spans.append((f"\n        {finding.message}", ""))
    if finding.hint:
        spans.append((f"\n        hint: {finding.hint}", "dim"))
    return spans


def finding_counts(report: Report) -> str:
    return ", ".join(
        f"{report.count(s)} {s.value}{'s' if report.count(s) != 1 else ''}" for s in Severity
    )


def accelerators_line(report: Report) -> str | None:
    totals = report.accelerator_totals()
    return "Accelerators: " + ", ".join(f"{n} x {a}" for a, n in totals.items()) if totals else None


def pools_grid(report: Report) -> Table:
    columns = ("pool", "instance type", "accelerators", "nodes", "zone", "fabric", "placement")
    table = Table("Node pools", [Column(c) for c in (*columns, "capacity")])
    for row in report.pool_rows():
        accel = (
            f"{row['accelerators_per_node']} x {row['accelerator']}" if row["accelerator"] else "-"
        )
        fabric = nic_networks_cell(row) or row["fabric"]
        if row["efa_interfaces"]:
            fabric = f"efa x{row['efa_interfaces']} ({row['network_bandwidth_gbps']:g} Gbps)"
        table.add_row(
            *map(
                str,
                (
                    row["name"],
                    row["instance_type"] or "(unresolved)",
                    accel,
                    nodes_cell(row),
                    row["zone"] or "all",
                    fabric,
                    placement_cell(row),
                    row["capacity"],
                ),
            )
        )
    return table


def addons_grid(report: Report) -> Table:
    columns = ("#", "add-on", "version", "namespace", "installed with", "after", "added because")
    table = Table("Add-ons (install order)", [Column(c) for c in columns])
    for row in report.addon_rows():
        table.add_row(
            *map(
                str,
                (
                    row["order"],
                    row["name"],
                    row["version"],
                    row["namespace"],
                    row["engine"],
                    ", ".join(row["after"]) or "-",
                    row["added_because"] or "listed in the stack",
                ),
            )
        )
    return table


def render_plain(report: Report, width: int) -> str | None:
    """The uncoloured terminal report of a report without a plan (``validate``), as rich prints
    it; None when it needs rich (a resource tree or cost table, text beyond printable ASCII)."""
    if report.graph is not None or (report.cost is not None and report.cost.items):
        return None
    texts = ["".join(text for text, _ in spans) for spans in heading(report)]
    blocks: list[list[str] | str] = [*texts, *([""] if texts else [])]
    if report.resolved is not None and report.resolved.pools:
        blocks.append(pools_grid(report).render(width) or [])
        accelerators = accelerators_line(report)
        blocks += [accelerators, ""] if accelerators else [""]
    if report.addon_rows():
        blocks += [addons_grid(report).render(width) or [], ""]
    if report.skipped:
        blocks += [f"Plan not run: {report.skipped}", ""]
    blocks.append("Findings")
    findings = ["".join(s for s, _ in finding_spans(f)) for f in report.findings]
    blocks += [*findings, finding_counts(report)] if findings else ["No findings."]
    out: list[str] = []
    for block in blocks:
        if isinstance(block, list):  # a table's lines, or [] when rich must lay it out
            if not block:
                return None
            out += block
        elif not all(plain(part) for part in block.split("\n")):
            return None
        else:
            out += wrap(block, width)
    return "\n".join(out) + "\n"
