"""Parse what nccl-tests and NCCL print: the result table, the summary lines, the transport.

The table format is nccl-tests' own (NVIDIA/nccl-tests ``src/util.cu`` since v2.17, ``src/common.cu``
before): ``size count type redop root`` then ``time algbw busbw #wrong`` out-of-place and again
in-place (``root`` is absent before v2.10, ``#wrong`` is ``N/A`` without ``-c 1``). Lines may carry a
launcher prefix (``[1,0]<stdout>:``, ``0:``, a pod name); the parser finds the numeric row anywhere
in the line. NCCL's ``NCCL INFO Using network <name>`` line (``src/init.cc``) names the transport.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_NUM = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|N/A)"
_ROW = re.compile(
    rf"(?P<size>\d+)\s+(?P<count>\d+)\s+(?P<type>[a-z][a-z0-9_]*)\s+(?P<redop>[a-z]+|none)"
    rf"(?:\s+(?P<root>-?\d+))?"
    rf"\s+(?P<oop_time>{_NUM})\s+(?P<oop_algbw>{_NUM})\s+(?P<oop_busbw>{_NUM})\s+(?P<oop_wrong>{_NUM})"
    rf"(?:\s+(?P<ip_time>{_NUM})\s+(?P<ip_algbw>{_NUM})\s+(?P<ip_busbw>{_NUM})\s+(?P<ip_wrong>{_NUM}))?"
    r"\s*$"
)
_AVG = re.compile(r"#\s*Avg bus bandwidth\s*:\s*(?P<value>[-+\d.eE]+)")
_OOB = re.compile(r"#\s*Out of bounds values\s*:\s*(?P<value>\d+)")
# NCCL >= 2.4 (src/init.cc): "Using network <name>"; NCCL 2.3: "Using internal Network <name>".
_NETWORK = re.compile(r"NCCL INFO Using (?:internal )?[Nn]etwork (?P<name>.+?)\s*$")
_HOST = re.compile(r"#\s+Rank\s+\d+\s+Group\s+\d+\s+Pid\s+\d+\s+on\s+(?P<host>\S+)\s+device")
_WARN = re.compile(r"NCCL WARN (?P<text>.+?)\s*$")


@dataclass(frozen=True)
class Row:
    """One message size of the result table (out-of-place figures; in-place when present)."""

    size_bytes: int
    count: int
    dtype: str
    redop: str
    time_us: float
    algbw_gb_per_s: float
    busbw_gb_per_s: float
    wrong: int | None
    inplace_busbw_gb_per_s: float | None = None


@dataclass
class NcclRun:
    """What one nccl-tests run printed."""

    rows: list[Row] = field(default_factory=list)
    avg_busbw_gb_per_s: float | None = None
    out_of_bounds: int | None = None
    #: ``Using network`` names with how many ranks reported each.
    networks: Counter[str] = field(default_factory=Counter)
    hosts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """The run printed its table and its summary (it did not die part-way)."""
        return bool(self.rows) and self.avg_busbw_gb_per_s is not None

    @property
    def wrong_values(self) -> int:
        """Data errors the run's own check (-c 1) found, over every row."""
        return sum(row.wrong or 0 for row in self.rows) + (self.out_of_bounds or 0)

    def large_message_busbw(self, min_bytes: int) -> float | None:
        """Mean out-of-place bus bandwidth over the rows of at least ``min_bytes`` (GB/s); the
        largest row when none is that large; None without rows."""
        if not self.rows:
            return None
        large = [row.busbw_gb_per_s for row in self.rows if row.size_bytes >= min_bytes]
        if not large:
            largest = max(self.rows, key=lambda row: row.size_bytes)
            return largest.busbw_gb_per_s
        return sum(large) / len(large)

    @property
    def largest_bytes(self) -> int:
        return max((row.size_bytes for row in self.rows), default=0)


def _number(text: str | None) -> float | None:
    if text is None or text == "N/A":
        return None
    return float(text)


def parse(text: str) -> NcclRun:
    """Parse one run's log. Unknown lines are ignored; a truncated log gives an incomplete run."""
    run = NcclRun()
    for raw in text.splitlines():
        line = raw.rstrip()
        if (match := _NETWORK.search(line)) is not None:
            run.networks[match["name"]] += 1
            continue
        if (match := _WARN.search(line)) is not None:
            run.warnings.append(match["text"])
            continue
        if (match := _AVG.search(line)) is not None:
            run.avg_busbw_gb_per_s = float(match["value"])
            continue
        if (match := _OOB.search(line)) is not None:
            run.out_of_bounds = int(match["value"])
            continue
        if (match := _HOST.search(line)) is not None:
            if match["host"] not in run.hosts:
                run.hosts.append(match["host"])
            continue
        if "#" in line.split("NCCL", 1)[0] and _ROW.search(line) is None:
            continue
        if (match := _ROW.search(line)) is None:
            continue
        busbw = _number(match["oop_busbw"])
        if busbw is None:
            continue
        wrong = _number(match["oop_wrong"])
        run.rows.append(
            Row(
                size_bytes=int(match["size"]),
                count=int(match["count"]),
                dtype=match["type"],
                redop=match["redop"],
                time_us=_number(match["oop_time"]) or 0.0,
                algbw_gb_per_s=_number(match["oop_algbw"]) or 0.0,
                busbw_gb_per_s=busbw,
                wrong=int(wrong) if wrong is not None else None,
                inplace_busbw_gb_per_s=_number(match["ip_busbw"]),
            )
        )
    return run


#: Markers the verify job prints around each test so one log holds several runs.
BEGIN, END = "### clusterforge-verify begin ", "### clusterforge-verify end "


def split_runs(text: str) -> dict[str, str]:
    """The log of each test between the job's begin/end markers (test name → its lines)."""
    runs: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if BEGIN in line:
            current = line.split(BEGIN, 1)[1].strip()
            runs[current] = []
        elif END in line:
            current = None
        elif current is not None:
            runs[current].append(line)
    return {name: "\n".join(lines) for name, lines in runs.items()}
