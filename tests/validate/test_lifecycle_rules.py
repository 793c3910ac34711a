"""Capacity lifecycle rules (rules/lifecycle.py): CAP010 a pool that outlives its window, CAP011 a
window that cannot be used. Dates are relative to today."""

from __future__ import annotations

import datetime as dt

import pytest

from clusterforge.findings import Severity

from tests.validate.support import Case, bad, check, good

NOW = dt.datetime.now(dt.timezone.utc)
BLOCK = {"type": "capacity_block", "reservation_id": "cr-0123456789abcdef0"}
RESERVATION = {"type": "reservation", "reservation_id": "cr-0123456789abcdef0"}
END = "node_pools[1].capacity.end"


def window(capacity: dict[str, object], start_days: float | None, end_days: float | None,
           horizon: int | None = None) -> dict[str, object]:  # fmt: skip
    fields: dict[str, object] = dict(capacity)
    if start_days is not None:
        fields["start"] = (NOW + dt.timedelta(days=start_days)).isoformat()
    if end_days is not None:
        fields["end"] = (NOW + dt.timedelta(days=end_days)).isoformat()
    override: dict[str, object] = {"node_pools": {1: {"capacity": fields, "nodes": 2}}}
    if horizon is not None:
        override["horizon_days"] = horizon
    return override


CASES = [
    good("CAP010", "no-window", {}),
    good("CAP010", "ends-after-the-horizon", window(BLOCK, -1, 30, horizon=7)),
    bad("CAP010", "block-ends-within-the-horizon", window(BLOCK, -1, 5, horizon=7), Severity.WARNING, END,
        "terminating the block's instances", "30 minutes before it ends"),
    bad("CAP010", "reservation-ends-without-a-horizon", window(RESERVATION, None, 400), Severity.WARNING, END,
        "keep running, unreserved", "no horizon_days set"),
    bad("CAP010", "block-starts-later", window(BLOCK, 3, 60, horizon=7), Severity.INFO,
        "node_pools[1].capacity.start", "nodes launch only from then"),
    good("CAP011", "usable", window(BLOCK, -1, 30, horizon=7)),
    bad("CAP011", "over", window(BLOCK, -9, -1), Severity.ERROR, END, "the capacity window ended"),
    bad("CAP011", "ends-before-it-starts", window(BLOCK, 9, 2), Severity.ERROR, END, "ends before it starts"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_lifecycle_rule(case: Case) -> None:
    check(case)
