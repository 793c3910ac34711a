"""The one report model every renderer reads (text, JSON, Markdown; SARIF with the policy checks).

``plan_document`` is the stable plan JSON contract (design.md): version, cluster, resources,
summary, findings, cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusterforge.catalog.capacity_window import window as capacity_window
from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.clouds import profile
from clusterforge.cost import CostEstimate
from clusterforge.findings import Finding, Severity, sort_findings
from clusterforge.graph import ResourceGraph
from clusterforge.spec.sourcemap import SourceMap

PLAN_FORMAT_VERSION = 1


@dataclass
class Report:
    """What a command found and planned for one stack."""

    stack_file: str
    findings: list[Finding] = field(default_factory=list)
    resolved: ResolvedCluster | None = None
    graph: ResourceGraph | None = None
    cost: CostEstimate | None = None
    source: SourceMap | None = None
    #: Why the plan did not run (validation errors), when it did not.
    skipped: str | None = None
    stack: str = "dev"
    #: ``check``: how many policies ran over how many resources.
    policies_run: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        self.findings = self._located(self.findings)

    def _located(self, findings: list[Finding]) -> list[Finding]:
        return sort_findings(
            [
                f.with_location(self.source.location(f.path))
                if self.source and not f.location
                else f
                for f in findings
            ]
        )

    def add_findings(self, findings: list[Finding]) -> None:
        """Add findings (e.g. policy results), locating them in the stack file and re-sorting."""
        self.findings = self._located([*self.findings, *findings])

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def cluster_info(self) -> dict[str, Any]:
        if self.resolved is None:
            return {"name": None, "cloud": None, "region": None}
        spec = self.resolved.spec
        info: dict[str, Any] = {"name": spec.name, "cloud": spec.cloud, "region": spec.region}
        if not profile(spec.cloud).creates_cluster:
            info["context"] = spec.kubernetes.context
        return info

    def pool_rows(self) -> list[dict[str, Any]]:
        from clusterforge.catalog.gcp_network import built_nic_networks

        rows = []
        for pool in self.resolved.pools if self.resolved else ():
            offering = pool.offering
            rows.append(
                {
                    "name": pool.name,
                    "instance_type": pool.instance_type,
                    "accelerator": offering.accelerator if offering else pool.spec.accelerator,
                    "accelerators_per_node": offering.accelerator_count
                    if offering
                    else pool.spec.accelerators_per_node,
                    "nodes": pool.desired,
                    "min_nodes": pool.min_size,
                    "max_nodes": pool.max_size,
                    "zone": pool.zone,
                    "fabric": pool.fabric,
                    "efa_interfaces": pool.efa_interfaces,
                    "nic_networks": [n.kind for n in built_nic_networks(pool)],
                    "network_bandwidth_gbps": offering.network_bandwidth_gbps if offering else None,
                    "placement_group": pool.placement_group,
                    "placement": profile(pool.cloud).placement if pool.placement_group else None,
                    "topology": pool.topology,
                    "slices": pool.slices,
                    "capacity": pool.spec.capacity.type,
                    "capacity_window": capacity_window(
                        pool.spec.capacity.start, pool.spec.capacity.end
                    ),
                    "ami_type": pool.ami_type,
                }
            )
        return rows

    def addon_rows(self) -> list[dict[str, Any]]:
        """Add-ons in install order, with version, namespace, engine and why the tool added them."""
        rows = []
        for order, addon in enumerate(self.resolved.addons if self.resolved else (), start=1):
            rows.append(
                {
                    "order": order,
                    "name": addon.name,
                    "version": addon.version,
                    "namespace": addon.namespace,
                    "engine": addon.facts.engine,
                    "after": list(addon.requires),
                    "added_because": addon.reason,
                }
            )
        return rows

    def accelerator_totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for pool in self.resolved.pools if self.resolved else ():
            if pool.offering and pool.offering.accelerator:
                totals[pool.offering.accelerator] = (
                    totals.get(pool.offering.accelerator, 0)
                    + pool.offering.accelerator_count * pool.total_nodes
                )
        return totals

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "findings": {s.value: self.count(s) for s in Severity},
            "node_pools": self.pool_rows(),
            "accelerators": self.accelerator_totals(),
            "addons": self.addon_rows(),
        }
        if self.graph is not None:
            custom = self.graph.custom_resources
            data["resources"] = len(custom)
            data["components"] = sum(
                1 for r in self.graph.resources if not r.custom and r.type != "pulumi:pulumi:Stack"
            )
            data["by_type"] = self.graph.counts_by_type()
            data["protected"] = [r.urn for r in custom if r.protected]
            data["outputs"] = self.graph.stack_outputs
        if self.skipped:
            data["skipped"] = self.skipped
        return data


def plan_document(report: Report) -> dict[str, Any]:
    """The plan JSON contract (`clusterforge plan --format json`)."""
    resources = []
    if report.graph is not None:
        graph = report.graph
        resources = [
            {
                **r.to_dict(),
                "id": r.id,
                "spec_path": graph.spec_path(r),
                "property_dependencies": r.property_dependencies,
            }
            for r in graph.resources
        ]
    return {
        "version": PLAN_FORMAT_VERSION,
        "stack": report.stack,
        "stack_file": report.stack_file,
        "cluster": report.cluster_info,
        "resources": resources,
        "summary": report.summary(),
        "findings": [f.to_dict() for f in report.findings],
        "cost": report.cost.to_dict()
        if report.cost
        else {"hourly_usd": None, "monthly_usd": None, "items": []},
    }
