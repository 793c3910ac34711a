"""Terminal rendering with rich: pools, resource tree, counts, findings, cost.

Colour only when asked (the CLI asks when stdout is a terminal); the same text otherwise.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from clusterforge.graph import STACK_TYPE, PlannedResource, ResourceGraph, short_type
from clusterforge.plainbox import to_rich
from clusterforge.report.describe import describe
from clusterforge.report.model import Report
from clusterforge.report.plaintext import (
    WIDTH,
    Span,
    accelerators_line,
    addons_grid,
    finding_counts,
    finding_spans,
    heading,
    pools_grid,
)


def _cells(*values: object) -> list[Text]:
    """Table cells from user text: a ``Text`` is never parsed as rich markup (``'[/]'`` in a
    pool's zone or a name stays what it is)."""
    return [value if isinstance(value, Text) else Text(str(value)) for value in values]


def _money(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.3f}" if 0 < abs(value) < 1 else f"${value:,.2f}"


def _text(spans: list[Span]) -> Text:
    line = Text()
    for text, style in spans:
        line.append(text, style=style or None)
    return line


def findings_block(report: Report) -> Group | Text:
    if not report.findings:
        return Text("No findings.", style="green")
    lines = [_text(finding_spans(finding)) for finding in report.findings]
    lines.append(Text(finding_counts(report), style="bold"))
    return Group(*lines)


def pools_table(report: Report) -> Table:
    return to_rich(pools_grid(report))


def addons_table(report: Report) -> Table:
    return to_rich(addons_grid(report))


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
    """The terminal report through rich's console (colour, the resource tree, any text);
    :func:`clusterforge.report.render` prints the uncoloured report without it where it can."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=width or WIDTH, highlight=False
    )
    lines = heading(report)
    for spans in lines:
        console.print(_text(spans))
    if lines:
        console.print()
    if report.resolved is not None and report.resolved.pools:
        console.print(pools_table(report))
        accelerators = accelerators_line(report)
        if accelerators:
            console.print(Text(accelerators))
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
