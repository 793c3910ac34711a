"""Load a stack file (YAML, JSON or Python) into a :class:`Cluster`, with a source map.

The source map turns a spec path (``node_pools[1].capacity``) into the line of the file that
declares it, so findings, the terminal report and SARIF can point at ``stack.yaml:14``.

Schema problems (unknown keys, wrong types) become ``SPEC001`` findings with their paths — all
of them, not just the first; a file that cannot be read or parsed raises :class:`StackLoadError`
with ``file:line``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from clusterforge.errors import StackLoadError
from clusterforge.findings import Finding, Severity
from clusterforge.spec.files import MAX_DEPTH, depth_exceeded, line_column, parse_json, read_text
from clusterforge.spec.models import Cluster

SCHEMA_RULE = "SPEC001"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class SourceMap:
    """Spec path → line number (1-based) in ``file``."""

    file: str
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        """The line of ``path`` or of its nearest declared ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = _parent(path)
        # A top-level field (or the document itself): the line the document starts on.
        return self.lines.get("")

    def location(self, path: str) -> str:
        line = self.line_of(path)
        return f"{self.file}:{line}" if line else self.file


def _parent(path: str) -> str:
    # A key may itself hold "[", "]" or "." (`tags: {"a]": x}`): the parent is then a guess,
    # but always a shorter path.
    if path.endswith("]") and "[" in path:
        return path[: path.rindex("[")]
    return path.rpartition(".")[0]


def _join(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


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
        path = _join(path, part)
    return path


def schema_findings(error: ValidationError, source: SourceMap) -> list[Finding]:
    """Every pydantic error as a SPEC001 finding with its spec path and line."""
    findings = []
    for item in error.errors(include_url=False):
        path = pydantic_path(tuple(p for p in item["loc"] if not str(p).startswith("function-")))
        message = item["msg"]
        hint = ""
        if item["type"] == "extra_forbidden":
            message = f"unknown field {str(item['loc'][-1])!r}"
            hint = "check the spelling; `clusterforge schema` prints every field"
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


# ---------------------------------------------------------------- YAML / JSON


#: Alias expansion guard: a stack has hundreds of values, a "billion laughs" file billions.
MAX_YAML_VALUES = 100_000
MERGE_TAG = "tag:yaml.org,2002:merge"
#: The only tags a mapping or a sequence may carry: the ones YAML gives them without a tag.
COLLECTION_TAGS = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}
TAG_HINT = "use plain YAML values, without tags (`!name` or `!!type`)"


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting bound: its composer recurses once per level, so
    without one a few hundred ``[`` end in RecursionError instead of a located error."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"the document nests more than {MAX_DEPTH} levels deep",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _YamlBuilder:
    """Plain data from a composed YAML document, with the line of every spec path.

    Scalars are typed by PyYAML's safe constructor (so ``zone:`` is null); duplicate keys,
    non-scalar keys, recursive aliases, alias bombs and bad values under a standard tag
    (``!!int abc``) are errors with the file and line. One rule for tags: a custom tag
    (``!name``) is refused on any node, and a mapping or sequence takes no tag other than its
    own (``!!set``, ``!!omap`` ... are refused, not silently dropped). ``<<`` merge keys work as in
    YAML 1.1.
    """

    def __init__(self, loader: yaml.SafeLoader, lines: dict[str, int], file: str) -> None:
        self.loader = loader
        self.lines = lines
        self.file = file
        self.count = 0

    def fail(self, node: yaml.Node, message: str, hint: str | None = None) -> StackLoadError:
        mark = node.start_mark
        return StackLoadError(
            message, location=f"{self.file}:{mark.line + 1}:{mark.column + 1}", hint=hint
        )

    def build(self, node: yaml.Node, path: str, active: frozenset[int] = frozenset()) -> Any:
        self.count += 1
        if self.count > MAX_YAML_VALUES:
            raise self.fail(
                node,
                f"the document expands to more than {MAX_YAML_VALUES} values (alias expansion)",
            )
        if id(node) in active:
            raise self.fail(node, "an alias refers to a node that contains it (recursive alias)")
        if len(active) > MAX_DEPTH:
            raise self.fail(node, f"the document nests more than {MAX_DEPTH} levels deep")
        self.lines.setdefault(path, node.start_mark.line + 1)
        inner = active | {id(node)}
        expected = COLLECTION_TAGS.get(type(node))
        if expected is not None and node.tag != expected:
            raise self.fail(node, f"unsupported tag {node.tag!r} on a collection", TAG_HINT)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, inner)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, _join(path, i), inner) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.fail(node, f"invalid YAML value: {problem}", TAG_HINT) from None
        except (ValueError, TypeError, ArithmeticError) as exc:
            # A standard tag over a value it cannot take: `!!int abc`, `!!float x`, `!!binary ~`.
            raise self.fail(
                node, f"invalid value for {node.tag.rpartition(':')[2]!r}: {exc}", TAG_HINT
            ) from None

    def mapping(self, node: yaml.MappingNode, path: str, active: frozenset[int]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise self.fail(
                            source, "a `<<` merge key takes a mapping or a list of mappings"
                        )
                    if id(source) in active:
                        raise self.fail(source, "an alias refers to a node that contains it")
                    for key, value in self.mapping(source, path, active | {id(source)}).items():
                        merged.setdefault(key, value)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain strings")
            if not key_node.tag.startswith("tag:yaml.org,2002:"):
                raise self.fail(key_node, f"unsupported tag {key_node.tag!r} on a key", TAG_HINT)
            key = key_node.value
            if key in result:
                raise self.fail(
                    key_node, f"duplicate key {key!r}", "each key may appear once in a mapping"
                )
            child = _join(path, str(key))
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child, active)
        return {**merged, **result}


def _load_yaml(path: Path, text: str) -> tuple[Any, SourceMap]:
    # The document's first line stands for it (a missing top-level field points there).
    source = SourceMap(str(path), {"": 1})
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise StackLoadError(
                "the file is empty", location=str(path), hint="start from `clusterforge new`"
            )
        return _YamlBuilder(loader, source.lines, str(path)).build(node, ""), source
    except yaml.reader.ReaderError as exc:
        line, column = line_column(text, exc.position)
        raise StackLoadError(
            f"invalid YAML: character {exc.character!r} is not allowed in YAML",
            location=f"{path}:{line}:{column}",
            hint="remove control characters from the file",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = exc.problem or exc.context or "invalid YAML"
        raise StackLoadError(f"invalid YAML: {problem}", location=where) from None
    except yaml.YAMLError as exc:
        raise StackLoadError(f"invalid YAML: {exc}", location=str(path)) from None
    except RecursionError:  # the bound above keeps PyYAML far from it; a last guard
        raise StackLoadError(
            f"the document nests more than {MAX_DEPTH} levels deep", location=str(path)
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


# Characters that end a line in YAML but not in JSON: escaped, a JSON string means the same.
_YAML_ONLY_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def _load_json(path: Path, text: str) -> tuple[Any, SourceMap]:
    data = parse_json(text, str(path))
    # JSON is (almost) YAML: compose it again only for line numbers. Where PyYAML disagrees (a
    # key over 1,024 characters, ...) the JSON is still valid: keep it, without line numbers.
    try:
        _, source = _load_yaml(path, text.translate(_YAML_ONLY_BREAKS))
    except StackLoadError as exc:
        if exc.message.startswith("duplicate key"):
            raise  # JSON keeps the last of two equal keys silently; a stack must not
        source = SourceMap(str(path), {"": 1})
    return data, source


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
                child = _join(path, keyword.arg)
                lines[child] = keyword.value.lineno
                _map_python_value(keyword.value, child, lines)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                child = _join(path, key.value)
                lines[child] = key.lineno
                _map_python_value(value, child, lines)
    elif isinstance(node, (ast.List, ast.Tuple)):
        for i, item in enumerate(node.elts):
            _map_python_value(item, _join(path, i), lines)


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


def is_plan_document(data: dict[Any, Any]) -> bool:
    """Whether ``data`` has the shape of a plan (`clusterforge plan --format json`): a top-level
    ``version`` and ``resources``, neither of which is a stack field."""
    return "version" in data and "resources" in data


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
    if suffix in YAML_SUFFIXES:
        data, source = _load_yaml(path, text)
    else:
        data, source = _load_json(path, text)
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
