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


# ------------------------------------------------------------------------------ nccom-test


def test_nccom_guide_table_parses_in_gb_per_s() -> None:
    run = nccl_output.parse_nccom((DATA / "nccom-test-guide-2instance-all_reduce.log").read_text())
    assert len(run.rows) == 28 and run.complete and run.wrong_values == 0
    assert run.rows[-1].size_bytes == 1 << 30 and run.rows[-1].dtype == "fp32"
    # nccom-test prints GiB/s: 47.09 GiB/s is 50.56 GB/s
    assert run.rows[-1].busbw_gb_per_s == pytest.approx(47.09 * 1.073741824)
    assert run.large_message_busbw(1 << 30) == pytest.approx(50.5625, abs=1e-3)
    assert run.avg_busbw_gb_per_s == pytest.approx(9.3924 * 1.073741824, abs=1e-3)


def test_nccom_algorithm_and_stats_columns() -> None:
    # --show-algorithm and --stats layouts, as the guide prints them
    text = (
        "size(B)    count(elems)    type    time:avg(us)    algbw(GB/s)    busbw(GB/s)    algorithm\n"
        "536870912       134217728    fp32         9689.51          55.41         103.89    kangaring\n"
        "Avg bus bandwidth:\t16.6181GB/s\n"
        "size(B) count(elems) type time:avg(us) time:p25(us) time:p50(us) algbw(GB/s) busbw(GB/s)\n"
        "524288 131072 fp32 14.83 14 15 35.34 30.92\n"
    )
    run = nccl_output.parse_nccom(text)
    assert [round(r.busbw_gb_per_s / 1.073741824, 2) for r in run.rows] == [103.89, 30.92]
    assert run.rows[0].time_us == 9689.51


def test_nccom_failure_is_incomplete_with_errors() -> None:
    # the guide's "after a benchmark attempt" failure output
    text = (
        "     size(B)    count(elems)    type    time(us)    algbw(GB/s)    busbw(GB/s)\n"
        "    33554432    Failure running neuron-bench - log file /tmp/nccom_test_log_7pqpdfjf.log\n"
        "1 errors found - test failed\n"
    )
    run = nccl_output.parse_nccom(text)
    assert not run.complete and not run.rows
    assert run.wrong_values == 1
    assert run.warnings == [
        "Failure running neuron-bench - log file /tmp/nccom_test_log_7pqpdfjf.log"
    ]


def test_exit_codes_from_the_end_markers() -> None:
    log = f"{nccl_output.BEGIN}allr\nx\n{nccl_output.END}allr rc=1\n{nccl_output.END}b rc=0\n"
    assert nccl_output.exit_codes(log) == {"allr": 1, "b": 0}
