"""Renderers of a :class:`~clusterforge.workflow.diff.Diff`: text, JSON and Markdown (a PR comment
with a mermaid picture of the new topology and the cost table)."""

from __future__ import annotations

import json
import re
from typing import Any

from clusterforge.graph import short_type
from clusterforge.report.cells import md_cell
from clusterforge.workflow.diff import Diff, Side

ACTION_WORD = {"add": "+ add", "remove": "- remove", "update": "~ update", "replace": "± replace"}
#: Resource types drawn as storage in the mermaid picture, with the input that names their size.
STORAGE_TYPES = {
    "aws:fsx/lustreFileSystem:LustreFileSystem": ("FSx for Lustre", "storageCapacity", "GiB"),
    "gcp:lustre/instance:Instance": ("Managed Lustre", "capacityGib", "GiB"),
    "gcp:filestore/instance:Instance": ("Filestore", None, ""),
    "gcp:storage/bucket:Bucket": ("Cloud Storage", None, ""),
    "gcp:parallelstore/instance:Instance": ("Parallelstore", "capacityGib", "GiB"),
}


def _money(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.{digits}f}"


def _signed(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "-" if value < 0 else "±") + f"${abs(value):,.{digits}f}"


def _pair(values: dict[str, Any], unit: str = "") -> str:
    old, new = values.get("old"), values.get("new")

    def show(value: Any) -> str:
        if value in (None, ""):
            return "-"
        return (f"{value:g}" if isinstance(value, float) else str(value)) + unit

    return show(old) if old == new else f"{show(old)} → {show(new)}"


def render_diff(result: Diff, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, default=str) + "\n"
    if fmt == "markdown":
        return _markdown(result)
    return _text(result)


def _summary_line(result: Diff) -> str:
    return ", ".join(f"{result.count(a)} to {a}" for a in ("add", "remove", "update", "replace"))


def _text(result: Diff) -> str:
    out = [f"diff {result.old.label} → {result.new.label}"]
    for side in (result.old, result.new):
        if not side.planned:
            out.append(
                f"  {side.label} was not planned: {(side.document.get('summary') or {}).get('skipped')}"
            )
    out.append(f"resources: {_summary_line(result)}")
    for change in result.changes:
        out.append(f"  {ACTION_WORD[change.action]} {short_type(change.type)} {change.name}")
        if change.replaced_by:
            out.append(f"      replaced because {', '.join(change.replaced_by)} changed")
        for key, (old, new) in change.changed.items():
            out.append(
                f"      {key}: {json.dumps(old, default=str)} → {json.dumps(new, default=str)}"
            )
    out.append("capacity:")
    for row in result.capacity():
        out.append(f"  pool {row['pool']}: {_pair(row['instance_type'])}, nodes {_pair(row['nodes'])}, "
                   f"accelerators {_pair(row['accelerators'])}, fabric {_pair(row['fabric_gbps'], ' Gbps')}")  # fmt: skip
        window = row["capacity_window"]
        if window.get("old") or window.get("new"):
            out.append(f"      capacity window {_pair({k: _window(v) for k, v in window.items()})}")
    totals = result.totals()
    for accel, values in totals["accelerators"].items():
        out.append(f"  {accel}: {_pair(values)}")
    out.append(f"  fabric bandwidth: {_pair(totals['fabric_gbps'], ' Gbps')}")
    out.append(
        f"cost: {_money(result.old.cost('hourly_usd'))}/h → {_money(result.new.cost('hourly_usd'))}/h "
        f"({_signed(result.hourly_usd_delta)}/h, {_signed(result.monthly_usd_delta, 0)}/month)"
    )
    for finding in result.data_loss:
        out.append(f"error {finding.rule} {finding.path}: {finding.message}")
        out.append(f"  hint: {finding.hint}")
    for label, items in (("new", result.findings_new), ("resolved", result.findings_resolved)):
        for f in items:
            out.append(
                f"{label} {f.get('severity')} {f.get('rule')} {f.get('path')}: {f.get('message')}"
            )
    return "\n".join(out) + "\n"


def _window(window: Any) -> str | None:
    if not isinstance(window, dict):
        return None
    return f"{window.get('start') or '…'} – {window.get('end') or '…'}"


def _markdown(result: Diff) -> str:
    errors = result.errors
    status = "❌ data loss or new errors" if errors else "✅ no data loss, no new errors"
    out = [f"## clusterforge diff: `{md_cell(result.old.label)}` → `{md_cell(result.new.label)}`", "",
           f"**{status}** — {_summary_line(result)}", ""]  # fmt: skip
    for finding in result.data_loss:
        out.append(
            f"- ❌ **{finding.rule}** `{md_cell(finding.path)}`: {md_cell(finding.message)}<br/>{md_cell(finding.hint)}"
        )
    if result.data_loss:
        out.append("")
    out += ["### Cost", "", "| | before | after | change |", "|---|---:|---:|---:|"]
    out.append(
        f"| per hour | {_money(result.old.cost('hourly_usd'))} | {_money(result.new.cost('hourly_usd'))} | {_signed(result.hourly_usd_delta)} |"
    )
    out.append(
        f"| per month | {_money(result.old.cost('monthly_usd'), 0)} | {_money(result.new.cost('monthly_usd'), 0)} | {_signed(result.monthly_usd_delta, 0)} |"
    )
    out += [
        "",
        "### Capacity",
        "",
        "| pool | type | nodes | accelerators | fabric |",
        "|---|---|---|---|---|",
    ]
    for row in result.capacity():
        out.append(f"| {md_cell(row['pool'])} | {md_cell(_pair(row['instance_type']))} | {md_cell(_pair(row['nodes']))} | "
                   f"{md_cell(_pair(row['accelerators']))} | {md_cell(_pair(row['fabric_gbps'], ' Gbps'))} |")  # fmt: skip
    out += ["", "### Topology after the change", "", *mermaid(result.new), ""]
    if result.changes:
        out += ["### Resources", "", "| change | type | name | inputs |", "|---|---|---|---|"]
        for change in result.changes:
            inputs = "<br/>".join(
                f"`{k}`: {md_cell(json.dumps(o, default=str))} → {md_cell(json.dumps(n, default=str))}"
                + (" (replaces)" if k.split(".")[0].split("[")[0] in change.replaced_by else "")
                for k, (o, n) in change.changed.items()
            )
            out.append(
                f"| {ACTION_WORD[change.action]} | `{short_type(change.type)}` | {md_cell(change.name)} | {inputs} |"
            )
        out.append("")
    if result.findings_new or result.findings_resolved:
        out += ["### Findings", ""]
        for label, items in (("new", result.findings_new), ("resolved", result.findings_resolved)):
            for f in items:
                out.append(
                    f"- {label} **{md_cell(f.get('severity'))}** `{md_cell(f.get('rule'))}` `{md_cell(f.get('path'))}`: {md_cell(f.get('message'))}"
                )
        out.append("")
    return "\n".join(out)


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", text)


def _label(text: object) -> str:
    return str(text).replace('"', "'").replace("[", "(").replace("]", ")")


def mermaid(side: Side) -> list[str]:
    """Pools (with their fabric), storage and add-ons of one side, as a mermaid graph."""
    cluster = side.document.get("cluster") or {}
    lines = ["```mermaid", "graph LR"]
    lines.append(
        f'  cp["{_label(cluster.get("name") or "cluster")}<br/>{_label(cluster.get("cloud") or "")} {_label(cluster.get("region") or "")}"]'
    )
    for index, pool in enumerate(side.pools()):
        accel = (
            f"{pool.get('accelerators_per_node')} x {pool.get('accelerator')}"
            if pool.get("accelerator")
            else "CPU"
        )
        fabric = pool.get("fabric")
        fabric_text = ""
        if fabric and fabric != "none":
            fabric_text = f"<br/>{fabric}" + (
                f" x{pool['efa_interfaces']}" if pool.get("efa_interfaces") else ""
            )
            if pool.get("network_bandwidth_gbps"):
                fabric_text += f" {pool['network_bandwidth_gbps']:g} Gbps/node"
        lines.append(f'  p{index}["{_label(pool.get("name"))}<br/>{pool.get("nodes")} x {_label(pool.get("instance_type") or "?")}'
                     f'<br/>{_label(accel)}{_label(fabric_text)}"]')  # fmt: skip
        lines.append(f"  cp --> p{index}")
    storage = [
        r
        for r in side.document.get("resources") or []
        if isinstance(r, dict) and r.get("type") in STORAGE_TYPES
    ]
    for index, resource in enumerate(storage):
        title, size_key, unit = STORAGE_TYPES[resource["type"]]
        inputs = resource.get("inputs") or {}
        size = f"<br/>{inputs.get(size_key)} {unit}" if size_key and inputs.get(size_key) else ""
        kind = f" {inputs['deploymentType']}" if inputs.get("deploymentType") else ""
        lines.append(
            f'  s{index}[("{_label(resource.get("name"))}<br/>{title}{_label(kind)}{_label(size)}")]'
        )
        lines.append(f"  cp -.- s{index}")
    addons = [
        a for a in (side.document.get("summary") or {}).get("addons") or [] if isinstance(a, dict)
    ]
    if addons:
        names = "<br/>".join(
            _label(f"{a.get('name')} {a.get('version') or ''}".strip()) for a in addons
        )
        lines.append(f'  addons["add-ons<br/>{names}"]')
        lines.append("  cp --- addons")
    lines.append("```")
    return lines
