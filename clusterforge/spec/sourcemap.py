"""Where a spec path (``node_pools[1].capacity``) is declared in its stack file."""

from __future__ import annotations

from dataclasses import dataclass, field


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


def join_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key
