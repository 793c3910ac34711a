"""The verify run loop against a stand-in Kubernetes API (tests/verify/standin_kube_api.py):
create, wait, logs, judgement, cleanup on success, timeout and Ctrl-C, bisection and taints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from verify.standin_kube_api import StandinKubeApi
from verify.standin_logs import job_log

from clusterforge.verify import runner
from clusterforge.verify.facts import Expectation, launcher
from clusterforge.verify.jobs import PoolTest
from clusterforge.verify.results import FAIL, PASS, TIMEOUT

POOL_LABELS = {"clusterforge.io/pool": "h100"}


def efa_test(nodes: int = 4) -> PoolTest:
    return PoolTest(
        pool="h100",
        path="node_pools[1]",
        fabric="efa",
        instance_type="p5.48xlarge",
        nodes=nodes,
        gpus_per_node=8,
        node_selector=dict(POOL_LABELS),
        tolerations=[],
        launcher=launcher("efa") or {},
        image="example/nccl:1",
        expected=Expectation(443.72, False, "test figure", 1 << 31),
        efa_devices=32,
    )


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[StandinKubeApi, runner.Runner]]:
    with StandinKubeApi() as standin:
        client = runner.connect(str(standin.kubeconfig(tmp_path)), None)
        yield standin, runner.Runner(client, timeout_s=60, poll_s=0, sleep=lambda _s: None)


def test_healthy_pool_passes_and_leaves_nothing_behind(api) -> None:
    standin, run = api
    standin.cluster.add_nodes([f"n{i}" for i in range(4)], POOL_LABELS, busbw=480)
    [result] = runner.verify_pools(run, [efa_test()])
    assert result.status == PASS, result.problems
    assert result.nodes == ["n0", "n1", "n2", "n3"]
    reduce = result.tests[0]
    assert reduce.test == "all_reduce_perf" and reduce.network == "Libfabric"
    assert reduce.busbw_gb_per_s > 443.72 * 0.9
    assert standin.cluster.created == ["JobSet/cfv-h100", "Secret/cfv-h100-ssh"]
    assert not standin.cluster.jobsets and not standin.cluster.secrets
    # the SSH key pair reached the cluster and nowhere else
    assert standin.cluster.deleted == ["JobSet/cfv-h100", "Secret/cfv-h100-ssh"]
    # rank 0's log is read from its tail, where the job prints its summary
    assert standin.cluster.log_queries[0]["tailLines"] == str(runner.LOG_TAIL_LINES)


def test_socket_fallback_fails_even_when_fast(api) -> None:
    standin, run = api
    standin.cluster.add_nodes(["n0", "n1"], POOL_LABELS, busbw=480)
    standin.cluster.network = "Socket"
    [result] = runner.verify_pools(run, [efa_test(2)])
    assert result.status == FAIL
    assert any("fell back to TCP" in p for p in result.tests[0].problems)
    assert result.suspects == []  # a transport problem is not bisected into nodes


def test_slow_node_is_found_and_tainted_on_request(api) -> None:
    standin, run = api
    standin.cluster.add_nodes([f"n{i}" for i in range(4)], POOL_LABELS, busbw=480)
    standin.cluster.bandwidth["n2"] = 150  # one node with a bad NIC
    [result] = runner.verify_pools(run, [efa_test()], taint=True)
    assert result.status == FAIL
    assert "below the floor" in result.tests[0].problems[0]
    assert result.suspects == ["n2"]
    assert result.tainted == ["n2"]
    taints = standin.cluster.nodes["n2"]["spec"]["taints"]
    assert taints == [{"key": runner.SUSPECT_TAINT, "value": "h100", "effect": "NoSchedule"}]
    assert "taints" not in standin.cluster.nodes["n0"]["spec"]
    assert not standin.cluster.jobsets and not standin.cluster.secrets


def test_timeout_deletes_the_job(api) -> None:
    standin, run = api
    standin.cluster.add_nodes(["n0", "n1"], POOL_LABELS)
    standin.cluster.hang = True
    ticks = iter(range(0, 10_000, 30))
    run.clock = lambda: float(next(ticks))
    [result] = runner.verify_pools(run, [efa_test(2)])
    assert result.status == TIMEOUT
    assert "no result within 60 s" in result.problems[0]
    assert not standin.cluster.jobsets and not standin.cluster.secrets


def test_ctrl_c_deletes_the_job(api) -> None:
    standin, run = api
    standin.cluster.add_nodes(["n0", "n1"], POOL_LABELS)
    standin.cluster.hang = True

    def interrupt(message: str) -> None:
        if message.startswith("waiting"):
            raise KeyboardInterrupt

    run.progress = interrupt
    with pytest.raises(KeyboardInterrupt):
        runner.verify_pools(run, [efa_test(2)])
    assert standin.cluster.created and not standin.cluster.jobsets and not standin.cluster.secrets


def test_missing_jobset_crd_is_a_clear_cluster_error(api) -> None:
    standin, run = api
    standin.cluster.add_nodes(["n0", "n1"], POOL_LABELS)
    standin.cluster.jobset_installed = False
    with pytest.raises(runner.ClusterError) as error:
        runner.verify_pools(run, [efa_test(2)])
    assert "404" in str(error.value) and "JobSet" in (error.value.hint or "")
    assert not standin.cluster.secrets  # nothing is left half-made


def test_pairs() -> None:
    assert runner.pairs(["d", "a", "c", "b"]) == [("a", "b"), ("c", "d")]
    assert runner.pairs(["a", "b", "c"]) == [("a", "b", "c")]
    assert runner.pairs(["a"]) == []


def test_secret_is_owned_by_its_jobset(api) -> None:
    standin, run = api
    standin.cluster.add_nodes(["n0", "n1"], POOL_LABELS)
    standin.cluster.hang = True
    seen = {}

    def look(message: str) -> None:
        if message.startswith("waiting"):
            seen.update(standin.cluster.secrets)
            raise KeyboardInterrupt

    run.progress = look
    with pytest.raises(KeyboardInterrupt):
        runner.verify_pools(run, [efa_test(2)])
    owner = seen["cfv-h100-ssh"]["metadata"]["ownerReferences"][0]
    assert owner == {
        "apiVersion": "jobset.x-k8s.io/v1alpha2",
        "kind": "JobSet",
        "name": "cfv-h100",
        "uid": "uid-cfv-h100",
    }


def test_image_that_does_not_pull_ends_the_run_at_once(api) -> None:
    standin, run = api
    standin.cluster.add_nodes(["n0", "n1"], POOL_LABELS)
    standin.cluster.hang = True
    standin.cluster.pull_error = True
    [result] = runner.verify_pools(run, [efa_test(2)])
    assert result.status == "error" and "ErrImagePull" in result.problems[0]
    assert not standin.cluster.jobsets and not standin.cluster.secrets


def test_old_cluster_is_refused(api) -> None:
    standin, run = api
    standin.cluster.version = ("1", "30")
    with pytest.raises(runner.ClusterError, match="success policy"):
        run.check_server()
    standin.cluster.version = ("1", "33+")
    assert run.check_server() == "1.33+"


def test_unreachable_server_is_a_cluster_error_and_cleanup_never_raises(tmp_path) -> None:
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(
        '{"apiVersion": "v1", "kind": "Config", "current-context": "c",'
        ' "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:1"}}],'
        ' "users": [{"name": "u", "user": {"token": "t"}}],'
        ' "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}'
    )
    client = runner.connect(str(kubeconfig), None)
    client.configuration.retries = 0
    messages: list[str] = []
    run = runner.Runner(
        client, timeout_s=60, poll_s=0, sleep=lambda _s: None, progress=messages.append
    )
    with pytest.raises(runner.ClusterError) as error:
        runner.verify_pools(run, [efa_test(2)])
    assert "cfv-h100" in str(error.value) and "reachable" in (error.value.hint or "")
    assert any("kubectl delete jobset,secret" in m for m in messages)


def test_bisection_never_blames_healthy_nodes(api) -> None:
    standin, run = api
    # two nodes: too few to bisect
    standin.cluster.add_nodes(["n0", "n1"], POOL_LABELS, busbw=150)
    [result] = runner.verify_pools(run, [efa_test(2)], taint=True)
    assert result.status == FAIL and result.suspects == [] and result.tainted == []
    assert "too few" in result.notes[-1]
    # every pair slow: the pool, not a node
    standin.cluster.add_nodes(["n2", "n3"], POOL_LABELS, busbw=150)
    [result] = runner.verify_pools(run, [efa_test(4)], taint=True)
    assert result.suspects == [] and "pool-wide" in result.notes[-1]
    assert all("taints" not in node["spec"] for node in standin.cluster.nodes.values())


def neuron_test(expected: float) -> PoolTest:
    return PoolTest(
        pool="trn1",
        path="node_pools[1]",
        fabric="efa",
        instance_type="trn1.32xlarge",
        nodes=2,
        gpus_per_node=0,
        node_selector={"clusterforge.io/pool": "trn1"},
        tolerations=[],
        launcher=launcher("neuron") or {},
        image="example/neuron:1",
        expected=Expectation(expected, True, "test figure", 1 << 30),
        efa_devices=8,
        neuron_devices=16,
        neuron_cores=32,
    )


def nccom_job_log(table: str, rc: int = 0) -> str:
    from clusterforge.verify.nccl_output import BEGIN, END

    return "".join(
        f"{BEGIN}{op}\n{table}\n{END}{op} rc={rc}\n" for op in ("all_reduce", "alltoall")
    )


GUIDE_TABLE = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "nccl"
    / "nccom-test-guide-2instance-all_reduce.log"
).read_text()


def test_nccom_run_is_judged_in_gb_per_s() -> None:
    healthy = runner.evaluate(neuron_test(25.0), nccom_job_log(GUIDE_TABLE))
    assert [o.status for o in healthy] == [PASS, PASS]
    assert healthy[0].test == "all_reduce" and healthy[0].busbw_gb_per_s == 50.56
    assert "completion, its data check and the bandwidth" in healthy[0].problems[0]
    slow = runner.evaluate(neuron_test(100.0), nccom_job_log(GUIDE_TABLE))
    assert slow[0].status == FAIL and "below the floor 90" in slow[0].problems[-1]
    assert slow[1].status == PASS  # alltoall has no floor
    assert runner.bandwidth_failed(slow, neuron_test(100.0))  # a slow pool is bisected


def test_nccom_failure_and_exit_status_fail_the_pool() -> None:
    failed = (
        "     size(B)    count(elems)    type    time(us)    algbw(GB/s)    busbw(GB/s)\n"
        "    33554432    Failure running neuron-bench - log file /tmp/nccom_test_log_x.log\n"
        "1 errors found - test failed\n"
    )
    [reduce, _] = runner.evaluate(neuron_test(25.0), nccom_job_log(failed, rc=1))
    assert reduce.status == FAIL
    assert any("Failure running neuron-bench" in p for p in reduce.problems)
    assert not runner.bandwidth_failed([reduce], neuron_test(25.0))
    [late, _] = runner.evaluate(neuron_test(25.0), nccom_job_log(GUIDE_TABLE, rc=2))
    assert late.status == FAIL
    assert any("exited with status 2" in p for p in late.problems)


def test_summary_survives_a_rotated_log(tmp_path: Path) -> None:
    """The job's own bash (jobs._run_tests) run for real: with NCCL's INFO chatter filling the log,
    only its tail (what the kubelet keeps after rotation) still judges the pool the same."""
    import subprocess

    from verify.standin_logs import nccl_log

    from clusterforge.verify import jobs

    bodies = []
    for name in ("all_reduce_perf", "alltoall_perf"):
        out = tmp_path / f"{name}.txt"
        chatter = "".join(
            f"host:1:1 [0] NCCL INFO channel {i} via NET/Libfabric\n" for i in range(3000)
        )
        out.write_text(chatter + nccl_log(name, peak_busbw=480.0))
        bodies.append((name, [f"cat {out}"]))
    script = "\n".join(["status=0", *jobs._run_tests(bodies)])
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) > 6000
    tail = "\n".join(lines[-400:])  # the start of the log rotated away
    full, rotated = (runner.evaluate(efa_test(), text) for text in (done.stdout, tail))
    assert [o.status for o in rotated] == [o.status for o in full] == [PASS, PASS]
    assert rotated[0].busbw_gb_per_s == full[0].busbw_gb_per_s
    assert rotated[0].network == "Libfabric"


@pytest.mark.parametrize(
    ("fabric", "name", "other"),
    [("gpudirect-tcpx", "GPUDirectTCPX_v7", "IB"), ("efa", "Libfabric", "IB")],
)
def test_another_transport_than_the_fabrics_fails_and_is_not_bisected(
    fabric: str, name: str, other: str
) -> None:
    test = replace(efa_test(2), fabric=fabric, launcher=launcher(fabric) or {})
    assert test.launcher["network_verified"]
    healthy = runner.evaluate(
        test, job_log(all_reduce_perf={"network": name}, alltoall_perf={"network": name})
    )
    assert [o.status for o in healthy] == [PASS, PASS], [o.problems for o in healthy]
    wrong = runner.evaluate(test, job_log(all_reduce_perf={"network": other, "peak_busbw": 1}))
    assert wrong[0].status == FAIL and wrong[0].network == other
    assert any(f"NCCL used network '{other}'" in p for p in wrong[0].problems)
    assert not runner.bandwidth_failed(wrong, test)  # a transport problem, not a slow node
