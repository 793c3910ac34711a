"""Reading input files a user names: bounded, decoded, and every failure one clear error.

Every file the tool reads on a user's behalf (stack files, plan JSON, policy configs, stack
outputs) goes through :func:`read_text`, so a device (``/dev/zero``), a huge file, a name the
file system refuses, bytes that are not UTF-8 or a NUL byte end in the same kind of error, with
``file:line:column`` where there is one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clusterforge.errors import StackLoadError

#: Largest input read, in bytes. A stack is kilobytes and a plan of thousands of resources a few
#: megabytes; anything larger (or endless, like /dev/zero) is refused before it fills memory.
MAX_INPUT_BYTES = 32 * 1024 * 1024
#: Deepest nesting accepted in a JSON or YAML document. Real inputs nest a dozen levels; the
#: bound keeps recursive code (parsers, validators, renderers) far from Python's recursion limit.
MAX_DEPTH = 100


#: The top-level keys of a plan document of this format: what ``clusterforge plan --format
#: json`` writes (validate and check write the same document; report.model.plan_document).
PLAN_KEYS = frozenset(
    ("version", "stack", "stack_file", "cluster", "resources", "summary", "findings", "cost")
)


def is_plan_document(data: Any, *, complete: bool = False) -> bool:
    """Whether ``data`` (a parsed JSON or YAML document) is a clusterforge plan, of any format
    version or cut short: a mapping with a top-level ``version`` and no top-level ``name`` (a
    plan names its cluster under ``cluster``; every stack names it at the top, so a stack with a
    misplaced ``version`` is still a stack). ``complete``: also every key of this format's plan
    (:data:`PLAN_KEYS`), as proof that clusterforge wrote it."""
    if not (isinstance(data, dict) and "version" in data and "name" not in data):
        return False
    return not complete or data.keys() >= PLAN_KEYS


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of character ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def read_text(path: Path, what: str = "file") -> str:
    """The UTF-8 text of ``path`` (a leading BOM dropped); StackLoadError when it cannot be had."""
    try:
        if path.is_dir():
            raise StackLoadError(f"the {what} is a directory", location=str(path))
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise StackLoadError("no such file", location=str(path)) from None
    except OSError as exc:
        raise StackLoadError(
            f"cannot read the {what}: {exc.strerror or exc}", location=str(path)
        ) from None
    if len(data) > MAX_INPUT_BYTES:
        raise StackLoadError(
            f"the {what} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB",
            location=str(path),
            hint="name a stack, plan or config file, not a device or a data file",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_column(data[: exc.start].decode("utf-8", "replace"), exc.start)
        raise StackLoadError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
            location=f"{path}:{line}:{column}",
            hint="save the file as UTF-8",
        ) from None
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        line, column = line_column(text, nul)
        raise StackLoadError(
            "a NUL byte in the file", location=f"{path}:{line}:{column}", hint="remove it"
        )
    return text


def depth_exceeded(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` (plain JSON data) nests deeper than ``limit``; iterative, never recursive."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((item, depth + 1) for item in node.values())
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
    return False


def parse_json(text: str, location: str) -> Any:
    """JSON ``text`` as plain data; StackLoadError with ``location:line:column`` when it is not."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StackLoadError(
            f"invalid JSON: {exc.msg}", location=f"{location}:{exc.lineno}:{exc.colno}"
        ) from None
    except RecursionError:
        data = None
        deep = True
    else:
        deep = depth_exceeded(data)
    if deep:
        raise StackLoadError(
            f"the document nests more than {MAX_DEPTH} levels deep", location=location
        )
    return data


def load_json_file(path: Path, what: str = "file") -> Any:
    """Read and parse a JSON input file (bounded, decoded, depth-limited)."""
    return parse_json(read_text(path, what), str(path))
