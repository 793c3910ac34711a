"""Small plain-value checks shared by several rule modules."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clusterforge.catalog.resolve import ResolvedPool

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: Names end up in AWS resource names (IAM roles, node groups, launch templates) together with a
#: suffix: 40 characters keeps every derived name inside the AWS limits.
MAX_NAME = 40
#: A DNS-1123 label's own limit (RFC 1123 via Kubernetes' IsDNS1123Label).
DNS_LABEL_MAX = 63


def name_problem(name: str, limit: int = MAX_NAME) -> str | None:
    """Why ``name`` is not a valid DNS-1123 label of at most ``limit`` characters, or None."""
    if not name:
        return "is empty"
    if len(name) > limit:
        return f"is {len(name)} characters long (at most {limit})"
    if not DNS_LABEL.match(name):
        return (
            "must be lowercase letters, digits and '-', starting and ending with a letter or digit"
        )
    return None


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def today() -> dt.date:
    """The date support windows are judged against (tests pin it with monkeypatch)."""
    return dt.date.today()


def size_path(pool: ResolvedPool) -> str:
    """The spec path of the field that sets how large ``pool`` may grow: its ``max_nodes`` when
    given, else its ``nodes`` (for findings about the pool's maximum size)."""
    return f"{pool.path}.{'max_nodes' if pool.spec.max_nodes is not None else 'nodes'}"
