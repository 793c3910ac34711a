"""Run the pool tests on a cluster: create, wait with progress and a timeout, read the logs,
clean up on every exit path, and bisect a slow pool into node pairs.

Talks to the Kubernetes API through the official client (``kubernetes``), which handles the
kubeconfig's exec plugins (``aws eks get-token``, ``gke-gcloud-auth-plugin``). Everything created
carries the ``clusterforge.io/verify`` label and is deleted when the run ends, fails, times out or
is interrupted.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from urllib3.exceptions import HTTPError

from clusterforge.errors import ClusterError, UsageError
from clusterforge.verify import nccl_output
from clusterforge.verify.facts import large_message_bytes
from clusterforge.verify.jobs import JOBSET_API, LABEL, PoolTest, manifests, tests_of
from clusterforge.verify.results import ERROR, FAIL, PASS, TIMEOUT, PoolOutcome, TestOutcome

JOBSET_GROUP, JOBSET_VERSION, JOBSET_PLURAL = "jobset.x-k8s.io", "v1alpha2", "jobsets"
#: The label Kubernetes puts on the pods of an Indexed Job (the completion index).
INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
JOBSET_NAME_LABEL = "jobset.sigs.k8s.io/jobset-name"
SUSPECT_TAINT = "clusterforge.io/fabric-suspect"
#: Container states that no amount of waiting fixes: end the job at once.
FATAL_WAITING = frozenset(
    {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError"}
)

#: Lines read from the end of rank 0's log: the job prints its summary last (jobs._run_tests),
#: so this bounds what is read from a very long log without losing what is judged.
LOG_TAIL_LINES = 50_000

Progress = Callable[[str], None]


# ------------------------------------------------------------------------------ evaluation


def evaluate(test: PoolTest, log: str) -> list[TestOutcome]:
    """Judge rank 0's log: each test's transport, data errors and (all_reduce) bus bandwidth."""
    runs = nccl_output.split_runs(log)
    codes = nccl_output.exit_codes(log)
    expected_names = list(test.launcher.get("network") or [])
    parse = nccl_output.parse_nccom if test.neuron_devices else nccl_output.parse
    names = tests_of(test.launcher)
    outcomes = []
    for name in names:
        text = runs.get(name)
        if text is None:
            outcomes.append(TestOutcome(name, None, None, None, ERROR, ["the test did not run"]))
            continue
        run = parse(text)
        problems: list[str] = []
        network = run.networks.most_common(1)[0][0] if run.networks else None
        status = PASS
        if not run.complete:
            status = ERROR
            problems.append("the run ended before its summary (see the pod log)")
        if test.neuron_devices:  # nccom-test's own failure lines (NCCL WARN lines are noise)
            problems += [f"nccom-test: {text}" for text in run.warnings[:3]]
        if codes.get(name, 0) != 0 and run.complete and not run.wrong_values:
            status = FAIL
            problems.append(f"the test exited with status {codes[name]} after its summary")
        if "Socket" in run.networks:
            status = FAIL
            problems.append(
                f"NCCL fell back to TCP sockets on {run.networks['Socket']} rank(s): the "
                f"{test.fabric} transport did not load (check the plugin, devices and libraries)"
            )
        elif network is None and test.launcher.get("network_logged", True):
            status = FAIL if status == PASS else status
            problems.append("no `NCCL INFO Using network` line: run with NCCL_DEBUG=INFO")
        elif network is None and test.neuron_devices:
            problems.append(
                "nccom-test logs no transport line: completion, its data check and the "
                "bandwidth judge this fabric"
            )
        elif network is None:
            problems.append(
                "the transport is not in the log (the recipe's script logs NCCL at WARN to "
                "per-host files): only the bandwidth judges this fabric"
            )
        elif wrong_transport(test, network):
            status = FAIL if status == PASS else status
            problems.append(
                f"NCCL used network {network!r}, not the {test.fabric} transport "
                f"({' or '.join(expected_names)}): check the plugin, devices and libraries"
            )
        if run.wrong_values:
            status = FAIL
            problems.append(f"{run.wrong_values} wrong value(s): data corruption on the fabric")
        busbw = run.large_message_busbw(large_message_bytes())
        if name == names[0] and busbw is not None and test.expected is not None:
            floor = test.expected.floor_gb_per_s
            if busbw < floor:
                status = FAIL
                problems.append(
                    f"bus bandwidth {busbw:g} GB/s is below the floor {floor:g} GB/s "
                    f"(expected {test.expected.busbw_gb_per_s:g})"
                )
        if busbw is not None and run.largest_bytes < large_message_bytes():
            problems.append(
                f"largest message {run.largest_bytes} B: the check needs sizes of 1 GiB or more"
            )
        outcomes.append(
            TestOutcome(
                name,
                run,
                round(busbw, 2) if busbw is not None else None,
                network,
                status,
                problems,
            )
        )
    return outcomes


def pool_status(outcomes: list[TestOutcome]) -> str:
    statuses = {o.status for o in outcomes}
    for status in (ERROR, FAIL):
        if status in statuses:
            return status
    return PASS


def wrong_transport(test: PoolTest, network: str | None) -> bool:
    """NCCL logged a transport other than the one the fabric's plugin names itself, where that
    name is verified (``network_verified`` in fabric_tests.json)."""
    return (
        network is not None
        and bool(test.launcher.get("network_verified"))
        and network not in (test.launcher.get("network") or [])
    )


def bandwidth_failed(outcomes: list[TestOutcome], test: PoolTest) -> bool:
    """Only the bandwidth is wrong (the transport loaded): the case bisection can explain."""
    compared = tests_of(test.launcher)[0]
    reduce = next((o for o in outcomes if o.test == compared), None)
    logged = test.launcher.get("network_logged", True)
    return (
        reduce is not None
        and reduce.status == FAIL
        and reduce.network != "Socket"
        and not wrong_transport(test, reduce.network)
        and (reduce.network is not None or not logged)
        and not (reduce.run and reduce.run.wrong_values)
        and reduce.busbw_gb_per_s is not None
    )


def pairs(nodes: list[str]) -> list[tuple[str, ...]]:
    """Disjoint node pairs (an odd node out joins the last pair as a trio)."""
    ordered = sorted(nodes)
    groups = [tuple(ordered[i : i + 2]) for i in range(0, len(ordered) - 1, 2)]
    if len(ordered) % 2 and groups:
        groups[-1] = (*groups[-1], ordered[-1])
    return groups


# ------------------------------------------------------------------------------ the cluster


def connect(
    kubeconfig: str | None,
    context: str | None,
    *,
    config_dict: dict[str, Any] | None = None,
    source: str | None = None,
    hint: str | None = None,
) -> Any:
    """An API client for the kubeconfig (``config_dict``, a parsed kubeconfig such as the stack's
    output; else the file, default $KUBECONFIG / ~/.kube/config) and context."""
    import yaml
    from kubernetes import config

    where = source or (f"the kubeconfig {kubeconfig}" if kubeconfig else "the kubeconfig")
    try:
        if config_dict is not None:
            return config.new_client_from_config_dict(config_dict, context=context)
        return config.new_client_from_config(config_file=kubeconfig, context=context)
    except (config.ConfigException, OSError, ValueError, TypeError, yaml.YAMLError) as exc:
        raise UsageError(
            f"cannot use {where}: {exc}",
            hint=hint
            or "pass --kubeconfig FILE (and --context NAME), or write the jobs with --render DIR",
        ) from exc


def ssh_keys() -> dict[str, str]:
    """A fresh ed25519 key pair for one run's ranks (never written to disk)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    return {
        "id_ed25519": private,
        "id_ed25519.pub": public + "\n",
        "authorized_keys": public + "\n",
    }


@dataclass
class _Running:
    test: PoolTest
    started: float
    finished: float | None = None
    state: str | None = None
    log: str = ""
    nodes: tuple[str, ...] = ()
    error: str | None = None


class Runner:
    """Creates, watches and removes the test objects in one namespace."""

    def __init__(
        self,
        client: Any,
        namespace: str = "default",
        *,
        timeout_s: float = 1800,
        poll_s: float = 10,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from kubernetes import client as k8s

        self.core = k8s.CoreV1Api(client)
        self.custom = k8s.CustomObjectsApi(client)
        self.namespace = namespace
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.progress = progress or (lambda _msg: None)
        self.sleep = sleep
        self.clock = clock

    # -- API calls, each turned into a ClusterError with what failed
    def _call(self, what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException

        try:
            return func(*args, **kwargs)
        except ApiException as exc:
            detail = f"{exc.status} {exc.reason}"
            hint = None
            if exc.status == 404 and "jobset" in what:
                hint = "install JobSet on the cluster (add-on `jobset`, or Kubeflow Trainer)"
            raise ClusterError(f"{what}: {detail}", hint=hint) from exc
        except (OSError, ValueError, HTTPError) as exc:
            raise ClusterError(
                f"{what}: {type(exc).__name__}: {exc}",
                hint="check that the kubeconfig's server is reachable from here",
            ) from exc

    def pool_nodes(self, test: PoolTest) -> list[str]:
        selector = ",".join(f"{k}={v}" for k, v in sorted(test.node_selector.items()))
        found = self._call(
            f"list the nodes of pool {test.pool}", self.core.list_node, label_selector=selector
        )
        ready = []
        for node in found.items:
            conditions = {c.type: c.status for c in (node.status.conditions or [])}
            if conditions.get("Ready") == "True" and not node.spec.unschedulable:
                ready.append(node.metadata.name)
        return sorted(ready)

    def _create(self, test: PoolTest) -> None:
        """The JobSet first, then its SSH Secret owned by it (the pods wait for the Secret's
        volume), so the key goes with the JobSet even if nothing else cleans up."""
        keys = ssh_keys() if test.launcher.get("ssh") == "secret" else None
        objects = manifests(test, ssh_keys=keys, timeout_seconds=int(self.timeout_s))
        jobset = next(m for m in objects if m["kind"] == "JobSet")
        created = self._call(
            f"create jobset {jobset['metadata']['name']}",
            self.custom.create_namespaced_custom_object,
            JOBSET_GROUP,
            JOBSET_VERSION,
            self.namespace,
            JOBSET_PLURAL,
            jobset,
        )
        uid = ((created or {}).get("metadata") or {}).get("uid")
        for secret in (m for m in objects if m["kind"] == "Secret"):
            if uid:
                secret["metadata"]["ownerReferences"] = [
                    {"apiVersion": JOBSET_API, "kind": "JobSet", "name": test.job_name, "uid": uid}
                ]
            self._call(
                f"create Secret {secret['metadata']['name']}",
                self.core.create_namespaced_secret,
                self.namespace,
                secret,
            )

    def check_server(self) -> str:
        """The API server's version; refuses one older than the Job success policy needs."""
        from kubernetes import client as k8s

        info = self._call("read the server version", k8s.VersionApi(self.core.api_client).get_code)
        major = int("".join(ch for ch in str(info.major) if ch.isdigit()) or 0)
        minor = int("".join(ch for ch in str(info.minor) if ch.isdigit()) or 0)
        if (major, minor) < (1, 31):
            raise ClusterError(
                f"the cluster runs Kubernetes {info.major}.{info.minor}: the test ends through the "
                "Job success policy (on by default from 1.31, GA in 1.33)",
                hint="upgrade the cluster, or run the rendered jobs (--render) and end them by hand",
            )
        return f"{info.major}.{info.minor}"

    def _delete(self, test: PoolTest) -> None:
        """Remove the JobSet (its Jobs and pods go with it) and the Secret; never raises."""
        from kubernetes.client.exceptions import ApiException

        calls = [
            lambda: self.custom.delete_namespaced_custom_object(
                JOBSET_GROUP,
                JOBSET_VERSION,
                self.namespace,
                JOBSET_PLURAL,
                test.job_name,
                propagation_policy="Background",
            ),
        ]
        if test.launcher.get("ssh") == "secret":
            calls.append(
                lambda: self.core.delete_namespaced_secret(test.ssh_secret, self.namespace)
            )
        for call in calls:
            try:
                call()
            except ApiException as exc:
                if exc.status != 404:
                    self.progress(f"cleanup of {test.job_name} failed: {exc.status} {exc.reason}")
            except (OSError, HTTPError) as exc:
                self.progress(
                    f"cleanup of {test.job_name} failed ({type(exc).__name__}): delete it with "
                    f"kubectl delete jobset,secret -l {LABEL}=true -n {self.namespace}"
                )

    def _state(self, running: _Running) -> None:
        name = running.test.job_name
        jobset = self._call(
            f"read jobset {name}",
            self.custom.get_namespaced_custom_object,
            JOBSET_GROUP,
            JOBSET_VERSION,
            self.namespace,
            JOBSET_PLURAL,
            name,
        )
        status = jobset.get("status") or {}
        terminal = status.get("terminalState")
        if not terminal:
            for condition in status.get("conditions") or []:
                if condition.get("status") == "True" and condition.get("type") in (
                    "Completed",
                    "Failed",
                ):
                    terminal = condition["type"]
        if terminal:
            running.state = terminal
            running.finished = self.clock()

    def _pod_problem(self, running: _Running) -> str | None:
        """A reason the job can never run (an image that does not pull), or None."""
        pods = self._call(
            f"list the pods of {running.test.job_name}",
            self.core.list_namespaced_pod,
            self.namespace,
            label_selector=f"{JOBSET_NAME_LABEL}={running.test.job_name}",
        )
        for pod in pods.items:
            statuses = [
                *((pod.status.init_container_statuses or []) if pod.status else []),
                *((pod.status.container_statuses or []) if pod.status else []),
            ]
            for status in statuses:
                waiting = status.state.waiting if status.state else None
                if waiting is not None and waiting.reason in FATAL_WAITING:
                    return f"{pod.metadata.name}: {waiting.reason}: {waiting.message or ''}".strip()
        return None

    def _collect(self, running: _Running) -> None:
        name = running.test.job_name
        pods = self._call(
            f"list the pods of {name}",
            self.core.list_namespaced_pod,
            self.namespace,
            label_selector=f"{JOBSET_NAME_LABEL}={name}",
        )
        running.nodes = tuple(sorted({p.spec.node_name for p in pods.items if p.spec.node_name}))
        head = [p for p in pods.items if (p.metadata.labels or {}).get(INDEX_LABEL) == "0"]
        if head:
            running.log = self._call(
                f"read the log of {head[0].metadata.name}",
                self.core.read_namespaced_pod_log,
                head[0].metadata.name,
                self.namespace,
                container="nccl-test",
                tail_lines=LOG_TAIL_LINES,
            )

    def run(self, tests: list[PoolTest]) -> list[_Running]:
        """Run ``tests`` side by side; every one is deleted before this returns or raises."""
        runs = [_Running(test, self.clock()) for test in tests]
        created: list[PoolTest] = []
        previous = _interrupt_on_sigterm()
        try:
            for running in runs:
                created.append(running.test)  # before: a half-made test (Secret only) is removed
                self._create(running.test)
                self.progress(f"started {running.test.job_name} on {running.test.nodes} nodes")
            deadline = self.clock() + self.timeout_s
            while any(r.state is None for r in runs):
                for running in runs:
                    if running.state is not None:
                        continue
                    self._state(running)
                    if running.state is None and (problem := self._pod_problem(running)):
                        running.state, running.finished = ERROR, self.clock()
                        running.error = problem
                    if running.state is not None:
                        self.progress(f"{running.test.job_name}: {running.error or running.state}")
                pending = [r for r in runs if r.state is None]
                if not pending:
                    break
                if self.clock() >= deadline:
                    for running in pending:
                        running.state, running.finished = TIMEOUT, self.clock()
                        running.error = f"no result within {self.timeout_s:g} s"
                    break
                waited = self.clock() - runs[0].started
                self.progress(f"waiting for {len(pending)} job(s), {waited:.0f} s")
                self.sleep(self.poll_s)
            for running in runs:
                self._collect(running)
        finally:
            for test in created:
                self._delete(test)
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        return runs

    def taint(self, node: str, pool: str) -> None:
        body = self._call(f"read node {node}", self.core.read_node, node)
        taints = [t.to_dict() for t in (body.spec.taints or [])]
        if any(t.get("key") == SUSPECT_TAINT for t in taints):
            return
        taints.append({"key": SUSPECT_TAINT, "value": pool, "effect": "NoSchedule"})
        self._call(f"taint node {node}", self.core.patch_node, node, {"spec": {"taints": taints}})


def _interrupt_on_sigterm() -> Any:
    """While jobs run, SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so they are deleted."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def outcome(running: _Running) -> PoolOutcome:
    test = running.test
    duration = (running.finished or running.started) - running.started
    result = PoolOutcome(
        pool=test.pool,
        path=test.path,
        fabric=test.fabric,
        instance_type=test.instance_type,
        expected=test.expected,
        status=PASS,
        duration_s=duration,
        nodes=list(running.nodes),
        notes=list(test.notes),
    )
    if running.state == ERROR and running.error:
        result.status = ERROR
        result.problems.append(f"{running.error}; the job was deleted")
        return result
    if running.state == TIMEOUT:
        result.status = TIMEOUT
        result.problems.append(
            f"{running.error}: pods pending (capacity, taints, device resources?) or a rank hung; "
            "the job was deleted"
        )
    result.tests = evaluate(test, running.log) if running.log else []
    if result.status != TIMEOUT:
        if not result.tests:
            result.status = ERROR
            result.problems.append(f"the job ended {running.state} with no log from rank 0")
        else:
            result.status = pool_status(result.tests)
    return result


def verify_pools(
    runner: Runner, tests: list[PoolTest], *, bisect: bool = True, taint: bool = False
) -> list[PoolOutcome]:
    """Test every pool; bisect each pool whose bandwidth alone failed, into node pairs."""
    results = []
    for running in runner.run(tests):
        result = outcome(running)
        if bisect and result.status == FAIL and bandwidth_failed(result.tests, running.test):
            nodes = list(running.nodes) or runner.pool_nodes(running.test)
            result.suspects, note = _bisect(runner, running.test, nodes)
            if note:
                result.notes.append(note)
            if taint:
                for node in result.suspects:
                    runner.taint(node, running.test.pool)
                    result.tainted.append(node)
        results.append(result)
    return results


#: Fewer nodes than this cannot tell one slow node from a slow pool (two pairs at least).
MIN_BISECT_NODES = 4


def _status(running: _Running) -> str:
    if running.state in (TIMEOUT, ERROR) or not running.log:
        return running.state or ERROR
    return pool_status(evaluate(running.test, running.log))


def _bisect(runner: Runner, test: PoolTest, nodes: list[str]) -> tuple[list[str], str | None]:
    """Round 1: disjoint pairs side by side; a slow pair holds a suspect. Round 2: each node of a
    slow pair with a node of a fast pair, one at a time; a node slow there too is named. Only a
    measured FAIL names a node (never a timeout or an error)."""
    if len(nodes) < MIN_BISECT_NODES:
        return [], (
            f"{len(nodes)} node(s): too few to tell a slow node from a slow pool (bisection "
            f"needs {MIN_BISECT_NODES})"
        )
    groups = pairs(nodes)
    runner.progress(f"bisecting {test.pool}: {len(groups)} node pair(s)")
    first = runner.run(
        [replace(test, nodes=len(group), pinned_nodes=group, notes=()) for group in groups]
    )
    good = [n for r in first if _status(r) == PASS for n in r.test.pinned_nodes]
    slow = [n for r in first if _status(r) == FAIL for n in r.test.pinned_nodes]
    if not slow:
        return [], "every node pair passed on its own: the slowdown needs the whole pool"
    if not good:
        return [], "every node pair is slow: a pool-wide problem (fabric, drivers), not one node"
    suspects = []
    for index, node in enumerate(slow):
        partner = good[index % len(good)]
        [running] = runner.run([replace(test, nodes=2, pinned_nodes=(node, partner), notes=())])
        if _status(running) == FAIL:
            suspects.append(node)
    return sorted(suspects), None
