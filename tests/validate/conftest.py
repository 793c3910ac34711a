"""Fixtures for the validation tests: the date support windows are judged against is pinned."""

from __future__ import annotations

import pytest

from tests.validate.support import PINNED_TODAY


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """K8S001 compares Kubernetes support dates with `_util.today()`: keep results date-proof."""
    monkeypatch.setattr("clusterforge.validate.rules._util.today", lambda: PINNED_TODAY)
