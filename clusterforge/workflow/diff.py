"""`clusterforge diff OLD NEW`: what a change to a stack does, for PR review.

Each side is a plan JSON (``plan --format json``), a stack file (planned offline here) or
``git-ref:REF:PATH`` (the stack file as it is in a git ref, planned offline). Resources are matched
by URN: added, removed, changed (with the changed inputs) and replaced — a replacement predicted
from the providers' documented replace-on-change properties
(``catalog/data/common/replace_on_change.json``). Deleting or replacing a resource that holds data
is an error finding (``DIFF001``), through the same function as the ``up`` data-loss guard
(:func:`clusterforge.engine.guard.data_loss`). Alongside: accelerators, nodes and fabric bandwidth
before and after, the hourly and monthly cost delta, findings new and resolved, and capacity
windows.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from clusterforge.engine.guard import data_loss, is_stateful
from clusterforge.errors import UsageError
from clusterforge.findings import Finding, Severity
from clusterforge.secrets import redact

DATA_LOSS_RULE = "DIFF001"
GIT_PREFIX = "git-ref:"
#: Longest rendering of one changed value (a subnet list, a tag map) before it is shortened.
VALUE_WIDTH = 80
#: Changed values listed per resource before the rest are counted.
MAX_LEAVES = 12


@cache
def replace_rules() -> dict[str, dict[str, Any]]:
    """Resource type → its replace-on-change properties (with the source of each entry)."""
    path = resources.files("clusterforge.catalog").joinpath("data/common/replace_on_change.json")
    return dict(json.loads(path.read_text(encoding="utf-8"))["types"])


def _ordered(value: Any) -> tuple[float, ...] | None:
    """A number, or a dotted version string (``"2.15"``), as something that orders; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return (float(value),)
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)*", value):
        return tuple(float(part) for part in value.split("."))
    return None


def replacing_properties(type_token: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The inputs whose change from ``old`` to ``new`` makes the provider replace a resource of
    ``type_token`` (empty: an in-place update, or a type with no recorded rules)."""
    rules = replace_rules().get(type_token)
    if rules is None:
        return []
    found = [p for p in rules["replace_on_change"] if old.get(p) != new.get(p)]
    for prop in rules.get("replace_on_decrease", []):
        before, after = _ordered(old.get(prop)), _ordered(new.get(prop))
        if before is not None and after is not None and after < before:
            found.append(prop)
    for prop, when in rules.get("replace_on_change_when", {}).items():
        if old.get(prop) != new.get(prop) and all(old.get(k) == v for k, v in when.items()):
            found.append(prop)
    return sorted(set(found))


@dataclass
class Side:
    """One side of a diff: where it came from and its plan document."""

    label: str
    document: dict[str, Any]

    @property
    def planned(self) -> bool:
        return not (self.document.get("summary") or {}).get("skipped")

    def resources(self) -> dict[str, dict[str, Any]]:
        return {
            r["urn"]: r
            for r in self.document.get("resources") or []
            if isinstance(r, dict)
            and isinstance(r.get("urn"), str)
            and r.get("type") != "pulumi:pulumi:Stack"
            and not str(r.get("type", "")).startswith("pulumi:providers:")
            and _custom(r)
        }

    def pools(self) -> list[dict[str, Any]]:
        return [
            p
            for p in (self.document.get("summary") or {}).get("node_pools") or []
            if isinstance(p, dict)
        ]

    def accelerators(self) -> dict[str, int]:
        return dict((self.document.get("summary") or {}).get("accelerators") or {})

    def cost(self, key: str) -> float | None:
        value = (self.document.get("cost") or {}).get(key)
        return float(value) if isinstance(value, (int, float)) else None

    def findings(self) -> list[dict[str, Any]]:
        return [f for f in self.document.get("findings") or [] if isinstance(f, dict)]


def _custom(resource: dict[str, Any]) -> bool:
    # Components have a clusterforge: type token; custom resources a provider package's.
    return not str(resource.get("type", "")).startswith("clusterforge:")


def load_side(spec: str, *, stack_name: str = "dev") -> Side:
    """A diff side from a plan JSON path, a stack file path or ``git-ref:REF:PATH``."""
    if spec.startswith(GIT_PREFIX):
        return _git_side(spec, stack_name)
    path = Path(spec)
    if not path.exists():
        raise UsageError(
            f"{spec}: no such file", hint="give a plan JSON, a stack file or git-ref:REF:PATH"
        )
    return Side(spec, _document(path, stack_name))


def _document(path: Path, stack_name: str) -> dict[str, Any]:
    from clusterforge import api
    from clusterforge.report.model import PLAN_FORMAT_VERSION, plan_document

    document = api._plan_document(path)
    if document is not None:
        if document.get("version") != PLAN_FORMAT_VERSION:
            raise UsageError(f"{path}: plan format version {document.get('version')!r}, expected {PLAN_FORMAT_VERSION}",
                             hint="write the plan again: clusterforge plan STACK --format json")  # fmt: skip
        return document
    _, report = api.plan_stack(path, stack_name=stack_name)
    if report.graph is None:  # nothing planned: an empty side would read as "nothing changes"
        errors = [f for f in report.findings if f.severity is Severity.ERROR][:3]
        listed = "; ".join(f"{f.rule} {f.path}: {f.message}" for f in errors)
        raise UsageError(
            f"{path} does not plan, so there is nothing to compare: {listed or report.skipped}",
            hint=f"fix what `clusterforge validate {path}` reports, then diff again",
        )
    return plan_document(report)


def _git_side(spec: str, stack_name: str) -> Side:
    ref, sep, relative = spec[len(GIT_PREFIX) :].partition(":")
    if not sep or not ref or not relative:
        raise UsageError(
            f"{spec}: expected git-ref:REF:PATH", hint="e.g. git-ref:origin/main:cluster.yaml"
        )
    if ref.startswith("-"):
        raise UsageError(f"{spec}: a git ref does not start with '-'")
    path = Path(relative)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        shown = subprocess.run(
            ["git", "show", f"{ref}:./{path.name}"], cwd=directory if directory.is_dir() else None,
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"{spec}: cannot run git: {exc}") from None
    if shown.returncode != 0:
        message = shown.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"{spec}: {message[-1] if message else 'git show failed'}",
                         hint="check the ref and the path (relative to the current directory)")  # fmt: skip
    # Planned from a scratch copy with the same file name next to nothing else: a Python stack
    # that imports its neighbours is planned from the working tree's neighbours.
    with tempfile.TemporaryDirectory(prefix="clusterforge-diff-") as scratch:
        copy = Path(scratch) / path.name
        copy.write_bytes(shown.stdout)
        document = _document(copy, stack_name)
    document["stack_file"] = f"{ref}:{relative}"
    return Side(spec, document)


@dataclass
class Change:
    urn: str
    type: str
    name: str
    action: str  # add, remove, update, replace
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    replaced_by: list[str] = field(default_factory=list)
    protected: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "action": self.action,
        }
        if self.changed:
            data["changed_inputs"] = {k: {"old": o, "new": n} for k, (o, n) in self.changed.items()}
        if self.replaced_by:
            data["replace_because"] = self.replaced_by
        if self.protected:
            data["protected"] = True
        return data


@dataclass
class Diff:
    old: Side
    new: Side
    changes: list[Change]
    findings_new: list[dict[str, Any]]
    findings_resolved: list[dict[str, Any]]
    data_loss: list[Finding]

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def hourly_usd_delta(self) -> float | None:
        return _delta(self.old.cost("hourly_usd"), self.new.cost("hourly_usd"))

    @property
    def monthly_usd_delta(self) -> float | None:
        return _delta(self.old.cost("monthly_usd"), self.new.cost("monthly_usd"))

    def capacity(self) -> list[dict[str, Any]]:
        """Accelerators, nodes and fabric bandwidth per pool, before and after."""
        rows: list[dict[str, Any]] = []
        old_pools = {p.get("name"): p for p in self.old.pools()}
        new_pools = {p.get("name"): p for p in self.new.pools()}
        for name in [*old_pools, *(n for n in new_pools if n not in old_pools)]:
            before, after = old_pools.get(name) or {}, new_pools.get(name) or {}
            rows.append({
                "pool": name,
                "instance_type": {"old": before.get("instance_type"), "new": after.get("instance_type")},
                "nodes": {"old": before.get("nodes"), "new": after.get("nodes")},
                "max_nodes": {"old": before.get("max_nodes"), "new": after.get("max_nodes")},
                "accelerators": {"old": _accelerators(before), "new": _accelerators(after)},
                "fabric_gbps": {"old": _fabric_gbps(before), "new": _fabric_gbps(after)},
                "capacity_window": {"old": before.get("capacity_window"), "new": after.get("capacity_window")},
            })  # fmt: skip
        return rows

    def totals(self) -> dict[str, Any]:
        old_accel, new_accel = self.old.accelerators(), self.new.accelerators()
        return {
            "accelerators": {a: {"old": old_accel.get(a, 0), "new": new_accel.get(a, 0)}
                             for a in sorted({*old_accel, *new_accel})},
            "nodes": {"old": sum(p.get("nodes") or 0 for p in self.old.pools()),
                      "new": sum(p.get("nodes") or 0 for p in self.new.pools())},
            "fabric_gbps": {"old": sum(_fabric_gbps(p) for p in self.old.pools()),
                            "new": sum(_fabric_gbps(p) for p in self.new.pools())},
        }  # fmt: skip

    @property
    def errors(self) -> list[Finding]:
        return [
            *self.data_loss,
            *(_finding(f) for f in self.findings_new if f.get("severity") == "error"),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "old": {"source": self.old.label, "cluster": self.old.document.get("cluster"), "planned": self.old.planned},
            "new": {"source": self.new.label, "cluster": self.new.document.get("cluster"), "planned": self.new.planned},
            "summary": {a: self.count(a) for a in ("add", "remove", "update", "replace")},
            "resources": [c.to_dict() for c in self.changes],
            "capacity": self.capacity(),
            "totals": self.totals(),
            "cost": {
                "hourly_usd": {"old": self.old.cost("hourly_usd"), "new": self.new.cost("hourly_usd")},
                "monthly_usd": {"old": self.old.cost("monthly_usd"), "new": self.new.cost("monthly_usd")},
            },
            "hourly_usd_delta": self.hourly_usd_delta,
            "monthly_usd_delta": self.monthly_usd_delta,
            "findings": {
                "data_loss": [f.to_dict() for f in self.data_loss],
                "new": self.findings_new,
                "resolved": self.findings_resolved,
            },
        }  # fmt: skip


def _delta(old: float | None, new: float | None) -> float | None:
    return None if old is None or new is None else round(new - old, 4)


def _accelerators(pool: dict[str, Any]) -> int:
    if not pool.get("accelerator"):
        return 0
    return (
        int(pool.get("accelerators_per_node") or 0)
        * int(pool.get("nodes") or 0)
        * int(pool.get("slices") or 1)
    )


def _fabric_gbps(pool: dict[str, Any]) -> float:
    """Fabric bandwidth of the pool at its desired size (per-node bandwidth x nodes), fabric pools only."""
    if not pool or pool.get("fabric") in (None, "none") or not pool.get("network_bandwidth_gbps"):
        return 0.0
    return float(pool["network_bandwidth_gbps"]) * int(pool.get("nodes") or 0)


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(str(data.get("rule", "")), Severity.parse(str(data.get("severity", "error"))),
                   str(data.get("path", "")), str(data.get("message", "")), str(data.get("hint", "")),
                   data.get("location"))  # fmt: skip


def _short(value: Any) -> Any:
    text = json.dumps(value, sort_keys=True, default=str)
    return value if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def changed_leaves(
    old: Any, new: Any, path: str = "", limit: int = MAX_LEAVES
) -> list[tuple[str, tuple[Any, Any]]]:
    """The paths (``spec.resourceGroups[0].flavors[0]``) where ``new`` differs from ``old``, with
    both values — at most ``limit`` of them, the rest summarised in one entry."""
    found: list[tuple[str, tuple[Any, Any]]] = []
    stack: list[tuple[str, Any, Any]] = [(path, old, new)]
    while stack and len(found) < limit:
        where, before, after = stack.pop(0)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            stack += [(f"{where}.{k}" if where else str(k), before.get(k), after.get(k))
                      for k in sorted({*before, *after}, key=str)]  # fmt: skip
        elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
            stack += [
                (f"{where}[{i}]", b, a) for i, (b, a) in enumerate(zip(before, after, strict=True))
            ]
        else:
            found.append((where or "(value)", (_short(before), _short(after))))
    remaining = sum(1 for where, before, after in stack if before != after)
    if remaining:
        found.append(("…", (f"{remaining} more", "")))
    return found


def diff(old: Side, new: Side) -> Diff:
    """Compare two planned sides (see the module docstring)."""
    changes: list[Change] = []
    if old.planned and new.planned:
        before, after = old.resources(), new.resources()
        for urn, resource in before.items():
            if urn not in after:
                changes.append(Change(urn, resource["type"], resource.get("name", ""), "remove",
                                      protected=bool((resource.get("options") or {}).get("protect"))))  # fmt: skip
        for urn, resource in after.items():
            previous = before.get(urn)
            if previous is None:
                changes.append(Change(urn, resource["type"], resource.get("name", ""), "add"))
                continue
            old_inputs, new_inputs = previous.get("inputs") or {}, resource.get("inputs") or {}
            because = replacing_properties(resource["type"], old_inputs, new_inputs)
            changed = dict(changed_leaves(redact(old_inputs), redact(new_inputs)))
            if not changed:
                continue
            changes.append(Change(urn, resource["type"], resource.get("name", ""),
                                  "replace" if because else "update", changed, because,
                                  bool((previous.get("options") or {}).get("protect"))))  # fmt: skip
    steps = [(c.urn, c.type, "delete" if c.action == "remove" else c.action) for c in changes]
    losses = []
    for loss in data_loss(steps):
        change = next(c for c in changes if c.urn == loss.urn)
        why = f" (changed: {', '.join(change.replaced_by)})" if change.replaced_by else ""
        losses.append(Finding(
            DATA_LOSS_RULE, Severity.ERROR, loss.name,
            f"{'replaces' if loss.op == 'replace' else 'deletes'} {loss.type} {loss.name}{why}: the data it holds is lost"
            + (" — it is protected, so `up` fails at this step" if change.protected else ""),
            "keep the storage as it is (revert the change), or create the new one beside it and move the data; "
            "`up` refuses this change without --allow-data-loss",
            extra={"urn": loss.urn},
        ))  # fmt: skip
    old_keys = {_key(f) for f in old.findings()}
    new_keys = {_key(f) for f in new.findings()}
    return Diff(
        old, new, changes,
        findings_new=[f for f in new.findings() if _key(f) not in old_keys],
        findings_resolved=[f for f in old.findings() if _key(f) not in new_keys],
        data_loss=losses,
    )  # fmt: skip


def _key(finding: dict[str, Any]) -> tuple[str, str, str]:
    return (str(finding.get("rule")), str(finding.get("path")), str(finding.get("message")))


def stateful(change: Change) -> bool:
    return is_stateful(change.type)
