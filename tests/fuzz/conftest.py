"""Fixtures of the bad-input, planted-secret and property suites (case counting: counting.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fuzz.support import invoke


@pytest.fixture(scope="session")
def plan_document() -> dict[str, Any]:
    """The plan JSON of one example, planned once for every suite here (a copy per use)."""
    import json

    from helpers import EXAMPLES

    run = invoke("fixtures", "plan", str(EXAMPLES / "aws-inference.yaml"), "--format", "json")
    assert run.code == 0, run.err
    return dict(json.loads(run.out))
