"""Pool → NCCL test JobSet: which pools are tested, with what devices and transport (pure).

What the pool was built with is read from the offline plan of the same stack, not re-derived: the
EFA interfaces its launch template carries (AWS) and the GKE ``Network`` objects created for it
(GPUDirect), so the test requests exactly what the nodes have. The launch recipe per fabric (image,
SSH, NCCL environment) comes from :mod:`clusterforge.verify.facts`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from clusterforge.catalog.efa import EFA_TYPES
from clusterforge.catalog.gcp_network import uses_network_profile
from clusterforge.catalog.resolve import ResolvedCluster, ResolvedPool
from clusterforge.graph import ResourceGraph
from clusterforge.verify import facts
from clusterforge.verify.facts import Expectation
from clusterforge.verify.nccl_output import BEGIN, END

JOBSET_API = "jobset.x-k8s.io/v1alpha2"
#: The tests each job runs, in order. all_reduce is compared with the expected figure; alltoall
#: (the expert-parallel pattern) is measured and its transport checked.
TESTS = ("all_reduce_perf", "alltoall_perf")
#: Label on everything `verify` creates, so cleanup and `kubectl` can find it.
LABEL = "clusterforge.io/verify"
SSH_PORT = 2222
EFA_RESOURCE = "vpc.amazonaws.com/efa"
GPU_RESOURCE = "nvidia.com/gpu"
NEURON_RESOURCE = "aws.amazon.com/neuron"
NEURON_CORE_RESOURCE = "aws.amazon.com/neuroncore"
_NETWORK_TYPE = "kubernetes:networking.gke.io/v1:Network"
_PARAMS_TYPE = "kubernetes:networking.gke.io/v1:GKENetworkParamSet"
_LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


@dataclass(frozen=True)
class Skipped:
    """A pool `verify` does not test, and why."""

    pool: str
    path: str
    reason: str


@dataclass(frozen=True)
class PoolTest:
    """Everything the job for one pool needs (plain values)."""

    pool: str
    path: str
    fabric: str
    instance_type: str | None
    nodes: int
    gpus_per_node: int
    node_selector: dict[str, str]
    tolerations: list[dict[str, str]]
    launcher: dict[str, Any]
    image: str
    expected: Expectation | None
    #: AWS: the EFA devices each node has (every one is requested).
    efa_devices: int = 0
    #: GKE GPUDirect: the ``Network`` object names, in NIC order, and whether they are RDMA.
    networks: tuple[str, ...] = ()
    #: Existing clusters with the Network Operator: the RDMA resource and how many per pod.
    rdma_resource: str | None = None
    #: Trainium: Neuron devices and the NeuronCores the device plugin advertises, per node.
    neuron_devices: int = 0
    neuron_cores: int = 0
    #: Nodes the job is pinned to (bisection pairs); empty = any nodes of the pool.
    pinned_nodes: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def job_name(self) -> str:
        return job_name(self.pool, self.pinned_nodes)

    @property
    def ssh_secret(self) -> str:
        """The Secret holding the run's SSH keys (when the recipe takes them from a Secret)."""
        return f"{self.job_name}-ssh"


def tests_of(recipe: dict[str, Any]) -> tuple[str, ...]:
    """The tests a recipe runs, in order; the first is compared with the expected figure."""
    return tuple(recipe.get("tests") or TESTS)


def job_name(pool: str, pinned: tuple[str, ...] = ()) -> str:
    """A DNS-1035 name short enough for the pods' hostnames (``<name>-worker-0-<i>``)."""
    base = re.sub(r"[^a-z0-9-]", "-", f"cfv-{pool}".lower()).strip("-")[:30].rstrip("-")
    if pinned:
        import hashlib

        digest = hashlib.sha256(",".join(pinned).encode()).hexdigest()[:6]
        base = f"{base[:23].rstrip('-')}-{digest}"
    return base


def _tolerations(pool: ResolvedPool) -> list[dict[str, str]]:
    found = []
    for taint in pool.taints:
        toleration = {"key": taint.key, "effect": taint.effect}
        if taint.value:
            toleration.update(operator="Equal", value=taint.value)
        else:
            toleration["operator"] = "Exists"
        found.append(toleration)
    return found


def _pool_resources(graph: ResourceGraph, pool: ResolvedPool) -> list[Any]:
    return [r for r in graph.resources if graph.spec_path(r) == pool.path]


def _efa_devices(graph: ResourceGraph, pool: ResolvedPool) -> int:
    """EFA interfaces on the pool's launch template as planned (``efa`` and ``efa-only``)."""
    for resource in _pool_resources(graph, pool):
        if resource.type == _LAUNCH_TEMPLATE:
            interfaces = resource.inputs.get("networkInterfaces") or []
            return sum(
                1
                for nic in interfaces
                if isinstance(nic, dict) and nic.get("interfaceType") in EFA_TYPES
            )
    return 0


def _gke_networks(graph: ResourceGraph, pool: ResolvedPool) -> tuple[str, ...]:
    """The GKE Network objects made for the pool, in the order the program created them."""
    names = []
    for resource in _pool_resources(graph, pool):
        if resource.type == _NETWORK_TYPE:
            name = (resource.inputs.get("metadata") or {}).get("name")
            if isinstance(name, str):
                names.append(name)
    return tuple(names)


def node_count(pool: ResolvedPool, requested: int | None) -> tuple[int, str | None]:
    """How many nodes the test spans, and a note when it makes the autoscaler add nodes.
    Raises ValueError when ``requested`` is more nodes than the pool can have."""
    most = max(pool.max_size, pool.desired) * pool.slices
    if requested is not None:
        if requested > most:
            raise ValueError(
                f"--nodes {requested}: pool {pool.name} has at most {most} node(s) "
                f"({pool.path}): the extra pods would wait for nodes that cannot exist"
            )
        return requested, None
    if pool.total_nodes >= 2:
        return pool.total_nodes, None
    if pool.max_size * pool.slices >= 2:
        return 2, (
            f"the pool has {pool.total_nodes} node(s) now: the test asks for 2, so the autoscaler "
            "adds nodes (and their cost) until it ends"
        )
    return pool.total_nodes, None


def plan_tests(
    resolved: ResolvedCluster,
    graph: ResourceGraph,
    *,
    pools: tuple[str, ...] = (),
    nodes: int | None = None,
    image: str | None = None,
    expect_busbw: float | None = None,
) -> tuple[list[PoolTest], list[Skipped]]:
    """The test of every multi-node accelerator pool (or of the ``pools`` named), and the pools
    left out with the reason. Raises ValueError for a named pool that does not exist."""
    from clusterforge.catalog.addons import advertised_neuron_cores
    from clusterforge.modules.kubernetes.objects import rdma_resource

    known = {pool.name for pool in resolved.pools}
    unknown = [name for name in pools if name not in known]
    if unknown:
        raise ValueError(
            f"no pool named {', '.join(unknown)} (the stack has {', '.join(sorted(known))})"
        )
    tests: list[PoolTest] = []
    skipped: list[Skipped] = []
    network_operator = resolved.addon("network-operator")
    for pool in resolved.pools:
        if pools and pool.name not in pools:
            continue
        offering = pool.offering

        def skip(reason: str, pool: ResolvedPool = pool) -> None:
            skipped.append(Skipped(pool.name, pool.path, reason))

        if not pool.is_accelerated:
            continue  # system pools: nothing to prove
        if pool.is_tpu:
            skip("a TPU pool: NCCL does not run on TPUs (ICI is checked by the TPU runtime)")
            continue
        if offering is not None and offering.is_neuron:
            reason = _neuron_unsupported(offering)
            if reason:
                skip(reason)
                continue
        if pool.fabric in ("none", ""):
            skip("no fabric: NCCL would run over TCP, which this test cannot prove fast")
            continue
        count, note = node_count(pool, nodes)
        if count < 2:
            skip(f"a single node (max {pool.max_size}): there is no fabric between nodes to test")
            continue
        neuron = offering is not None and offering.is_neuron
        recipe = facts.launcher("neuron" if neuron else pool.fabric)
        if recipe is None:
            skip(f"fabric {pool.fabric}: no verified NCCL test recipe")
            continue
        chosen = image or recipe.get("image")
        if not chosen:
            skip(f"fabric {pool.fabric}: {recipe['image_source']}")
            continue
        gpus = offering.accelerator_count if offering else (pool.spec.accelerators_per_node or 0)
        if neuron:
            gpus = 0
        notes = [note] if note else []
        test = PoolTest(
            pool=pool.name,
            path=pool.path,
            fabric=pool.fabric,
            instance_type=pool.instance_type,
            nodes=count,
            gpus_per_node=gpus,
            node_selector=pool.node_labels,
            tolerations=_tolerations(pool),
            launcher=recipe,
            image=chosen,
            expected=facts.expectation(offering, expect_busbw),
            notes=tuple(notes),
        )
        if pool.fabric == "efa":
            efa = _efa_devices(graph, pool)
            if efa == 0:
                skip("the plan has no EFA interfaces on this pool's launch template")
                continue
            test = _replace(test, efa_devices=efa)
            if neuron and offering is not None:
                test = _replace(
                    test,
                    neuron_devices=offering.accelerator_count,
                    neuron_cores=advertised_neuron_cores(
                        offering.accelerator, offering.neuron_cores
                    ),
                )
        elif pool.fabric in ("gpudirect-tcpx", "gpudirect-tcpxo", "rdma"):
            if uses_network_profile(pool):
                skip(DRANET_REASON)
                continue
            networks = _gke_networks(graph, pool)
            if not networks:
                skip("the plan has no GKE Network objects for this pool's GPU NICs")
                continue
            test = _replace(test, networks=networks)
        elif pool.fabric == "infiniband":
            mode = network_operator.mode if network_operator is not None else None
            if mode == "sriov":
                skip(
                    "InfiniBand in SR-IOV mode: the stack does not say how many VFs (HCAs) a "
                    "node has, and one VF would test a fraction of the fabric"
                )
                continue
            test = _replace(test, rdma_resource=rdma_resource(mode))
        tests.append(test)
    return tests, skipped


#: Why a pool on GKE's accelerator network profile (DRANET) is not tested.
DRANET_REASON = (
    "GKE's accelerator network profile (DRANET) gives this pool its RDMA NICs through DRA resource "
    "claims; Google's A4X NCCL test (GoogleCloudPlatform/container-engine-accelerators "
    "gpudirect-rdma/nccl-test-imex-a4x.yaml @155bfa49, read 2026-12-03) attaches them as GKE "
    "Network objects rdma-0..3 with an IMEX ComputeDomain (resource.nvidia.com/v1beta1) instead, and "
    "no NCCL test for DRANET claims was found in it or AI-Hypercomputer/gpu-recipes: run NCCL by hand "
    "with --expect-busbw once a verified recipe exists"
)


def _neuron_unsupported(offering: Any) -> str | None:
    """Why nccom-test cannot prove a Neuron pool's fabric, or None when it can."""
    if not (offering.accelerator or "").startswith("Trainium"):
        return (
            f"{offering.accelerator or 'Neuron'} ({offering.instance_type}): nccom-test runs "
            "across instances only on Trainium (Trn1, Trn2, Trn3; Neuron's nccom-test guide) and "
            "NCCL does not run on Neuron devices"
        )
    if offering.family == "trn2u":
        return (
            f"{offering.instance_type} (UltraServer): the job needs Neuron's UltraServer init "
            "script and pod affinity (Neuron docs deploy/eks/ultraserver.rst), not built by this "
            "release; run nccom-test there as that guide shows"
        )
    return None


def _replace(test: PoolTest, **changes: Any) -> PoolTest:
    from dataclasses import replace

    return replace(test, **changes)


# ------------------------------------------------------------------------------ manifests


def _env(test: PoolTest) -> list[dict[str, Any]]:
    env = [{"name": k, "value": str(v)} for k, v in test.launcher.get("env", {}).items()]
    if not test.neuron_devices:
        env += [
            {"name": "NCCL_DEBUG", "value": "INFO"},
            {"name": "NCCL_DEBUG_SUBSYS", "value": "INIT,NET"},
        ]
    env += [
        {"name": "CF_NODES", "value": str(test.nodes)},
        {"name": "CF_GPUS", "value": str(test.gpus_per_node)},
        {"name": "CF_CORES", "value": str(test.neuron_cores)},
        {"name": "CF_JOBSET", "value": test.job_name},
    ]
    return env


def _resources(test: PoolTest) -> dict[str, dict[str, str]]:
    amounts = {GPU_RESOURCE: str(test.gpus_per_node)}
    if test.neuron_devices:  # as aws-k8s-tester's multi-node nccom-test requests them
        amounts = {
            NEURON_RESOURCE: str(test.neuron_devices),
            NEURON_CORE_RESOURCE: str(test.neuron_cores),
        }
    if test.efa_devices:
        amounts[EFA_RESOURCE] = str(test.efa_devices)
        hugepages = test.launcher.get("hugepages_2mi")
        if hugepages:
            amounts["hugepages-2Mi"] = hugepages
            # Hugepages need a memory request beside them (the upstream manifest's figure).
            amounts["memory"] = test.launcher.get("memory", "32000Mi")
    if test.rdma_resource:
        amounts[test.rdma_resource] = "1"
    return {"requests": dict(amounts), "limits": dict(amounts)}


def script(test: PoolTest) -> str:
    """The bash each pod runs. Every pod starts sshd; rank 0 (Job completion index 0) waits for
    its peers, runs each test between begin/end markers and exits with the tests' status; the
    others serve until the Job's success policy (index 0 succeeded) ends them."""
    recipe = test.launcher
    if recipe.get("tool") == "nccom-test":
        return _nccom_script(test)
    ssh = _ssh_command(int(recipe.get("ssh_port", SSH_PORT)))
    lines = []
    if recipe.get("ssh") == "secret":
        lines.append(_COPY_SSH_KEYS)
    lines += [
        recipe["sshd"],
        'HOSTS=""',
        'for i in $(seq 0 $((CF_NODES - 1))); do HOSTS="$HOSTS ${CF_JOBSET}-worker-0-${i}.${CF_JOBSET}"; done',
        "export HOSTS NHOSTS=$CF_NODES",
        'if [ "${JOB_COMPLETION_INDEX:-0}" != 0 ]; then exec sleep infinity; fi',
    ]
    if recipe.get("wait") == "dns":  # the recipe's scripts set SSH up: wait for the peers' names
        lines += [
            "for host in $HOSTS; do",
            "  tries=0",
            "  until getent hosts $host >/dev/null; do",
            '    tries=$((tries + 1)); [ $tries -gt 90 ] && { echo "unreachable: $host"; exit 3; }',
            "    sleep 10",
            "  done",
            "done",
            "sleep 30  # the peers' sshd",
        ]
    elif recipe.get("run") is None:
        lines += [
            "for host in $HOSTS; do",
            "  tries=0",
            f"  until {ssh} $host true 2>/dev/null; do",
            '    tries=$((tries + 1)); [ $tries -gt 90 ] && { echo "unreachable: $host"; exit 3; }',
            "    sleep 10",
            "  done",
            '  echo "$host slots=$CF_GPUS" >> /tmp/hostfile',
            "done",
        ]
    if recipe.get("setup"):
        lines.append(recipe["setup"])
    if recipe.get("forward_env"):
        lines.append(
            f"FORWARD=$(for name in {recipe['forward_env']}; do printf -- '-x %s ' $name; done)"
        )
    lines += ["set -u", "status=0"]
    commands = []
    for test_name in tests_of(recipe):
        if recipe.get("run"):
            commands.append((test_name, [f"export BENCHMARK={test_name}", recipe["run"]]))
        else:
            env_names = [*recipe.get("env", {}), "NCCL_DEBUG", "NCCL_DEBUG_SUBSYS"]
            forwarded = " ".join(f"-x {name}" for name in env_names)
            if recipe.get("forward_env"):
                forwarded += " $FORWARD"
            mpi_args = " ".join(shlex.quote(arg) for arg in recipe.get("mpi_args", []))
            # the image's own ssh set-up (init_ssh.sh) when the recipe says so, else ours
            agent = f'--mca plm_rsh_agent "{ssh}" ' if recipe.get("rsh_agent", True) else ""
            prefix = f"{recipe['exec_prefix']} " if recipe.get("exec_prefix") else ""
            command = (
                f"{recipe['mpirun']} --allow-run-as-root "
                f"--hostfile {recipe.get('hostfile', '/tmp/hostfile')} "
                f"-np $((CF_NODES * CF_GPUS)) -N $CF_GPUS {mpi_args} "
                f"{agent}-x PATH {forwarded} "
                f"{prefix}{recipe['tests_dir']}/{test_name} -b 8 -e 16G -f 2 -g 1 -c 1 -n 50"
            )
            commands.append((test_name, [command]))
    return "\n".join(lines + _run_tests(commands)) + "\n"


#: The lines a summary keeps from a test's output: everything but NCCL's INFO chatter, plus the
#: transport lines (``Using network``) the judgement needs.
_SUMMARY_FILTER = (
    "grep -v 'NCCL INFO' {log}; grep -E 'NCCL INFO Using (internal )?[Nn]etwork' {log}"
)


def _run_tests(commands: list[tuple[str, list[str]]]) -> list[str]:
    """Run each test between begin/end markers, its output also kept in a file; then print a
    summary (the markers, the result tables and the transport lines, without NCCL's INFO lines)
    last, so ``verify`` reads it from the log's tail even when the kubelet has rotated away the
    start of a long log. The parser takes the last run of each test: the summary when it was
    printed, else what the test printed live."""
    lines = []
    for index, (name, body) in enumerate(commands):
        log = f"/tmp/cf-verify-{index}.log"
        lines.append(f'echo "{BEGIN}{name}"')
        lines.append("{")
        lines += [f"  {line}" for line in body]
        lines.append(f"}} 2>&1 | tee {log}")
        lines.append(
            f'rc_{index}=${{PIPESTATUS[0]}}; echo "{END}{name} rc=$rc_{index}"; '
            f"[ $rc_{index} -eq 0 ] || status=$rc_{index}"
        )
    lines.append('echo "### clusterforge-verify summary (repeats what verify reads)"')
    for index, (name, _body) in enumerate(commands):
        log = f"/tmp/cf-verify-{index}.log"
        lines.append(f'echo "{BEGIN}{name}"')
        lines.append(_SUMMARY_FILTER.format(log=log))
        lines.append(f'echo "{END}{name} rc=$rc_{index}"')
    lines.append("exit $status")
    return lines


#: Installs the key pair verify mounts from its Secret (``ssh: secret`` recipes) as root's.
_COPY_SSH_KEYS = (
    "mkdir -p /root/.ssh && cp /etc/clusterforge-ssh/* /root/.ssh/ && chmod 600 /root/.ssh/*"
)


def _ssh_command(port: int) -> str:
    """The ssh client rank 0 reaches its peers with (also mpirun's rsh agent)."""
    return (
        f"ssh -p {port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        "-o LogLevel=ERROR"
    )


def _nccom_script(test: PoolTest) -> str:
    """Neuron's nccom-test the way its guide runs it across instances (MPI mode): every pod
    serves SSH; rank 0 resolves the pods' IPs, sets NEURON_RT_ROOT_COMM_ID to the first one and
    runs ``nccom-test -r <cores x nodes> -N <nodes> ... <op> --hosts <IPs>``."""
    recipe = test.launcher
    ssh = _ssh_command(int(recipe.get("ssh_port", 22)))
    args = " ".join(shlex.quote(arg) for arg in recipe.get("args", []))
    lines = [
        _COPY_SSH_KEYS,
        recipe["sshd"],
        'HOSTS=""',
        'for i in $(seq 0 $((CF_NODES - 1))); do HOSTS="$HOSTS ${CF_JOBSET}-worker-0-${i}.${CF_JOBSET}"; done',
        'if [ "${JOB_COMPLETION_INDEX:-0}" != 0 ]; then exec sleep infinity; fi',
        'IPS=""',
        "for host in $HOSTS; do",
        "  tries=0",
        "  until ip=$(getent hosts $host | awk '{print $1; exit}') && [ -n \"$ip\" ] && "
        f"{ssh} $ip true 2>/dev/null; do",
        '    tries=$((tries + 1)); [ $tries -gt 90 ] && { echo "unreachable: $host"; exit 3; }',
        "    sleep 10",
        "  done",
        '  IPS="$IPS $ip"',
        "done",
        "set -- $IPS",
        f"export NEURON_RT_ROOT_COMM_ID=$1:{int(recipe['root_comm_port'])}",
        "set -u",
        "status=0",
    ]
    commands = [
        (op, [f"nccom-test -r $((CF_NODES * CF_CORES)) -N $CF_NODES {args} {op} --hosts $IPS"])
        for op in tests_of(recipe)
    ]
    return "\n".join(lines + _run_tests(commands)) + "\n"


def _annotations(test: PoolTest) -> dict[str, str]:
    if not test.networks:
        return {}
    import json

    interfaces = [{"interfaceName": "eth0", "network": "default"}]
    interfaces += [
        {"interfaceName": f"eth{i}", "network": name} for i, name in enumerate(test.networks, 1)
    ]
    annotations = {
        "networking.gke.io/default-interface": "eth0",
        "networking.gke.io/interfaces": json.dumps(interfaces, indent=2),
    }
    rxdm = test.launcher.get("rxdm")
    if rxdm:  # the daemon's devices (devices.gke.io), as Google's NCCL test pod lists them
        devices = [f"/dev/nvidia{i}" for i in range(test.gpus_per_node)] + rxdm["devices"]
        annotations[f"devices.gke.io/container.{rxdm['container']}"] = "".join(
            f"- path: {path}\n" for path in devices
        )
    return annotations


def _host_path(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "hostPath": {"path": path}}


def _mounts(mounts: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "mountPath": path} for name, path in mounts.items()]


def _rxdm_sidecar(test: PoolTest) -> dict[str, Any]:
    """The GPUDirect TCPX/TCPXO rxdm daemon (the recipe's ``rxdm`` in fabric_tests.json) as a
    native sidecar: an init container that keeps running (Kubernetes >= 1.29), so the pod
    completes when the test ends instead of running on with the daemon (Google's manifests are
    long-lived pods driven by `kubectl exec`)."""
    rxdm = test.launcher["rxdm"]
    sidecar: dict[str, Any] = {
        "name": rxdm["container"],
        "restartPolicy": "Always",
        "image": test.launcher["sidecar_image"],
        "command": list(rxdm["command"]),
    }
    if rxdm.get("args"):
        sidecar["args"] = list(rxdm["args"])
    sidecar["securityContext"] = {"capabilities": {"add": list(rxdm["capabilities"])}}
    sidecar["env"] = [{"name": name, "value": value} for name, value in rxdm["env"].items()]
    sidecar["volumeMounts"] = _mounts(rxdm["daemon_mounts"])
    return sidecar


def _pod_spec(test: PoolTest) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "nccl-test",
        "image": test.image,
        "command": ["/bin/bash", "-c", script(test)],
        "env": _env(test),
        "resources": _resources(test),
        "volumeMounts": [{"name": "shm", "mountPath": "/dev/shm"}],
    }
    volumes: list[dict[str, Any]] = [
        {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}}
    ]
    containers = [container]
    init_containers: list[dict[str, Any]] = []
    if test.launcher.get("ssh") == "secret":
        container["volumeMounts"].append(
            {"name": "ssh", "mountPath": "/etc/clusterforge-ssh", "readOnly": True}
        )
        volumes.append(
            {"name": "ssh", "secret": {"secretName": test.ssh_secret, "defaultMode": 0o400}}
        )
    if test.launcher.get("capabilities"):
        container["securityContext"] = {
            "capabilities": {"add": list(test.launcher["capabilities"])}
        }
    rxdm = test.launcher.get("rxdm")
    if rxdm:
        container["volumeMounts"] += _mounts(rxdm["test_mounts"])
        volumes += [_host_path(name, path) for name, path in rxdm["host_paths"].items()]
        init_containers.append(_rxdm_sidecar(test))
    if test.fabric == "rdma":
        container["volumeMounts"] += [
            {"name": "nvidia", "mountPath": "/usr/local/nvidia"},
            {"name": "gib", "mountPath": "/usr/local/gib"},
        ]
        volumes += [
            _host_path("nvidia", "/home/kubernetes/bin/nvidia"),
            _host_path("gib", "/home/kubernetes/bin/gib"),
        ]
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 5,
        "nodeSelector": dict(test.node_selector),
        "tolerations": test.tolerations,
        "containers": containers,
        "volumes": volumes,
    }
    if init_containers:
        spec["initContainers"] = init_containers
    if test.pinned_nodes:
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": list(test.pinned_nodes),
                                }
                            ]
                        }
                    ]
                }
            }
        }
    return spec


def manifests(
    test: PoolTest, *, ssh_keys: dict[str, str] | None = None, timeout_seconds: int = 3600
) -> list[dict[str, Any]]:
    """The objects of one pool's test: the JobSet (and, with SSH from a Secret, the Secret —
    with ``ssh_keys`` filled in, or without data for the user to create when rendering)."""
    labels = {LABEL: "true", "clusterforge.io/pool": test.pool}
    annotations = {
        "clusterforge.io/expected-busbw": (
            f"{test.expected.busbw_gb_per_s:g} GB/s ({'derived' if test.expected.derived else 'published'}): "
            f"{test.expected.source}"
            if test.expected
            else "unknown: no figure for this pool's hardware; pass --expect-busbw"
        ),
        "clusterforge.io/spec-path": test.path,
    }
    pod_annotations = _annotations(test)
    jobset: dict[str, Any] = {
        "apiVersion": JOBSET_API,
        "kind": "JobSet",
        "metadata": {"name": test.job_name, "labels": labels, "annotations": annotations},
        "spec": {
            "ttlSecondsAfterFinished": 3600,
            "network": {"enableDNSHostnames": True, "subdomain": test.job_name},
            "failurePolicy": {"maxRestarts": 0},
            "replicatedJobs": [
                {
                    "name": "worker",
                    "replicas": 1,
                    "template": {
                        "spec": {
                            "parallelism": test.nodes,
                            "completions": test.nodes,
                            "completionMode": "Indexed",
                            "backoffLimit": 0,
                            # Rank 0 runs the tests; once it succeeds the Job is done and the
                            # job controller ends the serving pods (Job success policy, GA in
                            # Kubernetes 1.33: kubernetes.io/blog/2025/05/15).
                            "successPolicy": {
                                "rules": [{"succeededIndexes": "0", "succeededCount": 1}]
                            },
                            "activeDeadlineSeconds": timeout_seconds,
                            "template": {
                                "metadata": {
                                    "labels": dict(labels),
                                    **({"annotations": pod_annotations} if pod_annotations else {}),
                                },
                                "spec": _pod_spec(test),
                            },
                        }
                    },
                }
            ],
        },
    }
    objects: list[dict[str, Any]] = []
    if test.launcher.get("ssh") == "secret":
        secret: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": test.ssh_secret, "labels": dict(labels)},
            "type": "Opaque",
        }
        if ssh_keys:
            secret["stringData"] = dict(ssh_keys)
        objects.append(secret)
    objects.append(jobset)
    return objects
