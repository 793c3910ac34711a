"""GitOps rendering: every Kubernetes object the Pulumi program creates, as files Argo CD, Flux
or kubectl/helm apply.

`clusterforge render STACK --out DIR --flavor plain|argocd|flux` plans the stack offline and takes
the Kubernetes side of that plan — so what it writes is what `clusterforge up` would create:

* ``objects/`` — every object the program creates itself (namespaces, GKE ``Network`` /
  ``GKENetworkParamSet`` objects, Kueue flavors and queues, the NicClusterPolicy, KnativeServing,
  PersistentVolumes and claims), one YAML file per group, in apply order;
* per chart, the same chart, version, values, Helm release name and namespace as the program
  (:func:`clusterforge.catalog.releases.chart_installs`, one rule for both): a ``helm upgrade
  --install`` script and values files (plain), an app-of-apps tree of Argo CD ``Application``\\ s
  (argocd), or Flux ``HelmRepository`` + ``HelmRelease`` objects (flux);
* manifests the program applies from a URL (the GKE NCCL plugin installers): ``kubectl apply -f``
  (plain), an Application or a Flux ``GitRepository`` + ``Kustomization`` on the pinned commit.

What cannot be rendered is listed with the reason (``Rendered.skipped``; the command prints it and
the rendered README.md keeps it): PersistentVolumes need the deployed file systems' ids (pass the
stack outputs, ``--outputs outputs.json``); an object whose inputs exist only after deployment.

Add-on values under secret keys (:mod:`clusterforge.secrets`) never reach the files: each becomes
a reference to a Kubernetes Secret the user creates (``Rendered.secrets`` says which).

Writing (:func:`write`) replaces only the files a previous render wrote (listed in the marker
file) and keeps everything else in the directory; it is all-or-nothing.
"""

from __future__ import annotations

import copy
import errno
import os
import re
import shlex
import shutil
import signal
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from clusterforge.catalog.addons import KUSTOMIZE, ResolvedAddon
from clusterforge.catalog.releases import (
    DNS_LABEL_MAX,
    ChartInstall,
    chart_installs,
    component_name,
)
from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.errors import UsageError
from clusterforge.modules.kubernetes import objects
from clusterforge.modules.kubernetes.values import chart_values
from clusterforge.secrets import MASK, env_secret_paths, redact_text, secret_paths

if TYPE_CHECKING:
    from clusterforge.graph import PlannedResource, ResourceGraph

FLAVORS = ("plain", "argocd", "flux")
#: Marks a directory `render` wrote into, and lists the files it wrote (one per line after the
#: header), so a later render replaces those and nothing else.
MARKER = ".clusterforge-render"
MARKER_HEADER = "# clusterforge render: files written by the last render (do not edit)"
ARGOCD_NAMESPACE = "argocd"
FLUX_NAMESPACE = "flux-system"
#: The GitRepository `flux bootstrap` creates for the repository Flux itself syncs.
FLUX_BOOTSTRAP_SOURCE = "flux-system"

#: Plan resource types that install a chart or a kustomize directory (rendered as add-ons).
CHART_TYPES = frozenset(
    {
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:helm.sh/v4:Chart",
        "kubernetes:kustomize/v2:Directory",
    }
)
#: Plan resource types that apply a manifest file from a URL.
REMOTE_FILE_TYPES = frozenset({"kubernetes:yaml/v2:ConfigFile"})
STORAGE_KINDS = frozenset({("v1", "PersistentVolume"), ("v1", "PersistentVolumeClaim")})
#: Markers the offline plan uses for values it cannot know (see engine/offline.py).
_UNKNOWN_MARKERS = ("<computed>", "<resource ")

# objects/ files, in apply order: namespaces, objects of kinds the platform itself serves, custom
# resources of the add-ons' CRDs, then storage.
_GROUP_FILES = {
    "networking.gke.io": "10-gke-networks",
    "kueue.x-k8s.io": "20-kueue",
    "mellanox.com": "20-network-operator",
    "operator.knative.dev": "20-knative-serving",
}
#: Argo CD retry for every Application: charts whose CRDs or webhooks come up in an earlier wave
#: may fail their first attempts. Field names: argo-cd v3.5.1 manifests/crds/application-crd.yaml.
ARGOCD_RETRY = {
    "limit": 10,
    "backoff": {"duration": "30s", "factor": 2, "maxDuration": "10m"},
}
#: Flux remediation for every HelmRelease (helm-controller v1.6.3 HelmRelease v2 fields).
FLUX_REMEDIATION_RETRIES = 3


@dataclass(frozen=True)
class SecretValue:
    """An add-on value held back from Git: the Secret (and key in it) the user must create."""

    addon: str
    release: str
    #: Helm value path (``grafana.adminPassword``).
    path: str
    secret: str
    namespace: str
    key: str

    def describe(self) -> str:
        return (
            f"Secret {self.namespace}/{self.secret} key {self.key!r}: the value of "
            f"{self.path} for release {self.release} (add-on {self.addon})"
        )


@dataclass
class Rendered:
    """Relative path -> file content, plus what could not be rendered and why."""

    files: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: Values held back from Git (secret keys): the Secrets the user creates.
    secrets: list[SecretValue] = field(default_factory=list)
    #: (apiVersion, kind, namespace, name) of every object written under objects/.
    object_keys: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: Plan resource names of the charts, releases, directories and remote files rendered.
    rendered_resources: list[str] = field(default_factory=list)

    def manifests(self) -> list[dict[str, Any]]:
        """Every Kubernetes object in the rendered YAML files (for validation)."""
        found: list[dict[str, Any]] = []
        for path, content in self.files.items():
            # values files and kustomize's own kustomization.yaml are not cluster objects
            if (
                path.endswith(".yaml")
                and not path.startswith("values/")
                and Path(path).name != "kustomization.yaml"
            ):
                found += [
                    doc
                    for doc in yaml.safe_load_all(content)
                    if isinstance(doc, dict) and "kind" in doc
                ]
        return found


@dataclass(frozen=True)
class GitTarget:
    """Where the rendered directory lives in Git: what Argo CD / Flux sync from."""

    #: Repository URL (None for flux: the repository `flux bootstrap` syncs).
    url: str | None
    #: Path of the rendered directory inside the repository ('' or '.' for its root).
    path: str
    #: Branch to follow.
    branch: str = "main"

    def sub(self, *parts: str) -> str:
        base = self.path.strip("/")
        return "/".join(p for p in (base if base not in ("", ".") else "", *parts) if p)


def _dump(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


def object_key(manifest: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = manifest.get("metadata") or {}
    return (
        str(manifest.get("apiVersion")),
        str(manifest.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def describe_key(key: tuple[str, str, str, str]) -> str:
    api_version, kind, namespace, name = key
    return f"{kind} {namespace + '/' if namespace else ''}{name} ({api_version})"


# ------------------------------------------------------------------------------ from the plan


def _manifest_from_inputs(inputs: dict[str, Any]) -> dict[str, Any] | None:
    """A Kubernetes object from a planned resource's inputs (apiVersion, kind, metadata, ...)."""
    if not {"apiVersion", "kind", "metadata"} <= inputs.keys():
        return None
    manifest = {"apiVersion": inputs["apiVersion"], "kind": inputs["kind"]}
    manifest["metadata"] = inputs["metadata"]
    manifest.update({k: v for k, v in inputs.items() if k not in manifest})
    return manifest


def _holds(value: Any, test: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds(v, test) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, test) for v in value)
    return isinstance(value, str) and test(value)


def _file_for(manifest: dict[str, Any]) -> str:
    if (manifest["apiVersion"], manifest["kind"]) == ("v1", "Namespace"):
        return "objects/00-namespaces.yaml"
    if (manifest["apiVersion"], manifest["kind"]) in STORAGE_KINDS:
        return "objects/30-storage.yaml"
    group = manifest["apiVersion"].rpartition("/")[0] or "core"
    return f"objects/{_GROUP_FILES.get(group, '20-' + group.replace('.', '-'))}.yaml"


@dataclass
class _PlanParts:
    objects: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, PlannedResource] = field(default_factory=dict)
    remote_files: list[PlannedResource] = field(default_factory=list)
    storage: list[tuple[str, str, str, str]] = field(default_factory=list)


def _plan_parts(graph: ResourceGraph, rendered: Rendered) -> _PlanParts:
    parts = _PlanParts()
    for resource in graph.resources:
        if not resource.type.startswith("kubernetes:"):
            continue
        if resource.type in CHART_TYPES:
            parts.charts[resource.name] = resource
            continue
        if resource.type in REMOTE_FILE_TYPES:
            parts.remote_files.append(resource)
            continue
        manifest = _manifest_from_inputs(resource.inputs)
        if manifest is None:
            rendered.skipped.append(
                f"{resource.type} {resource.name}: not a Kubernetes object render can write "
                "(apply it with `clusterforge up`)"
            )
            continue
        key = object_key(manifest)
        if (manifest["apiVersion"], manifest["kind"]) in STORAGE_KINDS:
            parts.storage.append(key)
            continue
        if _holds(manifest, lambda s: s == MASK):
            rendered.skipped.append(
                f"{describe_key(key)}: holds a secret value, which never goes to Git"
            )
            continue
        if _holds(manifest, lambda s: s.startswith(_UNKNOWN_MARKERS)):
            rendered.skipped.append(
                f"{describe_key(key)}: its inputs are known only after deployment "
                "(apply it with `clusterforge up`)"
            )
            continue
        parts.objects.append(manifest)
    return parts


def _storage_objects(
    resolved: ResolvedCluster,
    planned: list[tuple[str, str, str, str]],
    volumes: dict[str, dict[str, Any]] | None,
    rendered: Rendered,
) -> list[dict[str, Any]]:
    """PersistentVolumes and claims from the deployed file systems' attributes (the plan's carry
    offline stand-in ids)."""
    found: list[dict[str, Any]] = []
    for storage in resolved.storage:
        source = (volumes or {}).get(storage.name)
        if source is None:
            continue
        try:
            found += objects.volume_manifests(resolved, storage, source)
        except (KeyError, TypeError, AttributeError) as exc:
            raise UsageError(
                f"the outputs for storage {storage.name!r} lack {exc}",
                hint="use the `volumes` output of the deployed stack "
                "(clusterforge outputs STACK --stack NAME --json)",
            ) from None
    written = {object_key(m) for m in found}
    why = (
        "the outputs have no entry for its storage"
        if volumes is not None
        else "it needs the deployed file system's id: pass the stack outputs with --outputs"
    )
    rendered.skipped += [f"{describe_key(k)}: {why}" for k in planned if k not in written]
    return found


# ------------------------------------------------------------------------------ secrets


def _child(node: Any, part: str) -> Any:
    """``node[part]`` for a path part from :func:`secret_paths` (list indices and non-string
    keys come back as strings)."""
    if isinstance(node, list):
        return node[int(part)]
    if part in node:
        return node[part]
    return next(value for key, value in node.items() if str(key) == part)


def _helm_path(values: Any, path: tuple[str, ...]) -> str:
    """Helm ``--set`` syntax for a key path (``a.b[0].c``; dots and commas in keys escaped)."""
    out = ""
    node = values
    for part in path:
        if isinstance(node, list):
            out += f"[{part}]"
        else:
            escaped = re.sub(r"([.,\[\]=\\])", r"\\\1", part)
            out += f".{escaped}" if out else escaped
        node = _child(node, part)
    return out


def _refuse_literal_env_secrets(addon: str, values: dict[str, Any]) -> None:
    """A literal secret in a name/value pair (``env: [{name: HF_TOKEN, value: ...}]``) cannot be
    held back like a secret key: Helm replaces lists whole, so a Secret holding ``env[0].value``
    would drop the rest of the entry. Render refuses it rather than write it into Git."""
    paths = env_secret_paths(values)
    if not paths:
        return
    path = paths[0]
    entry = values
    for part in path[:-1]:
        entry = _child(entry, part)
    name = entry["name"]
    raise UsageError(
        f"add-on {addon}: values {_helm_path(values, path)} (env {name}) is a literal secret; "
        "render writes values into Git",
        hint=f"reference an existing Secret instead: {{name: {name}, valueFrom: {{secretKeyRef: "
        "{name: SECRET, key: KEY}}} (kubectl create secret generic SECRET --from-literal=KEY=...)",
    )


def split_secrets(
    values: dict[str, Any], install: ChartInstall, secret_namespace: str
) -> tuple[dict[str, Any], list[SecretValue]]:
    """``values`` without the values under secret keys, and the Secret keys that replace them."""
    paths = secret_paths(values)
    if not paths:
        return values, []
    public = copy.deepcopy(values)
    held: list[SecretValue] = []
    name = f"{install.release}-secret-values"
    for path in paths:
        helm_path = _helm_path(values, path)
        parent: Any = public
        for part in path[:-1]:
            parent = _child(parent, part)
        del parent[path[-1]]  # a secret key is always a string key of a mapping
        held.append(
            SecretValue(
                addon=install.addon,
                release=install.release,
                path=helm_path,
                secret=name,
                namespace=secret_namespace,
                key=re.sub(r"[^A-Za-z0-9_]", "_", "_".join(path)),
            )
        )
    return public, held


# ------------------------------------------------------------------------------ sources


def _kustomize_repo(addon: ResolvedAddon, chart: str) -> tuple[str, str]:
    """(git URL, path) of a kustomize add-on: ``https://host/org/repo//sub`` + chart."""
    scheme, _, rest = addon.facts.repo.partition("://")
    repo, _, base = rest.partition("//")
    url = f"{scheme}://{repo.rstrip('/')}"
    return (url if url.endswith(".git") else f"{url}.git"), "/".join(
        p for p in (base.strip("/"), chart.strip("/")) if p
    )


_RAW_GITHUB = re.compile(
    r"^https://raw\.githubusercontent\.com/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?P<ref>[^/]+)/(?P<path>.+)$"
)


@dataclass(frozen=True)
class RemoteFile:
    """A manifest file the program applies from a URL (a ConfigFile)."""

    resource: str
    url: str
    #: Resource names of the remote files this one must follow (the program's depends_on).
    after: tuple[str, ...] = ()
    #: For raw.githubusercontent.com URLs: repository, commit/tag and path inside it.
    git_url: str | None = None
    ref: str | None = None
    path: str | None = None

    @property
    def short(self) -> str:
        return self.resource

    @classmethod
    def parse(cls, resource: str, url: str, after: tuple[str, ...] = ()) -> RemoteFile:
        match = _RAW_GITHUB.match(url)
        if match is None:
            return cls(resource, url, after)
        return cls(
            resource,
            url,
            after,
            git_url=f"https://github.com/{match['owner']}/{match['repo']}.git",
            ref=match["ref"],
            path=match["path"],
        )


def _remote_files(parts: _PlanParts, rendered: Rendered, flavor: str) -> list[RemoteFile]:
    by_urn = {r.urn: r for r in parts.remote_files}
    ordered: list[PlannedResource] = []

    def visit(resource: PlannedResource, seen: frozenset[str]) -> None:
        if resource in ordered or resource.urn in seen:
            return
        for dependency in resource.dependencies:
            if dependency in by_urn:
                visit(by_urn[dependency], seen | {resource.urn})
        ordered.append(resource)

    for resource in parts.remote_files:
        visit(resource, frozenset())
    found = []
    for resource in ordered:
        url = resource.inputs.get("file")
        if not isinstance(url, str) or _holds(url, lambda s: s.startswith(_UNKNOWN_MARKERS)):
            rendered.skipped.append(
                f"{resource.type} {resource.name}: its file is known only after deployment"
            )
            continue
        after = tuple(by_urn[d].name for d in resource.dependencies if d in by_urn)
        remote = RemoteFile.parse(resource.name, url, after)
        if flavor != "plain" and remote.git_url is None:
            rendered.skipped.append(
                f"{resource.type} {resource.name}: {url} is not a file in a Git repository, "
                f"which {flavor} needs (the plain flavor applies it with kubectl)"
            )
            continue
        rendered.rendered_resources.append(resource.name)
        found.append(remote)
    return found


# ------------------------------------------------------------------------------ charts


@dataclass(frozen=True)
class _Chart:
    """One chart install with everything a flavor needs."""

    addon: ResolvedAddon
    install: ChartInstall
    values: dict[str, Any]
    secrets: tuple[SecretValue, ...]
    #: Whether a CRD this chart's objects use arrives in an earlier install (the add-on's own
    #: CRD chart, or an add-on it requires): Argo CD must skip the dry run for missing kinds.
    needs_earlier_crds: bool


def _charts(
    resolved: ResolvedCluster, parts: _PlanParts, rendered: Rendered, flavor: str
) -> list[_Chart]:
    component = component_name(resolved.spec.name)
    found: list[_Chart] = []
    for addon in resolved.addons:
        values = chart_values(resolved, addon, list(resolved.addons))
        for index, install in enumerate(chart_installs(addon, component)):
            if install.resource not in parts.charts:
                rendered.skipped.append(
                    f"add-on {addon.name} chart {install.chart}: the plan does not install it"
                )
                continue
            rendered.rendered_resources.append(install.resource)
            own = values if install.main else {}
            _refuse_literal_env_secrets(addon.name, own)
            secret_namespace = FLUX_NAMESPACE if flavor == "flux" else install.namespace
            public, held = split_secrets(own, install, secret_namespace)
            rendered.secrets += held
            found.append(
                _Chart(
                    addon=addon,
                    install=install,
                    values=public,
                    secrets=tuple(held),
                    needs_earlier_crds=index > 0 or bool(addon.requires),
                )
            )
    known = {c.install.resource for c in found}
    for name, resource in parts.charts.items():
        if name not in known:
            rendered.skipped.append(
                f"{resource.type} {name}: not an add-on of the catalog, render cannot write it"
            )
    return found


def _oci(addon: ResolvedAddon) -> bool:
    return addon.facts.is_oci


# ------------------------------------------------------------------------------ plain


def render_plain(
    rendered: Rendered, charts: list[_Chart], remote: list[RemoteFile], groups: dict[str, Any]
) -> None:
    lines = [
        "#!/usr/bin/env bash",
        "# Generated by clusterforge render: the stack's Kubernetes side in install order, pinned.",
        "set -euo pipefail",
        'cd "$(dirname "$0")"',
        "",
    ]
    if "objects/00-namespaces.yaml" in groups:
        lines.append("kubectl apply -f objects/00-namespaces.yaml")
    for file in sorted(g for g in groups if g.startswith("objects/10-")):
        lines.append(f"kubectl apply -f {file}")
    for item in remote:
        lines.append(f"kubectl apply -f {shlex.quote(item.url)}")
    for order, chart in enumerate(charts, start=1):
        addon, install = chart.addon, chart.install
        if addon.facts.engine == KUSTOMIZE:
            url, path = _kustomize_repo(addon, install.chart)
            target = f"{url.removesuffix('.git')}//{path}?ref={install.version}"
            lines.append(f"kubectl apply -k {shlex.quote(target)}")
            continue
        values_file = f"values/{order:02d}-{install.release}.yaml"
        rendered.files[values_file] = yaml.safe_dump(chart.values, sort_keys=False)
        reference = (
            f"{addon.facts.repo.rstrip('/')}/{install.chart}" if _oci(addon) else install.chart
        )
        repo = "" if _oci(addon) else f" --repo {shlex.quote(addon.facts.repo)}"
        secret_args = "".join(
            f" \\\n  --set-file {shlex.quote(s.path)}=<(kubectl get secret {s.secret} "
            f"-n {s.namespace} -o jsonpath='{{.data.{s.key}}}' | base64 -d)"
            for s in chart.secrets
        )
        lines.append(
            f"helm upgrade --install {install.release} {shlex.quote(reference)}{repo} "
            f"--version {shlex.quote(install.version)} --namespace {install.namespace} "
            f"--create-namespace -f {values_file}{secret_args} --wait"
        )
    later = sorted(g for g in groups if g[len("objects/") :][:2] >= "20")
    for file in later:
        lines.append(f"kubectl apply -f {file}")
    rendered.files["install.sh"] = "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ argocd


def check_target(flavor: str, git: GitTarget | None) -> None:
    """Refuse what a flavor cannot render before anything is planned or written."""
    if flavor not in FLAVORS:
        raise UsageError(f"unknown flavor {flavor!r}", hint=f"use one of: {', '.join(FLAVORS)}")
    if flavor == "argocd" and not (git and git.url):
        raise UsageError(
            "the argocd flavor needs the Git repository Argo CD reads the rendered files from",
            hint="pass --repo-url https://git.example.com/org/repo.git (and --repo-path if the "
            "output directory is not found inside a Git checkout)",
        )


def _application(
    project: str,
    name: str,
    wave: int,
    source: dict[str, Any],
    namespace: str | None,
    *,
    skip_dry_run: bool,
) -> dict[str, Any]:
    options = ["CreateNamespace=true", "ServerSideApply=true"]
    if skip_dry_run:
        options.append("SkipDryRunOnMissingResource=true")
    destination: dict[str, Any] = {"server": "https://kubernetes.default.svc"}
    if namespace:
        destination["namespace"] = namespace
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": ARGOCD_NAMESPACE,
            "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
            "labels": {
                "app.kubernetes.io/managed-by": "clusterforge",
                "clusterforge.io/cluster": project,
            },
        },
        "spec": {
            "project": "default",
            "source": source,
            "destination": destination,
            "syncPolicy": {
                "automated": {"prune": False, "selfHeal": True},
                "syncOptions": options,
                "retry": copy.deepcopy(ARGOCD_RETRY),
            },
        },
    }


def render_argocd(
    rendered: Rendered,
    project: str,
    charts: list[_Chart],
    remote: list[RemoteFile],
    git: GitTarget,
) -> None:
    check_target("argocd", git)
    wave = 0
    for item in remote:
        assert item.git_url and item.path and item.ref
        directory, _, file_name = item.path.rpartition("/")
        source = {
            "repoURL": item.git_url,
            "targetRevision": item.ref,
            "path": directory or ".",
            "directory": {"include": file_name},
        }
        app = _application(project, item.resource, wave, source, None, skip_dry_run=False)
        rendered.files[f"argocd/apps/{wave + 100:03d}-{item.resource}.yaml"] = _dump([app])
        wave += 1
    for chart in charts:
        addon, install = chart.addon, chart.install
        if addon.facts.engine == KUSTOMIZE:
            url, path = _kustomize_repo(addon, install.chart)
            source = {"repoURL": url, "path": path, "targetRevision": install.version}
        else:
            source = {
                "repoURL": addon.facts.repo.removeprefix("oci://")
                if _oci(addon)
                else addon.facts.repo,
                "chart": install.chart,
                "targetRevision": install.version,
                "helm": {"releaseName": install.release, "valuesObject": chart.values},
            }
        app = _application(
            project,
            install.resource,
            wave,
            source,
            install.namespace,
            skip_dry_run=chart.needs_earlier_crds,
        )
        rendered.files[f"argocd/apps/{wave + 100:03d}-{install.resource}.yaml"] = _dump([app])
        wave += 1
    # Last: the objects clusterforge generates; their kinds come from the charts above.
    objects_app = _application(
        project,
        f"{project}-objects",
        wave,
        {
            "repoURL": git.url,
            "targetRevision": git.branch,
            "path": git.sub("objects"),
            "directory": {"recurse": False},
        },
        None,
        skip_dry_run=True,
    )
    rendered.files[f"argocd/apps/{wave + 100:03d}-{project}-objects.yaml"] = _dump([objects_app])
    root = _application(
        project,
        f"{project}-root",
        0,
        {
            "repoURL": git.url,
            "targetRevision": git.branch,
            "path": git.sub("argocd", "apps"),
            "directory": {"recurse": False},
        },
        ARGOCD_NAMESPACE,
        skip_dry_run=False,
    )
    del root["metadata"]["annotations"]
    rendered.files["argocd/root.yaml"] = _dump([root])


# ------------------------------------------------------------------------------ flux


def only_file_ignore(path: str) -> str:
    """A Flux GitRepository ``ignore`` (.gitignore syntax) that keeps only ``path``: git cannot
    re-include a file whose parent directory is excluded, so each parent is re-included and its
    other entries excluded again."""
    parts = path.strip("/").split("/")
    lines = ["/*"]
    for depth in range(1, len(parts)):
        directory = "/".join(parts[:depth])
        lines += [f"!/{directory}/", f"/{directory}/*"]
    lines.append(f"!/{'/'.join(parts)}")
    return "\n".join(lines) + "\n"


def _flux_source_name(addon: ResolvedAddon) -> str:
    host = addon.facts.repo.removeprefix("oci://").removeprefix("https://").strip("/")
    return "".join(ch if ch.isalnum() else "-" for ch in host).strip("-")[:DNS_LABEL_MAX].lower()


def _dns_name(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned[:DNS_LABEL_MAX].rstrip("-")


def render_flux(
    rendered: Rendered,
    project: str,
    charts: list[_Chart],
    remote: list[RemoteFile],
    git: GitTarget,
) -> None:
    sources: dict[str, dict[str, Any]] = {}
    releases: list[dict[str, Any]] = []
    last: dict[str, dict[str, str]] = {}
    for item in remote:
        assert item.git_url and item.path and item.ref
        name = _dns_name(item.resource)
        directory, _, _ = item.path.rpartition("/")
        ref = {"commit": item.ref} if re.fullmatch(r"[0-9a-f]{40}", item.ref) else {"tag": item.ref}
        sources[name] = {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": {"name": name, "namespace": FLUX_NAMESPACE},
            # Only the one file: everything else in the repository is ignored.
            "spec": {
                "url": item.git_url,
                "interval": "1h",
                "ref": ref,
                "ignore": only_file_ignore(item.path),
            },
        }
        remote_kustomization: dict[str, Any] = {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {"name": name, "namespace": FLUX_NAMESPACE},
            "spec": {
                "interval": "1h",
                "path": f"./{directory}" if directory else "./",
                "prune": False,
                "wait": True,
                "sourceRef": {"kind": "GitRepository", "name": name},
            },
        }
        if item.after:
            remote_kustomization["spec"]["dependsOn"] = [{"name": _dns_name(a)} for a in item.after]
        releases.append(remote_kustomization)
    previous_in_addon: dict[str, dict[str, str]] = {}
    for chart in charts:
        addon, install = chart.addon, chart.install
        depends = [last[r] for r in addon.requires if r in last]
        if addon.name in previous_in_addon:
            depends.append(previous_in_addon[addon.name])
        if addon.facts.engine == KUSTOMIZE:
            url, path = _kustomize_repo(addon, install.chart)
            source_name = _dns_name(f"{addon.name}-git")
            sources[source_name] = {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "GitRepository",
                "metadata": {"name": source_name, "namespace": FLUX_NAMESPACE},
                "spec": {"url": url, "interval": "1h", "ref": {"tag": install.version}},
            }
            name = _dns_name(install.resource)
            kustomization: dict[str, Any] = {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": name, "namespace": FLUX_NAMESPACE},
                "spec": {
                    "interval": "1h",
                    "path": f"./{path}",
                    "prune": False,
                    "wait": True,
                    "sourceRef": {"kind": "GitRepository", "name": source_name},
                },
            }
            # A Kustomization can wait only for Kustomizations; its ordering among the charts
            # comes from the add-ons Kustomization applying them all and waiting.
            kustomize_deps = [d for d in depends if d.get("kind") == "Kustomization"]
            if kustomize_deps:
                kustomization["spec"]["dependsOn"] = [{"name": d["name"]} for d in kustomize_deps]
            releases.append(kustomization)
            previous_in_addon[addon.name] = {"name": name, "kind": "Kustomization"}
            last[addon.name] = previous_in_addon[addon.name]
            continue
        source_name = _flux_source_name(addon)
        spec: dict[str, Any] = {"url": addon.facts.repo, "interval": "1h"}
        if _oci(addon):
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
        name = _dns_name(install.resource)
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
                "releaseName": install.release,
                "targetNamespace": install.namespace,
                # The Helm release lives where `clusterforge up` put it, so Flux adopts it.
                "storageNamespace": install.namespace,
                "install": {
                    "createNamespace": True,
                    "crds": "CreateReplace",
                    "remediation": {"retries": FLUX_REMEDIATION_RETRIES},
                },
                "upgrade": {
                    "crds": "CreateReplace",
                    "remediation": {
                        "retries": FLUX_REMEDIATION_RETRIES,
                        "remediateLastFailure": True,
                    },
                },
                "chart": {
                    "spec": {
                        "chart": install.chart,
                        "version": install.version,
                        "sourceRef": {"kind": "HelmRepository", "name": source_name},
                    }
                },
                "values": chart.values,
            },
        }
        helm_depends = [{"name": d["name"]} for d in depends if d.get("kind") == "HelmRelease"]
        if helm_depends:
            release["spec"]["dependsOn"] = helm_depends
        if chart.secrets:
            release["spec"]["valuesFrom"] = [
                {"kind": "Secret", "name": s.secret, "valuesKey": s.key, "targetPath": s.path}
                for s in chart.secrets
            ]
        releases.append(release)
        previous_in_addon[addon.name] = {"name": name, "kind": "HelmRelease"}
        last[addon.name] = previous_in_addon[addon.name]
    if sources:
        rendered.files["flux/addons/sources.yaml"] = _dump(list(sources.values()))
    if releases:
        rendered.files["flux/addons/releases.yaml"] = _dump(releases)

    # The entry point: one Kustomization applies sources and releases and waits until every
    # HelmRelease is ready; the objects Kustomization depends on it (their kinds come from the
    # charts' CRDs). Kustomization dependsOn can name only Kustomizations.
    entry: list[dict[str, Any]] = []
    source_ref = {"kind": "GitRepository", "name": FLUX_BOOTSTRAP_SOURCE}
    if git.url:
        source_ref = {"kind": "GitRepository", "name": _dns_name(f"{project}-gitops")}
        entry.append(
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "GitRepository",
                "metadata": {"name": source_ref["name"], "namespace": FLUX_NAMESPACE},
                "spec": {
                    "url": git.url,
                    "interval": "5m",
                    "ref": {"branch": git.branch},
                },
            }
        )
    addons_name = _dns_name(f"{project}-addons")
    kustomization_spec = {
        "interval": "10m",
        "retryInterval": "2m",
        "timeout": "30m",
        "prune": False,
        "wait": True,
        "sourceRef": source_ref,
    }
    if releases or sources:
        entry.append(
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": addons_name, "namespace": FLUX_NAMESPACE},
                "spec": {**kustomization_spec, "path": f"./{git.sub('flux', 'addons')}"},
            }
        )
    objects_spec: dict[str, Any] = {**kustomization_spec, "path": f"./{git.sub('objects')}"}
    if releases or sources:
        objects_spec["dependsOn"] = [{"name": addons_name}]
    entry.append(
        {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {"name": _dns_name(f"{project}-objects"), "namespace": FLUX_NAMESPACE},
            "spec": objects_spec,
        }
    )
    rendered.files["flux/kustomizations.yaml"] = _dump(entry)
    # A kustomization.yaml at the top: a Flux Kustomization (or kubectl apply -k) pointed at this
    # directory applies only the entry point, never objects/ before the CRDs exist.
    rendered.files["kustomization.yaml"] = yaml.safe_dump(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": ["flux/kustomizations.yaml"],
        },
        sort_keys=False,
    )


# ------------------------------------------------------------------------------ render


def render(
    resolved: ResolvedCluster,
    flavor: str,
    graph: ResourceGraph,
    *,
    volumes: dict[str, dict[str, Any]] | None = None,
    git: GitTarget | None = None,
) -> Rendered:
    """Every Kubernetes object and chart of ``graph`` (the offline plan of ``resolved``) as files
    for ``flavor``, or the reason it is not rendered."""
    check_target(flavor, git)
    git = git or GitTarget(url=None, path="")
    rendered = Rendered()
    parts = _plan_parts(graph, rendered)
    manifests = parts.objects + _storage_objects(resolved, parts.storage, volumes, rendered)
    groups: dict[str, list[dict[str, Any]]] = {}
    for manifest in manifests:
        groups.setdefault(_file_for(manifest), []).append(manifest)
        rendered.object_keys.append(object_key(manifest))
    for path in sorted(groups):
        rendered.files[path] = _dump(groups[path])
    remote = _remote_files(parts, rendered, flavor)
    charts = _charts(resolved, parts, rendered, flavor)
    project = resolved.spec.name
    if flavor == "plain":
        render_plain(rendered, charts, remote, groups)
    elif flavor == "argocd":
        render_argocd(rendered, project, charts, remote, git)
    else:
        render_flux(rendered, project, charts, remote, git)
    rendered.files["README.md"] = _readme(resolved, flavor, rendered, charts, remote)
    return rendered


def _readme(
    resolved: ResolvedCluster,
    flavor: str,
    rendered: Rendered,
    charts: list[_Chart],
    remote: list[RemoteFile],
) -> str:
    start = {
        "plain": "Run `./install.sh` with kubectl and helm pointed at the cluster.",
        "argocd": "Apply `argocd/root.yaml` once (`kubectl apply -n argocd -f argocd/root.yaml`): "
        "the root Application syncs one Application per chart, in sync waves, and "
        "`objects/` last. Waves wait for a child Application's health only when argocd-cm "
        "restores the Application health check (removed from Argo CD's defaults in 1.8).",
        "flux": "Apply `flux/kustomizations.yaml` once, or point a Flux Kustomization at this "
        "directory (its kustomization.yaml lists only that file): the add-ons Kustomization "
        "applies the sources and HelmReleases and waits for them; `objects/` follows.",
    }[flavor]
    lines = [
        f"# {resolved.spec.name}: Kubernetes side rendered by clusterforge ({flavor})",
        "",
        "Generated: do not edit by hand; change the stack and run `clusterforge render` again.",
        "Files you add here are kept; the files a render wrote are listed in "
        f"`{MARKER}` and replaced by the next render.",
        "",
        start,
        "",
        "| # | add-on | chart | version | Helm release | namespace |",
        "|---:|---|---|---|---|---|",
    ]
    lines += [
        f"| {i} | {c.addon.name} | {c.install.chart} | {c.install.version} | "
        f"{c.install.release} | {c.install.namespace} |"
        for i, c in enumerate(charts, start=1)
    ]
    if remote:
        lines += ["", "Manifests applied from their upstream repository, pinned:", ""]
        lines += [f"- {r.resource}: {r.url}" for r in remote]
    if rendered.secrets:
        lines += ["", "## Secrets to create", ""]
        if flavor == "argocd":
            lines += [
                "Argo CD renders charts from Git alone and cannot read Helm values from a Secret:",
                "these values are left out of the Applications. Create the Secret and point the",
                "chart at it through its own existing-secret option, or supply the value with a",
                "values plugin.",
                "",
            ]
        lines += [f"- {s.describe()}" for s in rendered.secrets]
    if rendered.skipped:
        lines += ["", "## Not rendered", "", *[f"- {s}" for s in rendered.skipped]]
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


def git_target(
    out: Path, repo_url: str | None, repo_path: str | None, branch: str = "main"
) -> GitTarget:
    """Where ``out`` sits in Git: ``repo_path`` when given, else its path inside the Git checkout
    that contains it (found by its ``.git``), else the repository root."""
    if repo_path is None:
        here = out.absolute()
        for parent in [here, *here.parents]:
            if (parent / ".git").exists():
                repo_path = here.relative_to(parent).as_posix()
                break
    path = (repo_path or "").strip().strip("/")
    if ".." in Path(path).parts:
        raise UsageError(f"--repo-path {repo_path!r} leaves the repository")
    if repo_url is not None and _url_credentials(repo_url):
        raise UsageError(
            f"--repo-url {_masked_userinfo(repo_url)} carries credentials, which render would write "
            "into every Application/GitRepository",
            hint="pass the URL without user:token@; give Argo CD the credentials in a repository "
            "Secret (label argocd.argoproj.io/secret-type: repository), Flux in the GitRepository's "
            "secretRef",
        )
    return GitTarget(url=repo_url, path=path, branch=branch)


def _masked_userinfo(url: str) -> str:
    """``url`` with its whole user:password@ part shown as ``[secret]@`` (a token can be the user)."""
    scheme, sep, rest = url.partition("://")
    host, slash, tail = rest.partition("/")
    if not sep or "@" not in host:
        return redact_text(url)
    return redact_text(f"{scheme}://{MASK}@{host.rpartition('@')[2]}{slash}{tail}")


def _url_credentials(url: str) -> bool:
    """Whether ``url`` carries credentials: a password, or any user of an http(s) URL (a token
    passed as the user name). ``ssh://git@host/...`` and ``git@host:org/repo`` name a user only."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        user, password = parts.username, parts.password
    except ValueError:
        return "@" in url.partition("://")[2].partition("/")[0]
    return password is not None or (user is not None and parts.scheme.lower() in ("http", "https"))


# ------------------------------------------------------------------------------ writing


def _previous_files(out: Path) -> set[str] | None:
    """Files the last render wrote (None: ``out`` holds no marker)."""
    marker = out / MARKER
    if not marker.is_file():
        return None
    try:
        lines = marker.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {marker}: {exc}") from None
    if lines and lines[0] == MARKER_HEADER:
        return {line for line in lines[1:] if line and not line.startswith("#")}
    # A marker from an older clusterforge (one line: name and flavor). That render replaced the
    # whole directory, so the files of its layout are its own.
    return {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file()
        and (
            p.relative_to(out).parts[0] in ("objects", "values", "argocd", "flux")
            or p.name in ("install.sh", "README.md")
        )
    }


def _safe_relative(relative: str) -> bool:
    parts = Path(relative).parts
    return bool(parts) and not Path(relative).is_absolute() and ".." not in parts


def _os_error(action: str, exc: OSError) -> UsageError:
    reason = {
        errno.ENOSPC: "no space left on the device",
        errno.EFBIG: "file size limit exceeded",
        errno.EROFS: "read-only file system",
        errno.ENOTDIR: "a file is in the way where a directory is needed",
        errno.EACCES: "permission denied",
        errno.EDQUOT: "disk quota exceeded",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    where = f" {exc.filename}" if exc.filename else ""
    return UsageError(
        f"cannot {action}{where}: {reason}; nothing was changed",
        hint="free space or fix the directory, then run render again",
    )


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the new files are moved into place (a few renames): a
    Ctrl-C arrives after the tree is complete, never between two renames.

    Python runs signal handlers in the main thread whichever thread the kernel picked (the
    Pulumi engine leaves threads behind), so handlers that only record the signal hold it for
    the whole process; the recorded signal is acted on once the moves are done.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous: dict[int, Any] = {int(number): signal.getsignal(number) for number in held}
    for number in held:
        signal.signal(number, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for saved_number, saved_handler in previous.items():
            signal.signal(saved_number, saved_handler)
    for signum in received[:1]:
        handler = previous[signum]
        if callable(handler):
            handler(signum, None)
        elif handler == signal.SIG_DFL:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM ends the process through Python (finally blocks run) instead of at once, so the
    staging files are removed on that exit path too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _terminate(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def write(rendered: Rendered, out: Path, *, inputs: tuple[Path, ...] = ()) -> None:
    """Write ``rendered`` into ``out``, all or nothing.

    A new directory is staged next to ``out`` and renamed into place. An existing one keeps every
    file a previous render did not write (the marker lists those): the new files are staged in a
    hidden directory inside ``out``, then moved into place with signals held, and files the
    previous render wrote that this one does not are removed. An input file of this run (the
    stack, the outputs file) is never replaced or removed. An OS error (full disk, file-size
    limit, read-only mount, a file where a directory is needed) is one UsageError and leaves
    ``out`` as it was.
    """
    out = out.absolute()
    resolved_inputs = {p.resolve() for p in inputs}
    with _sigterm_raises():
        if out.exists() and not out.is_dir():
            raise UsageError(
                f"{out} exists and is not a directory",
                hint="choose a directory for the rendered files",
            )
        if not out.exists():
            _write_new(rendered, out)
            return
        _write_into(rendered, out, resolved_inputs)


def _marker_text(rendered: Rendered) -> str:
    return "\n".join([MARKER_HEADER, *sorted(rendered.files), ""])


def _stage(rendered: Rendered, staging: Path) -> None:
    for relative, content in rendered.files.items():
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        if relative.endswith(".sh"):
            os.chmod(target, 0o755)
    (staging / MARKER).write_text(_marker_text(rendered), encoding="utf-8")


def _write_new(rendered: Rendered, out: Path) -> None:
    staging: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-render-", dir=out.parent))
        _stage(rendered, staging)
        os.chmod(staging, 0o755)
        with _signals_deferred():
            staging.rename(out)
            staging = None
    except OSError as exc:
        raise _os_error(f"write {out}", exc) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _write_into(rendered: Rendered, out: Path, inputs: set[Path]) -> None:
    previous = _previous_files(out)
    if previous is None and any(out.iterdir()):
        previous = set()  # first render into a directory the user already has files in
    previous = {p for p in previous or set() if _safe_relative(p)}
    new = set(rendered.files)
    for relative in sorted(new):
        target = out / relative
        if target.resolve() in inputs:
            raise UsageError(
                f"{target} is an input of this render and would be overwritten",
                hint="move the stack (or outputs) file out of the rendered paths",
            )
        for parent in [*reversed(Path(relative).parents)][1:]:
            if (out / parent).exists() and not (out / parent).is_dir():
                raise UsageError(
                    f"{out / parent} is a file where render needs a directory; nothing was changed",
                    hint="move that file away, or render into another directory",
                )
        if target.is_dir() and not target.is_symlink():
            raise UsageError(
                f"{target} is a directory where render writes a file; nothing was changed",
                hint="move that directory away, or render into another directory",
            )
        if (target.exists() or target.is_symlink()) and relative not in previous:
            raise UsageError(
                f"{target} exists and was not written by clusterforge render",
                hint="move or rename it: render replaces only the files it wrote itself "
                f"(listed in {MARKER})",
            )
    stale = sorted(
        p
        for p in previous - new
        if (out / p).is_file() and (out / p).resolve() not in inputs and p != MARKER
    )
    staging: Path | None = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=".clusterforge-render-", dir=out))
        _stage(rendered, staging / "new")
        (staging / "old").mkdir()
        with _signals_deferred():
            _commit(out, staging, sorted(new) + [MARKER], stale)
    except OSError as exc:
        raise _os_error(f"write into {out}", exc) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    _prune_empty_dirs(out, stale)


def _commit(out: Path, staging: Path, new: list[str], stale: list[str]) -> None:
    """Move the staged files into place, keeping the replaced ones until all moves succeeded;
    on any failure, put everything back."""
    moved: list[tuple[Path, Path | None]] = []  # (target, its saved previous content)
    created_dirs: list[Path] = []
    try:
        for index, relative in enumerate(new):
            target = out / relative
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            for directory in reversed(missing):
                directory.mkdir()
                created_dirs.append(directory)
            saved: Path | None = None
            if target.exists() or target.is_symlink():
                saved = staging / "old" / f"{index}"
                os.rename(target, saved)
            moved.append((target, saved))
            os.rename(staging / "new" / relative, target)
        for index, relative in enumerate(stale):
            target = out / relative
            saved = staging / "old" / f"stale-{index}"
            os.rename(target, saved)
            moved.append((target, saved))
    except BaseException:
        for target, saved in reversed(moved):
            try:
                if saved is None or not saved.exists():
                    if target.exists() and saved is None:
                        target.unlink()
                else:
                    os.replace(saved, target)
            except OSError:
                pass
        for directory in reversed(created_dirs):
            with suppress(OSError):
                directory.rmdir()
        raise


def _prune_empty_dirs(out: Path, removed: list[str]) -> None:
    """Remove directories left empty by files a previous render wrote and this one does not."""
    for relative in removed:
        for parent in Path(relative).parents:
            if parent == Path("."):
                break
            try:
                (out / parent).rmdir()
            except OSError:
                break
