"""Reading resource inputs safely, the way a policy must during a preview.

``pulumi_policy`` wraps a resource's properties in proxies that raise ``UnknownValueError`` when a
rule touches a value the engine does not know yet (an id of a resource still to be created). The
engine turns such a rule into an advisory "can't run during preview" diagnostic; these helpers
return :data:`UNKNOWN` instead, so a rule can skip what it cannot judge and still check the rest.
The offline runner feeds the same proxies (``<computed>`` values become the SDK's unknown sentinels).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

_SENTINELS = frozenset(
    (
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    )
)


class _Unknown:
    """A value the engine only learns when the resource is created (preview)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = _Unknown()

WORLD_CIDRS = ("0.0.0.0/0", "::/0")


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in _SENTINELS)


def has(mapping: Any, key: str) -> bool:
    """Whether ``mapping`` sets ``key`` — without reading the value (which may be unknown).

    ``in`` is used where it reads no value: a plain dict, and a mapping that defines its own
    ``__contains__`` (the offline runner's proxy); the SDK's proxy inherits
    ``Mapping.__contains__``, which reads the value, so its keys are compared one by one.
    """
    kind = type(mapping)
    if not (kind is dict or isinstance(mapping, Mapping)):  # a dict first: ABC checks are slow
        return False
    if getattr(kind, "__contains__", None) is _READS_VALUE:
        return any(k == key for k in mapping)
    return key in mapping


_READS_VALUE = Mapping.__contains__


def get(obj: Any, *path: str | int, default: Any = None) -> Any:
    """``obj[path[0]][path[1]]...``; ``default`` when a step is missing, :data:`UNKNOWN` when unknown."""
    current = obj
    for key in path:
        if is_unknown(current):
            return UNKNOWN
        try:
            if type(key) is not str and isinstance(key, int):
                if not _is_list(current) or not -len(current) <= key < len(current):
                    return default
            elif not has(current, key):
                return default
            current = current[key]
        except UnknownValueError:
            return UNKNOWN
    return UNKNOWN if is_unknown(current) else current


def items(sequence: Any) -> Iterator[Any]:
    """The elements of a list input (:data:`UNKNOWN` for an unknown element; nothing if not a list)."""
    if not _is_list(sequence):
        return
    for index in range(len(sequence)):
        yield get(sequence, index)


def entries(mapping: Any) -> Iterator[tuple[str, Any]]:
    """The (key, value) pairs of a map input (:data:`UNKNOWN` for an unknown value)."""
    if not isinstance(mapping, Mapping):
        return
    for key in list(mapping):
        yield key, get(mapping, key)


def flag(value: Any) -> bool | None:
    """A boolean input, also spelt as the strings ``"true"``/``"false"`` (launch templates do)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def number(value: Any) -> float | None:
    """A numeric input (Google's int64 fields arrive as strings)."""
    if isinstance(value, bool) or value is None or is_unknown(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def text(value: Any) -> str | None:
    """A known, non-empty string input."""
    return value if isinstance(value, str) and value and not is_unknown(value) else None


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


# ------------------------------------------------------------------ following references


class StackView:
    """The resources a stack policy sees, with reference following.

    A reference (a launch template's security groups, a node group's launch template, a node
    pool's cluster) is followed through the engine's *property dependencies* when it passes them,
    else through the resource's dependencies of the wanted type. Values such as ids are not used:
    during a preview the ids of new resources are unknown, and a rule must then skip, not fail.
    """

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.resource_type, []).append(resource)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for t in types for r in self._by_type.get(t, [])]

    def referenced(self, resource: PolicyResource, prop: str, *types: str) -> list[PolicyResource]:
        """Resources of ``types`` that ``resource``'s input ``prop`` refers to (maybe none)."""
        by_property = (resource.property_dependencies or {}).get(prop)
        candidates = by_property if by_property else resource.dependencies
        seen: dict[str, PolicyResource] = {}
        for candidate in candidates:
            if candidate.resource_type in types:
                seen.setdefault(candidate.urn, candidate)
        return list(seen.values())
