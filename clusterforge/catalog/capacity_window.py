"""What happens to a pool's nodes when its reservation or Capacity Block window ends — one
function that validation (CAP010/CAP011), `plan`, `diff` and `preflight` all call.

Sources (checked 2026-12-03):
* Capacity Blocks: "Thirty minutes before the reservation expires, we begin to terminate any
  instances that are still running in the Capacity Block." — Amazon EC2 User Guide, Work with
  Capacity Blocks (docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-using.html).
* On-Demand Capacity Reservations: "After a reservation ends, you can no longer target instances
  to the Capacity Reservation. Instances running in the reserved capacity continue to run
  uninterrupted. If instances targeting a Capacity Reservation are stopped, you cannot restart
  them ..." — Amazon EC2 User Guide, Work with Capacity Reservations
  (docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-reservations-using.html).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: Minutes before a Capacity Block's end at which EC2 starts terminating its instances.
CAPACITY_BLOCK_TERMINATION_MINUTES = 30


@dataclass(frozen=True)
class WindowProblem:
    severity: str  # error, warning, info
    message: str
    hint: str
    #: The capacity field it is about: start or end.
    field: str = "end"


def at_end(capacity_type: str, cloud: str, end: dt.datetime) -> str:
    """What happens to the nodes when the window ends, in words."""
    when = end.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if capacity_type == "capacity_block":
        cutoff = (end - dt.timedelta(minutes=CAPACITY_BLOCK_TERMINATION_MINUTES)).astimezone(
            dt.timezone.utc
        )
        return (f"EC2 starts terminating the block's instances at {cutoff:%Y-%m-%d %H:%M} UTC, 30 minutes "
                f"before it ends ({when}): the pool's nodes and the jobs on them go away then")  # fmt: skip
    if cloud == "aws":
        return (f"the reservation ends at {when}: running nodes keep running, unreserved, at On-Demand "
                "rates; a node that stops or is replaced cannot launch into it")  # fmt: skip
    return (
        f"the reservation ends at {when}: from then it holds no capacity for new or replaced nodes"
    )


def window(start: dt.datetime | None, end: dt.datetime | None) -> dict[str, str | None] | None:
    """The window as ISO strings (plan and diff rows), None when neither end is known."""
    if start is None and end is None:
        return None

    def iso(value: dt.datetime | None) -> str | None:
        return (
            value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if value else None
        )

    return {"start": iso(start), "end": iso(end)}


def problems(
    capacity_type: str,
    cloud: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    now: dt.datetime,
    horizon_days: int | None,
) -> list[WindowProblem]:
    """Problems of a pool's capacity window at ``now`` for a stack meant to run ``horizon_days``
    more days (None: indefinitely)."""
    found: list[WindowProblem] = []
    if start and end and end <= start:
        return [
            WindowProblem(
                "error",
                "the capacity window ends before it starts",
                "check capacity.start and capacity.end",
            )
        ]
    if end is not None and end <= now:
        return [WindowProblem("error", f"the capacity window ended at {window(None, end)['end']}",  # type: ignore[index]
                              "name an active or future reservation, or change the capacity type")]  # fmt: skip
    if start is not None and start > now:
        found.append(WindowProblem("info", f"the capacity window starts at {window(start, None)['start']}: "  # type: ignore[index]
                                   "nodes launch only from then", "run `up` at or after the start", "start"))  # fmt: skip
    if end is not None:
        horizon_end = None if horizon_days is None else now + dt.timedelta(days=horizon_days)
        if horizon_end is None or end <= horizon_end:
            within = (
                "before the stack's horizon ends"
                if horizon_end
                else "while the stack runs (no horizon_days set)"
            )
            found.append(WindowProblem(
                "warning", f"the pool outlives its capacity window, which ends {within}: {at_end(capacity_type, cloud, end)}",
                "scale the pool to 0 or move it to new capacity before the end, or set horizon_days to the stack's planned life",
            ))  # fmt: skip
    return found
