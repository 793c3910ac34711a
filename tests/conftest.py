"""Shared fixtures (helpers live in tests/helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# `tests.*` modules import each other by package name. Append (not prepend) the repository root
# so `clusterforge` still resolves to the installed distribution, which includes the top-level
# modules/ folder as clusterforge.modules.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from clusterforge.graph import ResourceGraph
from clusterforge.report.model import Report
from clusterforge.spec.loader import LoadedStack

from helpers import PlannedExample, cache_kubernetes_schemas, plan

cache_kubernetes_schemas()

# Case counts of tests/fuzz (a plugin: the xdist controller never reads tests/fuzz/conftest.py).
pytest_plugins = ["tests.fuzz.counting"]


@pytest.fixture(scope="session")
def base_graph() -> ResourceGraph:
    return plan()


@pytest.fixture(scope="session")
def planned_example() -> PlannedExample:
    """``planned_example(path)``: ``api.plan_stack(path)`` (validation, offline plan, policies,
    cost), computed once per example per test session (per xdist worker) — planning is the
    suite's biggest cost. The result is shared: read it, never mutate it."""
    from clusterforge.api import plan_stack

    cache: dict[Path, tuple[LoadedStack, Report]] = {}

    def planned(path: Path) -> tuple[LoadedStack, Report]:
        key = Path(path).resolve()
        if key not in cache:
            cache[key] = plan_stack(key)
        return cache[key]

    return planned
