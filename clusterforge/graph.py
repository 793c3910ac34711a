"""The planned resource graph: what the engine was asked to register, engine-agnostic.

The offline engine fills it from the mock monitor's `RegisterResource` requests; policies and
reports read it. ``inputs`` use the engine's (camelCase) property names, ``options`` the
resource options the engine receives (protect, retainOnDelete, deleteBeforeReplace,
ignoreChanges, provider, ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


def short_type(type_token: str) -> str:
    """``aws:ec2/launchTemplate:LaunchTemplate`` → ``aws:ec2:LaunchTemplate`` (for display)."""
    parts = type_token.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return type_token


#: Component resources of other packages (the plan JSON does not say which resources are
#: components; ``clusterforge:*`` types and the stack are components too).
COMPONENT_TYPES = frozenset(
    {
        "kubernetes:helm.sh/v3:Chart",
        "kubernetes:helm.sh/v4:Chart",
        "kubernetes:yaml:ConfigFile",
        "kubernetes:yaml:ConfigGroup",
        "kubernetes:yaml/v2:ConfigFile",
        "kubernetes:yaml/v2:ConfigGroup",
        "kubernetes:kustomize:Directory",
        "kubernetes:kustomize/v2:Directory",
    }
)


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str | None = None
    dependencies: list[str] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    #: Outputs a component registered (register_outputs); mock outputs of custom resources.
    outputs: dict[str, Any] = field(default_factory=dict)
    #: Input property name -> URNs of the resources its value came from (as the engine records).
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    @property
    def protected(self) -> bool:
        return bool(self.options.get("protect"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "dependencies": list(self.dependencies),
            "inputs": self.inputs,
            "options": self.options,
        }


@dataclass
class ResourceGraph:
    """All planned resources in a stable tree order (parents before children)."""

    resources: list[PlannedResource]
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_plan_document(
        cls, document: Mapping[str, Any], spec_paths: Mapping[str, str] | None = None
    ) -> ResourceGraph:
        """Rebuild the graph from a plan JSON document (``clusterforge plan --format json``).

        Components are told by their type (:data:`COMPONENT_TYPES`, ``clusterforge:*``). Each
        row's ``spec_path``, ``id`` and ``property_dependencies`` (plan format 1, since they were
        added) restore what :meth:`spec_path`, :meth:`by_id` and stack policies read; ``spec_paths``
        (component URN → spec path) fills in for older documents. Raises ValueError on a
        malformed document.
        """
        rows = document.get("resources")
        if not isinstance(rows, list):
            raise ValueError("the plan has no `resources` list")
        paths = dict(spec_paths or {})
        resources = []
        for index, row in enumerate(rows):
            try:
                type_token = str(row["type"])
                component = (
                    type_token == STACK_TYPE
                    or type_token.startswith("clusterforge:")
                    or type_token in COMPONENT_TYPES
                )
                if component and isinstance(row.get("spec_path"), str):
                    paths.setdefault(row["urn"], row["spec_path"])
                resources.append(
                    PlannedResource(
                        urn=str(row["urn"]),
                        id=str(row["id"]) if row.get("id") else None,
                        property_dependencies={
                            str(k): [str(u) for u in v]
                            for k, v in dict(row.get("property_dependencies") or {}).items()
                        },
                        type=type_token,
                        name=str(row["name"]),
                        parent=row.get("parent") or None,
                        custom=not component,
                        dependencies=list(row.get("dependencies") or []),
                        inputs=dict(row.get("inputs") or {}),
                        options=dict(row.get("options") or {}),
                        outputs={"specPath": paths[row["urn"]]}
                        if row["urn"] in paths and component
                        else {},
                    )
                )
            except (KeyError, TypeError, AttributeError) as exc:
                raise ValueError(
                    f"resources[{index}] is not a planned resource ({type(exc).__name__}: {exc})"
                ) from None
        return cls(resources)

    def __post_init__(self) -> None:
        self._by_urn = {r.urn: r for r in self.resources}
        self._by_id = {r.id: r for r in self.resources if r.id}
        self._children: dict[str | None, list[PlannedResource]] = {}
        for resource in self.resources:
            self._children.setdefault(resource.parent, []).append(resource)

    def get(self, urn: str) -> PlannedResource | None:
        return self._by_urn.get(urn)

    def by_id(self, resource_id: str) -> PlannedResource | None:
        """Follow a reference: the resource whose (mock) id is ``resource_id``."""
        return self._by_id.get(resource_id)

    def children(self, urn: str | None) -> list[PlannedResource]:
        return self._children.get(urn, [])

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]

    @property
    def root(self) -> PlannedResource | None:
        return next((r for r in self.resources if r.type == STACK_TYPE), None)

    @property
    def custom_resources(self) -> list[PlannedResource]:
        """Resources a provider creates (no components, no providers, no stack)."""
        return [r for r in self.resources if r.custom and not r.is_provider]

    def counts_by_type(self) -> dict[str, int]:
        counts = Counter(r.type for r in self.custom_resources)
        return dict(sorted(counts.items()))

    def spec_path(self, resource: PlannedResource) -> str | None:
        """The spec element a resource was built from: the ``specPath`` output its nearest
        component registered (``node_pools[1]``, ``storage[0]``, ``kubernetes``, ``network``)."""
        for candidate in [resource, *self.parent_chain(resource)]:
            path = candidate.outputs.get("specPath") if not candidate.custom else None
            if isinstance(path, str):
                return path
        return None

    def parent_chain(self, resource: PlannedResource) -> list[PlannedResource]:
        chain = []
        current = self.get(resource.parent) if resource.parent else None
        while current is not None:
            chain.append(current)
            current = self.get(current.parent) if current.parent else None
        return chain
