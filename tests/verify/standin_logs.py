"""Stand-in nccl-tests logs, written from the printf formats of NVIDIA/nccl-tests v2.19.6
(src/util.cu: writeDeviceReport, writeResultHeader, writeBenchmarkLinePreamble/Body,
writeResultFooter) and NCCL's `NCCL INFO Using network <name>` line (src/init.cc). Not captured
from a cluster: the numbers are whatever the test asks for."""

from __future__ import annotations

from clusterforge.verify.nccl_output import BEGIN, END


def _float(value: float, width: int) -> str:
    # getFloatStr: %.2f, then %.1f, then %.0f if it does not fit the width
    for spec in (".2f", ".1f", ".0f"):
        text = f"{value:{width}{spec}}"
        if len(text) <= width:
            return text
    return f"{value:{width}.1e}"


def nccl_log(
    test: str = "all_reduce_perf",
    *,
    peak_busbw: float = 480.0,
    network: str = "Libfabric",
    hosts: tuple[str, ...] = ("node-a", "node-b"),
    gpus: int = 8,
    max_bytes: int = 16 << 30,
    wrong: int = 0,
    truncated: bool = False,
) -> str:
    redop = "sum" if test != "alltoall_perf" else "none"
    ranks = len(hosts) * gpus
    lines = [
        "# nccl-tests version 2.19.6 nccl-headers=22807 nccl-library=22807",
        f"# Collective test starting: {test}",
        f"# nThread 1 nGpus 1 minBytes 8 maxBytes {max_bytes} step: 2(factor) warmup iters: 1 "
        "iters: 50 agg iters: 1 validation: 1 graph: 0 unalign: 0",
        "#",
        "# Using devices",
    ]
    for rank in range(ranks):
        host = hosts[rank // gpus]
        lines.append(
            f"#  Rank {rank:2d} Group  0 Pid {1000 + rank:6d} on {host:>10s} device "
            f"{rank % gpus:2d} [0000:{rank:02x}:00] NVIDIA H100 80GB HBM3"
        )
    for rank in range(ranks):
        lines.append(
            f"{hosts[rank // gpus]}:{1000 + rank}:{1000 + rank} [{rank % gpus}] NCCL INFO Using network {network}"
        )
    lines += [
        "#",
        "#                                                              out-of-place                       in-place          ",
        "#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong",
        "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            (us)  (GB/s)  (GB/s)       ",
    ]
    size = 8
    total = 0.0
    count_rows = 0
    while size <= max_bytes:
        # a bandwidth curve that saturates at peak_busbw for large messages
        busbw = peak_busbw * size / (size + (64 << 20))
        factor = 2 * (ranks - 1) / ranks if redop == "sum" else (ranks - 1) / ranks
        algbw = busbw / factor
        time_us = size / (algbw * 1e3) if algbw else 0.0
        row = f"{size:12d}  {size // 4:12d}  {'float':>8s}  {redop:>6s}  {-1:6d}"
        body = f"  {_float(time_us, 7)}  {_float(algbw, 6)}  {_float(busbw, 6)}  {wrong:6g}"
        lines.append(row + body + body)
        total += busbw
        count_rows += 1
        size *= 2
        if truncated and size > 1 << 20:
            return "\n".join(lines) + "\n"
    lines += [
        f"# {'Out of bounds values':<20s} : {wrong} {'FAILED' if wrong else 'OK'}",
        f"# {'Avg bus bandwidth':<20s} : {total / count_rows:g} ",
        "#",
        f"# Collective test concluded: {test}",
    ]
    return "\n".join(lines) + "\n"


def job_log(**per_test: dict) -> str:
    """Rank 0's whole log: each test between the markers the verify job prints."""
    out = ["Starting verify job"]
    for test in ("all_reduce_perf", "alltoall_perf"):
        kwargs = per_test.get(test, {})
        out.append(f"{BEGIN}{test}")
        out.append(nccl_log(test, **kwargs).rstrip("\n"))
        out.append(f"{END}{test} rc=0")
    return "\n".join(out) + "\n"
