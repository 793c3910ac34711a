"""Pool → NCCL test jobs: which pools, which devices per fabric, and manifests that validate
against Kubernetes (kubernetes-validate, strict) and the pinned JobSet CRD schema."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import kubernetes_validate
import pytest

from clusterforge.catalog import load as load_catalog
from clusterforge.engine import plan_offline
from clusterforge.spec.loader import load_stack
from clusterforge.validate import validate
from clusterforge.verify import facts, jobs

from helpers import EXAMPLES, cluster_from, crd_validator

KUBERNETES_VERSION = "1.33"


def assert_valid(manifest: dict[str, Any]) -> None:
    if manifest["kind"] != "JobSet":
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        return
    crd_validator(manifest["apiVersion"], "JobSet", strict=True).validate(manifest)
    # The Job and pod templates inside, strictly against Kubernetes' own schemas too.
    job_spec = copy.deepcopy(manifest["spec"]["replicatedJobs"][0]["template"]["spec"])
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"}, "spec": job_spec}
    kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)


@cache
def planned_example(name: str) -> tuple[Any, Any]:
    """An example resolved and planned once per test session."""
    loaded = load_stack(EXAMPLES / name)
    assert loaded.cluster is not None
    resolved, findings = validate(loaded.cluster)
    assert not [f for f in findings if f.severity.value == "error"], findings
    return resolved, plan_offline(resolved)


def pool_tests(stack: str | dict[str, Any], **options: Any) -> tuple[list[jobs.PoolTest], list]:
    if isinstance(stack, str):
        resolved, graph = planned_example(stack)
    else:
        resolved, findings = validate(cluster_from(stack))
        assert not [f for f in findings if f.severity.value == "error"], findings
        graph = plan_offline(resolved)
    return jobs.plan_tests(resolved, graph, **options)


def only(stack: str | dict[str, Any], **options: Any) -> jobs.PoolTest:
    found, _ = pool_tests(stack, **options)
    assert len(found) == 1
    return found[0]


def resources(test: jobs.PoolTest) -> dict[str, str]:
    jobset = jobs.manifests(test)[-1]
    pod = jobset["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["name"] == "nccl-test")
    assert container["resources"]["requests"] == container["resources"]["limits"]
    return container["resources"]["requests"]


@pytest.mark.parametrize(
    ("instance_type", "efa"),
    [("p5.48xlarge", 32), ("p5en.48xlarge", 16), ("p6-b300.48xlarge", 16)],
)
def test_efa_pools_request_every_efa_interface_of_the_launch_template(
    instance_type: str, efa: int
) -> None:
    if load_catalog("aws").get(instance_type) is None:
        pytest.skip(f"{instance_type} is not in this catalog")
    stack = {"node_pools": [{}, {"instance_type": instance_type, "nodes": 2}], "storage": []}
    test = only(stack)
    assert test.efa_devices == efa
    assert resources(test)[jobs.EFA_RESOURCE] == str(efa)
    assert resources(test)[jobs.GPU_RESOURCE] == "8"
    for manifest in jobs.manifests(test, ssh_keys={"authorized_keys": "k"}):
        assert_valid(manifest)


def test_example_aws_h100_job() -> None:
    test = only("aws-h100-training.py")
    assert (test.pool, test.nodes, test.efa_devices) == ("h100", 4, 32)
    assert test.expected is not None and not test.expected.derived
    assert test.expected.busbw_gb_per_s == 443.72
    secret, jobset = jobs.manifests(test)
    assert secret["kind"] == "Secret" and "stringData" not in secret  # no keys unless running
    job = jobset["spec"]["replicatedJobs"][0]["template"]["spec"]
    assert job["parallelism"] == job["completions"] == 4
    assert job["successPolicy"] == {"rules": [{"succeededIndexes": "0", "succeededCount": 1}]}
    pod = job["template"]["spec"]
    assert pod["nodeSelector"] == {"clusterforge.io/pool": "h100"}
    assert {
        "key": "nvidia.com/gpu",
        "operator": "Equal",
        "value": "present",
        "effect": "NoSchedule",
    } in pod["tolerations"]
    script = pod["containers"][0]["command"][2]
    assert "all_reduce_perf" in script and "alltoall_perf" in script
    assert "FI_PROVIDER" in script and "NCCL_DEBUG" in script
    for manifest in (secret, jobset):
        assert_valid(manifest)


def test_gke_a3_mega_job_uses_the_pools_networks_and_rxdm_sidecar() -> None:
    test = only("gcp-a3-mega-training.yaml")
    assert test.fabric == "gpudirect-tcpxo" and len(test.networks) == 8
    [jobset] = jobs.manifests(test)  # the recipe's image brings its own SSH set-up
    assert_valid(jobset)
    template = jobset["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]
    interfaces = json.loads(template["metadata"]["annotations"]["networking.gke.io/interfaces"])
    assert [i["network"] for i in interfaces] == ["default", *test.networks]
    assert [i["interfaceName"] for i in interfaces] == [f"eth{i}" for i in range(9)]
    assert "devices.gke.io/container.tcpxo-daemon" in template["metadata"]["annotations"]
    containers = {c["name"]: c for c in template["spec"]["containers"]}
    [rxdm] = template["spec"]["initContainers"]  # a native sidecar: the pod ends with the test
    assert rxdm["name"] == "tcpxo-daemon" and rxdm["restartPolicy"] == "Always"
    assert rxdm["image"].endswith("tcpgpudmarxd-dev:v1.0.21")
    # both images come from the installer's matched set (gpudirect.json), not a copy in the recipe
    from clusterforge.catalog.gpudirect import gpudirect_set

    pins = gpudirect_set("gpudirect-tcpxo")
    assert pins is not None and "image" not in facts.data()["launchers"]["gpudirect-tcpxo"]
    assert rxdm["image"] == pins.rxdm_image
    assert containers["nccl-test"]["image"] == pins.nccl_test_image
    assert pins.nccl_test_image in pins.images  # the test runs the plugin the installer installs
    rxdm_facts = facts.launcher("gpudirect-tcpxo")["rxdm"]  # type: ignore[index]
    host_paths = {v["name"]: v["hostPath"]["path"] for v in template["spec"]["volumes"][1:]}
    assert (
        host_paths
        == rxdm_facts["host_paths"]
        == {
            "nvidia": "/home/kubernetes/bin/nvidia/lib64",
            "sys": "/sys",
            "proc-sys": "/proc/sys",
            "aperture-devices": "/dev/aperture_devices",
        }
    )
    script = containers["nccl-test"]["command"][2]
    assert "demo-run-nccl-test-tcpxo-via-mpi.sh" in script and "getent hosts" in script


def test_gke_rdma_job() -> None:
    test = only("gcp-a3-ultra-rdma.yaml")
    assert test.fabric == "rdma" and len(test.networks) == 9  # gVNIC + 8 RDMA
    [jobset] = jobs.manifests(test)
    assert_valid(jobset)
    script = jobs.script(test)
    assert "set_nccl_env.sh" in script and "$FORWARD" in script
    assert script.index("set_nccl_env.sh") < script.index("set -u")  # sourced before set -u


def test_infiniband_needs_an_image_then_requests_the_rdma_resource() -> None:
    found, skipped = pool_tests("byo-infiniband.yaml")
    assert not found and "pass --image" in skipped[0].reason
    test = only("byo-infiniband.yaml", image="registry.example/nccl:1")
    assert resources(test)["rdma/rdma_shared_device_a"] == "1"
    for manifest in jobs.manifests(test, ssh_keys={"authorized_keys": "k"}):
        assert_valid(manifest)


@pytest.mark.parametrize(
    ("stack", "reason"),
    [
        ("gcp-tpu-v5p-training.yaml", "TPU"),
        ("aws-inference.yaml", "no fabric"),
        ("gcp-a4x-gb200.yaml", "nccl-test-imex-a4x.yaml"),
    ],
)
def test_pools_not_tested_say_why(stack: str, reason: str) -> None:
    found, skipped = pool_tests(stack)
    assert not found
    assert any(reason in s.reason for s in skipped)


def test_single_node_and_autoscaled_pools() -> None:
    single = {"node_pools": [{}, {"nodes": 1}], "storage": []}
    found, skipped = pool_tests(single)
    assert not found and "single node" in skipped[0].reason
    scaled = {"node_pools": [{}, {"nodes": None, "min_nodes": 0, "max_nodes": 4}], "storage": []}
    test = only(scaled)
    assert test.nodes == 2 and "autoscaler adds nodes" in test.notes[0]


def test_unknown_pool_is_an_error() -> None:
    with pytest.raises(ValueError, match="no pool named nope"):
        pool_tests("aws-h100-training.py", pools=("nope",))


def test_pinned_jobs_get_their_own_name_and_node_affinity() -> None:
    from dataclasses import replace

    test = replace(only("aws-h100-training.py"), nodes=2, pinned_nodes=("ip-1", "ip-2"))
    assert test.job_name != "cfv-h100" and len(test.job_name) <= 30
    jobset = jobs.manifests(test)[-1]
    assert_valid(jobset)
    pod = jobset["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    expression = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ][0]["matchExpressions"][0]
    assert expression == {
        "key": "kubernetes.io/hostname",
        "operator": "In",
        "values": ["ip-1", "ip-2"],
    }


def test_more_nodes_than_the_pool_can_have_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 4 node"):
        pool_tests("aws-h100-training.py", nodes=8)


def test_trainium_pool_runs_nccom_test_with_every_neuron_and_efa_device() -> None:
    test = only("aws-trainium.yaml")
    assert (test.pool, test.nodes, test.efa_devices) == ("trn1", 4, 8)
    # aws-k8s-tester's multi-node nccom-test requests devices, NeuronCores and every EFA device
    assert resources(test) == {
        jobs.NEURON_RESOURCE: "16",
        jobs.NEURON_CORE_RESOURCE: "32",
        jobs.EFA_RESOURCE: "8",
    }
    assert test.expected is not None and test.expected.derived
    assert test.expected.busbw_gb_per_s == 25.0  # 0.25 x 800 Gbps / 8
    # the guide's own 2-instance example (50.6 GB/s at 1 GiB) clears the floor
    assert test.expected.floor_gb_per_s < 47.09 * 1.073741824
    secret, jobset = jobs.manifests(test, ssh_keys={"authorized_keys": "k"})
    for manifest in (secret, jobset):
        assert_valid(manifest)
    script = jobs.script(test)
    assert "export NEURON_RT_ROOT_COMM_ID=$1:63182" in script
    assert script.index("NEURON_RT_ROOT_COMM_ID") < script.index("nccom-test -r")
    for op in ("all_reduce", "alltoall"):
        assert (
            f"nccom-test -r $((CF_NODES * CF_CORES)) -N $CF_NODES -b 8 -e 2GB -f 2 -n 20 -w 5 "
            f"-d fp32 --check --non-interactive {op} --hosts $IPS"
        ) in script
    assert "NCCL_DEBUG" not in script and "mpirun" not in script
    pod = jobset["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    assert env["CF_CORES"] == "32" and env["CCOM_SOCKET_IFNAME"] == "eth0"
    assert {
        "key": "aws.amazon.com/neuron",
        "operator": "Equal",
        "value": "present",
        "effect": "NoSchedule",
    } in pod["tolerations"]


@pytest.mark.parametrize(
    ("instance_type", "reason"),
    [("inf2.48xlarge", "only on Trainium"), ("trn2u.48xlarge", "UltraServer")],
)
def test_neuron_pools_nccom_test_cannot_prove_say_why(instance_type: str, reason: str) -> None:
    offering = load_catalog("aws").get(instance_type)
    if offering is None:
        pytest.skip(f"{instance_type} is not in this catalog")
    assert reason in (jobs._neuron_unsupported(offering) or "")
    assert jobs._neuron_unsupported(load_catalog("aws").get("trn2.48xlarge")) is None


def test_gke_a3_high_job_runs_googles_tcpx_test() -> None:
    import yaml

    from clusterforge.spec.models import Cluster

    spec = yaml.safe_load((EXAMPLES / "gcp-a3-mega-training.yaml").read_text())
    spec["node_pools"][1]["instance_type"] = "a3-highgpu-8g"
    spec["storage"], spec["addons"] = [], []
    resolved, findings = validate(Cluster.model_validate(spec))
    assert not [f for f in findings if f.severity.value == "error"], findings
    [test], _ = jobs.plan_tests(resolved, plan_offline(resolved))
    assert test.fabric == "gpudirect-tcpx" and test.networks == ("vpc1", "vpc2", "vpc3", "vpc4")
    [jobset] = jobs.manifests(test)
    assert_valid(jobset)
    template = jobset["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    interfaces = json.loads(annotations["networking.gke.io/interfaces"])
    assert [i["network"] for i in interfaces] == ["default", "vpc1", "vpc2", "vpc3", "vpc4"]
    assert "/dev/dmabuf_import_helper" not in annotations["devices.gke.io/container.tcpx-daemon"]
    [daemon] = template["spec"]["initContainers"]
    # the images are the installer's matched set (catalog gpudirect.json), not a second copy
    from clusterforge.catalog.gpudirect import gpudirect_set

    pins = gpudirect_set("gpudirect-tcpx")
    assert pins is not None and daemon["image"] == pins.rxdm_image
    assert template["spec"]["containers"][0]["image"] == pins.nccl_test_image in pins.images
    assert daemon["restartPolicy"] == "Always" and "--uds_path" in daemon["command"]
    script = jobs.script(test)
    assert "taskset -c 0-7,104-111,52-59,156-163 /third_party/nccl-tests-mpi/build/" in script
    assert "--hostfile /scripts/hostfiles${NHOSTS}/hostfile${CF_GPUS}" in script
    assert "-x NCCL_GPUDIRECTTCPX_TX_BINDINGS" in script and "plm_rsh_agent" not in script
    assert test.expected is not None and test.expected.busbw_gb_per_s == 62.5
    # Google's own 2-node A3 High all_gather (70.90 GB/s at 512 MiB) clears the floor
    assert test.expected.floor_gb_per_s < 70.90


def test_a_pool_that_asks_for_the_network_profile_gets_the_dranet_reason() -> None:
    """``network_profile: auto`` on a type that does not require it (a3-ultragpu-8g) is the same
    DRANET case as a4x (catalog/gcp_network.py uses_network_profile), not "no Network objects"."""
    import yaml

    from clusterforge.spec.models import Cluster

    raw = yaml.safe_load((EXAMPLES / "gcp-a3-ultra-rdma.yaml").read_text())
    raw["node_pools"][1]["network_profile"] = "auto"
    resolved, findings = validate(Cluster.model_validate(raw))
    assert not [f for f in findings if f.severity.value == "error"], findings
    found, skipped = jobs.plan_tests(resolved, plan_offline(resolved))
    assert not found
    assert [s.reason for s in skipped] == [jobs.DRANET_REASON]


def test_gcp_credentials_command_names_the_cluster_the_plan_creates() -> None:
    """verify's `gcloud ... get-credentials` names the GKE cluster the modules create (one rule,
    catalog/gcp_names.py gke_cluster_name), also for a stack name of the longest length allowed."""
    import yaml

    from clusterforge.spec.models import Cluster
    from clusterforge.verify.access import credentials_command

    raw = yaml.safe_load((EXAMPLES / "gcp-a3-ultra-rdma.yaml").read_text())
    raw["name"] = "a3ultra-rdma-research-team-large-trainin"  # NAME001's and GKE's 40 characters
    resolved, findings = validate(Cluster.model_validate(raw))
    assert not [f for f in findings if f.severity.value == "error"], findings
    [cluster] = plan_offline(resolved).of_type("gcp:container/cluster:Cluster")
    assert len(cluster.inputs["name"]) <= 40
    command = credentials_command(resolved)
    assert command is not None
    assert f"get-credentials {cluster.inputs['name']} --region us-central1" in command
    assert command.endswith("--project my-ml-project")
