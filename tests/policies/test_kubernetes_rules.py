"""Kubernetes policies (CF-K8S-*): a passing and a failing case each, through the pulumi_policy SDK."""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.policies.rules._tokens import (
    EKS_CLUSTER,
    GKE_CLUSTER,
    HELM_CHART,
    HELM_RELEASE,
    INFERENCE_SERVICE,
    JOBSET,
    NODE_GROUP,
    POD,
    TRAIN_JOB,
)

from tests.policies.support import res, violations

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
RESOURCES = {
    "requests": {"cpu": "4", "memory": "32Gi"},
    "limits": {"memory": "32Gi", "nvidia.com/gpu": "1"},
}


def deployment(
    tolerations: list[dict[str, Any]],
    limits: dict[str, str] | None = None,
    kind: str = "Deployment",
):
    container = {
        "name": "c",
        "image": "i",
        "resources": {"limits": limits or {"nvidia.com/gpu": "1"}},
    }
    spec = {"containers": [container], "tolerations": tolerations}
    inputs = {"spec": {"template": {"spec": spec}}}
    if kind == "CronJob":
        inputs = {"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
    api = {"Deployment": "apps/v1", "CronJob": "batch/v1", "DaemonSet": "apps/v1"}[kind]
    return res(f"kubernetes:{api}:{kind}", "workload", inputs)


def release(chart: str, version: Any = "25.3.0", **values: Any):
    inputs = {"chart": chart, "values": values}
    if version is not None:
        inputs["version"] = version
    return res(HELM_RELEASE, "release", inputs)


def isvc(**predictor: Any):
    return res(
        INFERENCE_SERVICE,
        "llm",
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "spec": {"predictor": predictor},
        },
    )


GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}

CASES = [
    # CF-K8S-006 accelerator node groups carry their vendor taint
    pytest.param(
        "CF-K8S-006",
        [res(NODE_GROUP, "ng", {"amiType": "AL2023_x86_64_NVIDIA", "taints": [GPU_TAINT]})],
        None,
        0,
        id="K8S006-tainted",
    ),
    pytest.param(
        "CF-K8S-006",
        [res(NODE_GROUP, "ng", {"amiType": "AL2023_x86_64_STANDARD", "taints": []})],
        None,
        0,
        id="K8S006-cpu-pool",
    ),
    pytest.param(
        "CF-K8S-006",
        [res(NODE_GROUP, "ng", {"amiType": "AL2023_x86_64_NVIDIA", "taints": []})],
        None,
        1,
        id="K8S006-untainted-gpu",
    ),
    pytest.param(
        "CF-K8S-006",
        [
            res(
                NODE_GROUP,
                "ng",
                {
                    "amiType": "AL2023_x86_64_NEURON",
                    "taints": [{**GPU_TAINT, "effect": "PREFER_NO_SCHEDULE"}],
                },
            )
        ],
        None,
        1,
        id="K8S006-neuron-wrong-taint",
    ),
    # CF-K8S-001 pinned chart versions
    pytest.param("CF-K8S-001", [release("gpu-operator")], None, 0, id="K8S001-exact"),
    pytest.param(
        "CF-K8S-001",
        [res(HELM_CHART, "chart", {"chart": "oci://ghcr.io/x/trainer", "version": "v2.0.0"})],
        None,
        0,
        id="K8S001-v4-chart",
    ),
    pytest.param(
        "CF-K8S-001", [release("./charts/local", version=None)], None, 0, id="K8S001-local-chart"
    ),
    pytest.param(
        "CF-K8S-001", [release("gpu-operator", version=None)], None, 1, id="K8S001-missing"
    ),
    pytest.param("CF-K8S-001", [release("kueue", version="^0.9")], None, 1, id="K8S001-range"),
    # A partial version is a semver constraint for Helm, matching several releases: not a pin.
    pytest.param("CF-K8S-001", [release("kueue", version="1")], None, 1, id="K8S001-major-only"),
    pytest.param("CF-K8S-001", [release("kueue", version="1.2")], None, 1, id="K8S001-minor"),
    pytest.param(
        "CF-K8S-001", [release("kueue", version="0.14.1-rc.1")], None, 0, id="K8S001-prerelease"
    ),
    # As the engine sends a v4 Chart (a remote component): no inputs at all — nothing to judge.
    pytest.param("CF-K8S-001", [res(HELM_CHART, "chart", {})], None, 0, id="K8S001-engine-view"),
    pytest.param(
        "CF-K8S-001",
        [res(HELM_CHART, "chart", {"chart": "kserve", "version": "latest"})],
        None,
        1,
        id="K8S001-latest",
    ),
    # CF-K8S-002 accelerator tolerations
    pytest.param("CF-K8S-002", [deployment([GPU_TOLERATION])], None, 0, id="K8S002-tolerates"),
    pytest.param(
        "CF-K8S-002",
        [deployment([{"operator": "Exists"}], kind="DaemonSet")],
        None,
        0,
        id="K8S002-wildcard",
    ),
    pytest.param(
        "CF-K8S-002", [deployment([], limits={"cpu": "1"})], None, 0, id="K8S002-no-accelerator"
    ),
    pytest.param("CF-K8S-002", [deployment([])], None, 1, id="K8S002-missing"),
    # EKS and GKE run ExtendedResourceToleration: a pod requesting nvidia.com/gpu tolerates it.
    pytest.param(
        "CF-K8S-002", [deployment([]), res(EKS_CLUSTER, "eks")], None, 0, id="K8S002-eks-admission"
    ),
    pytest.param(
        "CF-K8S-002", [deployment([]), res(GKE_CLUSTER, "gke")], None, 0, id="K8S002-gke-admission"
    ),
    # Matching is by key, operator, value and effect.
    pytest.param(
        "CF-K8S-002",
        [deployment([{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true"}])],
        None,
        1,
        id="K8S002-wrong-value",
    ),
    pytest.param(
        "CF-K8S-002",
        [deployment([{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}])],
        None,
        0,
        id="K8S002-equal-by-default",
    ),
    pytest.param(
        "CF-K8S-002",
        [deployment([{**GPU_TOLERATION, "effect": "NoExecute"}])],
        None,
        1,
        id="K8S002-wrong-effect",
    ),
    pytest.param(
        "CF-K8S-002",
        [deployment([{"key": "nvidia.com/gpu"}])],
        None,
        1,
        id="K8S002-equal-empty-value",
    ),
    pytest.param(
        "CF-K8S-002",
        [
            res(
                JOBSET,
                "js",
                {
                    "spec": {
                        "replicatedJobs": [
                            {
                                "name": "w",
                                "template": {
                                    "spec": {
                                        "template": {
                                            "spec": {
                                                "containers": [
                                                    {
                                                        "name": "c",
                                                        "resources": {
                                                            "limits": {"nvidia.com/gpu": "8"}
                                                        },
                                                    }
                                                ]
                                            }
                                        }
                                    }
                                },
                            }
                        ]
                    }
                },
            )
        ],
        None,
        1,
        id="K8S002-jobset",
    ),  # fmt: skip
    pytest.param(
        "CF-K8S-002",
        [isvc(model={"modelFormat": {"name": "huggingface"}, "resources": RESOURCES})],
        None,
        1,
        id="K8S002-inferenceservice",
    ),
    pytest.param(
        "CF-K8S-002",
        [
            isvc(
                model={"modelFormat": {"name": "huggingface"}, "resources": RESOURCES},
                tolerations=[GPU_TOLERATION],
            )
        ],
        None,
        0,
        id="K8S002-inferenceservice-tolerates",
    ),
    pytest.param(
        "CF-K8S-002",
        [deployment([GPU_TOLERATION], {"aws.amazon.com/neuron": "1"}, kind="CronJob")],
        None,
        1,
        id="K8S002-neuron",
    ),
    pytest.param(
        "CF-K8S-002",
        [
            res(
                POD,
                "pod",
                {
                    "spec": {
                        "containers": [
                            {"name": "c", "resources": {"limits": {"google.com/tpu": "4"}}}
                        ]
                    }
                },
            )
        ],
        None,
        1,
        id="K8S002-tpu-pod",
    ),  # fmt: skip
    # CF-K8S-003 EFA device plugin tolerations
    pytest.param(
        "CF-K8S-003",
        [release("aws-efa-k8s-device-plugin", "v0.5.10", tolerations=[GPU_TOLERATION])],
        None,
        0,
        id="K8S003-tolerates",
    ),
    pytest.param(
        "CF-K8S-003",
        [release("aws-efa-k8s-device-plugin", "v0.5.10")],
        None,
        1,
        id="K8S003-default-values",
    ),
    pytest.param("CF-K8S-003", [release("gpu-operator")], None, 0, id="K8S003-other-chart"),
    # CF-K8S-004 InferenceService resources
    pytest.param(
        "CF-K8S-004",
        [isvc(model={"modelFormat": {"name": "huggingface"}, "resources": RESOURCES})],
        None,
        0,
        id="K8S004-set",
    ),
    pytest.param(
        "CF-K8S-004",
        [isvc(model={"modelFormat": {"name": "huggingface"}})],
        None,
        1,
        id="K8S004-missing",
    ),
    pytest.param(
        "CF-K8S-004",
        [isvc(containers=[{"name": "kserve-container", "image": "x"}])],
        None,
        1,
        id="K8S004-containers",
    ),
    # CF-K8S-005 TrainJob resources
    pytest.param(
        "CF-K8S-005",
        [
            res(
                TRAIN_JOB,
                "tj",
                {
                    "spec": {
                        "trainer": {
                            "numNodes": 2,
                            "resourcesPerNode": {"limits": {"nvidia.com/gpu": 8}},
                        }
                    }
                },
            )
        ],
        None,
        0,
        id="K8S005-set",
    ),  # fmt: skip
    pytest.param(
        "CF-K8S-005",
        [res(TRAIN_JOB, "tj", {"spec": {"runtimeRef": {"name": "torch-distributed"}}})],
        None,
        1,
        id="K8S005-missing",
    ),
]


@pytest.mark.parametrize(("rule_id", "resources", "settings", "expected"), CASES)
def test_kubernetes_policy(
    rule_id: str, resources: list, settings: dict | None, expected: int
) -> None:
    found = violations(rule_id, resources, settings)
    assert len(found) == expected, [f.message for f in found]
    assert all(f.rule == rule_id for f in found)
