"""GitOps rendering: the add-ons of a stack as files Argo CD, Flux or kubectl/helm apply.

`clusterforge render STACK --out DIR --flavor plain|argocd|flux` writes:

* ``objects/`` — the Kubernetes objects clusterforge generates itself (namespaces, Kueue flavors
  and queues, the NicClusterPolicy, KnativeServing, PersistentVolumes and claims), one YAML file
  per group, in apply order;
* per chart, with the same version and values as the Pulumi program: a ``helm upgrade --install``
  script and values files (plain), an Argo CD ``Application`` with sync waves (argocd), or a Flux
  ``HelmRepository`` + ``HelmRelease`` with ``dependsOn`` (flux). Kustomize add-ons become an
  Application with a path, or a Flux ``GitRepository`` + ``Kustomization``.

PersistentVolumes need the deployed file systems' ids: pass the stack outputs (``--outputs
outputs.json``, as written by `clusterforge outputs --json` or `pulumi stack output --json`);
without them the volumes are left out and the result says so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clusterforge.catalog.addons import KUSTOMIZE, ResolvedAddon, images
from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.errors import UsageError
from clusterforge.modules.kubernetes import objects
from clusterforge.modules.kubernetes.values import chart_values

FLAVORS = ("plain", "argocd", "flux")
#: Marks a directory `render` wrote, so a later render may replace it (and nothing else).
MARKER = ".clusterforge-render"
ARGOCD_NAMESPACE = "argocd"
FLUX_NAMESPACE = "flux-system"


@dataclass
class Rendered:
    """Relative path -> file content, plus what could not be rendered and why."""

    files: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def manifests(self) -> list[dict[str, Any]]:
        """Every Kubernetes object in the rendered YAML files (for validation)."""
        found: list[dict[str, Any]] = []
        for path, content in self.files.items():
            if path.endswith(".yaml") and "/values/" not in path and not path.startswith("values"):
                found += [
                    doc
                    for doc in yaml.safe_load_all(content)
                    if isinstance(doc, dict) and "kind" in doc
                ]
        return found


def _dump(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


def generated_objects(
    resolved: ResolvedCluster, volumes: dict[str, dict[str, Any]] | None
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Objects grouped into ordered files, and what was skipped."""
    groups: dict[str, list[dict[str, Any]]] = {}
    skipped: list[str] = []
    names = objects.namespaces(resolved)
    if resolved.addon("knative-serving") is not None:
        names += [objects.knative_serving(resolved.addon("knative-serving"))[0]]
    if names:
        groups["objects/00-namespaces.yaml"] = names
    if resolved.addon("kueue") is not None:
        kueue = objects.kueue_objects(resolved)
        if kueue:
            groups["objects/20-kueue.yaml"] = kueue
    network_operator = resolved.addon("network-operator")
    if network_operator is not None:
        groups["objects/20-network-operator.yaml"] = [
            objects.nic_cluster_policy(
                network_operator, images(), deploy_driver=not objects.host_mofed(resolved)
            )
        ]
    knative = resolved.addon("knative-serving")
    if knative is not None:
        groups["objects/20-knative-serving.yaml"] = [objects.knative_serving(knative)[1]]
    storage_objects: list[dict[str, Any]] = []
    for storage in resolved.storage:
        source = (volumes or {}).get(storage.name)
        if source is None:
            why = (
                "the outputs have no entry for it"
                if volumes is not None
                else "pass the stack outputs with --outputs (its id exists only after deployment)"
            )
            skipped.append(f"PersistentVolumes for {storage.name}: {why}")
            continue
        try:
            storage_objects += objects.volume_manifests(resolved, storage, source)
        except (KeyError, TypeError, AttributeError) as exc:
            raise UsageError(
                f"the outputs for storage {storage.name!r} lack {exc}",
                hint="use the `volumes` output of the deployed stack (clusterforge outputs STACK --stack NAME --json)",
            ) from None
    if storage_objects:
        groups["objects/30-storage.yaml"] = storage_objects
    return groups, skipped


def _charts(addon: ResolvedAddon) -> list[str]:
    return [extra["chart"] for extra in addon.facts.extra_charts] + [addon.facts.chart]


def _release_name(addon: ResolvedAddon, chart: str) -> str:
    """``kserve`` for the main chart; ``kserve-crd`` / ``istio-base`` for the charts before it."""
    if chart == addon.facts.chart:
        return addon.facts.release or addon.name
    short = chart.split("/")[-1]
    return short if short.startswith(addon.name) else f"{addon.name}-{short}"


def render_plain(resolved: ResolvedCluster, rendered: Rendered) -> None:
    lines = [
        "#!/usr/bin/env bash",
        "# Generated by clusterforge render: add-ons in install order, pinned.",
        "set -euo pipefail",
        'cd "$(dirname "$0")"',
        "",
    ]
    lines.append("kubectl apply -f objects/00-namespaces.yaml 2>/dev/null || true")
    for order, addon in enumerate(resolved.addons, start=1):
        values = chart_values(resolved, addon, list(resolved.addons))
        for chart in _charts(addon):
            if addon.facts.engine == KUSTOMIZE:
                lines.append(f"kubectl apply -k '{addon.facts.repo}/{chart}?ref={addon.version}'")
                continue
            values_file = f"values/{order:02d}-{addon.name}-{chart.replace('/', '-')}.yaml"
            own = values if chart == addon.facts.chart else {}
            rendered.files[values_file] = yaml.safe_dump(own, sort_keys=False)
            target = f"{addon.facts.repo.rstrip('/')}/{chart}" if addon.facts.is_oci else chart
            repo = "" if addon.facts.is_oci else f" --repo {addon.facts.repo}"
            release = (
                addon.facts.release
                if chart == addon.facts.chart and addon.facts.release
                else chart.split("/")[-1]
            )
            lines.append(
                f"helm upgrade --install {release} {target}{repo} --version {addon.version} "
                f"--namespace {addon.namespace} --create-namespace -f {values_file} --wait"
            )
    lines.append('for f in objects/[1-9]*.yaml; do kubectl apply -f "$f"; done')
    rendered.files["install.sh"] = "\n".join(lines) + "\n"


def render_argocd(resolved: ResolvedCluster, rendered: Rendered, project: str) -> None:
    for order, addon in enumerate(resolved.addons, start=1):
        values = chart_values(resolved, addon, list(resolved.addons))
        for index, chart in enumerate(_charts(addon)):
            if addon.facts.engine == KUSTOMIZE:
                repo, _, base_path = addon.facts.repo.partition("//")
                source: dict[str, Any] = {
                    "repoURL": f"{repo}.git",
                    "path": f"{base_path}/{chart}",
                    "targetRevision": addon.version,
                }
            elif addon.facts.is_oci:
                source = {
                    "repoURL": addon.facts.repo.removeprefix("oci://"),
                    "chart": chart,
                    "targetRevision": addon.version,
                }
            else:
                source = {
                    "repoURL": addon.facts.repo,
                    "chart": chart,
                    "targetRevision": addon.version,
                }
            if addon.facts.engine != KUSTOMIZE:
                release = (
                    addon.facts.release
                    if chart == addon.facts.chart and addon.facts.release
                    else chart.split("/")[-1]
                )
                source["helm"] = {
                    "releaseName": release,
                    "valuesObject": values if chart == addon.facts.chart else {},
                }
            name = f"{project}-{_release_name(addon, chart)}"
            app = {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "name": name,
                    "namespace": ARGOCD_NAMESPACE,
                    # Waves keep the stack's install order (CRD charts and dependencies first).
                    "annotations": {
                        "argocd.argoproj.io/sync-wave": str(
                            order * 10 + index - len(_charts(addon))
                        )
                    },
                    "labels": {
                        "app.kubernetes.io/managed-by": "clusterforge",
                        "clusterforge.io/cluster": project,
                    },
                },
                "spec": {
                    "project": "default",
                    "source": source,
                    "destination": {
                        "server": "https://kubernetes.default.svc",
                        "namespace": addon.namespace,
                    },
                    "syncPolicy": {
                        "automated": {"prune": False, "selfHeal": True},
                        "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
                    },
                },
            }
            rendered.files[f"argocd/{order:02d}-{name.removeprefix(project + '-')}.yaml"] = _dump(
                [app]
            )


def render_flux(resolved: ResolvedCluster, rendered: Rendered, project: str) -> None:
    sources: dict[str, dict[str, Any]] = {}
    releases: list[dict[str, Any]] = []
    last: dict[str, str] = {}
    for addon in resolved.addons:
        values = chart_values(resolved, addon, list(resolved.addons))
        if addon.facts.engine == KUSTOMIZE:
            repo, _, base_path = addon.facts.repo.partition("//")
            source_name = f"{addon.name}-git"
            sources[source_name] = {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "GitRepository",
                "metadata": {"name": source_name, "namespace": FLUX_NAMESPACE},
                "spec": {"url": f"{repo}.git", "interval": "1h", "ref": {"tag": addon.version}},
            }
            previous: str | None = None
            for chart in _charts(addon):
                name = f"{addon.name}-{chart.replace('/', '-')}"
                kustomization: dict[str, Any] = {
                    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                    "kind": "Kustomization",
                    "metadata": {"name": name, "namespace": FLUX_NAMESPACE},
                    "spec": {
                        "interval": "1h",
                        "path": f"./{base_path}/{chart}",
                        "prune": False,
                        "sourceRef": {"kind": "GitRepository", "name": source_name},
                    },
                }
                if previous:
                    kustomization["spec"]["dependsOn"] = [{"name": previous}]
                previous = name
                releases.append(kustomization)
            last[addon.name] = previous or addon.name
            continue
        source_name = _flux_source_name(addon)
        spec: dict[str, Any] = {"url": addon.facts.repo, "interval": "1h"}
        if addon.facts.is_oci:
            spec["type"] = "oci"
        sources.setdefault(
            source_name,
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "HelmRepository",
                "metadata": {"name": source_name, "namespace": FLUX_NAMESPACE},
                "spec": spec,
            },
        )
        previous_release: str | None = None
        for chart in _charts(addon):
            name = _release_name(addon, chart)
            depends = [{"name": last[r]} for r in addon.requires if r in last]
            if previous_release:
                depends.append({"name": previous_release})
            release: dict[str, Any] = {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "kind": "HelmRelease",
                "metadata": {
                    "name": name,
                    "namespace": FLUX_NAMESPACE,
                    "labels": {"clusterforge.io/cluster": project},
                },
                "spec": {
                    "interval": "1h",
                    "releaseName": addon.facts.release
                    if chart == addon.facts.chart and addon.facts.release
                    else chart.split("/")[-1],
                    "targetNamespace": addon.namespace,
                    "install": {"createNamespace": True},
                    "chart": {
                        "spec": {
                            "chart": chart,
                            "version": addon.version,
                            "sourceRef": {"kind": "HelmRepository", "name": source_name},
                        }
                    },
                    "values": values if chart == addon.facts.chart else {},
                },
            }
            if depends:
                release["spec"]["dependsOn"] = depends
            releases.append(release)
            previous_release = name
        last[addon.name] = previous_release or addon.name
    if sources:
        rendered.files["flux/sources.yaml"] = _dump(list(sources.values()))
    if releases:
        rendered.files["flux/releases.yaml"] = _dump(releases)


def _flux_source_name(addon: ResolvedAddon) -> str:
    host = addon.facts.repo.removeprefix("oci://").removeprefix("https://").strip("/")
    return "".join(ch if ch.isalnum() else "-" for ch in host).strip("-")[:63].lower()


def render(
    resolved: ResolvedCluster, flavor: str, *, volumes: dict[str, dict[str, Any]] | None = None
) -> Rendered:
    if flavor not in FLAVORS:
        raise UsageError(f"unknown flavor {flavor!r}", hint=f"use one of: {', '.join(FLAVORS)}")
    rendered = Rendered()
    groups, rendered.skipped = generated_objects(resolved, volumes)
    for path, documents in groups.items():
        rendered.files[path] = _dump(documents)
    project = resolved.spec.name
    if flavor == "plain":
        render_plain(resolved, rendered)
    elif flavor == "argocd":
        render_argocd(resolved, rendered, project)
    else:
        render_flux(resolved, rendered, project)
    rendered.files["README.md"] = _readme(resolved, flavor, rendered)
    rendered.files[MARKER] = f"{resolved.spec.name} {flavor}\n"
    return rendered


def _readme(resolved: ResolvedCluster, flavor: str, rendered: Rendered) -> str:
    lines = [
        f"# {resolved.spec.name}: add-ons rendered by clusterforge ({flavor})",
        "",
        "Generated: do not edit by hand; change the stack and run `clusterforge render` again.",
        "",
        "| # | add-on | version | namespace |",
        "|---:|---|---|---|",
    ]
    lines += [
        f"| {i} | {a.name} | {a.version} | {a.namespace} |"
        for i, a in enumerate(resolved.addons, start=1)
    ]
    if rendered.skipped:
        lines += ["", "Not rendered:", *[f"- {s}" for s in rendered.skipped]]
    return "\n".join(lines) + "\n"


def volumes_from_outputs(path: Path) -> dict[str, dict[str, Any]]:
    """The ``volumes`` stack output (storage name -> PV attributes) from a JSON outputs file."""
    from clusterforge.errors import StackLoadError
    from clusterforge.spec.files import load_json_file

    try:  # bounded, decoded and depth-limited like every input file
        data = load_json_file(path, "stack outputs file")
    except StackLoadError as exc:
        raise UsageError(f"cannot read stack outputs {exc}", hint=exc.hint) from None
    outputs = data.get("outputs", data) if isinstance(data, dict) else {}
    volumes = outputs.get("volumes") if isinstance(outputs, dict) else None
    if not isinstance(volumes, dict) or not all(isinstance(v, dict) for v in volumes.values()):
        raise UsageError(
            f"{path} has no `volumes` output",
            hint="use the outputs of a deployed clusterforge stack",
        )
    return volumes


def write(rendered: Rendered, out: Path) -> None:
    """Write every file into ``out`` atomically: a temporary directory swapped in at the end."""
    out = out.resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise UsageError(
            f"{out} exists and was not written by clusterforge render",
            hint="choose a new or empty directory: render replaces its whole output directory",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for relative, content in rendered.files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            if relative.endswith(".sh"):
                os.chmod(target, 0o755)
        os.chmod(staging, 0o755)
        if out.exists():
            # A fresh, unique name for the previous render (never someone else's file), removed
            # only once the new one is in place.
            backup = Path(tempfile.mkdtemp(prefix=f".{out.name}-previous-", dir=out.parent))
            os.rmdir(backup)
            out.rename(backup)
            staging.rename(out)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
