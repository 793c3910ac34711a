"""The nccl-tests parser against a published table and stand-in logs written from the format."""

from __future__ import annotations

from pathlib import Path

import pytest
from verify.standin_logs import job_log, nccl_log

from clusterforge.verify import nccl_output

DATA = Path(__file__).resolve().parent.parent / "data" / "nccl"


def test_published_p5_table_parses_with_launcher_prefix() -> None:
    run = nccl_output.parse((DATA / "awsome-p5-2node-all_reduce.log").read_text())
    assert len(run.rows) == 32
    assert run.rows[0].size_bytes == 8 and run.rows[-1].size_bytes == 17179869184
    assert run.rows[-1].busbw_gb_per_s == 487.09
    assert run.rows[-1].inplace_busbw_gb_per_s == 487.26
    # rows >= 1 GiB: 436.95, 443.72, 465.87, 479.28, 487.09
    assert run.large_message_busbw(1 << 30) == pytest.approx(462.582, abs=1e-3)
    assert run.complete and run.wrong_values == 0


def test_standin_log_round_trip() -> None:
    run = nccl_output.parse(nccl_log(peak_busbw=400.0, hosts=("a", "b", "c")))
    assert run.networks == {"Libfabric": 24}
    assert run.hosts == ["a", "b", "c"]
    assert run.complete
    assert run.large_message_busbw(1 << 30) == pytest.approx(400 * 0.975, rel=0.03)


def test_socket_fallback_is_seen() -> None:
    run = nccl_output.parse(nccl_log(network="Socket"))
    assert run.networks["Socket"] == 16


def test_truncated_run_is_incomplete() -> None:
    run = nccl_output.parse(nccl_log(truncated=True))
    assert run.rows and not run.complete


def test_wrong_values_counted() -> None:
    run = nccl_output.parse(nccl_log(wrong=3))
    assert run.wrong_values > 0 and run.out_of_bounds == 3


def test_old_format_without_root_and_unchecked_errors() -> None:
    # nccl-tests before the root column, run without -c (#wrong is N/A)
    text = (
        "#       size         count      type   redop     time   algbw   busbw  error     time   algbw   busbw  error\n"
        "   1073741824     268435456     float     sum   4607.6  233.04  436.95    N/A   4565.6  235.18  440.96    N/A\n"
        "# Avg bus bandwidth    : 52.9753\n"
    )
    run = nccl_output.parse(text)
    assert [r.busbw_gb_per_s for r in run.rows] == [436.95]
    assert run.rows[0].wrong is None


def test_alltoall_rows_parse() -> None:
    run = nccl_output.parse(nccl_log("alltoall_perf"))
    assert run.rows and run.rows[0].redop == "none"


def test_split_runs() -> None:
    runs = nccl_output.split_runs(job_log())
    assert set(runs) == {"all_reduce_perf", "alltoall_perf"}
    assert "Collective test concluded: alltoall_perf" in runs["alltoall_perf"]


def test_old_nccl_internal_network_line() -> None:
    # NCCL 2.3 printed "Using internal Network Socket" (seen in public logs of that era)
    line = "worker:16157:16157 [0] NCCL INFO Using internal Network Socket"
    assert nccl_output.parse(line).networks == {"Socket": 1}
