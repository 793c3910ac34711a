"""The offline runner's lazily built props answer every read as the SDK's eager proxy does."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
    unknown_checking_proxy,
)

from clusterforge.graph import PlannedResource, ResourceGraph
from clusterforge.policies.offline import COMPUTED, _LazyDictProxy, _Run, run_policies

from helpers import EXAMPLES, PlannedExample

PLAN_INPUTS: dict[str, Any] = {
    "instanceType": "p5.48xlarge",
    "vpcSecurityGroupIds": ["sg-1", COMPUTED],
    "networkInterfaces": [
        {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"},
        {
            "networkCardIndex": 1,
            "deviceIndex": 0,
            "interfaceType": "efa-only",
            "subnetId": COMPUTED,
        },
    ],
    "tags": {"team": "ml", "arn": COMPUTED},
    "empty": {},
    "count": 3,
    "flag": False,
    "none": None,
}


def sdk_view(value: Any) -> Any:
    """The plan inputs as the SDK builds them (``<computed>`` → its unknown sentinel, eagerly)."""
    if isinstance(value, dict):
        return {k: sdk_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sdk_view(v) for v in value]
    return UNKNOWN_STRING_VALUE if value == COMPUTED else value


def read(props: Any, path: tuple[Any, ...]) -> Any:
    """The value at ``path`` as plain data, or what reading it raised."""
    current = props
    try:
        for key in path:
            current = current[key]
    except UnknownValueError as exc:
        return ("unknown", exc.message, exc.unknown_type_sentinel, exc.props)
    except (KeyError, IndexError) as exc:
        return (type(exc).__name__,)
    return plain(current)


def plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return ("map", sorted(value.keys()), len(value))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ("list", len(value))
    return value


PATHS = [
    ("instanceType",),
    ("vpcSecurityGroupIds", 0),
    ("vpcSecurityGroupIds", 1),  # unknown element
    ("vpcSecurityGroupIds", -1),
    ("vpcSecurityGroupIds", 2),  # out of range
    ("networkInterfaces", 1, "interfaceType"),
    ("networkInterfaces", 1, "subnetId"),  # unknown, two levels down
    ("networkInterfaces", -2, "deviceIndex"),
    ("tags",),
    ("tags", "arn"),
    ("tags", "missing"),
    ("empty",),
    ("count",),
    ("flag",),
    ("none",),
    ("missing",),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: ".".join(map(str, p)))
def test_a_read_answers_as_the_sdk_proxy(path: tuple[Any, ...]) -> None:
    eager = unknown_checking_proxy(sdk_view(PLAN_INPUTS))
    lazy = _LazyDictProxy(PLAN_INPUTS, [])
    assert read(lazy, path) == read(eager, path)


def test_iteration_mapping_views_and_types_match() -> None:
    eager = unknown_checking_proxy(sdk_view(PLAN_INPUTS))
    lazy = _LazyDictProxy(PLAN_INPUTS, [])
    assert isinstance(lazy, _DictProxy) and isinstance(lazy["networkInterfaces"], _ListProxy)
    assert list(lazy) == list(eager) and len(lazy) == len(eager)
    assert ("instanceType" in lazy, "nope" in lazy) == (True, False)
    assert lazy.get("nope", 7) == 7
    interfaces = lazy["networkInterfaces"]
    assert [n["interfaceType"] for n in interfaces] == ["interface", "efa-only"]
    assert [plain(n) for n in interfaces[0:2]] == [
        plain(n) for n in eager["networkInterfaces"][0:2]
    ]
    with pytest.raises(UnknownValueError):
        dict(lazy["tags"].items())  # a view reads every value, the unknown one too
    assert lazy["networkInterfaces"] is lazy["networkInterfaces"]  # built once, then shared


def test_the_plan_inputs_are_never_modified() -> None:
    inputs = {"tags": {"a": COMPUTED}, "list": [COMPUTED]}
    lazy = _LazyDictProxy(inputs, [])
    lazy["new"] = 1
    lazy["tags"]["b"] = 2
    assert lazy["new"] == 1 and lazy["tags"]["b"] == 2
    assert inputs == {"tags": {"a": COMPUTED}, "list": [COMPUTED]}


# ---------------------------------------------------------------- the whole pack, both ways


def _mutated(value: Any, path: str, every: int) -> Any:
    """Plan inputs with some values made `<computed>` and some keys dropped, chosen by a stable
    hash of their path: the unknown and missing-key branches of every rule get exercised."""
    if isinstance(value, dict):
        return {
            k: _mutated(v, f"{path}.{k}", every)
            for k, v in value.items()
            if zlib.crc32(f"{path}.{k}".encode()) % (every * 3) != 1
        }
    if isinstance(value, list):
        return [_mutated(v, f"{path}[{i}]", every) for i, v in enumerate(value)]
    return COMPUTED if zlib.crc32(path.encode()) % every == 0 else value


def _findings(graph: ResourceGraph) -> list[tuple[Any, ...]]:
    return [
        (f.rule, f.severity, f.path, f.message, f.extra.get("urn")) for f in run_policies(graph)
    ]


@pytest.mark.parametrize("example", ["aws-h100-training.py", "gcp-a3-mega-training.yaml"])
def test_the_pack_decides_the_same_on_lazy_and_eager_props(
    example: str, planned_example: PlannedExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = planned_example(EXAMPLES / example)[1].graph
    assert graph is not None
    variants = [graph] + [
        ResourceGraph(
            [replace(r, inputs=_mutated(r.inputs, r.urn, every)) for r in graph.resources]
        )
        for every in (2, 5)
    ]
    lazy = [_findings(g) for g in variants]

    def eager(self: _Run, resource: PlannedResource) -> Any:  # the SDK's own proxy, as before
        if resource.urn not in self._props:
            self._props[resource.urn] = unknown_checking_proxy(sdk_view(resource.inputs))
        return self._props[resource.urn]

    monkeypatch.setattr(_Run, "props", eager)
    assert lazy == [_findings(g) for g in variants]
    assert any(lazy[1:]), "the mutations should make some policy report or not run"


def test_has_answers_without_reading_on_both_proxies() -> None:
    """``has`` on the lazy proxy (``in``) and on the SDK's (key by key) agrees and never reads."""
    from clusterforge.policies.rules._props import UNKNOWN, get, has

    eager = unknown_checking_proxy(sdk_view(PLAN_INPUTS))
    lazy = _LazyDictProxy(PLAN_INPUTS, [])
    for props in (eager, lazy, PLAN_INPUTS):
        tags = props["tags"]
        assert (has(tags, "arn"), has(tags, "missing"), has(props, "none")) == (True, False, True)
        assert has(props["vpcSecurityGroupIds"], "sg-1") is False  # a list has no keys
    assert get(lazy, "tags", "arn") is UNKNOWN and get(eager, "tags", "arn") is UNKNOWN
    assert get(lazy, "tags", "missing", default=5) == 5 == get(eager, "tags", "missing", default=5)
    for not_a_map in (None, 3, "abc", ["a"]):  # no keys, and no crash on types without `in`
        assert has(not_a_map, "a") is False
        assert get({"step": not_a_map}, "step", "a", default=5) == 5


def test_get_finds_a_key_exactly_when_has_does() -> None:
    """``get`` takes each string step by ``has``: the two never disagree on any mapping kind."""
    from types import MappingProxyType

    from clusterforge.policies.rules._props import get, has

    absent = object()
    eager = unknown_checking_proxy(sdk_view(PLAN_INPUTS))
    lazy = _LazyDictProxy(PLAN_INPUTS, [])
    keys = [*PLAN_INPUTS, "missing", ""]
    for props in (eager, lazy, PLAN_INPUTS, MappingProxyType(PLAN_INPUTS)):
        for key in keys:
            assert (get(props, key, default=absent) is not absent) is has(props, key), key
            tags = props["tags"]
            assert (get(props, "tags", key, default=absent) is not absent) is has(tags, key), key
    for not_a_map in (None, 3, "abc", ["a"], ("a",)):
        assert get(not_a_map, "a", default=absent) is absent and not has(not_a_map, "a")
