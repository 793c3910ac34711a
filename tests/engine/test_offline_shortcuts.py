"""The offline engine's shortcuts in the SDK's per-resource work (clusterforge/engine/offline.py
``_sdk_shortcuts``): no stack trace inside an offline run, type unwrapping memoised by identity,
dependency declarations answered as the SDK's cycle breaker answers them."""

from __future__ import annotations

import contextvars
import typing

from clusterforge.engine import offline


class _Resource:  # the SDK looks for the third __init__ up the stack: Resource < Custom < concrete
    def __init__(self) -> None:
        from pulumi.runtime import resource as sdk_resource

        self.trace = sdk_resource._get_stack_trace()


class _Custom(_Resource):
    def __init__(self) -> None:
        super().__init__()


class _Concrete(_Custom):
    def __init__(self) -> None:
        super().__init__()


def _in_offline_run() -> _Concrete:
    offline._OFFLINE_RUN.set(True)
    return _Concrete()


def test_stack_traces_are_skipped_only_inside_an_offline_run() -> None:
    offline._sdk_shortcuts()
    offline._sdk_shortcuts()  # installing twice wraps once
    from pulumi.runtime import resource as sdk_resource

    assert not hasattr(sdk_resource._get_stack_trace.__wrapped__, "__wrapped__")
    outside = contextvars.Context().run(_Concrete)
    assert len(outside.trace.frames) > 0  # Automation API programs keep their source positions
    inside = contextvars.Context().run(_in_offline_run)
    assert len(inside.trace.frames) == 0


def test_memoised_answers_follow_the_object_not_equality() -> None:
    calls: list[object] = []

    def first_member(annotation: typing.Any) -> typing.Any:
        calls.append(annotation)
        return typing.get_args(annotation)[0]

    memoised = offline._memoised_by_identity(first_member)
    int_first, str_first = typing.Union[int, str], typing.Union[str, int]  # noqa: UP007
    assert int_first == str_first  # equal and equally hashed, yet their first members differ
    assert [memoised(int_first), memoised(str_first)] == [int, str]
    assert [memoised(int_first), memoised(str_first)] == [int, str]
    assert calls == [int_first, str_first]  # each object asked once


class _Node:  # what the cycle breaker reads of a resource: identity and one attribute
    def __init__(self, index: int) -> None:
        self.index = index


def test_dependency_declarations_answer_as_the_sdk_does() -> None:
    import random

    from pulumi.runtime import resource_cycle_breaker, rpc

    offline._sdk_shortcuts()
    ours = rpc.declare_dependency
    assert ours is resource_cycle_breaker.declare_dependency
    sdk = ours.__wrapped__  # type: ignore[attr-defined]
    edges = random.Random(9).choices(range(24), k=2 * 600)
    mine, theirs = [_Node(i) for i in range(24)], [_Node(i) for i in range(24)]
    answers = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        answers.append(ours(mine[a], mine[b]))
        assert answers[-1] == sdk(theirs[a], theirs[b]), (a, b)
    # Both recorded the same graph; repeats, self-edges and cycle-closing edges all occurred.
    attribute = resource_cycle_breaker._DEPENDENCIES_PROPERTY
    for m, t in zip(mine, theirs, strict=True):
        recorded = {n.index for n in getattr(m, attribute, set())}
        assert recorded == {n.index for n in getattr(t, attribute, set())}
    assert True in answers and False in answers
    assert any(a == b for a, b in zip(edges[::2], edges[1::2], strict=True))
