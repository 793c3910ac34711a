"""Load a stack file (YAML, JSON or Python) into a :class:`Cluster`, with a source map.

The source map turns a spec path (``node_pools[1].capacity``) into the line of the file that
declares it, so findings, the terminal report and SARIF can point at ``stack.yaml:14``.

Schema problems (unknown keys, wrong types) become ``SPEC001`` findings with their paths — all
of them, not just the first; a file that cannot be read or parsed raises :class:`StackLoadError`
with ``file:line``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_core import ValidationError

from clusterforge.errors import StackLoadError
from clusterforge.findings import Finding, Severity
from clusterforge.spec import schema
from clusterforge.spec.base import error_details
from clusterforge.spec.files import MAX_DEPTH, depth_exceeded, is_plan_document, read_text
from clusterforge.spec.models import Cluster
from clusterforge.spec.sourcemap import SourceMap, join_path

SCHEMA_RULE = "SPEC001"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadedStack:
    """A parsed stack: the cluster (None when the schema rejected it) and what went wrong."""

    path: Path
    source: SourceMap
    cluster: Cluster | None
    findings: list[Finding]


def pydantic_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path = join_path(path, part)
    return path


def schema_findings(error: ValidationError, source: SourceMap) -> list[Finding]:
    """Every pydantic error as a SPEC001 finding with its spec path and line."""
    findings = []
    for item in error_details(error):
        loc = tuple(p for p in item["loc"] if not str(p).startswith("function-"))
        path = pydantic_path(loc)
        message = item["msg"]
        hint = ""
        if item["type"] == "extra_forbidden":
            message = f"unknown field {str(item['loc'][-1])!r}"
            hint = schema.spelling_hint(str(loc[-1]), schema.field_names(loc[:-1]))
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "literal_error":
            hint = f"allowed: {item.get('ctx', {}).get('expected', '')}"
        findings.append(
            Finding(
                SCHEMA_RULE,
                Severity.ERROR,
                path or "(root)",
                message,
                hint,
                location=source.location(path),
            )
        )
    return findings


# ---------------------------------------------------------------- Python


_SPEC_CALLS = {
    "Cluster",
    "NodePool",
    "Storage",
    "Addon",
    "Capacity",
    "KubernetesConfig",
    "NetworkConfig",
    "Taint",
}


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def _map_python_value(node: ast.AST, path: str, lines: dict[str, int]) -> None:
    if hasattr(node, "lineno"):
        lines.setdefault(path, node.lineno)
    if _call_name(node) in _SPEC_CALLS:
        assert isinstance(node, ast.Call)
        for keyword in node.keywords:
            if keyword.arg:
                child = join_path(path, keyword.arg)
                lines[child] = keyword.value.lineno
                _map_python_value(keyword.value, child, lines)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                child = join_path(path, key.value)
                lines[child] = key.lineno
                _map_python_value(value, child, lines)
    elif isinstance(node, (ast.List, ast.Tuple)):
        for i, item in enumerate(node.elts):
            _map_python_value(item, join_path(path, i), lines)


def _python_source_map(path: Path, text: str) -> SourceMap:
    """Lines of a literal-style Python stack (``cluster = Cluster(name=..., node_pools=[...])``)."""
    source = SourceMap(str(path), {"": 1})
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}:{exc.offset}" if exc.lineno and exc.offset else str(path)
        raise StackLoadError(f"Python syntax error: {exc.msg}", location=where) from None
    except (ValueError, RecursionError, MemoryError):
        raise StackLoadError(
            "Python source the parser cannot take (nested too deeply)", location=str(path)
        ) from None
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if (
                any(isinstance(t, ast.Name) and t.id == "cluster" for t in targets)
                and statement.value
            ):
                _map_python_value(statement.value, "", source.lines)
    return source


def _load_python(path: Path, text: str) -> LoadedStack:
    """Run a Python stack (time-limited, its prints on stderr) and re-check its ``cluster``.

    Whatever the program raises — an exception whose ``str`` raises, ``GeneratorExit``,
    ``KeyboardInterrupt`` raised by the code itself — is a finding with the file and line, never a
    traceback. The ``cluster`` it builds is validated again from its fields, so an object made with
    ``Cluster.model_construct(...)`` (which skips validation) gets SPEC001 findings like YAML does.
    """
    from clusterforge.spec import pystack

    source = _python_source_map(path, text)
    outcome = pystack.run(path, text)
    if outcome.finding is not None:
        return LoadedStack(path, source, None, [outcome.finding])
    cluster = outcome.namespace.get("cluster")
    if not isinstance(cluster, Cluster):
        problem = (
            "no module-level `cluster = Cluster(...)` in the stack"
            if cluster is None
            else f"`cluster` is a {type(cluster).__name__}, not a Cluster"
        )
        raise StackLoadError(
            problem,
            location=str(path),
            hint="define `cluster = Cluster(name=..., cloud=..., node_pools=[...])` (from clusterforge import Cluster)",
        )
    try:
        plain = pystack.plain_fields(cluster)
    except ValueError as exc:
        return LoadedStack(path, source, None, [pystack.stack_finding(path, str(exc), None)])
    try:
        return LoadedStack(path, source, Cluster.model_validate(plain), [])
    except ValidationError as exc:
        return LoadedStack(path, source, None, schema_findings(exc, source))


# ---------------------------------------------------------------- entry point


def _plan_given(path: Path, data: dict[Any, Any]) -> StackLoadError:
    """The error for a plan document given where a stack is expected: what it is, what reads it."""
    as_json = "" if path.suffix.lower() == ".json" else " (saved as .json)"
    planned_from = data.get("stack_file")
    hint = "validate, plan, render, preview and up take the stack file it was planned from"
    if isinstance(planned_from, str) and 0 < len(planned_from) <= 200:
        hint += f": {planned_from}"
    return StackLoadError(
        "this is a clusterforge plan (written by `clusterforge plan --format json`), not a stack: "
        f"`clusterforge check` and `clusterforge diff` read plans{as_json}",
        location=str(path),
        hint=hint,
    )


def load_stack(path: str | Path) -> LoadedStack:
    """Read ``path`` (YAML, JSON or Python) into a cluster spec; raise StackLoadError if unreadable."""
    path = Path(path)
    try:
        is_dir = path.is_dir()
    except OSError as exc:  # a name the file system refuses (too long, ...)
        raise StackLoadError(
            f"cannot read the file: {exc.strerror or exc}", location=str(path)
        ) from None
    if is_dir:
        candidates = [
            path / n for n in ("cluster.yaml", "cluster.yml", "cluster.py", "cluster.json")
        ]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise StackLoadError(
                "directory has no cluster.yaml, cluster.py or cluster.json", location=str(path)
            )
        path = found
    suffix = path.suffix.lower()
    if suffix not in (".py", ".json", *YAML_SUFFIXES):
        raise StackLoadError(
            f"unknown stack file type {suffix or '(none)'!r}",
            location=str(path),
            hint="use .yaml, .yml, .json or .py",
        )
    text = read_text(path, "stack file")
    if suffix == ".py":
        return _load_python(path, text)
    # PyYAML loads for YAML and JSON files only: a Python stack starts without it.
    from clusterforge.spec import yamlfile

    if suffix in YAML_SUFFIXES:
        data, source = yamlfile.load_yaml(path, text)
    else:
        data, source = yamlfile.load_json(path, text)
    if not isinstance(data, dict):
        raise StackLoadError(
            "the top level must be a mapping of cluster fields", location=f"{path}:1"
        )
    if depth_exceeded(data):
        raise StackLoadError(
            f"the document nests more than {MAX_DEPTH} levels deep", location=str(path)
        )
    if is_plan_document(data):
        raise _plan_given(path, data)
    # `x-` keys hold YAML anchors for reuse (`x-gpu: &gpu {...}` then `<<: *gpu`), as in Compose files.
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    try:
        cluster = Cluster.model_validate(data)
    except ValidationError as exc:
        return LoadedStack(path, source, None, schema_findings(exc, source))
    return LoadedStack(path, source, cluster, [])
