"""Add-on rules (rules/addons.py): names, versions, prerequisites, conflicts, existing clusters."""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.catalog.gpudirect import gpudirect_set, network_object_prefixes, pod_network_names
from clusterforge.catalog.resolve import resolve
from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp
from tests.validate.support import Case, bad, check, cluster_from, good, run

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def addons(*items: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"addons": list(items), **top}


EXISTING: dict[str, Any] = {
    "cloud": "kubernetes",
    "region": None,
    "network": {"zones": None},
    "kubernetes": {"context": "onprem"},
    "storage": [],
    "node_pools": [
        {
            "name": "dgx",
            "accelerator": "H100",
            "accelerators_per_node": 8,
            "nodes": 4,
            "vcpus": 224,
            "memory_gib": 2048,
            "fabric": "infiniband",
            "node_selector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        },  # fmt: skip
    ],
}

CASES = [
    good("ADD001", "known", addons({"name": "kueue"})),
    bad(
        "ADD001",
        "typo",
        addons({"name": "keue"}),
        ERROR,
        "addons[0].name",
        "unknown add-on 'keue'",
        "did you mean 'kueue'",
    ),
    good("ADD002", "version", addons({"name": "kueue", "version": "0.19.2"})),
    good("ADD002", "kserve-mode", addons({"name": "kserve", "mode": "knative"})),
    bad(
        "ADD002",
        "bad-version",
        addons({"name": "kueue", "version": "latest"}),
        ERROR,
        "addons[0].version",
        "is not a version",
    ),
    bad(
        "ADD002",
        "bad-mode",
        addons({"name": "kserve", "mode": "serverless"}),
        ERROR,
        "addons[0].mode",
        "modes: standard, knative",
    ),
    good(
        "ADD003",
        "declared",
        addons(
            {"name": "efa-device-plugin"},
            {"name": "fsx-csi-driver"},
            {"name": "nvidia-device-plugin"},
        ),
    ),
    bad(
        "ADD003",
        "efa-implied",
        addons({"name": "fsx-csi-driver"}, {"name": "nvidia-device-plugin"}),
        INFO,
        "addons",
        "adds efa-device-plugin",
        "enabled: false",
    ),
    good("ADD004", "kserve-with-cert-manager", addons({"name": "kserve"})),
    bad(
        "ADD004",
        "kserve-without-cert-manager",
        addons({"name": "kserve"}, {"name": "cert-manager", "enabled": False}),
        ERROR,
        "addons[1].enabled",
        "cert-manager is turned off but the stack needs it",
    ),
    bad(
        "ADD004",
        "fsx-without-csi",
        addons({"name": "fsx-csi-driver", "enabled": False}),
        WARNING,
        "addons[0].enabled",
        "fsx-csi-driver is turned off",
    ),
    good("ADD005", "device-plugin-on-eks", addons({"name": "nvidia-device-plugin"})),
    bad(
        "ADD005",
        "operator-on-eks",
        addons({"name": "gpu-operator"}),
        INFO,
        "addons[0]",
        "NVIDIA's EKS guide",
    ),
    bad(
        "ADD005",
        "driver-on-eks",
        addons({"name": "gpu-operator", "values": {"driver": {"enabled": True}}}),
        WARNING,
        "addons[0].values.driver.enabled",
        "already ships the NVIDIA driver",
    ),
    bad(
        "ADD005",
        "operator-on-gke",
        gcp(addons({"name": "gpu-operator"})),
        ERROR,
        "addons[0]",
        "GKE installs the NVIDIA driver",
    ),
    bad(
        "ADD005",
        "dcgm-exporter-on-gke",
        gcp(addons({"name": "kube-prometheus-stack"}, {"name": "dcgm-exporter"})),
        ERROR,
        "addons[1]",
        "exports DCGM GPU metrics itself",
    ),
    good("ADD005", "dcgm-exporter-on-eks", addons({"name": "dcgm-exporter"})),
    good("ADD006", "efa-plugin-with-efa", addons({"name": "efa-device-plugin"})),
    bad(
        "ADD006",
        "network-operator-without-rdma",
        addons({"name": "network-operator"}),
        WARNING,
        "addons[0].name",
        "no pool has an RDMA-capable fabric",
    ),
    bad(
        "ADD006",
        "neuron-without-neuron",
        addons({"name": "neuron-device-plugin"}),
        WARNING,
        "addons[0].name",
        "no pool has Neuron devices",
    ),
    good("ADD007", "trainer-alone", addons({"name": "kubeflow-trainer"})),
    bad(
        "ADD007",
        "trainer-and-jobset",
        addons({"name": "kubeflow-trainer"}, {"name": "jobset"}),
        ERROR,
        "addons[1].name",
        "installs JobSet itself",
    ),
    bad(
        "ADD007",
        "operator-and-plugin",
        addons({"name": "gpu-operator"}, {"name": "nvidia-device-plugin"}),
        ERROR,
        "addons[1].name",
        "two plugins double-advertise GPUs",
    ),
    good("ADD008", "efa-on-aws", addons({"name": "efa-device-plugin"})),
    bad(
        "ADD008",
        "efa-on-gke",
        gcp(addons({"name": "efa-device-plugin"})),
        ERROR,
        "addons[0]",
        "is for aws, not gcp",
    ),
    good("ADD009", "teams", {"namespaces": ["research", "prod"]}),
    bad(
        "ADD009",
        "invalid",
        {"namespaces": ["Research"]},
        ERROR,
        "namespaces[0]",
        "must be lowercase",
    ),
    bad(
        "ADD009", "twice", {"namespaces": ["prod", "prod"]}, ERROR, "namespaces[1]", "listed twice"
    ),
    # A namespace is a DNS-1123 label: 63 characters at most (not the 40 of cluster names).
    good("ADD009", "63-characters", {"namespaces": ["n" * 63]}),
    bad(
        "ADD009",
        "64-characters",
        {"namespaces": ["n" * 64]},
        ERROR,
        "namespaces[0]",
        "is 64 characters long (at most 63)",
    ),
    bad(
        "ADD009",
        "reserved",
        {"namespaces": ["kube-public"]},
        ERROR,
        "namespaces[0]",
        "reserved for Kubernetes",
    ),
    good(
        "ADD010",
        "public-endpoint-for-ci",
        {"kubernetes": {"endpoint_public_access": True, "public_access_cidrs": ["203.0.113.0/24"]}},
    ),
    # K8S002 reports a cluster with both endpoints off; "must run in the network" would be wrong.
    good("ADD010", "no-endpoint-at-all", {"kubernetes": {"private_endpoint": False}}),
    # Where the finding points: what the user wrote that causes it, on both clouds.
    bad(
        "ADD010",
        "implied-addons-only",
        {},
        INFO,
        "node_pools",
        "3 add-ons (efa-device-plugin, nvidia-device-plugin, fsx-csi-driver) are installed",
    ),
    bad(
        "ADD010",
        "explicit-private-endpoint",
        {"kubernetes": {"endpoint_public_access": False}},
        INFO,
        "kubernetes.endpoint_public_access",
        "through the private API endpoint",
    ),
    bad("ADD010", "kubernetes-block", {"kubernetes": {"version": "1.35"}}, INFO, "kubernetes"),
    bad(
        "ADD010",
        "gcp-listed-addon",
        gcp(addons({"name": "kueue"})),
        INFO,
        "addons[0]",
        "1 add-on (kueue) is installed",
    ),
    good("ADD011", "once", addons({"name": "kueue"})),
    bad(
        "ADD011",
        "twice",
        addons({"name": "kueue"}, {"name": "kueue", "version": "0.1.0"}),
        ERROR,
        "addons[1].name",
        "kueue is listed twice",
    ),
    good("KUB001", "declared", EXISTING),
    bad(
        "KUB001",
        "no-context",
        {**EXISTING, "kubernetes": {"context": None}},
        ERROR,
        "kubernetes.context",
        "needs the kubeconfig context",
    ),
    bad(
        "KUB001",
        "no-selector",
        {**EXISTING, "node_pools": {0: {"node_selector": {}}}},
        ERROR,
        "node_pools[0].node_selector",
        "labels that select its nodes",
    ),
    good(
        "ADD012",
        "real-values-key",
        addons({"name": "gpu-operator", "values": {"mig": {"strategy": "mixed"}}}),
    ),
    bad(
        "ADD012",
        "misspelt-values-key",
        addons({"name": "gpu-operator", "values": {"toolkit": {"enabld": True}}}),
        WARNING,
        "addons[0].values.toolkit.enabld",
        "has no value 'toolkit.enabld'",
    ),
    good("ADD013", "pinned-version", addons({"name": "kueue"})),
    bad(
        "ADD013",
        "unchecked-version",
        addons({"name": "kueue", "version": "0.99.0"}),
        WARNING,
        "addons[0].version",
        "not a version clusterforge has checked",
    ),
    good(
        "ADD014",
        "no-gpudirect-pool",
        gcp(
            {
                "node_pools": [
                    {"name": "system", "instance_type": "n2-standard-8", "nodes": 2},
                    {"name": "h100", "instance_type": "a3-megagpu-8g", "fabric": "none"},
                ]
            }
        ),
    ),
    bad(
        "ADD014",
        "tcpxo-pool",
        gcp(),
        INFO,
        "node_pools[1].fabric",
        "networking.gke.io/interfaces listing default, vpc1, vpc2,",
        "vpc8;",
        "nvidia.com/gpu: 8 per node",
    ),
    # ADD015: <name>-addons-<add-on> within Helm's 53 (helm/helm maxReleaseNameLen).
    # The baseline's longest release suffix is "-addons-nvidia-device-plugin" (28 characters).
    good("ADD015", "25-character-name", {"name": "a" * 25}),
    # 40 + "-addons-kueue" is exactly 53: at the limit is allowed.
    good(
        "ADD015",
        "exactly-53",
        {
            "name": "a" * 40,
            "storage": [],
            "addons": [{"name": "kueue"}],
            "node_pools": [{"name": "system", "instance_type": "m7i.2xlarge", "nodes": 2}],
        },
    ),  # fmt: skip
    bad(
        "ADD015",
        "26-character-name",
        {"name": "a" * 26},
        ERROR,
        "name",
        f"{'a' * 26}-addons-nvidia-device-plugin (54)",
        "limit of 53 characters (helm/helm v3.21.4 @813176c5",
        "shorten name to at most 25 characters",
    ),
    # A second pool of the same fabric lists its own, prefixed network objects (the component's).
    bad(
        "ADD014",
        "second-pool-of-a-fabric",
        gcp({"node_pools": {2: {"name": "more", "instance_type": "a3-megagpu-8g", "nodes": 2}}}),
        INFO,
        "node_pools[2].fabric",
        "pods on more (gpudirect-tcpxo)",
        "listing default, more-vpc1, more-vpc2,",
    ),
    # A4X: NICs built by GKE (DRANET), 4 GPUs: not the A3 Ultra text.
    bad(
        "ADD014",
        "a4x-dranet",
        gcp(
            {
                "node_pools": {
                    1: {
                        "name": "gb200",
                        "instance_type": "a4x-highgpu-4g",
                        "nodes": 18,
                        "capacity": {"type": "reservation", "reservation_id": "r1"},
                    }
                }
            }
        ),  # fmt: skip
        INFO,
        "node_pools[1].fabric",
        "NICs built by GKE through DRANET",
        "resource claim 'rdma'",
        "nvidia.com/gpu: 4 per node",
        "gke-a4x/nccl-jobset-example.yaml",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_addon_rule(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("machine_type", ["a3-highgpu-8g", "a3-megagpu-8g", "a3-ultragpu-8g"])
def test_add014_names_are_googles_for_the_first_pool(machine_type: str) -> None:
    """The names the component gives a fabric's first pool (and ADD014 lists) are the ones
    Google's NCCL test pods list (gpudirect.json), so a copied pod starts."""
    resolved = resolve(cluster_from(gcp({"node_pools": {1: {"instance_type": machine_type}}})))
    pool = resolved.pools[1]
    prefixes = network_object_prefixes(resolved.pools)
    assert prefixes[pool.name] == ""
    found = gpudirect_set(pool.fabric)
    assert found is not None
    assert pod_network_names(pool, prefixes[pool.name]) == list(found.pod_networks)


def test_add015_fixed_release_name_is_not_fixed_by_a_shorter_cluster_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A catalog row's fixed release name (istio's gateway) does not change with the cluster
    name: ADD015 says to leave the add-on out, and offers a shorter name only for releases named
    after the cluster."""
    from dataclasses import replace

    from clusterforge.catalog.addons import catalog

    long_release = "istio-ingressgateway-" + "x" * 40  # 61 characters, over Helm's 53
    monkeypatch.setitem(catalog(), "istio", replace(catalog()["istio"], release=long_release))
    for name, shorten in (("train", False), ("a" * 26, True)):
        findings = [
            f for f in run({"name": name, **addons({"name": "istio"})}) if f.rule == "ADD015"
        ]
        (finding,) = findings
        assert f"{long_release} (61)" in finding.message
        assert (
            f"leave out istio: its release name {long_release} does not depend on the cluster name"
            in finding.hint
        )
        assert ("shorten name to at most 25 characters" in finding.hint) is shorten, finding.hint
        assert "at most 1 characters" not in finding.hint
