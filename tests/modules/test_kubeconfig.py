"""The kubeconfig EKS and GKE clusters export: one context that fetches short-lived tokens."""

from __future__ import annotations

import json

from clusterforge.modules.aws.eks import kubeconfig as eks_kubeconfig
from clusterforge.modules.gcp.gke import kubeconfig as gke_kubeconfig


def _only(config: dict, key: str) -> dict:
    (entry,) = config[key]
    return entry


def test_eks_kubeconfig_gets_tokens_from_aws_eks_get_token() -> None:
    config = json.loads(
        eks_kubeconfig("llm", "https://ABC.gr7.us-east-1.eks.amazonaws.com", "Q0E=", "us-east-1")
    )
    assert config["current-context"] == "llm" and _only(config, "contexts")["context"] == {
        "cluster": "llm",
        "user": "llm",
    }
    assert _only(config, "clusters")["cluster"] == {
        "server": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
        "certificate-authority-data": "Q0E=",
    }
    plugin = _only(config, "users")["user"]["exec"]
    assert (
        plugin["apiVersion"] == "client.authentication.k8s.io/v1beta1"
        and plugin["command"] == "aws"
    )
    assert (
        plugin["args"][:4] == ["eks", "get-token", "--cluster-name", "llm"]
        and "us-east-1" in plugin["args"]
    )
    assert "token" not in _only(config, "users")["user"]  # no long-lived credential


def test_gke_kubeconfig_uses_the_gcloud_auth_plugin_over_https() -> None:
    config = json.loads(gke_kubeconfig("tpu", "34.1.2.3", "Q0E="))
    assert _only(config, "clusters")["cluster"]["server"] == "https://34.1.2.3"
    plugin = _only(config, "users")["user"]["exec"]
    assert plugin == {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "gke-gcloud-auth-plugin",
        "provideClusterInfo": True,
    }
