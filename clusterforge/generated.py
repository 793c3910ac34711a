"""Files clusterforge ships prebuilt from its own code (``spec/schema.json``,
``rule_index.json``): reading one, and regenerating it in a checkout."""

from __future__ import annotations

import sys
from pathlib import Path

from clusterforge.errors import ClusterforgeError

#: The ``title`` of the stack JSON Schema (``spec.models.json_schema`` sets it; ``--out`` knows
#: the schema file it may replace by it).
SCHEMA_TITLE = "clusterforge stack"


def read(path: Path, what: str, regenerate: str) -> str:
    """The text of the generated file ``path`` (``what`` names it in the error); one clear
    error, not a traceback, when it is missing or unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise missing(path, what, regenerate, exc) from None


def missing(path: Path, what: str, regenerate: str, exc: Exception) -> ClusterforgeError:
    """The error for a generated file that is missing or cannot be read or parsed."""
    return ClusterforgeError(
        f"{what} {path.name} is missing or unreadable ({type(exc).__name__}: {exc})",
        hint=f"reinstall clusterforge; in a checkout, run {regenerate}",
    )


def write_if_changed(path: Path, text: str) -> bool:
    """Rewrite ``path`` with ``text`` only when it differs (saying so on stderr); whether it
    was written."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return True
