"""The rule tables' shared parts: a known-good AWS baseline, a deep merge, and GOOD/BAD cases.

A case is a small dict merged over ``BASELINE`` (see :func:`merge`), the rule it is about and,
for a BAD case, the finding it must produce: severity, exact spec path and a fragment of the
message or hint. :func:`check` runs the whole validator, not the one rule, so a case also proves
that the rule is registered for AWS and that no rule crashes on it.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from clusterforge.catalog import load
from clusterforge.findings import Finding, Severity
from clusterforge.spec.models import Cluster
from clusterforge.validate import validate

#: The catalog's review date (services.json "reviewed"): Kubernetes 1.35 is in standard support,
#: 1.31 in extended support, 1.29 past both. conftest.py pins the rules' `today` to it.
PINNED_TODAY = dt.date(2026, 11, 21)

#: A cluster every rule accepts: a CPU system pool, a two-node EFA H100 pool in one zone and a
#: PERSISTENT_2 Lustre file system the H100 pool mounts (by default, as an accelerator pool).
BASELINE: dict[str, Any] = {
    "name": "train",
    "cloud": "aws",
    "region": "us-east-1",
    "network": {"cidr": "10.0.0.0/16", "zones": ["us-east-1a", "us-east-1b"]},
    "node_pools": [
        {"name": "system", "instance_type": "m7i.2xlarge", "nodes": 2},
        {
            "name": "h100",
            "instance_type": "p5.48xlarge",
            "nodes": 2,
            "fabric": "efa",
            "zone": "us-east-1a",
        },
    ],
    "storage": [
        {
            "name": "scratch",
            "type": "lustre",
            "capacity_gib": 2400,
            "deployment_type": "PERSISTENT_2",
            "throughput_mbps_per_tib": 250,
            "mount_path": "/mnt/data",
        }
    ],
}

CRASH_PATH = "(rule)"


def merge(base: Any, override: Any) -> Any:
    """A copy of ``base`` with ``override`` deep-merged into it.

    Dicts merge key by key. A dict with int keys patches a list item by index (the index one past
    the end appends), so ``{"node_pools": {1: {"zone": None}}}`` changes only the second pool.
    Anything else, including a list, replaces the value.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        result = copy.deepcopy(base)
        for key, value in override.items():
            result[key] = merge(result[key], value) if key in result else copy.deepcopy(value)
        return result
    if isinstance(base, list) and isinstance(override, dict):
        items = copy.deepcopy(base)
        for index, value in sorted(override.items()):
            if index == len(items):
                items.append(copy.deepcopy(value))
            else:
                items[index] = merge(items[index], value)
        return items
    return copy.deepcopy(override)


def cluster_from(override: Mapping[str, Any] | None = None) -> Cluster:
    return Cluster.model_validate(merge(BASELINE, dict(override or {})))


def run(override: Mapping[str, Any] | None = None, skip: tuple[str, ...] = ()) -> list[Finding]:
    """Every finding for ``BASELINE`` with ``override`` applied."""
    _, findings = validate(cluster_from(override), skip=skip)
    return findings


def describe(findings: list[Finding]) -> list[str]:
    """Findings as one line each, for assertion messages."""
    return [f"{f.rule} {f.severity.value} {f.path}: {f.message} | {f.hint}" for f in findings]


@contextmanager
def patched_catalog(offerings: Mapping[str, Mapping[str, Any]]) -> Iterator[None]:
    """Resolve against the AWS catalog with some offering fields replaced.

    For facts the real data never has (every type in it supports cluster placement groups).
    """
    if not offerings:
        yield
        return
    catalog = load("aws")
    changed = {**catalog.offerings}
    for instance_type, fields in offerings.items():
        changed[instance_type] = dataclasses.replace(catalog.offerings[instance_type], **fields)
    patched = dataclasses.replace(catalog, offerings=changed)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr("clusterforge.catalog.resolve.catalog_for", lambda cluster: patched)
        yield


@dataclasses.dataclass(frozen=True)
class Expected:
    severity: Severity
    path: str
    #: Fragments that must all appear in the finding's message or hint.
    text: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Case:
    rule_id: str
    override: Mapping[str, Any]
    #: None for a GOOD case: the rule must say nothing at all.
    expected: Expected | None = None
    #: Offering fields to replace in the catalog (see :func:`patched_catalog`).
    offerings: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)


def good(rule_id: str, name: str, override: Mapping[str, Any], **kwargs: Any) -> Any:
    """A table row: ``override`` does not trigger ``rule_id``."""
    return pytest.param(Case(rule_id, override, None, **kwargs), id=f"{rule_id}-good-{name}")


def bad(
    rule_id: str,
    name: str,
    override: Mapping[str, Any],
    severity: Severity,
    path: str,
    *text: str,
    **kwargs: Any,
) -> Any:
    """A table row: ``override`` makes ``rule_id`` report ``severity`` at ``path`` saying ``text``."""
    return pytest.param(
        Case(rule_id, override, Expected(severity, path, text), **kwargs),
        id=f"{rule_id}-bad-{name}",
    )


def check(case: Case) -> None:
    """Run the validator on the case's spec and assert what its rule reports."""
    with patched_catalog(case.offerings):
        findings = run(case.override)
    crashed = [f for f in findings if f.path == CRASH_PATH]
    assert not crashed, describe(crashed)
    mine = [f for f in findings if f.rule == case.rule_id]
    if case.expected is None:
        assert not mine, describe(mine)
        return
    expected = case.expected
    at_path = [f for f in mine if f.path == expected.path]
    assert len(at_path) == 1, f"want one {case.rule_id} at {expected.path}, got {describe(mine)}"
    finding = at_path[0]
    assert finding.severity is expected.severity, describe(at_path)
    said = f"{finding.message}\n{finding.hint}"
    for fragment in expected.text:
        assert fragment in said, f"{fragment!r} not in {said!r}"
