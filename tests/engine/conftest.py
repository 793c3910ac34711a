"""Fixtures of the engine tests."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture
def collect_failed_run() -> Iterator[None]:
    """Collect a failed offline run's garbage before the next test.

    A run that fails leaves SDK futures whose exception nobody retrieved. Collected later, their
    finalizer logs a traceback, which CPython 3.11 formats with ``ast.parse``; when that happens
    inside another ``ast.parse`` (pytest rewriting a module it imports, such as hypothesis for its
    summary), the reentrant call resets the AST constructor's shared recursion counter and the
    outer one fails with "SystemError: AST constructor recursion depth mismatch"
    (python/cpython#106905). Collected here, nothing is being parsed.
    """
    yield
    gc.collect()
