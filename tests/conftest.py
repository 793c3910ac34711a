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

from helpers import plan

# Case counts of tests/fuzz (a plugin: the xdist controller never reads tests/fuzz/conftest.py).
pytest_plugins = ["tests.fuzz.counting"]


@pytest.fixture(scope="session")
def base_graph() -> ResourceGraph:
    return plan()
