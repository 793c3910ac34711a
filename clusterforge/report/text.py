"""Terminal rendering with rich: pools, resource tree, counts, findings, cost.

Colour only when asked (the CLI asks when stdout is a terminal); the same text otherwise.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from clusterforge.findings import Severity
from clusterforge.graph import STACK_TYPE, PlannedResource, ResourceGraph, short_type
from clusterforge.report.cells import nic_networks_cell, nodes_cell, placement_cell
from clusterforge.report.describe import describe
from clusterforge.report.model import Report

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _cells(*values: object) -> list[Text]:
    """Table cells from user text: a ``Text`` is never parsed as rich markup (``'[/]'`` in a
    pool's zone or a name stays what it is)."""
    return [value if isinstance(value, Text) else Text(str(value)) for value in values]


def _money(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.3f}" if 0 < abs(value) < 1 else f"${value:,.2f}"


def findings_block(report: Report) -> Group | Text:
    if not report.findings:
        return Text("No findings.", style="green")
    lines: list[Text] = []
    for finding in report.findings:
        line = Text()
        line.append(f"{finding.severity.value.upper():7} ", style=STYLE[finding.severity])
        line.append(f"{finding.rule} ", style="bold")
        line.append(finding.path, style="magenta")
        if finding.location:
            line.append(f"  ({finding.location})", style="dim")
        line.append(f"\n        {finding.message}")
        if finding.hint:
            line.append(f"\n        hint: {finding.hint}", style="dim")
        lines.append(line)
    counts = ", ".join(
        f"{report.count(s)} {s.value}{'s' if report.count(s) != 1 else ''}" for s in Severity
    )
    lines.append(Text(counts, style="bold"))
    return Group(*lines)


def pools_table(report: Report) -> Table:
    table = Table(title="Node pools", title_justify="left", show_lines=False)
    for column in (
        "pool",
        "instance type",
        "accelerators",
        "nodes",
        "zone",
        "fabric",
        "placement",
        "capacity",
    ):
        table.add_column(column)
    for row in report.pool_rows():
        accel = (
            f"{row['accelerators_per_node']} x {row['accelerator']}" if row["accelerator"] else "-"
        )
        nodes = nodes_cell(row)
        fabric = nic_networks_cell(row) or row["fabric"]
        if row["efa_interfaces"]:
            fabric = f"efa x{row['efa_interfaces']} ({row['network_bandwidth_gbps']:g} Gbps)"
        table.add_row(
            *_cells(
                row["name"],
                row["instance_type"] or "(unresolved)",
                accel,
                nodes,
                row["zone"] or "all",
                fabric,
                placement_cell(row),
                row["capacity"],
            )
        )
    return table


def addons_table(report: Report) -> Table:
    table = Table(title="Add-ons (install order)", title_justify="left")
    for column in (
        "#",
        "add-on",
        "version",
        "namespace",
        "installed with",
        "after",
        "added because",
    ):
        table.add_column(column)
    for row in report.addon_rows():
        table.add_row(
            *_cells(
                row["order"],
                row["name"],
                row["version"],
                row["namespace"],
                row["engine"],
                ", ".join(row["after"]) or "-",
                row["added_because"] or "listed in the stack",
            )
        )
    return table


def _label(graph: ResourceGraph, resource: PlannedResource) -> Text:
    label = Text()
    if not resource.custom:
        label.append(resource.type, style="bold blue")
        label.append(f" {resource.name}")
        detail = describe(graph, resource)
        if detail:
            label.append(f"  {detail}", style="dim")
        return label
    label.append(short_type(resource.type), style="green")
    label.append(f" {resource.name}")
    detail = describe(graph, resource)
    if detail:
        label.append(f"  {detail}", style="dim")
    if resource.protected:
        label.append("  [protected]", style="bold yellow")
    return label


def resource_tree(graph: ResourceGraph) -> Tree:
    root = graph.root
    tree = Tree(Text(f"{STACK_TYPE} {root.name}" if root else "resources", style="bold"))
    branches: dict[str | None, Tree] = {root.urn if root else None: tree}
    for resource in graph.resources:
        if resource.type == STACK_TYPE or resource.is_provider:
            continue
        parent = branches.get(resource.parent, tree)
        branches[resource.urn] = parent.add(_label(graph, resource))
    return tree


def counts_table(graph: ResourceGraph) -> Table:
    table = Table(title="Resources by type", title_justify="left")
    table.add_column("type")
    table.add_column("count", justify="right")
    counts = graph.counts_by_type()
    for type_token, count in counts.items():
        table.add_row(*_cells(type_token, count))
    table.add_row(Text("total", style="bold"), Text(str(sum(counts.values())), style="bold"))
    return table


def cost_table(report: Report) -> Table:
    cost = report.cost
    assert cost is not None
    table = Table(
        title=Text(f"Cost estimate (on-demand list prices, {cost.region})"), title_justify="left"
    )
    for column in ("item", "quantity", "unit price", "per hour", "per month", "note"):
        table.add_column(
            column,
            justify="right"
            if column in ("quantity", "unit price", "per hour", "per month")
            else "left",
        )
    for item in cost.items:
        table.add_row(
            *_cells(
                item.name,
                f"{item.quantity:g}",
                _money(item.unit_usd),
                _money(item.hourly_usd),
                _money(item.hourly_usd * 730 if item.hourly_usd is not None else None),
                item.note,
            )
        )
    table.add_row(
        Text("total", style="bold"),
        Text(""),
        Text(""),
        Text(_money(cost.hourly_usd), style="bold"),
        Text(_money(cost.monthly_usd), style="bold"),
        Text("incomplete: see n/a rows" if cost.missing else ""),
    )
    return table


def render_text(report: Report, *, color: bool = False, width: int | None = None) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=width or 140, highlight=False
    )
    info = report.cluster_info
    if info["name"]:
        where = (
            info["region"] if info["cloud"] != "kubernetes" else f"context {info.get('context')}"
        )
        console.print(
            Text(f"{info['name']}  ({info['cloud']}, {where}, stack {report.stack})", style="bold")
        )
        console.print(Text(f"from {report.stack_file}", style="dim"))
        console.print()
    if report.resolved is not None and report.resolved.pools:
        console.print(pools_table(report))
        totals = report.accelerator_totals()
        if totals:
            console.print(
                Text("Accelerators: " + ", ".join(f"{n} x {a}" for a, n in totals.items()))
            )
        console.print()
    if report.addon_rows():
        console.print(addons_table(report))
        console.print()
    if report.graph is not None:
        console.print(resource_tree(report.graph))
        console.print()
        console.print(counts_table(report.graph))
        console.print()
    if report.skipped:
        console.print(Text(f"Plan not run: {report.skipped}", style="bold red"))
        console.print()
    console.print(Text("Findings", style="bold underline"))
    console.print(findings_block(report))
    if report.cost is not None and report.cost.items:
        console.print()
        console.print(cost_table(report))
    return buffer.getvalue()
