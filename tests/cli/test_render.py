"""`clusterforge render`: files per flavor, same versions/values as the program, and every object
valid offline — built-in kinds against the Kubernetes schemas (kubernetes-validate, strict), custom
kinds against their CRD's openAPIV3Schema (vendored in tests/data/crds, see SOURCES.md there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from clusterforge.catalog.resolve import resolve
from clusterforge.cli.main import cli
from clusterforge.render import render
from clusterforge.spec.loader import load_stack

from helpers import EXAMPLES, validate_json_schema

CRDS = Path(__file__).resolve().parent.parent / "data" / "crds"
KUBERNETES_VERSION = "1.33"
BUILT_IN_GROUPS = ("v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1")
RENDERED_EXAMPLES = [
    "byo-infiniband.yaml",
    "inference-kserve.yaml",
    "aws-h100-training.py",
    "gcp-a3-mega-training.yaml",
]


def crd_schema(manifest: dict[str, Any]) -> dict[str, Any] | None:
    group, _, version = manifest["apiVersion"].rpartition("/")
    path = CRDS / f"{group}__{version}__{manifest['kind']}.json"
    if not path.exists():
        return None
    # Kubernetes' (Go) regex engine accepts an inline flag after '^'; Python's only at the start.
    # Same meaning, moved: the vendored schema stays exactly as upstream published it.
    return json.loads(path.read_text().replace('"^(?i)', '"(?i)^'))


def validate_manifest(manifest: dict[str, Any]) -> None:
    if manifest["apiVersion"] in BUILT_IN_GROUPS:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        return
    schema = crd_schema(manifest)
    assert schema is not None, (
        f"no vendored CRD schema for {manifest['apiVersion']} {manifest['kind']}"
    )
    validate_json_schema(manifest, schema)  # the validator built once per CRD schema


def rendered(example: str, flavor: str, volumes: dict[str, Any] | None = None) -> Any:
    stack = load_stack(EXAMPLES / example)
    assert stack.cluster is not None
    return render(resolve(stack.cluster), flavor, volumes=volumes)


@pytest.mark.parametrize("flavor", ["plain", "argocd", "flux"])
@pytest.mark.parametrize("example", RENDERED_EXAMPLES)
def test_every_rendered_object_is_valid(example: str, flavor: str) -> None:
    result = rendered(example, flavor)
    manifests = result.manifests()
    assert manifests
    for manifest in manifests:
        validate_manifest(manifest)


def test_argocd_applications_pin_the_programs_versions_and_values() -> None:
    stack = load_stack(EXAMPLES / "byo-infiniband.yaml")
    resolved = resolve(stack.cluster)  # type: ignore[arg-type]
    result = render(resolved, "argocd")
    apps = {m["metadata"]["name"]: m for m in result.manifests() if m["kind"] == "Application"}
    operator = apps["onprem-ib-gpu-operator"]["spec"]
    assert operator["source"] == {
        **operator["source"],
        "repoURL": "https://helm.ngc.nvidia.com/nvidia",
        "chart": "gpu-operator",
        "targetRevision": "v25.10.1",
    }
    assert operator["source"]["helm"]["valuesObject"]["driver"]["rdma"]["enabled"] is True
    kueue = apps["onprem-ib-kueue"]["spec"]["source"]
    assert kueue["repoURL"] == "registry.k8s.io/kueue/charts" and kueue["chart"] == "kueue"
    waves = [
        int(apps[f"onprem-ib-{n}"]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for n in ("network-operator", "gpu-operator", "kueue", "kubeflow-trainer")
    ]
    assert waves == sorted(waves)


def test_flux_releases_depend_on_their_prerequisites() -> None:
    result = rendered("inference-kserve.yaml", "flux")
    releases = {m["metadata"]["name"]: m for m in result.manifests() if m["kind"] == "HelmRelease"}
    assert {"name": "cert-manager"} in releases["kserve-crd"]["spec"]["dependsOn"]
    assert {"name": "kserve-crd"} in releases["kserve"]["spec"]["dependsOn"]
    sources = {
        m["metadata"]["name"]: m for m in result.manifests() if m["kind"] == "HelmRepository"
    }
    kserve_source = releases["kserve"]["spec"]["chart"]["spec"]["sourceRef"]["name"]
    assert sources[kserve_source]["spec"]["type"] == "oci"
    assert (
        releases["kserve"]["spec"]["values"]["kserve"]["controller"]["deploymentMode"] == "Standard"
    )


def test_kueue_objects_carry_the_real_accelerator_count() -> None:
    result = rendered("byo-infiniband.yaml", "plain")
    queue = next(m for m in result.manifests() if m["kind"] == "ClusterQueue")
    quotas = {
        r["name"]: r["nominalQuota"]
        for r in queue["spec"]["resourceGroups"][0]["flavors"][0]["resources"]
    }
    assert quotas["nvidia.com/gpu"] == 16 * 8


def test_volumes_need_the_stack_outputs(tmp_path: Path) -> None:
    result = rendered("aws-h100-training.py", "plain")
    assert any("PersistentVolumes for scratch" in s for s in result.skipped)
    volumes = {
        "scratch": {
            "id": "fs-0123456789abcdef0",
            "dnsName": "fs-0123456789abcdef0.fsx.us-east-1.amazonaws.com",
            "mountName": "abcd1234",
        }
    }
    filled = rendered("aws-h100-training.py", "plain", volumes)
    pv = next(m for m in filled.manifests() if m["kind"] == "PersistentVolume")
    assert pv["spec"]["csi"]["volumeHandle"] == "fs-0123456789abcdef0"
    validate_manifest(pv)


def test_render_cli_writes_a_directory_and_refuses_foreign_ones(tmp_path: Path) -> None:
    out = tmp_path / "gitops"
    result = CliRunner().invoke(
        cli,
        ["render", str(EXAMPLES / "byo-infiniband.yaml"), "--out", str(out), "--flavor", "flux"],
    )
    assert result.exit_code == 0, result.output
    assert (out / "flux" / "releases.yaml").exists() and (
        out / "objects" / "20-kueue.yaml"
    ).exists()
    for path in out.rglob("*.yaml"):
        list(yaml.safe_load_all(path.read_text()))  # every file parses
    again = CliRunner().invoke(
        cli,
        ["render", str(EXAMPLES / "byo-infiniband.yaml"), "--out", str(out), "--flavor", "argocd"],
    )
    assert again.exit_code == 0 and not (out / "flux").exists() and (out / "argocd").exists()
    foreign = tmp_path / "repo"
    foreign.mkdir()
    (foreign / "important.txt").write_text("keep me")
    refused = CliRunner().invoke(
        cli, ["render", str(EXAMPLES / "byo-infiniband.yaml"), "--out", str(foreign)]
    )
    assert refused.exit_code == 2 and "was not written by clusterforge render" in refused.stderr
    assert (foreign / "important.txt").read_text() == "keep me"


def test_render_with_outputs_file(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {"volumes": {"scratch": {"id": "fs-1", "dnsName": "fs-1.fsx", "mountName": "m1"}}}
        )
    )
    out = tmp_path / "gitops"
    result = CliRunner().invoke(
        cli,
        [
            "render",
            str(EXAMPLES / "aws-h100-training.py"),
            "--out",
            str(out),
            "--outputs",
            str(outputs),
        ],
    )
    assert result.exit_code == 0, result.output
    storage = list(yaml.safe_load_all((out / "objects" / "30-storage.yaml").read_text()))
    assert {d["kind"] for d in storage} == {"PersistentVolume", "PersistentVolumeClaim"}
