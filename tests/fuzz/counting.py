"""Case counting for the bad-input, planted-secret and property suites (a pytest plugin, loaded
by tests/conftest.py so that the xdist controller, which never reads tests/fuzz/conftest.py,
prints the summary too).

Every generated or tabled input run through the tool adds to a named counter; the session ends
with one summary line (``fuzz cases: ...``); under pytest-xdist each worker hands its counts to
the controller.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.fuzz.support import CASES


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: send the counts home
        workeroutput["fuzz_cases"] = dict(CASES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    CASES.update(Counter(getattr(node, "workeroutput", {}).get("fuzz_cases", {})))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CASES:
        counts = ", ".join(f"{name} {count}" for name, count in sorted(CASES.items()))
        terminalreporter.write_line(f"fuzz cases: {counts} (total {sum(CASES.values())})")
