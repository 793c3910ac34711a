"""Pulumi Kubernetes Operator objects for a stack project: for teams that run their infrastructure
from a cluster (Pulumi's own GitOps engine) instead of a CI pipeline.

The operator (pulumi/pulumi-kubernetes-operator v2) runs each ``Stack`` in a workspace pod under a
service account that needs the ``system:auth-delegator`` cluster role; the source is the project's
git repository (``projectRepo`` / ``branch`` / ``repoDir``). The operator's ``Program`` object holds
Pulumi YAML programs only, so a clusterforge (Python) project is always a git source. Field names
follow the Stack CRD ``pulumi.com/v1`` of v2.9.0 (deploy/crds/pulumi.com_stacks.yaml, commit
b713fae5a35041d899b0f64151a151f3df068ad1, checked 2026-12-03); the workspace image and the
service account binding follow that release's examples/git-source/stack.yaml.
"""

from __future__ import annotations

from typing import Any

#: The workspace image of the operator's git-source example at v2.9.0 (pulumi CLI with Python).
WORKSPACE_IMAGE = "pulumi/pulumi:3.202.0-nonroot"


def operator_objects(
    *,
    name: str,
    stack: str,
    repo: str,
    branch: str,
    repo_dir: str,
    namespace: str = "pulumi-operator",
    backend: str | None = None,
    passphrase_secret: str = "clusterforge-stack-secrets",
) -> list[dict[str, Any]]:
    """The ServiceAccount, its auth-delegator binding and the Stack for project ``name``."""
    account = f"{name}-{stack}"
    env_refs: dict[str, Any] = {
        # The passphrase of the self-managed backend's secrets provider, from a Secret the team
        # creates (never in the manifest).
        "PULUMI_CONFIG_PASSPHRASE": {"type": "Secret", "secret": {"name": passphrase_secret, "key": "passphrase"}},
    }  # fmt: skip
    spec: dict[str, Any] = {
        "serviceAccountName": account,
        "projectRepo": repo,
        "branch": branch,
        "shallow": True,
        "stack": stack,
        "refresh": True,
        # A cluster with data on it is never destroyed because a manifest was deleted.
        "destroyOnFinalize": False,
        "envRefs": env_refs,
        "workspaceTemplate": {"spec": {"image": WORKSPACE_IMAGE}},
    }
    if repo_dir not in ("", "."):
        spec["repoDir"] = repo_dir.rstrip("/") + "/"
    if backend:
        spec["backend"] = backend
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account, "namespace": namespace}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{account}:system:auth-delegator"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        },
        {"apiVersion": "pulumi.com/v1", "kind": "Stack",
         "metadata": {"name": account, "namespace": namespace}, "spec": spec},
    ]  # fmt: skip
