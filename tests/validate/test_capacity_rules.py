"""Capacity rules (rules/capacity.py): reservation ids, placement groups, purchase options, blocks."""

from __future__ import annotations

import pytest

from clusterforge.findings import Severity

from tests.validate.support import Case, bad, check, good

ERROR, WARNING = Severity.ERROR, Severity.WARNING
RESERVATION_ID = "cr-0123456789abcdef0"
BLOCK = {"type": "capacity_block", "reservation_id": RESERVATION_ID}
RESERVATION = {"type": "reservation", "reservation_id": RESERVATION_ID}


def h100(**fields: object) -> dict[str, object]:
    """An override of the baseline's H100 pool (node_pools[1])."""
    return {"node_pools": {1: fields}}


CASES = [
    # CAP001: reservations and Capacity Blocks name a well-formed id; other types do not.
    good("CAP001", "baseline", {}),
    good("CAP001", "capacity-block", h100(capacity=BLOCK)),
    good("CAP001", "reservation", h100(capacity=RESERVATION)),
    good(
        "CAP001",
        "short-legacy-id",
        h100(capacity={"type": "reservation", "reservation_id": "cr-0123abcd"}),
    ),
    bad(
        "CAP001",
        "capacity-block-without-id",
        h100(capacity={"type": "capacity_block"}),
        ERROR,
        "node_pools[1].capacity.reservation_id",
        "capacity type capacity_block needs the reservation id",
        "cr-0123456789abcdef0",
    ),
    bad(
        "CAP001",
        "reservation-without-id",
        h100(capacity={"type": "reservation"}),
        ERROR,
        "node_pools[1].capacity.reservation_id",
        "capacity type reservation needs the reservation id",
    ),
    bad(
        "CAP001",
        "malformed-id",
        h100(capacity={"type": "reservation", "reservation_id": "cr-12345"}),
        ERROR,
        "node_pools[1].capacity.reservation_id",
        "'cr-12345' is not an EC2 capacity reservation id",
        "cr-0123456789abcdef0",
    ),
    bad(
        "CAP001",
        "uppercase-id",
        h100(capacity={"type": "capacity_block", "reservation_id": "cr-0123456789ABCDEF0"}),
        ERROR,
        "node_pools[1].capacity.reservation_id",
        "is not an EC2 capacity reservation id",
    ),
    bad(
        "CAP001",
        "odcr-arn",
        h100(
            capacity={
                **RESERVATION,
                "reservation_id": f"arn:aws:ec2:us-east-1:1:capacity-reservation/{RESERVATION_ID}",
            }
        ),
        ERROR,
        "node_pools[1].capacity.reservation_id",
        "is not an EC2 capacity reservation id",
    ),
    bad(
        "CAP001",
        "id-on-on-demand",
        h100(capacity={"reservation_id": RESERVATION_ID}),
        WARNING,
        "node_pools[1].capacity.reservation_id",
        "reservation_id is ignored for capacity type on_demand",
    ),
    # CAP002: EC2 places reserved capacity itself: no forced cluster placement group.
    good("CAP002", "baseline-placement-default", {}),
    good("CAP002", "on-demand-forced-placement", h100(placement_group=True)),
    good("CAP002", "capacity-block-default", h100(capacity=BLOCK)),
    good("CAP002", "reservation-placement-off", h100(capacity=RESERVATION, placement_group=False)),
    bad(
        "CAP002",
        "capacity-block-placement",
        h100(capacity=BLOCK, placement_group=True),
        ERROR,
        "node_pools[1].placement_group",
        "a cluster placement group on a capacity block gives insufficient-capacity errors",
        "the reserved capacity is already co-located",
    ),
    bad(
        "CAP002",
        "reservation-placement",
        h100(capacity=RESERVATION, placement_group=True),
        WARNING,
        "node_pools[1].placement_group",
        "on a reservation",
        "only a reservation created in that placement group works",
    ),
    # CAP003: the purchase option exists on the cloud and for the instance type.
    good("CAP003", "baseline", {}),
    good("CAP003", "capacity-block-on-p5", h100(capacity=BLOCK)),
    good("CAP003", "spot-cpu-pool", {"node_pools": {0: {"capacity": {"type": "spot"}}}}),
    bad(
        "CAP003",
        "flex-start-on-aws",
        h100(capacity={"type": "flex_start"}),
        ERROR,
        "node_pools[1].capacity.type",
        "aws has no flex_start capacity",
        "use one of: on_demand, spot, reservation, capacity_block",
    ),
    bad(
        "CAP003",
        "capacity-block-on-g6e",
        h100(instance_type="g6e.48xlarge", capacity=BLOCK),
        ERROR,
        "node_pools[1].capacity.type",
        "g6e.48xlarge is not sold as capacity-block",
        "sold as: on-demand, spot",
    ),
    # CAP004: a Capacity Block is a fixed number of instances.
    good("CAP004", "fixed-size-block", h100(capacity=BLOCK)),
    good("CAP004", "autoscaling-on-demand", h100(min_nodes=1, max_nodes=4)),
    bad(
        "CAP004",
        "autoscaling-block",
        h100(capacity=BLOCK, min_nodes=1, max_nodes=4),
        WARNING,
        "node_pools[1].nodes",
        "the pool scales 1..4",
        "set `nodes` to the block's instance count",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_capacity_rule(case: Case) -> None:
    check(case)
