"""The add-on component: namespaces, pinned charts in dependency order, generated objects.

Each chart is installed with the engine its catalog row names (and says why):

* ``helm.v3.Release`` when the chart relies on Helm hooks (pre-install CRD or webhook jobs,
  post-install runtimes): Helm itself runs them; the release is opaque to the plan.
* ``helm.v4.Chart`` otherwise: Pulumi renders the templates and manages every object, so the plan
  and the diff show them — but it drops hooks, hence the split.
* ``kustomize.v2.Directory`` for add-ons published as kustomize manifests (Kubeflow Pipelines).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clusterforge.catalog.addons import CHART, KUSTOMIZE, RELEASE, AddonFacts
from clusterforge.catalog.releases import chart_installs
from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.modules.kubernetes import objects
from clusterforge.modules.kubernetes.values import chart_values
from clusterforge.secrets import is_secret_entry

#: Typed classes for core kinds; everything else is a CustomResource of its CRD.
CORE_KINDS = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "PersistentVolume"): k8s.core.v1.PersistentVolume,
    ("v1", "PersistentVolumeClaim"): k8s.core.v1.PersistentVolumeClaim,
}


def manifest_resource(
    name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    kind = (manifest["apiVersion"], manifest["kind"])
    body = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    typed = CORE_KINDS.get(kind)
    if typed is not None:
        return typed(name, opts=opts, **body)  # type: ignore[no-any-return]
    return k8s.apiextensions.CustomResource(
        name, api_version=manifest["apiVersion"], kind=manifest["kind"], opts=opts, **body
    )


def _key(manifest: dict[str, Any]) -> str:
    """A Pulumi name unique per object: kind, namespace (for namespaced objects) and name."""
    meta = manifest["metadata"]
    parts = [manifest["kind"].lower(), meta.get("namespace", ""), meta["name"]]
    return "-".join(p for p in parts if p)


def secret_values(values: Any, parent: str | None = None) -> Any:
    """Chart values with every secret (under a secret key such as ``adminPassword``, an
    Alertmanager secret field such as ``routing_key`` under ``pagerduty_configs``, or the
    ``value`` of an EnvVar named ``HF_TOKEN``; the one rule in :mod:`clusterforge.secrets`)
    wrapped as a Pulumi secret: encrypted in the state, and ``[secret]`` in every plan and
    preview. ``parent`` is the key that holds ``values`` (a list passes its key on)."""
    if isinstance(values, dict):
        return {
            key: pulumi.Output.secret(value)
            if is_secret_entry(values, key, parent)
            else secret_values(value, str(key))
            for key, value in values.items()
        }
    if isinstance(values, list):
        return [secret_values(item, parent) for item in values]
    return values


def chart_resource(
    name: str,
    facts: AddonFacts,
    chart: str,
    version: str,
    namespace: str,
    values: dict[str, Any],
    opts: pulumi.ResourceOptions,
    release: str | None = None,
) -> pulumi.Resource:
    if facts.is_oci:
        reference, repository = f"{facts.repo.rstrip('/')}/{chart}", None
    else:
        reference, repository = chart, facts.repo
    if facts.engine == RELEASE:
        return k8s.helm.v3.Release(
            name,
            name=release or name,
            chart=reference,
            version=version,
            namespace=namespace,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository) if repository else None,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            timeout=900,
            opts=opts,
        )
    if facts.engine == CHART:
        return k8s.helm.v4.Chart(
            name,
            chart=reference,
            version=version,
            namespace=namespace,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=repository) if repository else None,
            values=values,
            name=release or name,
            opts=opts,
        )
    if facts.engine == KUSTOMIZE:
        return k8s.kustomize.v2.Directory(
            name, directory=f"{facts.repo}/{chart}?ref={version}", namespace=namespace, opts=opts
        )
    raise ValueError(f"unknown install engine {facts.engine!r} for {facts.name}")


class KubernetesAddons(pulumi.ComponentResource):
    """Every add-on of the stack and the objects clusterforge generates, through one provider."""

    def __init__(
        self,
        name: str,
        resolved: ResolvedCluster,
        provider: k8s.Provider,
        *,
        volumes: dict[str, dict[str, Any]] | None = None,
        images: dict[str, dict[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("clusterforge:kubernetes:Addons", name, None, opts)
        base = pulumi.ResourceOptions(parent=self, provider=provider)
        self.namespaces: dict[str, pulumi.Resource] = {}
        for manifest in objects.namespaces(resolved):
            ns = manifest["metadata"]["name"]
            self.namespaces[ns] = manifest_resource(f"{name}-ns-{ns}", manifest, base)

        self.charts: dict[str, pulumi.Resource] = {}
        for addon in resolved.addons:
            deps = [self.charts[r] for r in addon.requires if r in self.charts]
            if addon.namespace in self.namespaces:
                deps.append(self.namespaces[addon.namespace])
            values = secret_values(chart_values(resolved, addon, list(resolved.addons)))
            previous: list[pulumi.Resource] = []
            # Release names and namespaces from the one rule `render` uses too (catalog.releases).
            for install in chart_installs(addon, name):
                chart = chart_resource(
                    install.resource,
                    addon.facts,
                    install.chart,
                    install.version,
                    install.namespace,
                    values if install.main else {},
                    pulumi.ResourceOptions.merge(
                        base, pulumi.ResourceOptions(depends_on=deps + previous)
                    ),
                    release=install.release,
                )
                if install.main:
                    self.charts[addon.name] = chart
                else:  # e.g. kserve-crd before kserve-resources
                    previous.append(chart)

        generated: list[tuple[str, dict[str, Any], list[pulumi.Resource]]] = []
        kueue = self.charts.get("kueue")
        if kueue is not None:
            for manifest in objects.kueue_objects(resolved):
                ns_dep = (
                    [self.namespaces[ns]]
                    if (ns := manifest["metadata"].get("namespace")) in self.namespaces
                    else []
                )
                generated.append((_key(manifest), manifest, [kueue, *ns_dep]))
        network_operator = resolved.addon("network-operator")
        if network_operator is not None and images:
            generated.append(
                (
                    "nicclusterpolicy",
                    objects.nic_cluster_policy(
                        network_operator, images, deploy_driver=not objects.host_mofed(resolved)
                    ),
                    [self.charts["network-operator"]],
                )
            )
        knative = resolved.addon("knative-serving")
        if knative is not None:
            serving_ns, serving = objects.knative_serving(knative)
            ns_resource = manifest_resource(f"{name}-ns-knative-serving", serving_ns, base)
            generated.append(
                ("knativeserving", serving, [self.charts["knative-serving"], ns_resource])
            )
        csi_deps = [c for n, c in self.charts.items() if n == "fsx-csi-driver"]
        for storage in resolved.storage:
            source = (volumes or {}).get(storage.name)
            if source is None:
                continue
            for manifest in objects.volume_manifests(resolved, storage, source):
                ns = manifest["metadata"].get("namespace")
                deps = csi_deps + ([self.namespaces[ns]] if ns in self.namespaces else [])
                generated.append((_key(manifest), manifest, deps))
        self.objects = [
            manifest_resource(
                f"{name}-{key}",
                manifest,
                pulumi.ResourceOptions.merge(base, pulumi.ResourceOptions(depends_on=deps)),
            )
            for key, manifest, deps in generated
        ]
        self.register_outputs(
            {
                "specPath": "addons",
                "addons": {
                    a.name: {
                        "version": a.version,
                        "namespace": a.namespace,
                        "engine": a.facts.engine,
                    }
                    for a in resolved.addons
                },
                "acceleratorQuota": objects.accelerator_totals(resolved),
            }
        )
