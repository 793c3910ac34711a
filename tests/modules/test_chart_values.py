"""Every values path clusterforge sets is a real key of the pinned chart version.

The facts come from the charts' own values.yaml (and values.schema.json) at the pinned tag,
extracted by tools/upstream_facts.py into clusterforge/catalog/data/chart_values/.
"""

from __future__ import annotations

from typing import Any

import pytest

from clusterforge.catalog.addons import (
    catalog,
    chart_values_facts,
    closest_values_path,
    unknown_values,
)
from clusterforge.catalog.resolve import resolve
from clusterforge.modules.kubernetes.values import chart_values
from clusterforge.spec.loader import load_stack
from clusterforge.spec.models import Cluster
from clusterforge.validate import validate

from helpers import BASE, EXAMPLES, merge

EVERY_ADDON = [{"name": n} for n in catalog() if n not in ("kserve",)] + [
    {"name": "kserve", "mode": "knative"}
]

#: One stack per cloud that installs every add-on available there, so every values function runs
#: with every combination clusterforge branches on (network-operator + gpu-operator, Knative, ...).
PER_CLOUD: dict[str, dict[str, Any]] = {
    # The GPU pool autoscales (cluster-autoscaler); a Trainium pool brings the Neuron plugin.
    "aws": merge(
        BASE,
        {
            "node_pools": [
                {},
                {"nodes": None, "min_nodes": 1, "max_nodes": 4},
                {"name": "trn", "instance_type": "trn2.48xlarge", "nodes": 1},
            ]
        },
    ),
    "gcp": {
        "name": "gke-values",
        "cloud": "gcp",
        "project": "ml-platform-1",
        "region": "us-central1",
        "zone": "us-central1-a",
        "node_pools": [
            {"name": "system", "instance_type": "n2-standard-8", "nodes": 2},
            {"name": "h100", "instance_type": "a3-megagpu-8g", "nodes": 2},
        ],
    },
    "kubernetes": {
        "name": "onprem",
        "cloud": "kubernetes",
        "kubernetes": {"context": "onprem"},
        "node_pools": [
            {
                "name": "ib",
                "accelerator": "H100",
                "accelerators_per_node": 8,
                "fabric": "infiniband",
                "nodes": 4,
                "node_selector": {"pool": "ib"},
                "vcpus": 96,
                "memory_gib": 768,
            }
        ],
    },
}


def _cluster(cloud: str) -> Cluster:
    spec = dict(PER_CLOUD[cloud])
    spec["addons"] = [
        a
        for a in EVERY_ADDON
        if cloud in catalog()[a["name"]].clouds
        and not (cloud == "gcp" and a["name"] in ("gpu-operator", "dcgm-exporter"))
        and a["name"]
        not in ("nvidia-device-plugin", "jobset")  # conflict with gpu-operator / trainer
    ]
    return Cluster.model_validate(spec)


def _unknown_paths(cluster: Cluster) -> list[str]:
    resolved = resolve(cluster)
    problems = []
    for addon in resolved.addons:
        if addon.facts.kind != "helm":
            continue
        charts = [(addon.facts.chart, chart_values(resolved, addon, list(resolved.addons)))]
        charts += [(extra["chart"], {}) for extra in addon.facts.extra_charts]
        for chart, values in charts:
            facts = chart_values_facts(chart, addon.version)
            if facts is None:
                problems.append(f"{addon.name}: no values facts for {chart} {addon.version}")
                continue
            problems += [f"{chart} {addon.version}: {p}" for p in unknown_values(facts, values)]
    return problems


def _examples() -> list[Any]:
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".py"))


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.name)
def test_every_example_sets_only_real_values_keys(example: Any) -> None:
    assert _unknown_paths(load_stack(example).cluster) == []


@pytest.mark.parametrize("cloud", sorted(PER_CLOUD))
def test_every_addon_on_each_cloud_sets_only_real_values_keys(cloud: str) -> None:
    cluster = _cluster(cloud)
    installed = {a.name for a in resolve(cluster).addons}
    assert len(installed) >= 12  # the stack really exercises the values functions
    assert _unknown_paths(cluster) == []


def test_every_pinned_helm_chart_has_values_facts_at_its_pin() -> None:
    for facts in catalog().values():
        if facts.kind != "helm":
            continue
        for chart in [facts.chart, *(e["chart"] for e in facts.extra_charts)]:
            found = chart_values_facts(chart, facts.version)
            assert found is not None, f"{facts.name}: run tools/upstream_facts.py for {chart}"
            assert found.repo == facts.upstream["repo"] and found.ref == facts.upstream["ref"]


@pytest.mark.parametrize(
    "chart, version, values, unknown",
    [
        # Removed upstream: the checker must catch what clusterforge used to set.
        ("gpu-operator", "v26.7.0", {"cdi": {"enabled": True, "default": True}}, ["cdi.default"]),
        ("network-operator", "26.4.1", {"nfd": {"enabled": True}, "deployCR": False}, ["deployCR"]),
        ("gpu-operator", "v26.7.0", {"driver": {"rdma": {"useHostMofed": True}}}, []),
        # Free-form maps are leaves: any key below them is fine.
        ("dcgm-exporter", "4.8.2", {"nodeSelector": {"any/label": "x"}}, []),
        # Subchart values are not extracted: only their top-level key is checked.
        ("kube-prometheus-stack", "88.5.3", {"grafana": {"dashboards": {"x": {}}}}, []),
    ],
)
def test_unknown_values_finds_removed_keys(
    chart: str, version: str, values: dict[str, Any], unknown: list[str]
) -> None:
    facts = chart_values_facts(chart, version)
    assert facts is not None
    assert unknown_values(facts, values) == unknown


def test_a_misspelt_user_value_is_a_warning_with_a_did_you_mean() -> None:
    spec = merge(BASE, {"addons": [{"name": "gpu-operator", "values": {"toolkit": {"enabld": 1}}}]})
    findings = [f for f in validate(Cluster.model_validate(spec))[1] if f.rule == "ADD012"]
    assert [(f.severity.value, f.path) for f in findings] == [
        ("warning", "addons[0].values.toolkit.enabld")
    ]
    assert "'toolkit.enabled'" in findings[0].hint
    facts = chart_values_facts("gpu-operator", "v26.7.0")
    assert facts is not None and closest_values_path(facts, "mig.stratgy") == "mig.strategy"
    good = merge(BASE, {"addons": [{"name": "gpu-operator", "values": {"mig": {"strategy": "x"}}}]})
    assert not [f for f in validate(Cluster.model_validate(good))[1] if f.rule == "ADD012"]


def test_a_version_override_clusterforge_never_checked_is_a_warning() -> None:
    spec = merge(BASE, {"addons": [{"name": "kueue", "version": "0.99.0"}]})
    findings = [f for f in validate(Cluster.model_validate(spec))[1] if f.rule == "ADD013"]
    assert [(f.severity.value, f.path) for f in findings] == [("warning", "addons[0].version")]
    pinned = merge(BASE, {"addons": [{"name": "kueue", "version": catalog()["kueue"].version}]})
    assert not [f for f in validate(Cluster.model_validate(pinned))[1] if f.rule == "ADD013"]
