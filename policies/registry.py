"""The policy registry: every rule of the pack with its stable id, level, description and remediation.

Policy ids are ``CF-<AREA>-<NNN>`` — ``CF-FAB`` fabric, ``CF-DATA`` data safety, ``CF-AWS`` and
``CF-GKE`` security, ``CF-GOV`` cost and governance, ``CF-K8S`` Kubernetes objects. The hyphens
keep them apart from the validation ids (``EFA001``, ``POOL004``, ...), which check the spec; the
policies check the planned resources. The id is also the Pulumi policy *name*, so the same string
is the key in a ``--policy-pack-config`` file, the ``rule`` of a finding and the SARIF ``ruleId``.

Each rule is a real ``pulumi_policy`` object (:class:`ResourceValidationPolicy` or
:class:`StackValidationPolicy`) built by the decorators below; ``policies/__main__.py`` hands
them to ``PolicyPack`` and the offline ``clusterforge check`` calls their ``validate`` directly.
Rules read resource *inputs* (the engine's camelCase names), never provider-computed outputs,
so a preview and the offline plan give the same answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import Severity as PolicySeverity

from clusterforge.findings import Severity

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

ID_PATTERN = re.compile(r"^CF-(FAB|DATA|AWS|GKE|GOV|K8S)-\d{3}$")
AREAS = {
    "FAB": "fabric",
    "DATA": "data safety",
    "AWS": "security (AWS)",
    "GKE": "security (GKE)",
    "GOV": "cost and governance",
    "K8S": "Kubernetes",
}

ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]


@dataclass(frozen=True)
class PolicyRule:
    """One policy of the pack and what the offline runner and the reports need to know about it."""

    policy: ResourceValidationPolicy | StackValidationPolicy
    #: Resource types the rule reads (documentation, and the types a resource rule applies to).
    types: tuple[str, ...]
    #: The spec field a violation points at, appended to the resource's spec path
    #: (``node_pools[1]`` + ``capacity``) so a finding lands on the line that decides it.
    spec_field: str | None = None
    #: An absolute spec path every violation points at instead (``region``, ``tags``): for rules
    #: whose fix is one stack-wide setting rather than the element a resource was built from.
    spec_path: str | None = None
    #: Validation rules that report the same problem from the spec at the same path: where one
    #: of them already did, ``plan`` and ``check`` show that one finding, not both.
    same_as: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.policy.name

    @property
    def title(self) -> str:
        return self.policy.display_name or self.policy.name

    @property
    def area(self) -> str:
        return AREAS[self.id.split("-")[1]]

    @property
    def level(self) -> EnforcementLevel:
        return self.policy.enforcement_level or ADVISORY

    @property
    def severity(self) -> Severity:
        return severity_of(self.level)

    @property
    def description(self) -> str:
        return self.policy.description

    @property
    def remediation(self) -> str:
        return self.policy.remediation_steps or ""

    @property
    def kind(self) -> str:
        return "stack" if isinstance(self.policy, StackValidationPolicy) else "resource"

    @property
    def config_properties(self) -> Mapping[str, Mapping[str, Any]]:
        schema = self.policy.config_schema
        return schema.properties if schema is not None else {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "kind": self.kind,
            "level": self.level.value,
            "severity": self.severity.value,
            "types": list(self.types),
            "description": self.description,
            "remediation": self.remediation,
            "same_as": list(self.same_as),
            "config": {k: dict(v) for k, v in self.config_properties.items()},
        }


#: Every rule, in registration order (the rule modules are imported by ``rules/__init__.py``).
RULES: dict[str, PolicyRule] = {}


def severity_of(level: EnforcementLevel) -> Severity:
    """Finding severity of a violation at ``level``: mandatory (and remediate) → error, advisory → warning."""
    return Severity.WARNING if level == ADVISORY else Severity.ERROR


def config_schema(**properties: Mapping[str, Any]) -> PolicyConfigSchema:
    """A policy config schema (JSON Schema per property) for ``--policy-pack-config`` settings."""
    return PolicyConfigSchema(
        properties={name: dict(schema) for name, schema in properties.items()}
    )


def resource_policy(
    rule_id: str,
    title: str,
    *,
    types: tuple[str, ...],
    description: str,
    remediation: str,
    level: EnforcementLevel = MANDATORY,
    config: PolicyConfigSchema | None = None,
    spec_field: str | None = None,
    spec_path: str | None = None,
    same_as: tuple[str, ...] = (),
) -> Callable[[ResourceCheck], ResourceCheck]:
    """Register ``check`` as a resource policy that runs on resources of ``types`` (a type token,
    or a package prefix such as ``aws:``)."""

    def register(check: ResourceCheck) -> ResourceCheck:
        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if applies(args.resource_type, types):
                check(args, report_violation)

        policy = ResourceValidationPolicy(
            validate=validate,
            **_policy_fields(rule_id, title, description, remediation, level, config),
        )
        _add(PolicyRule(policy, types, spec_field, spec_path, same_as))
        return check

    return register


def applies(resource_type: str, types: tuple[str, ...]) -> bool:
    """Whether a rule reading ``types`` (tokens, or package prefixes ending in ``:``) reads ``resource_type``."""
    return any(
        resource_type == t or (t.endswith(":") and resource_type.startswith(t)) for t in types
    )


def stack_policy(
    rule_id: str,
    title: str,
    *,
    types: tuple[str, ...],
    description: str,
    remediation: str,
    level: EnforcementLevel = MANDATORY,
    config: PolicyConfigSchema | None = None,
    spec_field: str | None = None,
    spec_path: str | None = None,
    same_as: tuple[str, ...] = (),
) -> Callable[[StackCheck], StackCheck]:
    """Register ``check`` as a stack policy (it sees every resource and follows references)."""

    def register(check: StackCheck) -> StackCheck:
        policy = StackValidationPolicy(
            validate=check,
            **_policy_fields(rule_id, title, description, remediation, level, config),
        )
        _add(PolicyRule(policy, types, spec_field, spec_path, same_as))
        return check

    return register


def _policy_fields(
    rule_id: str,
    title: str,
    description: str,
    remediation: str,
    level: EnforcementLevel,
    config: PolicyConfigSchema | None,
) -> dict[str, Any]:
    """The keyword arguments every clusterforge policy passes to the SDK's policy class."""
    return {
        "name": rule_id,
        "description": description,
        "enforcement_level": level,
        "config_schema": config,
        "display_name": title,
        "severity": _policy_severity(level),
        "tags": [AREAS[rule_id.split("-")[1]]],
        "remediation_steps": remediation,
    }


def _policy_severity(level: EnforcementLevel) -> PolicySeverity:
    return PolicySeverity.HIGH if level == MANDATORY else PolicySeverity.MEDIUM


Fact = TypeVar("Fact")

#: Per-resource facts computed during the current offline policy run, keyed by the fact function
#: and the identity of the resource's props object (the runner builds one per resource per run
#: and keeps it alive until the run ends, so the identity is the resource's).
_FACTS: contextvars.ContextVar[dict[tuple[Any, int], Any] | None] = contextvars.ContextVar(
    "clusterforge_policy_facts", default=None
)


def resource_fact(compute: Callable[[Any], Fact]) -> Callable[[Any], Fact]:
    """Compute a fact of a resource's props (its EFA interfaces, ...) once per offline run, however
    many rules ask for it. Outside :func:`facts_cached` (under the Pulumi engine) it computes each
    time. The cached value is shared between rules: rules read facts, they never mutate them."""

    @functools.wraps(compute)
    def cached(props: Any) -> Fact:
        facts = _FACTS.get()
        if facts is None:
            return compute(props)
        key = (compute, id(props))
        if key not in facts:
            facts[key] = compute(props)
        return facts[key]  # type: ignore[no-any-return]

    return cached


@contextlib.contextmanager
def facts_cached() -> Iterator[None]:
    """Within this block, :func:`resource_fact` functions compute once per props object; the
    caller keeps every props object alive for the whole block."""
    token = _FACTS.set({})
    try:
        yield
    finally:
        _FACTS.reset(token)


def _add(rule: PolicyRule) -> None:
    if not ID_PATTERN.match(rule.id):
        raise ValueError(f"policy id {rule.id!r} does not match CF-<AREA>-<NNN>")
    if rule.id in RULES:
        raise ValueError(f"policy id {rule.id} registered twice")
    RULES[rule.id] = rule
