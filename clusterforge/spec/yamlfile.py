"""YAML and JSON stack files: plain data plus the line of every spec path (PyYAML's composer).

Its own module so that a Python stack, which needs none of it, starts without importing PyYAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from clusterforge.errors import StackLoadError
from clusterforge.spec.files import MAX_DEPTH, line_column, parse_json
from clusterforge.spec.sourcemap import SourceMap, join_path

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
            return [
                self.build(item, join_path(path, i), inner) for i, item in enumerate(node.value)
            ]
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
            child = join_path(path, str(key))
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child, active)
        return {**merged, **result}


def load_yaml(path: Path, text: str) -> tuple[Any, SourceMap]:
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


# Characters that end a line in YAML 1.1 but not in JSON: escaped, a JSON string means the same
# and PyYAML counts the lines JSON counts. YAML 1.2.2, 5.4 "Line Break Characters" (yaml/yaml-spec
# spec/1.2.2/spec.md): "YAML version 1.1 did support the above non-ASCII line break characters"
# (next line #x85, line separator #x2028, paragraph separator #x2029) "however, JSON does not".
# PyYAML reads YAML 1.1: its Reader.forward (yaml/reader.py, 6.0.4) starts a new line at each.
_YAML_ONLY_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def load_json(path: Path, text: str) -> tuple[Any, SourceMap]:
    data = parse_json(text, str(path))
    # JSON is (almost) YAML: compose it again only for line numbers. Where PyYAML disagrees (a
    # key over 1,024 characters, ...) the JSON is still valid: keep it, without line numbers.
    try:
        _, source = load_yaml(path, text.translate(_YAML_ONLY_BREAKS))
    except StackLoadError as exc:
        if exc.message.startswith("duplicate key"):
            raise  # JSON keeps the last of two equal keys silently; a stack must not
        source = SourceMap(str(path), {"": 1})
    return data, source
