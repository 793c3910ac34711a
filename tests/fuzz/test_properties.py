"""Property suite: generated YAML, JSON and Python stacks, plan documents, policy configs and
outputs files. Whatever the input, the library ends in a report or a ClusterforgeError (one
`error:` line in the CLI) — never another exception — and every renderer takes the report.

Fixed budget: derandomized (the same cases every run, no example database), bounded
``max_examples`` per property; the session prints how many cases ran (tests/fuzz/conftest.py).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from clusterforge import api
from clusterforge.errors import ClusterforgeError
from clusterforge.report import render
from clusterforge.spec import json_schema

from helpers import EXAMPLES
from tests.fuzz.support import CASES

BUDGET = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WORK = Path(tempfile.mkdtemp(prefix="clusterforge-fuzz-"))
SEEDS = [
    (EXAMPLES / name).read_text(encoding="utf-8")
    for name in ("aws-inference.yaml", "gcp-tpu-v6e-serving.yaml", "aws-capacity-block.yaml")
]
FORMATS = ("text", "json", "markdown", "sarif")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
# Characters that break parsers and terminals: controls, NUL, YAML/JSON syntax, rich markup,
# line separators, a lone surrogate, astral characters.
hostile_chars = st.sampled_from(
    list("\x00\x07\x1b\t\r\n\x85\u2028\u2029\ufeff[]{}:,&*!|>'\"%@`#-?/\\")
    + ["\ud800", "[/]", "🚀", "!!int", "<<: *a"]
)


def _write(name: str, data: bytes) -> Path:
    path = WORK / name
    path.write_bytes(data)
    return path


def _stack_outcome(path: Path, suite: str) -> None:
    """Validate ``path``: a report every renderer takes, or a ClusterforgeError."""
    CASES[suite] += 1
    try:
        _, report = api.validate_stack(path)
    except ClusterforgeError as exc:
        assert str(exc)
        return
    for fmt in FORMATS:
        assert render(report, fmt)


@st.composite
def mutated_examples(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(hostile_chars | st.text(max_size=6))
        if action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
    return text.encode("utf-8", "surrogatepass")


@BUDGET
@given(mutated_examples())
def test_mutated_yaml_examples(data: bytes) -> None:
    _stack_outcome(_write("mutated.yaml", data), "yaml")


@BUDGET
@given(
    st.binary(max_size=200)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_arbitrary_bytes_as_yaml_and_json(data: bytes) -> None:
    _stack_outcome(_write("bytes.yaml", data), "yaml")
    _stack_outcome(_write("bytes.json", data), "json")


@settings(BUDGET, max_examples=20)
@given(from_schema(json_schema()))
def test_schema_random_stacks(document: dict[str, Any]) -> None:
    """Documents the JSON Schema accepts, as JSON and as YAML: validation rules meet every shape."""
    _stack_outcome(_write("schema.json", json.dumps(document).encode()), "schema")
    _stack_outcome(_write("schema.yaml", yaml.safe_dump(document).encode()), "schema")


@BUDGET
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_json_objects_as_stacks(document: dict[str, Any]) -> None:
    _stack_outcome(_write("object.json", json.dumps(document).encode()), "json")


PY_STATEMENTS = st.sampled_from(
    [
        "raise {exc}({msg!r})",
        "class E({exc}):\n    def __str__(self):\n        raise {exc}({msg!r})\nraise E()",
        "cluster = Cluster.model_construct(name={msg!r}, node_pools={msg!r})",
        "cluster = Cluster.model_construct(**{{{msg!r}: 1}})",
        "cluster = Cluster(name={msg!r}, cloud='aws')",
        "cluster = {msg!r}",
        "print({msg!r})",
        "import sys\nsys.exit({msg!r})",
        "cluster = Cluster(name='a', cloud='aws', region='us-east-1', addons=[{{'name': 'kueue', 'values': {{'k': {msg!r}}}}}])",
    ]
)
PY_EXCEPTIONS = st.sampled_from(
    [
        "ValueError",
        "KeyboardInterrupt",
        "GeneratorExit",
        "SystemExit",
        "BaseException",
        "RecursionError",
        "MemoryError",
    ]
)


@BUDGET
@given(PY_STATEMENTS, PY_EXCEPTIONS, st.text(max_size=30))
def test_hostile_python_stacks(template: str, exc: str, msg: str) -> None:
    source = "from clusterforge import Cluster\n" + template.format(exc=exc, msg=msg) + "\n"
    _stack_outcome(_write("stack.py", source.encode("utf-8", "surrogatepass")), "python")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            found += _paths(item, (*prefix, index))
    return found


@settings(BUDGET, max_examples=20)
@given(data=st.data())
def test_mutated_plan_documents(plan_document: dict[str, Any], data: st.DataObject) -> None:
    document = json.loads(json.dumps(plan_document))
    document["stack_file"] = "(not here)"  # do not plan the stack again for every case
    paths = _paths(document)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        if not path:
            continue
        parent: Any = document
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = data.draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    CASES["plan-json"] += 1
    try:
        report = api.check_stack(_write("plan.json", json.dumps(document).encode()))
    except ClusterforgeError:
        return
    for fmt in FORMATS:
        assert render(report, fmt, command="check")


@BUDGET
@given(
    json_values
    | st.dictionaries(st.sampled_from(["all", "CF-SEC-001", "CF-FAB-001", "x"]), json_values)
)
def test_policy_configs(config: Any) -> None:
    from policies import pack_config

    CASES["policy-config"] += 1
    try:
        settings_ = pack_config.load(_write("config.json", json.dumps(config).encode()))
    except ClusterforgeError as exc:
        assert str(exc)
        return
    assert settings_ is not None


@BUDGET
@given(
    json_values
    | st.fixed_dictionaries({"outputs": st.fixed_dictionaries({"volumes": json_values})})
)
def test_outputs_files(outputs: Any) -> None:
    from clusterforge.render import volumes_from_outputs

    CASES["outputs"] += 1
    try:
        volumes = volumes_from_outputs(_write("outputs.json", json.dumps(outputs).encode()))
    except ClusterforgeError:
        return
    assert isinstance(volumes, dict)


@pytest.fixture(autouse=True)
def _no_slow_stacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERFORGE_STACK_TIMEOUT", "2")
