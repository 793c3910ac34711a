"""Builders for synthetic planned resources, and running one policy over them through the SDK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel

from clusterforge.findings import Finding
from clusterforge.graph import STACK_TYPE, PlannedResource, ResourceGraph
from clusterforge.policies import RULES
from clusterforge.policies.offline import run_policies
from clusterforge.policies.pack_config import PackConfig

STACK_URN = f"urn:pulumi:dev::test::{STACK_TYPE}::test-dev"


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:dev::test::{type_token}::{name}"


def res(
    type_token: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    deps: Sequence[tuple[str, str]] = (),
    provider: str | None = None,
    **options: Any,
) -> PlannedResource:
    """A planned custom resource; ``deps`` are (type, name) of resources it depends on."""
    opts = dict(options)
    if provider:
        opts["provider"] = provider
    return PlannedResource(
        urn=urn(type_token, name),
        type=type_token,
        name=name,
        parent=STACK_URN,
        custom=True,
        dependencies=[urn(t, n) for t, n in deps],
        inputs=dict(inputs or {}),
        options=opts,
    )


def graph(*resources: PlannedResource) -> ResourceGraph:
    stack = PlannedResource(
        urn=STACK_URN, type=STACK_TYPE, name="test-dev", parent=None, custom=False
    )
    return ResourceGraph([stack, *resources])


def only(rule_id: str, settings: Mapping[str, Any] | None = None) -> PackConfig:
    """A config running just ``rule_id``, at its default level, with ``settings``."""
    levels = {rule_id: RULES[rule_id].level}
    return PackConfig(
        EnforcementLevel.DISABLED, levels, {rule_id: dict(settings)} if settings else {}
    )


def violations(
    rule_id: str, resources: Sequence[PlannedResource], settings: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Run one policy over ``resources`` the way `clusterforge check` does (pulumi_policy args)."""
    return run_policies(graph(*resources), only(rule_id, settings))
