"""Case counting for the bad-input, planted-secret and property suites.

Every generated or tabled input run through the tool adds to a named counter; the session ends
with one summary line per counter (``fuzz cases: ...``), also under pytest-xdist, where each
worker hands its counts to the controller.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.fuzz.support import CASES, invoke


@pytest.fixture(scope="session")
def plan_document() -> dict[str, Any]:
    """The plan JSON of one example, planned once for every suite here (a copy per use)."""
    import json

    from helpers import EXAMPLES

    run = invoke("fixtures", "plan", str(EXAMPLES / "aws-inference.yaml"), "--format", "json")
    assert run.code == 0, run.err
    return dict(json.loads(run.out))


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: send the counts home
        workeroutput["fuzz_cases"] = dict(CASES)


def pytest_testnodedown(node: Any, error: Any) -> None:
    CASES.update(Counter(getattr(node, "workeroutput", {}).get("fuzz_cases", {})))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CASES:
        counts = ", ".join(f"{name} {count}" for name, count in sorted(CASES.items()))
        terminalreporter.write_line(f"fuzz cases: {counts} (total {sum(CASES.values())})")
