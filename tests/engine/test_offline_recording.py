"""The offline engine's recording internals: value conversion and the paused collector."""

from __future__ import annotations

import gc
from collections import OrderedDict

import pulumi_aws as aws
import pytest
from pulumi.runtime import rpc

from clusterforge.engine import offline
from clusterforge.errors import EngineError


class Tagged(str):
    """A str subclass: not the exact type, so the general path decides."""


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("text", "text"),
        (rpc.UNKNOWN, "<computed>"),
        (8.0, 8),
        (2.5, 2.5),
        (True, True),
        (3, 3),
        (None, None),
        ((1, "a"), [1, "a"]),
        ({rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}, "[secret]"),
        (
            {"a": {"b": [1.0, rpc.UNKNOWN]}, rpc._special_sig_key: "x"},
            {"a": {"b": [1, "<computed>"]}},
        ),
        (OrderedDict(k=4.0), {"k": 4}),
        (Tagged("t"), "t"),
        (b"raw", "b'raw'"),
    ],
)
def test_engine_values_become_plain_values(value: object, plain: object) -> None:
    assert offline._plain(value) == plain
    assert isinstance(offline._plain(value), type(plain))  # 8.0 became an int, not a float


def test_the_collector_is_paused_for_a_plan_and_restored_after() -> None:
    seen: list[bool] = []

    def program() -> None:
        seen.append(gc.isenabled())
        aws.s3.Bucket("b")

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    offline.run(program, project="p", stack="s", region="us-east-1")
    assert seen == [False]
    assert gc.isenabled() and gc.get_freeze_count() == frozen


@pytest.mark.usefixtures("collect_failed_run")
def test_the_collector_is_restored_when_the_program_fails() -> None:
    def program() -> None:
        raise ValueError("broken program")

    with pytest.raises(EngineError, match="broken program"):
        offline.run(program, project="p", stack="s", region="us-east-1")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        offline.run(lambda: None, project="p", stack="s", region="us-east-1")
        assert not gc.isenabled()
    finally:
        gc.enable()
