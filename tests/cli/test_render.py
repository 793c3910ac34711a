"""`clusterforge render`: every Kubernetes object of the offline plan is rendered (or listed with
the reason), with the program's release names, and everything rendered validates offline —
built-in kinds against the Kubernetes schemas (kubernetes-validate, strict), custom kinds against
their CRD's openAPIV3Schema at the pinned upstream tag (tests/data/crds, see SOURCES.md there).
Writes keep the user's files, are all-or-nothing, and end OS errors in one `error:` line."""

from __future__ import annotations

import errno
import functools
import json
import os
import resource
import signal
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from clusterforge import render as render_module
from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.cli.main import cli
from clusterforge.engine import plan_offline
from clusterforge.errors import UsageError
from clusterforge.graph import ResourceGraph
from clusterforge.render import (
    CHART_TYPES,
    MARKER,
    REMOTE_FILE_TYPES,
    GitTarget,
    Rendered,
    describe_key,
    object_key,
    render,
    write,
)
from clusterforge.spec.loader import load_stack
from clusterforge.validate import validate

from helpers import EXAMPLES, cluster_from, crd_validator

KUBERNETES_VERSION = "1.33"
BUILT_IN_GROUPS = ("v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1")
#: Kinds GKE serves itself; no public repository publishes their CRDs (see SOURCES.md).
GKE_SERVED = {("networking.gke.io/v1", "Network"), ("networking.gke.io/v1", "GKENetworkParamSet")}
GIT = GitTarget(url="https://git.example.com/org/fleet.git", path="clusters/one")
FLAVORS = ("plain", "argocd", "flux")
ALL_EXAMPLES = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".py"))


def standin_gke_shape_check(manifest: dict[str, Any]) -> None:
    """GKE-served kinds have no public CRD: check the shape every object needs, nothing more."""
    assert manifest["metadata"]["name"] and isinstance(manifest.get("spec"), dict)


def validate_manifest(manifest: dict[str, Any]) -> None:
    if manifest["apiVersion"] in BUILT_IN_GROUPS:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        return
    if (manifest["apiVersion"], manifest["kind"]) in GKE_SERVED:
        standin_gke_shape_check(manifest)
        return
    validator = crd_validator(manifest["apiVersion"], manifest["kind"])
    assert validator is not None, (
        f"no vendored CRD schema for {manifest['apiVersion']} {manifest['kind']}"
    )
    validator.validate(manifest)


@functools.cache
def planned(example: str) -> tuple[ResolvedCluster, ResourceGraph]:
    stack = load_stack(EXAMPLES / example)
    assert stack.cluster is not None
    resolved, _ = validate(stack.cluster)
    return resolved, plan_offline(resolved)


def rendered(example: str, flavor: str, volumes: dict[str, Any] | None = None) -> Rendered:
    resolved, graph = planned(example)
    return render(resolved, flavor, graph, volumes=volumes, git=GIT)


def plan_objects(graph: ResourceGraph) -> tuple[set[tuple[str, str, str, str]], set[str]]:
    """(keys of the Kubernetes objects, names of the charts / remote files) in the plan."""
    keys, installs = set(), set()
    for planned_resource in graph.resources:
        if not planned_resource.type.startswith("kubernetes:"):
            continue
        if planned_resource.type in CHART_TYPES | REMOTE_FILE_TYPES:
            installs.add(planned_resource.name)
        else:
            keys.add(object_key(planned_resource.inputs))
    return keys, installs


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_render_has_every_object_of_the_plan_and_all_of_it_validates(
    example: str, flavor: str
) -> None:
    _, graph = planned(example)
    result = rendered(example, flavor)
    keys, installs = plan_objects(graph)
    written = set(result.object_keys)
    for key in keys - written:
        assert any(s.startswith(describe_key(key) + ":") for s in result.skipped), (
            f"{describe_key(key)} is in the plan but neither rendered nor listed as not rendered"
        )
    assert written <= keys, f"rendered objects the plan does not create: {written - keys}"
    for name in installs - set(result.rendered_resources):
        assert any(name in s for s in result.skipped), f"{name} neither rendered nor listed"
    manifests = result.manifests()
    assert manifests or flavor == "plain"  # plain: install.sh and values files only
    for manifest in manifests:
        validate_manifest(manifest)
    assert "Not rendered" in result.files["README.md"] or not result.skipped


def test_gke_a3_mega_renders_networks_installers_and_kueue_in_each_flavor() -> None:
    """The issue's done-when: the 8+8 network objects, both installers, Kueue, nothing missing
    but the volumes (which need the deployed file system)."""
    for flavor in FLAVORS:
        result = rendered("gcp-a3-mega-training.yaml", flavor)
        kinds = [key[1] for key in result.object_keys]
        assert kinds.count("Network") == 8 and kinds.count("GKENetworkParamSet") == 8
        assert {"ClusterQueue", "ResourceFlavor", "LocalQueue"} <= set(kinds)
        assert sum("installer" in r or "injector" in r for r in result.rendered_resources) == 2
        assert all("PersistentVolume" in s for s in result.skipped), result.skipped


def _charts_in_plan(graph: ResourceGraph) -> dict[str, tuple[str, str]]:
    """Plan chart resource name -> (Helm release name, namespace), as the engine gets them."""
    return {
        r.name: (r.inputs.get("name", r.name), r.inputs["namespace"])
        for r in graph.resources
        if r.type in ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
    }


@pytest.mark.parametrize("example", ["inference-kserve.yaml", "gcp-a3-mega-training.yaml"])
def test_release_names_and_namespaces_are_the_programs(example: str) -> None:
    _, graph = planned(example)
    expected = set(_charts_in_plan(graph).values())
    argocd = rendered(example, "argocd").manifests()
    apps = {
        (m["spec"]["source"]["helm"]["releaseName"], m["spec"]["destination"]["namespace"])
        for m in argocd
        if m["kind"] == "Application" and "helm" in m["spec"]["source"]
    }
    flux = rendered(example, "flux").manifests()
    releases = {
        (m["spec"]["releaseName"], m["spec"]["targetNamespace"])
        for m in flux
        if m["kind"] == "HelmRelease"
    }
    assert all(
        m["spec"]["storageNamespace"] == m["spec"]["targetNamespace"]
        for m in flux
        if m["kind"] == "HelmRelease"
    )
    plain = rendered(example, "plain").files["install.sh"]
    assert expected and apps == expected and releases == expected
    for release, namespace in expected:
        assert f"helm upgrade --install {release} " in plain and f"--namespace {namespace}" in plain


def test_argocd_is_an_app_of_apps_with_objects_last() -> None:
    result = rendered("byo-infiniband.yaml", "argocd")
    root = yaml.safe_load(result.files["argocd/root.yaml"])
    assert root["spec"]["source"]["path"] == "clusters/one/argocd/apps"
    assert root["spec"]["source"]["repoURL"] == GIT.url
    apps = [m for p, m in _files(result, "argocd/apps/")]
    waves = {m["metadata"]["name"]: int(m["metadata"]["annotations"][_WAVE]) for m in apps}
    objects = waves.pop("onprem-ib-objects")
    assert objects > max(waves.values())
    by_name = {m["metadata"]["name"]: m for m in apps}
    objects_app = by_name["onprem-ib-objects"]["spec"]
    assert objects_app["source"]["path"] == "clusters/one/objects"
    assert "SkipDryRunOnMissingResource=true" in objects_app["syncPolicy"]["syncOptions"]
    for app in apps:
        policy = app["spec"]["syncPolicy"]
        assert "ServerSideApply=true" in policy["syncOptions"]
        assert policy["retry"]["backoff"]["factor"] == 2 and policy["retry"]["limit"] > 0
    order = [
        waves[f"onprem-ib-addons-{n}"]
        for n in ("network-operator", "gpu-operator", "kueue", "kubeflow-trainer")
    ]
    assert order == sorted(order)


_WAVE = "argocd.argoproj.io/sync-wave"


def _files(result: Rendered, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, doc)
        for path, content in sorted(result.files.items())
        if path.startswith(prefix)
        for doc in yaml.safe_load_all(content)
    ]


def test_argocd_needs_a_repository() -> None:
    resolved, graph = planned("byo-infiniband.yaml")
    with pytest.raises(UsageError, match="needs the Git repository"):
        render(resolved, "argocd", graph)


def test_flux_releases_update_crds_remediate_and_objects_wait_for_them() -> None:
    result = rendered("inference-kserve.yaml", "flux")
    manifests = result.manifests()
    releases = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "HelmRelease"}
    resolved, _ = planned("inference-kserve.yaml")
    project = resolved.spec.name
    prefix = f"{project}-addons-"
    cert = next(n for n in releases if n.endswith("cert-manager"))
    assert {"name": cert} in releases[f"{prefix}kserve-crd"]["spec"]["dependsOn"]
    assert {"name": f"{prefix}kserve-crd"} in releases[f"{prefix}kserve"]["spec"]["dependsOn"]
    for release in releases.values():
        spec = release["spec"]
        assert spec["install"]["crds"] == spec["upgrade"]["crds"] == "CreateReplace"
        assert spec["install"]["remediation"]["retries"] > 0
        assert spec["upgrade"]["remediation"]["remediateLastFailure"] is True
    kustomizations = {
        m["metadata"]["name"]: m
        for m in yaml.safe_load_all(result.files["flux/kustomizations.yaml"])
    }
    objects = kustomizations[f"{project}-objects"]["spec"]
    assert objects["dependsOn"] == [{"name": f"{project}-addons"}]
    assert objects["path"] == "./clusters/one/objects"
    addons = kustomizations[f"{project}-addons"]["spec"]
    assert addons["wait"] is True and addons["path"] == "./clusters/one/flux/addons"
    assert kustomizations[f"{project}-gitops"]["spec"]["url"] == GIT.url
    sources = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "HelmRepository"}
    kserve_source = releases[f"{prefix}kserve"]["spec"]["chart"]["spec"]["sourceRef"]["name"]
    assert sources[kserve_source]["spec"]["type"] == "oci"


def test_flux_installer_sources_keep_only_the_pinned_file() -> None:
    result = rendered("gcp-a3-mega-training.yaml", "flux")
    repos = [
        m for m in result.manifests() if m["kind"] == "GitRepository" and "ignore" in m["spec"]
    ]
    assert len(repos) == 2
    for repo in repos:
        assert set(repo["spec"]["ref"]) == {"commit"}
        lines = repo["spec"]["ignore"].splitlines()
        # gitignore cannot re-include a file under an excluded directory: each parent comes back
        assert lines[0] == "/*" and lines[1].startswith("!/") and lines[1].endswith("/")
        assert lines[-1].startswith("!/") and lines[-1].endswith(".yaml")


def _kubeflow_pipelines() -> tuple[ResolvedCluster, ResourceGraph]:
    cluster = cluster_from({"addons": [{"name": "kubeflow-pipelines"}]})
    resolved, _ = validate(cluster)
    return resolved, plan_offline(resolved)


def test_kubeflow_pipelines_points_at_the_real_repository() -> None:
    resolved, graph = _kubeflow_pipelines()
    argocd = render(resolved, "argocd", graph, git=GIT).manifests()
    sources = [
        m["spec"]["source"]
        for m in argocd
        if m["kind"] == "Application" and "pipelines" in m["spec"]["source"]["repoURL"]
    ]
    assert [s["repoURL"] for s in sources] == ["https://github.com/kubeflow/pipelines.git"] * 2
    assert [s["path"] for s in sources] == [
        "manifests/kustomize/cluster-scoped-resources",
        "manifests/kustomize/env/platform-agnostic",
    ]
    flux = render(resolved, "flux", graph, git=GIT).manifests()
    repo = next(m for m in flux if m["metadata"]["name"] == "kubeflow-pipelines-git")
    assert repo["spec"]["url"] == "https://github.com/kubeflow/pipelines.git"
    for manifest in argocd + flux:
        validate_manifest(manifest)
    plain = render(resolved, "plain", graph).files["install.sh"]
    assert (
        "kubectl apply -k "
        "'https://github.com/kubeflow/pipelines//manifests/kustomize/cluster-scoped-resources?ref="
    ) in plain


PLANTED = "planted-Gr4fana-pw"


def test_secret_values_never_reach_the_files() -> None:
    cluster = cluster_from(
        {
            "addons": [
                {
                    "name": "kube-prometheus-stack",
                    "values": {"grafana": {"adminPassword": PLANTED}},
                }
            ]
        }
    )
    resolved, _ = validate(cluster)
    graph = plan_offline(resolved)
    for flavor in FLAVORS:
        result = render(resolved, flavor, graph, git=GIT)
        for path, content in result.files.items():
            assert PLANTED not in content, f"{flavor} {path} holds the secret"
        [secret] = result.secrets
        assert secret.path == "grafana.adminPassword"
        assert (
            secret.secret in result.files["README.md"] and secret.key in result.files["README.md"]
        )
        if flavor == "flux":
            release = next(
                m
                for m in result.manifests()
                if m["kind"] == "HelmRelease" and m["spec"]["releaseName"] == secret.release
            )
            assert release["spec"]["valuesFrom"] == [
                {
                    "kind": "Secret",
                    "name": secret.secret,
                    "valuesKey": secret.key,
                    "targetPath": "grafana.adminPassword",
                }
            ]
            assert secret.namespace == "flux-system"
            validate_manifest(release)
        if flavor == "plain":
            assert (
                f"--set-file grafana.adminPassword=<(kubectl get secret {secret.secret}"
                in (result.files["install.sh"])
            )


def test_alertmanager_credentials_become_secrets_not_files() -> None:
    slack, routing = "https://hooks.slack.com/services/T0/B0/PLANTEDX", "PDKEY-PLANTED"
    config = {
        "global": {"slack_api_url": slack},
        "receivers": [{"name": "x", "pagerduty_configs": [{"routing_key": routing}]}],
    }
    cluster = cluster_from(
        {
            "addons": [
                {"name": "kube-prometheus-stack", "values": {"alertmanager": {"config": config}}}
            ]
        }
    )
    resolved, _ = validate(cluster)
    result = render(resolved, "plain", plan_offline(resolved))
    for path, content in result.files.items():
        assert slack not in content and routing not in content, path
    assert sorted(s.path for s in result.secrets) == [
        "alertmanager.config.global.slack_api_url",
        "alertmanager.config.receivers[0].pagerduty_configs[0].routing_key",
    ]
    assert (
        "--set-file alertmanager.config.global.slack_api_url=<(kubectl get secret"
        in (result.files["install.sh"])
    )


def test_a_literal_env_secret_is_refused_not_rendered() -> None:
    cluster = cluster_from(
        {
            "addons": [
                {
                    "name": "kueue",
                    "values": {"env": [{"name": "HF_TOKEN", "value": "hf_SECRETVALUE"}]},
                }
            ]
        }
    )
    resolved, _ = validate(cluster)
    graph = plan_offline(resolved)
    for flavor in FLAVORS:
        with pytest.raises(UsageError) as raised:
            render(resolved, flavor, graph, git=GIT)
        assert "add-on kueue: values env[0].value (env HF_TOKEN) is a literal secret" in str(
            raised.value
        )
        assert "hf_SECRETVALUE" not in str(raised.value)
        assert "valueFrom: {secretKeyRef:" in (raised.value.hint or "")
    # The fix the error names renders, its reference in the values file.
    ref = {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}
    cluster = cluster_from({"addons": [{"name": "kueue", "values": {"env": [ref]}}]})
    resolved, _ = validate(cluster)
    result = render(resolved, "argocd", plan_offline(resolved), git=GIT)
    assert any("secretKeyRef" in c and "HF_TOKEN" in c for c in result.files.values())
    assert result.secrets == []


@pytest.mark.parametrize(
    "url",
    [
        "https://user:ghp_TOKENXYZ@github.com/org/infra",
        "https://ghp_TOKENXYZ@github.com/org/infra",
        "ssh://git:ghp_TOKENXYZ@github.com/org/infra",
    ],
)
def test_a_repo_url_with_credentials_is_refused(tmp_path: Path, url: str) -> None:
    out = tmp_path / "gitops"
    result = _render_cli(
        str(EXAMPLES / "byo-infiniband.yaml"), "--out", str(out), "--flavor", "argocd",
        "--repo-url", url,
    )  # fmt: skip
    assert result.exit_code == 2 and result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: --repo-url ") and "carries credentials" in first
    assert "ghp_TOKENXYZ" not in result.stderr and "repository Secret" in result.stderr
    assert not out.exists()


def test_an_ssh_repo_url_with_only_a_user_renders() -> None:
    for url in ("ssh://git@github.com/org/infra.git", "git@github.com:org/infra.git"):
        assert render_module.git_target(Path("out"), url, "x", "main").url == url


def test_volumes_need_the_stack_outputs() -> None:
    result = rendered("aws-h100-training.py", "plain")
    assert any(s.startswith("PersistentVolume ") for s in result.skipped)
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
    assert not any(s.startswith("PersistentVolume") for s in filled.skipped)
    validate_manifest(pv)


# ------------------------------------------------------------------------------ writes


def _render_cli(*args: str) -> Any:
    return CliRunner().invoke(cli, ["render", *args])


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _small(flavor: str = "plain") -> Rendered:
    return rendered("byo-infiniband.yaml", flavor)


def test_rerender_keeps_user_files_and_replaces_only_its_own(tmp_path: Path) -> None:
    out = tmp_path / "gitops"
    write(_small("flux"), out)
    written = set((out / MARKER).read_text().splitlines()[1:])
    assert "flux/addons/releases.yaml" in written and "objects/20-kueue.yaml" in written
    (out / "NOTES.md").write_text("mine")
    (out / "objects" / "90-mine.yaml").write_text("kind: ConfigMap\n")
    write(_small("argocd"), out)
    assert (out / "NOTES.md").read_text() == "mine"
    assert (out / "objects" / "90-mine.yaml").exists()
    assert not (out / "flux").exists() and (out / "argocd" / "root.yaml").exists()
    assert not any(p.name.startswith(".clusterforge-render-") for p in out.iterdir())
    assert not any(p.name.startswith(".gitops") for p in tmp_path.iterdir())


def test_render_refuses_to_replace_a_file_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    (out / "objects").mkdir(parents=True)
    (out / "objects" / "20-kueue.yaml").write_text("mine")
    before = _tree(out)
    with pytest.raises(UsageError, match="was not written by clusterforge render"):
        write(_small(), out)
    assert _tree(out) == before


def test_render_never_touches_its_input_inside_the_output(tmp_path: Path) -> None:
    out = tmp_path / "gitops"
    out.mkdir()
    stack = out / "stack.yaml"
    stack.write_bytes((EXAMPLES / "byo-infiniband.yaml").read_bytes())
    for flavor in ("plain", "flux", "plain"):
        result = _render_cli(str(stack), "--out", str(out), "--flavor", flavor)
        assert result.exit_code == 0, result.output
        assert stack.read_bytes() == (EXAMPLES / "byo-infiniband.yaml").read_bytes()
    assert "stack.yaml" not in (out / MARKER).read_text()


def test_a_file_where_a_directory_is_needed_is_one_error_line(tmp_path: Path) -> None:
    out = tmp_path / "gitops"
    out.mkdir()
    (out / "objects").write_text("in the way")
    result = _render_cli(str(EXAMPLES / "byo-infiniband.yaml"), "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "needs a directory" in result.stderr
    assert "Traceback" not in result.output
    assert _tree(out) == {"objects": b"in the way"}


def test_file_size_limit_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    """A real RLIMIT_FSIZE (Python ignores SIGXFSZ, so the write fails with EFBIG)."""
    out = tmp_path / "gitops"
    write(_small(), out)
    before = _tree(out)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))
    try:
        with pytest.raises(UsageError, match="file size limit exceeded; nothing was changed"):
            write(_small("flux"), out)
        with pytest.raises(UsageError, match="file size limit"):
            write(_small("flux"), tmp_path / "fresh")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gitops"]


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "no space left"), (errno.EROFS, "read-only file system")],
)
def test_full_disk_and_read_only_mount_are_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    """Stand-in: a full disk or a read-only mount cannot be made here (no mount rights), so
    writing a staged file raises the OSError the kernel would."""
    out = tmp_path / "gitops"
    write(_small(), out)
    before = _tree(out)

    def standin_write_text(self: Path, *args: Any, **kwargs: Any) -> int:
        raise OSError(code, os.strerror(code), str(self))

    monkeypatch.setattr(Path, "write_text", standin_write_text)
    result = _render_cli(str(EXAMPLES / "byo-infiniband.yaml"), "--out", str(out))
    monkeypatch.undo()
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: cannot write into") and words in result.stderr
    assert _tree(out) == before
    assert not any(p.name.startswith(".clusterforge-render-") for p in out.iterdir())


def test_an_interrupt_between_renames_restores_the_previous_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand-in for a failure between two renames (the real signals are held there, see the
    next test): the previous render comes back whole, no hidden staging directory is left."""
    out = tmp_path / "gitops"
    write(_small(), out)
    before = _tree(out)
    real_rename = os.rename
    calls = {"n": 0}

    def standin_rename(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(render_module.os, "rename", standin_rename)
    with pytest.raises(KeyboardInterrupt):
        write(_small("flux"), out)
    monkeypatch.undo()
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gitops"]
    assert not any(p.name.startswith(".clusterforge-render-") for p in out.iterdir())


@pytest.mark.parametrize(
    ("signum", "raised"), [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, SystemExit)]
)
def test_a_real_signal_during_the_moves_waits_until_the_tree_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int, raised: type[BaseException]
) -> None:
    out = tmp_path / "gitops"
    write(_small(), out)
    real_rename = os.rename
    sent = {"done": False}

    def rename_and_signal(src: Any, dst: Any) -> None:
        real_rename(src, dst)
        if not sent["done"]:
            sent["done"] = True
            os.kill(os.getpid(), signum)  # a real Ctrl-C / SIGTERM, between two renames

    monkeypatch.setattr(render_module.os, "rename", rename_and_signal)
    new = _small("flux")
    with pytest.raises(raised):
        write(new, out)
    monkeypatch.undo()
    tree = _tree(out)
    assert {p: c.encode() for p, c in new.files.items()}.items() <= tree.items()
    assert not (out / "install.sh").exists()
    assert not any(p.name.startswith(".clusterforge-render-") for p in out.iterdir())


def test_sigterm_while_staging_leaves_no_staging_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "gitops"
    write(_small(), out)
    before = _tree(out)
    real_stage = render_module._stage

    def stage_then_sigterm(rendered: Rendered, staging: Path) -> None:
        real_stage(rendered, staging)
        os.kill(os.getpid(), signal.SIGTERM)  # real SIGTERM before the moves

    monkeypatch.setattr(render_module, "_stage", stage_then_sigterm)
    for target in (out, tmp_path / "fresh"):
        with pytest.raises(SystemExit):
            write(_small("flux"), target)
    monkeypatch.undo()
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gitops"]
    assert not any(p.name.startswith(".clusterforge-render-") for p in out.iterdir())
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_render_with_outputs_file(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {"volumes": {"scratch": {"id": "fs-1", "dnsName": "fs-1.fsx", "mountName": "m1"}}}
        )
    )
    out = tmp_path / "gitops"
    result = _render_cli(
        str(EXAMPLES / "aws-h100-training.py"), "--out", str(out), "--outputs", str(outputs)
    )
    assert result.exit_code == 0, result.output
    storage = list(yaml.safe_load_all((out / "objects" / "30-storage.yaml").read_text()))
    assert {d["kind"] for d in storage} == {"PersistentVolume", "PersistentVolumeClaim"}
    assert "Not rendered" not in result.stderr


def test_render_cli_lists_what_it_did_not_render(tmp_path: Path) -> None:
    result = _render_cli(
        str(EXAMPLES / "gcp-a3-mega-training.yaml"),
        "--out",
        str(tmp_path / "gitops"),
        "--flavor",
        "argocd",
        "--repo-url",
        "https://git.example.com/org/fleet.git",
    )
    assert result.exit_code == 0, result.output
    assert "Not rendered:" in result.stderr and "--outputs" in result.stderr
    readme = (tmp_path / "gitops" / "README.md").read_text()
    assert "## Not rendered" in readme and "PersistentVolumeClaim research/datasets" in readme
    missing = _render_cli(
        str(EXAMPLES / "byo-infiniband.yaml"), "--out", str(tmp_path / "x"), "--flavor", "argocd"
    )
    assert missing.exit_code == 2 and missing.stderr.startswith("error: the argocd flavor needs")
    assert not (tmp_path / "x").exists()


def test_secret_paths_become_helm_set_paths_and_leave_the_values() -> None:
    from clusterforge.catalog.releases import ChartInstall
    from clusterforge.render import split_secrets

    install = ChartInstall("x", "x", "c1-addons-x", "c1-addons-x", "ns", "1.0", True)
    values = {"a.b": {"password": "p1"}, 1: {"token": "p2"}, "l": [{"apiKey": "p3", "n": 1}]}
    public, held = split_secrets(values, install, "ns")
    assert sorted(s.path for s in held) == ["1.token", "a\\.b.password", "l[0].apiKey"]
    assert public == {"a.b": {}, 1: {}, "l": [{"n": 1}]}
    assert values["l"][0]["apiKey"] == "p3"  # the caller's values are not changed
    assert {s.secret for s in held} == {"c1-addons-x-secret-values"}
    assert all(s.key.replace("_", "").isalnum() for s in held)


@pytest.mark.parametrize(
    "text",
    ['{"outputs": "x"}', '{"volumes": [1]}', "[1, 2]", "[" * 100_000 + "]" * 100_000, "\x00"],
)
def test_bad_outputs_files_are_one_usage_error(tmp_path: Path, text: str) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(text)
    with pytest.raises(UsageError, match="outputs|volumes"):
        render_module.volumes_from_outputs(outputs)


def test_derived_flux_names_are_dns_labels() -> None:
    """A Flux object's name from a long release name stays a DNS-1123 label (63 at most, no
    trailing hyphen where the cut falls)."""
    from clusterforge.catalog.releases import DNS_LABEL_MAX

    name = render_module._dns_name("a" * 40 + "-addons-nvidia-device-plugin-" + "b" * 10)
    assert name == ("a" * 40 + "-addons-nvidia-device-plugin")[:DNS_LABEL_MAX]
    assert len(render_module._dns_name("x" * 62 + "-y")) == 62  # the cut leaves no hyphen
