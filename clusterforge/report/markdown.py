"""Markdown rendering: a pull-request comment with findings, a mermaid topology and a cost table."""

from __future__ import annotations

import re

from clusterforge.findings import Finding, Severity
from clusterforge.graph import ResourceGraph, short_type
from clusterforge.report.cells import md_cell, nic_networks_cell, nodes_cell, placement_cell
from clusterforge.report.describe import describe
from clusterforge.report.model import Report
from clusterforge.report.rules import rule_docs

ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def _money(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.3f}" if 0 < abs(value) < 1 else f"${value:,.2f}"


def _mermaid_id(urn: str) -> str:
    return "n" + re.sub(r"[^A-Za-z0-9]", "_", urn.rsplit("::", 1)[-1])


def topology(report: Report) -> list[str]:
    """Pools, their zones/fabric and the file systems they mount, as a mermaid graph."""
    resolved = report.resolved
    if resolved is None:
        return []
    lines = ["```mermaid", "graph LR"]
    cluster = resolved.spec
    lines.append(
        f'  cp["{cluster.cloud.upper()} control plane<br/>Kubernetes {cluster.kubernetes.version}"]'
    )
    for pool in resolved.pools:
        accel = (
            f"{pool.offering.accelerator_count} x {pool.offering.accelerator}"
            if pool.offering and pool.offering.accelerator
            else "CPU"
        )
        fabric = f"<br/>EFA x{pool.efa_interfaces}" if pool.efa_interfaces else ""
        lines.append(
            f'  p_{pool.index}["{pool.name}<br/>{pool.desired} x {pool.instance_type}<br/>{accel}{fabric}<br/>{pool.zone or "all zones"}"]'
        )
        lines.append(f"  cp --> p_{pool.index}")
    for storage in resolved.storage:
        lines.append(
            f'  s_{storage.index}[("{storage.name}<br/>{storage.spec.capacity_gib} GiB {storage.deployment_type or storage.spec.type}<br/>{storage.zone}")]'
        )
        for pool in resolved.pools:
            if pool.name in storage.pools:
                lines.append(f"  p_{pool.index} -. {storage.spec.mount_path} .-> s_{storage.index}")
    lines.append("```")
    return lines


def _resource_lines(graph: ResourceGraph) -> list[str]:
    lines = ["| component | type | name | detail |", "|---|---|---|---|"]
    for resource in graph.custom_resources:
        parent = graph.get(resource.parent) if resource.parent else None
        detail = describe(graph, resource) + (" 🔒 protected" if resource.protected else "")
        lines.append(
            f"| {md_cell(parent.name if parent else '')} | `{short_type(resource.type)}` | {md_cell(resource.name)} | {md_cell(detail)} |"
        )
    return lines


def _heading(report: Report, command: str) -> str:
    info = report.cluster_info
    if info["name"] is None and report.graph is not None and report.graph.root is not None:
        # A plan file without its stack: the Pulumi project in the URNs is the cluster name.
        project = report.graph.root.urn.split("::")[1]
        return f"## clusterforge {command}: `{project}` ({report.stack_file})"
    return f"## clusterforge {command}: `{info['name']}` ({info['cloud']}, {info['region']})"


#: Tables with more rows than this are folded into a <details> block in the PR comment.
FOLD_ROWS = 10


def _collapsed(rows: list[str], summary: str) -> list[str]:
    """A Markdown table (header, rule, rows), folded when it is long."""
    if len(rows) - 2 <= FOLD_ROWS:
        return rows
    return [f"<details><summary>{summary}</summary>", "", *rows, "", "</details>"]


def _where(finding: Finding) -> str:
    """The "where" cell: its parts escaped, the line break between them markup of ours."""
    where = f"`{md_cell(finding.path)}`" + (
        f" ({md_cell(finding.location)})" if finding.location else ""
    )
    resource = finding.extra.get("resource")
    return where + (f"<br/>resource `{md_cell(resource)}`" if resource else "")


def _count(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def render_markdown(report: Report, command: str = "plan") -> str:
    """The report as a Markdown pull-request comment; ``command`` (plan, validate, check) titles it."""
    out = [_heading(report, command), ""]
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    status = (
        "❌ blocking findings"
        if errors
        else ("⚠️ warnings" if warnings else "✅ no blocking findings")
    )
    summary = (
        f"**{status}** — {_count(errors, 'error')}, {_count(warnings, 'warning')}, "
        f"{report.count(Severity.INFO)} info"
    )
    if report.graph is not None:
        summary += f"; {len(report.graph.custom_resources)} resources"
    if report.cost is not None:
        summary += (
            f"; {_money(report.cost.hourly_usd)}/hour, {_money(report.cost.monthly_usd)}/month"
        )
    out += [summary, ""]
    if report.skipped:
        out += [f"> Plan not run: {report.skipped}", ""]

    if report.findings:
        docs = {d.id: d for d in rule_docs()}
        rows = ["| | severity | rule | where | message | hint |", "|---|---|---|---|---|---|"]
        for f in report.findings:
            doc = docs.get(f.rule)
            rule = f"`{f.rule}`" + (f" [{doc.title}]({doc.help_uri()})" if doc else "")
            rows.append(
                f"| {ICON[f.severity]} | {f.severity.value} | {md_cell(rule)} | {_where(f)} | "
                f"{md_cell(f.message)} | {md_cell(f.hint)} |"
            )
        out += ["### Findings", "", *_collapsed(rows, f"{len(report.findings)} findings"), ""]

    if report.resolved is not None and report.resolved.pools:
        pools = [
            "| pool | instance type | accelerators | nodes | zone | fabric | placement | capacity |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in report.pool_rows():
            accel = (
                f"{row['accelerators_per_node']} x {row['accelerator']}"
                if row["accelerator"]
                else "-"
            )
            fabric = (
                f"EFA x{row['efa_interfaces']}"
                if row["efa_interfaces"]
                else nic_networks_cell(row) or row["fabric"]
            )
            nodes = nodes_cell(row)
            pools.append(
                f"| {row['name']} | `{row['instance_type'] or '(unresolved)'}` | {accel} | {nodes} | {row['zone'] or 'all'} | {fabric} | "
                f"{placement_cell(row)} | {row['capacity']} |"
            )
        out += ["### Node pools", "", *_collapsed(pools, f"{len(pools) - 2} node pools")]
        out += ["", "### Topology", "", *topology(report), ""]

    if report.addon_rows():
        out += [
            "### Add-ons (install order)",
            "",
            "| # | add-on | version | namespace | installed with | added because |",
            "|---:|---|---|---|---|---|",
        ]
        for row in report.addon_rows():
            out.append(
                f"| {row['order']} | {row['name']} | `{row['version']}` | {row['namespace']} | {row['engine']} | "
                f"{md_cell(row['added_because'] or 'listed in the stack')} |"
            )
        out.append("")

    if report.cost is not None and report.cost.items:
        out += [
            f"### Cost (on-demand list prices, {report.cost.region})",
            "",
            "| item | quantity | unit price | per hour | per month | note |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for item in report.cost.items:
            monthly = item.hourly_usd * 730 if item.hourly_usd is not None else None
            out.append(
                f"| {md_cell(item.name)} | {item.quantity:g} | {_money(item.unit_usd)} | {_money(item.hourly_usd)} | {_money(monthly)} | {md_cell(item.note)} |"
            )
        out.append(
            f"| **total** | | | **{_money(report.cost.hourly_usd)}** | **{_money(report.cost.monthly_usd)}** | {'incomplete' if report.cost.missing else ''} |"
        )
        out.append("")

    if report.graph is not None:
        counts = report.graph.counts_by_type()
        out += [
            "<details><summary>Resources (" + str(sum(counts.values())) + ")</summary>",
            "",
            *_resource_lines(report.graph),
            "",
            "</details>",
            "",
        ]
    return "\n".join(out)
