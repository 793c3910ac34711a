"""The outcome of `verify`: per pool and test, measured against expected, and its renderings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from clusterforge.report.cells import md_cell as _md
from clusterforge.verify.facts import Expectation
from clusterforge.verify.jobs import PoolTest, Skipped
from clusterforge.verify.nccl_output import NcclRun

PASS, FAIL, TIMEOUT, ERROR = "pass", "fail", "timeout", "error"


@dataclass
class TestOutcome:
    """One nccl-tests binary's run on one pool."""

    test: str
    run: NcclRun | None
    #: Large-message out-of-place bus bandwidth (GB/s).
    busbw_gb_per_s: float | None
    network: str | None
    status: str
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "test": self.test,
            "status": self.status,
            "busbw_gb_per_s": self.busbw_gb_per_s,
            "avg_busbw_gb_per_s": run.avg_busbw_gb_per_s if run else None,
            "largest_message_bytes": run.largest_bytes if run else None,
            "network": self.network,
            "wrong_values": run.wrong_values if run else None,
            "problems": list(self.problems),
        }


@dataclass
class PoolOutcome:
    pool: str
    path: str
    fabric: str
    instance_type: str | None
    expected: Expectation | None
    status: str
    duration_s: float
    nodes: list[str] = field(default_factory=list)
    tests: list[TestOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Nodes the bisection found slow (tainted when asked).
    suspects: list[str] = field(default_factory=list)
    tainted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pool": self.pool,
            "path": self.path,
            "fabric": self.fabric,
            "instance_type": self.instance_type,
            "status": self.status,
            "duration_s": round(self.duration_s, 1),
            "expected": self.expected.to_dict() if self.expected else None,
            "nodes": list(self.nodes),
            "tests": [t.to_dict() for t in self.tests],
            "problems": list(self.problems),
            "suspect_nodes": list(self.suspects),
            "tainted_nodes": list(self.tainted),
            "notes": list(self.notes),
        }


@dataclass
class VerifyReport:
    stack_file: str
    cluster: str
    pools: list[PoolOutcome] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: Files written by --render, and the tests they hold.
    rendered: list[str] = field(default_factory=list)
    planned: list[PoolTest] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.status == PASS for p in self.pools)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack_file": self.stack_file,
            "cluster": self.cluster,
            "ok": self.ok,
            "pools": [p.to_dict() for p in self.pools],
            "skipped": [{"pool": s.pool, "path": s.path, "reason": s.reason} for s in self.skipped],
            "rendered": list(self.rendered),
            "planned": [_planned(test) for test in self.planned],
        }


def _planned(test: PoolTest) -> dict[str, Any]:
    return {
        "pool": test.pool,
        "path": test.path,
        "job": test.job_name,
        "fabric": test.fabric,
        "instance_type": test.instance_type,
        "nodes": test.nodes,
        "gpus_per_node": test.gpus_per_node,
        "efa_devices": test.efa_devices,
        "neuron_devices": test.neuron_devices,
        "neuron_cores": test.neuron_cores,
        "networks": list(test.networks),
        "rdma_resource": test.rdma_resource,
        "image": test.image,
        "expected": test.expected.to_dict() if test.expected else None,
    }


def _devices(test: PoolTest) -> str:
    parts = [f"{test.gpus_per_node} GPU"]
    if test.neuron_devices:
        parts = [f"{test.neuron_devices} Neuron ({test.neuron_cores} NeuronCores)"]
    if test.efa_devices:
        parts.append(f"{test.efa_devices} EFA")
    if test.networks:
        parts.append(f"{len(test.networks)} GPU networks ({test.networks[0]}..{test.networks[-1]})")
    if test.rdma_resource:
        parts.append(test.rdma_resource)
    return ", ".join(parts)


def _expected(expected: Expectation | None) -> str:
    if expected is None:
        return "unknown (pass --expect-busbw)"
    kind = "derived" if expected.derived else "published"
    return f"{expected.busbw_gb_per_s:g} GB/s {kind}, floor {expected.floor_gb_per_s:g}"


def _measured(outcome: TestOutcome) -> str:
    return f"{outcome.busbw_gb_per_s:g} GB/s" if outcome.busbw_gb_per_s is not None else "-"


def render_text(report: VerifyReport) -> str:
    lines = [f"{report.cluster}  ({report.stack_file})"]
    for pool in report.pools:
        lines.append(
            f"\n{pool.pool} [{pool.path}]  {pool.instance_type or '-'}  {pool.fabric}  "
            f"{len(pool.nodes) or '?'} nodes  {pool.status.upper()}  ({pool.duration_s:.0f} s)"
        )
        lines.append(f"  expected all_reduce busbw: {_expected(pool.expected)}")
        if pool.expected is not None:
            lines.append(f"    source: {pool.expected.source}")
        for test in pool.tests:
            lines.append(
                f"  {test.test:<16} {test.status:<7} busbw {_measured(test):<14} "
                f"network {test.network or '-'}"
            )
            lines += [f"    - {problem}" for problem in test.problems]
        lines += [f"  ! {problem}" for problem in pool.problems]
        if pool.suspects:
            lines.append(f"  slow node(s): {', '.join(pool.suspects)}")
        if pool.tainted:
            lines.append(f"  tainted: {', '.join(pool.tainted)}")
        lines += [f"  note: {note}" for note in pool.notes]
    for planned in report.planned:
        lines.append(
            f"\n{planned.pool} [{planned.path}]  {planned.instance_type or '-'}  {planned.fabric}  "
            f"{planned.nodes} nodes  job {planned.job_name}"
        )
        lines.append(f"  per pod: {_devices(planned)}")
        lines.append(f"  expected all_reduce busbw: {_expected(planned.expected)}")
        if planned.expected is not None:
            lines.append(f"    source: {planned.expected.source}")
        lines += [f"  note: {note}" for note in planned.notes]
    for skipped in report.skipped:
        lines.append(f"\nskipped {skipped.pool} [{skipped.path}]: {skipped.reason}")
    if report.rendered:
        lines.append("\nwrote:")
        lines += [f"  {path}" for path in report.rendered]
    if report.pools:
        verdict = "all pools pass" if report.ok else "FABRIC CHECK FAILED"
        lines.append(f"\n{verdict}")
    elif not report.planned and not report.skipped:
        lines.append("\nnothing to test: the stack has no accelerator pool")
    return "\n".join(lines) + "\n"


def render_json(report: VerifyReport) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"


def render_markdown(report: VerifyReport) -> str:
    lines = [f"### clusterforge verify: `{_md(report.cluster)}`", ""]
    if report.pools:
        lines += [
            "| pool | fabric | nodes | test | measured busbw | expected | network | result |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for pool in report.pools:
            for test in pool.tests or [TestOutcome("-", None, None, None, pool.status)]:
                lines.append(
                    f"| {_md(pool.pool)} | {pool.fabric} | {len(pool.nodes)} | {test.test} | "
                    f"{_measured(test)} | {_md(_expected(pool.expected))} | "
                    f"{_md(test.network or '-')} | {test.status} |"
                )
        problems = [
            (pool.pool, problem)
            for pool in report.pools
            for problem in [*pool.problems, *(p for t in pool.tests for p in t.problems)]
        ]
        if problems:
            lines += ["", "**Problems**", ""]
            lines += [f"- `{_md(pool)}`: {_md(problem)}" for pool, problem in problems]
        suspects = [(p.pool, n) for p in report.pools for n in p.suspects]
        if suspects:
            lines += ["", "**Slow nodes**: " + ", ".join(f"`{n}` ({p})" for p, n in suspects)]
    if report.planned:
        lines += [
            "| pool | fabric | nodes | per pod | expected all_reduce busbw | job |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {_md(t.pool)} | {t.fabric} | {t.nodes} | {_md(_devices(t))} | "
            f"{_md(_expected(t.expected))} | `{t.job_name}` |"
            for t in report.planned
        ]
    if report.rendered:
        lines += ["", "Written: " + ", ".join(f"`{_md(path)}`" for path in report.rendered)]
    if report.skipped:
        lines += ["", "<details><summary>Pools not tested</summary>", ""]
        lines += [f"- `{_md(s.pool)}`: {_md(s.reason)}" for s in report.skipped]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
