"""Side-by-side view of one portable stack planned on several clouds (`plan --compare aws,gcp`).

Each column is a full :class:`Report` for one cloud; the rows are what a platform engineer
compares: machine per pool, accelerators, fabric and its bandwidth per node, storage service,
resource count and cost — and, per cloud, what could not be matched.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from clusterforge.findings import Severity
from clusterforge.report.cells import nic_networks_cell
from clusterforge.report.model import Report
from clusterforge.report.plaintext import WIDTH

STORAGE_LABEL = {
    "fsx-lustre": "FSx for Lustre",
    "managed-lustre": "Managed Lustre",
    "filestore": "Filestore",
    "gcs-bucket": "Cloud Storage (GCS FUSE)",
    "parallelstore": "Parallelstore",
}


@dataclass
class Comparison:
    reports: dict[str, Report]

    def unmatched(self, cloud: str) -> list[str]:
        """What could not be matched on ``cloud``, in words."""
        report = self.reports[cloud]
        problems = [
            f"{f.path}: {f.message}" for f in report.findings if f.severity == Severity.ERROR
        ]
        resolved = report.resolved
        if resolved is None:
            return problems
        for pool in resolved.pools:
            if pool.offering is None:
                problems.append(
                    f"pool {pool.name}: no instance type for {pool.spec.accelerator or 'its spec'}"
                )
            elif (
                pool.is_accelerated
                and pool.fabric == "none"
                and self._fabric_elsewhere(cloud, pool.name)
            ):
                problems.append(f"pool {pool.name}: no high-speed fabric on {cloud}")
        for storage in resolved.storage:
            if storage.service is None:
                problems.append(
                    f"storage {storage.name}: no {storage.spec.type} service on {cloud}"
                )
        if report.cost is not None:
            problems += [f"no price for {item.name}" for item in report.cost.missing]
        return problems

    def _fabric_elsewhere(self, cloud: str, pool_name: str) -> bool:
        for other, report in self.reports.items():
            if other == cloud or report.resolved is None:
                continue
            pool = report.resolved.pool(pool_name)
            if pool is not None and pool.fabric != "none":
                return True
        return False

    def rows(self) -> list[tuple[str, dict[str, str]]]:
        clouds = list(self.reports)
        out: list[tuple[str, dict[str, str]]] = []

        def row(label: str, values: dict[str, Any]) -> None:
            out.append(
                (
                    label,
                    {c: "-" if values.get(c) in (None, "") else str(values.get(c)) for c in clouds},
                )
            )

        row("region", {c: r.cluster_info["region"] for c, r in self.reports.items()})
        pool_names: list[str] = []
        for report in self.reports.values():
            for pool_row in report.pool_rows():
                if pool_row["name"] not in pool_names:
                    pool_names.append(pool_row["name"])
        for name in pool_names:
            cells: dict[str, dict[str, Any]] = {}
            for cloud, report in self.reports.items():
                cells[cloud] = next((p for p in report.pool_rows() if p["name"] == name), {})
            row(f"pool {name}: type", {c: v.get("instance_type") for c, v in cells.items()})
            row(
                f"pool {name}: accelerators",
                {
                    c: f"{v['accelerators_per_node']} x {v['accelerator']}"
                    if v.get("accelerator")
                    else "-"
                    for c, v in cells.items()
                },
            )
            row(f"pool {name}: nodes", {c: v.get("nodes") for c, v in cells.items()})
            row(f"pool {name}: fabric", {c: _fabric(v) for c, v in cells.items()})
            row(
                f"pool {name}: network per node",
                {
                    c: f"{v['network_bandwidth_gbps']:g} Gbps"
                    if v.get("network_bandwidth_gbps")
                    else ""
                    for c, v in cells.items()
                },
            )
        storage_names: list[str] = []
        for report in self.reports.values():
            for storage in report.resolved.storage if report.resolved else ():
                if storage.name not in storage_names:
                    storage_names.append(storage.name)
        for name in storage_names:
            values: dict[str, Any] = {}
            for cloud, report in self.reports.items():
                found = (
                    next((s for s in report.resolved.storage if s.name == name), None)
                    if report.resolved
                    else None
                )
                if found is not None and found.service:
                    tier = (
                        f" @ {found.throughput_mbps_per_tib} MB/s/TiB"
                        if found.throughput_mbps_per_tib
                        else ""
                    )
                    values[cloud] = f"{STORAGE_LABEL[found.service]}{tier}"
            row(f"storage {name}", values)
        row(
            "accelerators total",
            {
                c: ", ".join(f"{n} x {a}" for a, n in r.accelerator_totals().items())
                for c, r in self.reports.items()
            },
        )
        row(
            "resources",
            {
                c: len(r.graph.custom_resources) if r.graph else "not planned"
                for c, r in self.reports.items()
            },
        )

        def cost(report: Report, value: float, text: str) -> str | None:
            if report.cost is None:
                return None
            if report.skipped:
                return "not planned (errors)"
            return text.format(value) + (" (incomplete)" if report.cost.missing else "")

        row(
            "cost per hour",
            {
                c: cost(r, r.cost.hourly_usd if r.cost else 0, "${:,.2f}")
                for c, r in self.reports.items()
            },
        )
        row(
            "cost per month",
            {
                c: cost(r, r.cost.monthly_usd if r.cost else 0, "${:,.0f}")
                for c, r in self.reports.items()
            },
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "clouds": list(self.reports),
            "rows": [{"item": label, **values} for label, values in self.rows()],
            "unmatched": {c: self.unmatched(c) for c in self.reports},
            "plans": {
                c: {
                    "cluster": r.cluster_info,
                    "summary": r.summary(),
                    "findings": [f.to_dict() for f in r.findings],
                    "cost": r.cost.to_dict() if r.cost else None,
                }
                for c, r in self.reports.items()
            },
        }


def _fabric(row: dict[str, Any]) -> str:
    fabric = row.get("fabric")
    if not fabric or fabric == "none":
        return nic_networks_cell(row) or "none"
    if row.get("efa_interfaces"):
        return f"efa x{row['efa_interfaces']}"
    return str(fabric)


def render_comparison(comparison: Comparison, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        from clusterforge.secrets import redact

        return json.dumps(redact(comparison.to_dict()), indent=2, default=str) + "\n"
    clouds = list(comparison.reports)
    if fmt == "markdown":
        lines = [
            "## clusterforge compare: " + " vs ".join(clouds),
            "",
            "| | " + " | ".join(clouds) + " |",
            "|---|" + "---|" * len(clouds),
        ]
        lines += [
            f"| {label} | " + " | ".join(values[c] for c in clouds) + " |"
            for label, values in comparison.rows()
        ]
        lines += ["", "### Could not be matched", ""]
        for cloud in clouds:
            problems = comparison.unmatched(cloud)
            lines.append(
                f"- **{cloud}**: " + ("; ".join(problems) if problems else "everything matched")
            )
        return "\n".join(lines) + "\n"
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=WIDTH, highlight=False
    )
    table = Table(title="Portable stack on " + " and ".join(clouds), title_justify="left")
    table.add_column("")
    for cloud in clouds:
        table.add_column(cloud)
    for label, values in comparison.rows():
        # Text cells: user text (pool names, zones) is never rich markup.
        table.add_row(Text(label), *(Text(str(values[c])) for c in clouds))
    console.print(table)
    console.print("Could not be matched:", markup=False)
    for cloud in clouds:
        problems = comparison.unmatched(cloud)
        console.print(
            f"  {cloud}: " + ("; ".join(problems) if problems else "everything matched"),
            markup=False,
        )
    return buffer.getvalue()
