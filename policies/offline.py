"""Run the policy pack offline over a planned graph, through ``pulumi_policy``'s own classes.

This is the ``policies`` step of the flow (graph → policies → report): ``clusterforge plan`` and
``clusterforge check`` call :func:`run_policies`. Each planned resource becomes what the engine's
analyzer would build from a ``RegisterResource`` — ``ResourceValidationArgs`` with the inputs
wrapped in the SDK's unknown-checking proxy (``<computed>`` values become its unknown sentinels),
``PolicyResourceOptions`` (protect, ignoreChanges, deleteBeforeReplace, parent), the provider as a
``PolicyProviderResource`` and the policy's settings — and each rule's ``validate`` is called with
a ``report_violation`` that collects :class:`~clusterforge.findings.Finding` objects. Stack rules
get ``StackValidationArgs`` of ``PolicyResource`` objects linked by parent and dependencies.

As in the engine: a disabled policy does not run, a policy that touches an unknown value is
reported as advisory ("cannot run"), and a crashing policy becomes an error finding, never a
traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy import proxy as _sdk_proxy
from pulumi_policy.policy import (
    _NotApplicableError,  # the SDK's "not applicable" signal (no public name)
)
from pulumi_policy.proxy import (
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _append_prop,  # the SDK's path of a property (no public name), as its errors name it
    _DictProxy,
    _ListProxy,
)

from clusterforge.findings import Finding, Severity
from clusterforge.graph import STACK_TYPE, PlannedResource, ResourceGraph
from clusterforge.policies import PACK_NAME, RULES
from clusterforge.policies.pack_config import PackConfig
from clusterforge.policies.registry import PolicyRule, applies, facts_cached, severity_of

#: How the offline engine writes a value only the cloud knows (see clusterforge.engine.offline).
COMPUTED = "<computed>"
#: The SDK's unknown sentinels (what its ``_is_unknown`` tests for).
_UNKNOWNS = frozenset(
    getattr(_sdk_proxy, name) for name in dir(_sdk_proxy) if name.startswith("UNKNOWN_")
)
SOURCE = "policy"


def run_policies(graph: ResourceGraph, config: PackConfig | None = None) -> list[Finding]:
    """Every violation of every enabled policy over ``graph``, as findings."""
    with facts_cached():
        return _run_policies(_Run(graph), config or PackConfig())


def _run_policies(run: _Run, config: PackConfig) -> list[Finding]:
    findings: list[Finding] = []
    for rule in RULES.values():
        level = config.level(rule)
        if level == EnforcementLevel.DISABLED:
            continue
        settings = config.settings_for(rule)
        if rule.kind == "stack":
            findings += run.call(
                rule, level, StackValidationArgs(run.stack_resources(), settings), None
            )
            continue
        for resource in run.of_types(rule.types):
            args = ResourceValidationArgs(
                resource.type,
                run.props(resource),
                resource.urn,
                resource.name,
                run.options(resource),
                run.provider(resource),
                settings,
            )
            findings += run.call(rule, level, args, resource.urn)
    return findings


class _Run:
    """One pass over a graph: converted properties, options, providers, the resources of each
    rule's types and the stack resources, each built once and shared by every rule.

    A resource rule runs only over the resources of the types it declares (``types`` in its
    registration) — the rule's own ``validate`` skips every other type, so the answer is the same
    and the resources the rule cannot be about are not visited at all.
    """

    def __init__(self, graph: ResourceGraph) -> None:
        self.graph = graph
        self.analyzed = [r for r in graph.resources if r.type != STACK_TYPE]
        self._props: dict[str, Any] = {}
        self._options: dict[str, PolicyResourceOptions] = {}
        self._providers = {r.name: r for r in graph.resources if r.is_provider}
        self._provider_views: dict[str, PolicyProviderResource] = {}
        self._of_types: dict[tuple[str, ...], list[PlannedResource]] = {}
        self._types = sorted({r.type for r in self.analyzed})
        self._stack: list[PolicyResource] | None = None
        self._from_spec = any(not r.custom and "specPath" in r.outputs for r in graph.resources)

    def of_types(self, types: tuple[str, ...]) -> list[PlannedResource]:
        """The analyzed resources a rule reading ``types`` applies to, in graph order."""
        if types not in self._of_types:
            wanted = {t for t in self._types if applies(t, types)}
            self._of_types[types] = [r for r in self.analyzed if r.type in wanted]
        return self._of_types[types]

    def props(self, resource: PlannedResource) -> Any:
        if resource.urn not in self._props:
            self._props[resource.urn] = _LazyDictProxy(resource.inputs, [])
        return self._props[resource.urn]

    def options(self, resource: PlannedResource) -> PolicyResourceOptions:
        if resource.urn not in self._options:
            self._options[resource.urn] = _options(resource)
        return self._options[resource.urn]

    def provider(self, resource: PlannedResource) -> PolicyProviderResource | None:
        name = resource.options.get("provider", "")
        found = self._providers.get(name)
        if found is None:
            return None
        if name not in self._provider_views:
            self._provider_views[name] = PolicyProviderResource(
                found.type, self.props(found), found.urn, found.name
            )
        return self._provider_views[name]

    def stack_resources(self) -> list[PolicyResource]:
        """Every resource as the engine passes it to stack policies, linked by parent and dependencies."""
        if self._stack is None:
            by_urn = {
                r.urn: PolicyResource(
                    r.type,
                    self.props(r),
                    r.urn,
                    r.name,
                    self.options(r),
                    self.provider(r),
                    None,
                    [],
                    {},
                )
                for r in self.graph.resources
            }
            for resource in self.graph.resources:
                linked = by_urn[resource.urn]
                linked.parent = by_urn.get(resource.parent) if resource.parent else None
                linked.dependencies = [by_urn[d] for d in resource.dependencies if d in by_urn]
                linked.property_dependencies = {
                    key: [by_urn[u] for u in urns if u in by_urn]
                    for key, urns in resource.property_dependencies.items()
                }
            self._stack = list(by_urn.values())
        return self._stack

    def call(
        self, rule: PolicyRule, level: EnforcementLevel, args: Any, urn: str | None
    ) -> list[Finding]:
        """Run one policy on one args object; violations, "cannot run" and crashes as findings."""
        found: list[Finding] = []

        def report_violation(message: str, violation_urn: str | None = None) -> None:
            # As in the engine: a resource policy's violation is always about that resource.
            target = urn if urn is not None else violation_urn
            found.append(
                self.finding(rule, severity_of(level), message or rule.description, target)
            )

        try:
            _settle(rule.policy.validate(args, report_violation))
        except UnknownValueError as exc:
            found.append(
                self.finding(rule, Severity.WARNING, f"cannot run offline: {exc.message}", urn)
            )
        except _NotApplicableError:
            pass
        except Exception as exc:  # noqa: BLE001 - a broken policy must not hide the others
            message = f"policy {rule.id} crashed: {type(exc).__name__}: {exc}"
            found.append(
                Finding(rule.id, Severity.ERROR, self.path(rule, urn), message,
                        "this is a clusterforge bug; disable the policy in the policy config while it is fixed", source=SOURCE)
            )  # fmt: skip
        return found

    def finding(
        self, rule: PolicyRule, severity: Severity, message: str, urn: str | None
    ) -> Finding:
        resource = self.graph.get(urn) if urn else None
        extra: dict[str, Any] = {"urn": urn, "policy_pack": PACK_NAME, "title": rule.title}
        if resource is not None:
            extra.update(resource=resource.name, type=resource.type)
        return Finding(
            rule.id,
            severity,
            self.path(rule, urn),
            message,
            rule.remediation,
            source=SOURCE,
            extra=extra,
        )

    def path(self, rule: PolicyRule, urn: str | None) -> str:
        """Where in the stack a violation points: the rule's stack-wide path, the resource's spec
        element plus the rule's field, else the resource's name."""
        resource = self.graph.get(urn) if urn else None
        spec = self.graph.spec_path(resource) if resource else None
        if rule.spec_path and (spec or self._from_spec):
            return rule.spec_path
        if spec:
            return f"{spec}.{rule.spec_field}" if rule.spec_field else spec
        return resource.name if resource else "(stack)"


def _options(resource: PlannedResource) -> PolicyResourceOptions:
    options = resource.options
    return PolicyResourceOptions(
        protect=bool(options.get("protect", False)),
        ignore_changes=list(options.get("ignoreChanges", [])),
        delete_before_replace=options.get("deleteBeforeReplace"),
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=list(options.get("additionalSecretOutputs", [])),
        parent=resource.parent,
    )


class _LazyDictProxy(_DictProxy):
    """The SDK's ``unknown_checking_proxy`` of plan inputs, built as it is read.

    ``unknown_checking_proxy`` copies a resource's whole input tree into proxies before any rule
    runs, though most rules read a few keys: a quarter of a policy run went there. This proxy is
    an SDK ``_DictProxy`` (a rule sees the same type) whose children are wrapped on first read and
    kept, and ``<computed>`` values become the SDK's unknown sentinel as they are read — so every
    read answers what the SDK's eager proxy answers, and raises the same ``UnknownValueError``
    (same sentinel, same property path). The plan's inputs are never modified.
    """

    def __init__(self, inputs: dict[str, Any], path: list[str]) -> None:
        super().__init__({}, path)
        self._inputs = inputs
        self._path = path
        self._read: dict[str, Any] = {}

    def _child(self, key: Any) -> Any:
        read = self._read
        if key in read:
            return read[key]
        value = read[key] = _engine_value(self._inputs[key], self._path, key)
        return value

    def __getitem__(self, key: Any) -> Any:
        if key == "__target":  # what the SDK's serializer unwraps
            return {k: self._child(k) for k in self._inputs}
        read = self._read
        value = read[key] if key in read else self._child(key)
        if isinstance(value, str) and value in _UNKNOWNS:  # the SDK's _raise_if_unknown, inline
            raise UnknownValueError(value, _append_prop(self._path, key))
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self._inputs:
            self._inputs = {**self._inputs, key: None}  # a copy: the plan stays as planned
        self._read[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._inputs  # without reading the value (Mapping's would read it)

    def __len__(self) -> int:
        return len(self._inputs)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._inputs)


class _LazyListProxy(_ListProxy):
    """The SDK's ``_ListProxy`` of a plan list, its elements wrapped on first read (see above)."""

    def __init__(self, inputs: list[Any], path: list[str]) -> None:
        super().__init__([], path)
        self._inputs = inputs
        self._path = path
        self._read: dict[int, Any] = {}

    def _child(self, index: int) -> Any:
        if index < 0:
            index += len(self._inputs)
        if index in self._read:
            return self._read[index]
        if not 0 <= index < len(self._inputs):
            raise IndexError("list index out of range")
        value = self._read[index] = _engine_value(self._inputs[index], self._path, index)
        return value

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and key == "__target":
            return [self._child(i) for i in range(len(self._inputs))]
        if isinstance(key, slice):  # as the SDK: a plain list of the (wrapped) elements
            return [self._child(i) for i in range(*key.indices(len(self._inputs)))]
        value = self._child(key)
        if isinstance(value, str) and value in _UNKNOWNS:
            raise UnknownValueError(value, _append_prop(self._path, key))
        return value

    def __len__(self) -> int:
        return len(self._inputs)


def _engine_value(value: Any, path: list[str], key: Any) -> Any:
    """A plan value as the engine passes it to a policy: containers proxied, ``<computed>`` as the
    SDK's unknown sentinel."""
    if isinstance(value, dict):
        return _LazyDictProxy(value, _append_prop(path, key))
    if isinstance(value, list):
        return _LazyListProxy(value, _append_prop(path, key))
    return UNKNOWN_STRING_VALUE if value == COMPUTED else value


def _settle(result: Any) -> None:
    """Wait for an async policy, as the engine's analyzer does (on its own event loop)."""
    if not isawaitable(result):
        return
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(result)
    finally:
        loop.close()
