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


# ------------------------------------------------------------------------------ nccom-test

#: nccom-test reports algbw/busbw in GiB/s (aws-neuron-sdk tools/neuron-sys-tools/nccom-test.rst:
#: "gibibytes (1GiB = 1,073,741,824 bytes) per second"); runs are kept in GB/s like nccl-tests'.
GIB_PER_GB = 1.073741824
_NCCOM_AVG = re.compile(r"Avg bus bandwidth:\s*(?P<value>[-+\d.eE]+)\s*GB/s")
_NCCOM_ERRORS = re.compile(r"(?P<count>\d+) errors? found - test failed")
_NCCOM_FAILURE = re.compile(r"Failure running neuron-bench.*$")


def parse_nccom(text: str) -> NcclRun:
    """Parse what Neuron's ``nccom-test`` prints (the format of its user guide, Neuron SDK
    tools/neuron-sys-tools/nccom-test.rst): a header ``size(B) count(elems) type time(us)
    algbw(GB/s) busbw(GB/s)`` (``time:avg(us)``/percentile columns with ``--stats``, a trailing
    ``algorithm`` with ``--show-algorithm``), one row per size, ``Avg bus bandwidth: 40.6901GB/s``;
    a failed run prints ``Failure running neuron-bench - log file ...`` and ``N errors found - test
    failed``. Figures are converted from GiB/s to GB/s; errors count as wrong values."""
    run = NcclRun()
    columns: list[str] | None = None
    errors = 0
    for raw in text.splitlines():
        line = raw.strip()
        tokens = line.split()
        if "size(B)" in tokens and "busbw(GB/s)" in tokens:
            columns = tokens
            continue
        if (match := _NCCOM_AVG.search(line)) is not None:
            run.avg_busbw_gb_per_s = round(float(match["value"]) * GIB_PER_GB, 4)
            continue
        if (match := _NCCOM_ERRORS.search(line)) is not None:
            errors += int(match["count"])
            continue
        if (match := _NCCOM_FAILURE.search(line)) is not None:
            run.warnings.append(match.group(0))
            continue
        if columns is None or len(tokens) != len(columns) or not tokens[0].isdigit():
            continue
        row = dict(zip(columns, tokens, strict=True))
        try:
            time_column = next(c for c in columns if c.startswith("time"))
            run.rows.append(
                Row(
                    size_bytes=int(row["size(B)"]),
                    count=int(row.get("count(elems)", "0")),
                    dtype=row.get("type", ""),
                    redop="",
                    time_us=float(row[time_column]),
                    algbw_gb_per_s=float(row["algbw(GB/s)"]) * GIB_PER_GB,
                    busbw_gb_per_s=float(row["busbw(GB/s)"]) * GIB_PER_GB,
                    wrong=None,
                )
            )
        except (KeyError, StopIteration, ValueError):
            continue
    if errors:
        run.out_of_bounds = errors
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


_RC = re.compile(r"^(?P<name>\S+) rc=(?P<rc>\d+)")


def exit_codes(text: str) -> dict[str, int]:
    """Each test's exit status, from the job's end markers (``<END><test> rc=<n>``)."""
    found = {}
    for line in text.splitlines():
        if END in line and (match := _RC.match(line.split(END, 1)[1].strip())) is not None:
            found[match["name"]] = int(match["rc"])
    return found
