"""The JSON writer: the text ``json.dumps(indent=2, default=str)`` writes, from either encoder."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Any

import pytest

from clusterforge.report import jsonfmt, render
from clusterforge.report.model import plan_document
from clusterforge.secrets import redact

from helpers import EXAMPLES, PlannedExample


class Colour(enum.Enum):
    RED = "red"


class Word(str, enum.Enum):
    ERROR = "error"


class Level(enum.IntEnum):
    HIGH = 3


PLAIN = {
    "version": 1,
    "empty": {"map": {}, "list": [], "nested": [{}, [], [[]]]},
    "scalars": [True, False, None, 0, -7, 0.0, -0.0, 0.1, 2.5, 1e-4, 123456.789, 1e16, 1.5e300],
    "ints": [2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, -(2**63)],
    "text": ["", "plain", 'quote " and \\ backslash', "tab\tnew\nline\r\x00\x1f", "/slash"],
    "order": {"z": 1, "a": 2, "m": 3},
}
# Values the two encoders write differently, or orjson refuses: each goes to the stdlib.
DIFFERENT: dict[str, Any] = {
    "tiny float": 1e-05,
    "tiny negative float": -7.2e-09,
    "nan": float("nan"),
    "infinity": float("-inf"),
    "int beyond 64 bits": 2**64,
    "negative int beyond 64 bits": -(2**63) - 1,
    "int key": {1: "one"},
    "bool and None keys": {True: 1, None: 2},
    "str enum key": {Word.ERROR: 1},
    "lone surrogate": "\ud800",
    "enum": Colour.RED,
    "str enum": Word.ERROR,
    "int enum": Level.HIGH,
    "path": Path("/tmp/stack.yaml"),
    "tuple": (1, "two"),
    "set": {"x"},
}
NOT_ASCII = {"name": "café", "emoji": "rocket 🚀", "del": "a\x7fb", "cjk": "集群", "nbsp": "\xa0"}


def stdlib(document: Any) -> str:
    return json.dumps(document, indent=2, default=str) + "\n"


@pytest.fixture(params=["orjson", "stdlib"])
def encoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with orjson (a dependency) and without it (the stdlib alone)."""
    assert jsonfmt._orjson is not None, "orjson is a dependency: pip install ."
    if request.param == "stdlib":
        monkeypatch.setattr(jsonfmt, "_orjson", None)
    return str(request.param)


def test_plain_values_take_the_fast_path_and_read_the_same(encoder: str) -> None:
    assert jsonfmt._alike(PLAIN)
    assert jsonfmt.dumps(PLAIN) == stdlib(PLAIN)


def test_non_ascii_is_escaped_as_ensure_ascii_does(encoder: str) -> None:
    text = jsonfmt.dumps(NOT_ASCII)
    assert text == stdlib(NOT_ASCII)
    assert text.isascii() and "\\ud83d\\ude80" in text and "\\u007f" in text
    assert json.loads(text) == NOT_ASCII


@pytest.mark.parametrize("value", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_what_orjson_would_write_differently_is_left_to_the_stdlib(
    encoder: str, value: Any
) -> None:
    document = {"resources": [{"inputs": {"value": value}}], "cost": 1.5}
    assert jsonfmt.dumps(document) == stdlib(document)


@pytest.mark.parametrize("example", ["aws-h100-training.py", "gcp-a3-mega-training.yaml"])
def test_a_plan_is_the_same_text_and_the_fast_path_takes_it(
    encoder: str, example: str, planned_example: PlannedExample
) -> None:
    report = planned_example(EXAMPLES / example)[1]
    document = redact(plan_document(report))
    assert jsonfmt._alike(document)  # a plan holds plain values only: orjson writes it
    assert render(report, "json") == stdlib(document)
